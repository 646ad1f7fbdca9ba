// Small SVG charts for trawl's page: a (stacked) time histogram with drag-to-zoom, a
// line chart for node stats, and a force-laid, draggable graph. No dependencies.

const NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes (values set as attributes, never markup). */
export function svgEl(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function clear(svg) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
}

/** Compact number: 1234 → "1.2k", 5_300_000 → "5.3M". */
export function shortNum(n) {
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
  if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
  return String(Math.round(n * 100) / 100);
}

const pad = (n) => String(n).padStart(2, '0');

/** UTC time label for an axis tick, coarser for larger steps. */
function tickLabel(ms, stepMs) {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (stepMs >= 86400e3) return date;
  if (stepMs >= 60e3) return `${date.slice(5)} ${hm}`;
  return `${hm}:${pad(d.getUTCSeconds())}`;
}

// Tick steps (ms) for time axes, smallest first.
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400, 172800, 604800, 2592000, 7776000, 31536000].map((s) => s * 1000);

/** Time ticks between x0 and x1 (ms), at most `max` of them, on round UTC values. */
function timeTicks(x0, x1, max) {
  const step = STEPS.find((s) => (x1 - x0) / s <= max) || (x1 - x0) / max;
  const out = [];
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) out.push(t);
  return { ticks: out, step };
}

/**
 * Draws a stacked time histogram into `svg`.
 * series: [{name, cls, data: [[ms, n], …]}], stacked bottom-up in that order.
 * opts: {xmin, xmax (ms), interval (s), axes (default true), onSelect(ms0, ms1)}.
 * With onSelect, dragging across the plot selects a span (shown while dragging).
 */
export function histogram(svg, series, opts = {}) {
  clear(svg);
  // axes: true (counts and times), 'compact' (the same plot area, only the top count:
  // small charts that line up under a full one), false (bare).
  const axes = opts.axes ?? true;
  const W = Math.max(svg.clientWidth || svg.parentNode?.clientWidth || 600, 100);
  const H = svg.clientHeight || (axes ? 150 : 40);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const m = axes === true ? { l: 48, r: 12, t: 8, b: 22 } : axes ? { l: 48, r: 12, t: 6, b: 2 } : { l: 1, r: 1, t: 2, b: 2 };
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const interval = (opts.interval || 60) * 1000;

  // Sum the series per bucket for the stacking.
  const buckets = new Map();
  for (const [i, s] of series.entries()) {
    for (const [t, n] of s.data || []) {
      if (!buckets.has(t)) buckets.set(t, new Array(series.length).fill(0));
      buckets.get(t)[i] += n;
    }
  }
  const times = [...buckets.keys()].sort((a, b) => a - b);
  let x0 = opts.xmin ?? times[0];
  let x1 = opts.xmax ?? (times.length ? times[times.length - 1] + interval : undefined);
  if (times.length) {
    x0 = Math.min(x0 ?? times[0], times[0]);
    x1 = Math.max(x1 ?? 0, times[times.length - 1] + interval);
  }
  const g = svgEl('g', { transform: `translate(${m.l},${m.t})` }, svg);
  if (x0 === undefined || x1 === undefined || !times.length) {
    svgEl('text', { x: iw / 2, y: ih / 2, 'text-anchor': 'middle', class: 'empty' }, g).textContent =
      'no sessions in this time range';
    return;
  }
  if (x1 <= x0) x1 = x0 + interval;
  let ymax = 0;
  for (const v of buckets.values()) ymax = Math.max(ymax, v.reduce((a, b) => a + b, 0));
  ymax = ymax || 1;
  const sx = (t) => ((t - x0) / (x1 - x0)) * iw;
  const sy = (n) => ih - (n / ymax) * ih;

  if (axes === 'compact') {
    svgEl('line', { x1: 0, x2: iw, y1: ih, y2: ih, class: 'grid' }, g);
    svgEl('text', { x: -6, y: 8, 'text-anchor': 'end', class: 'axis' }, g).textContent = shortNum(ymax);
  } else if (axes) {
    // Horizontal grid lines with the counts, and time ticks underneath.
    for (const f of [0, 0.5, 1]) {
      const y = sy(ymax * f);
      svgEl('line', { x1: 0, x2: iw, y1: y, y2: y, class: 'grid' }, g);
      svgEl('text', { x: -6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, g).textContent = shortNum(ymax * f);
    }
    const { ticks, step } = timeTicks(x0, x1, Math.max(2, Math.floor(iw / 110)));
    for (const t of ticks) {
      const x = sx(t);
      svgEl('line', { x1: x, x2: x, y1: ih, y2: ih + 4, class: 'tick' }, g);
      svgEl('text', { x, y: ih + 16, 'text-anchor': 'middle', class: 'axis' }, g).textContent = tickLabel(t, step);
    }
  }

  // Bars: at least 1px wide so that sparse data over a long span stays visible.
  const bw = Math.max(1, sx(x0 + interval) - sx(x0) - (iw / ((x1 - x0) / interval) > 4 ? 1 : 0));
  for (const t of times) {
    let base = 0;
    const vals = buckets.get(t);
    for (const [i, s] of series.entries()) {
      if (!vals[i]) continue;
      const r = svgEl('rect', {
        x: sx(t), y: sy(base + vals[i]), width: bw, height: Math.max(0.5, sy(base) - sy(base + vals[i])),
        class: `bar ${s.cls || ''}`,
      }, g);
      svgEl('title', {}, r).textContent = `${new Date(t).toISOString().replace('T', ' ').slice(0, 19)} UTC — ${s.name}: ${vals[i].toLocaleString('en-US')}`;
      base += vals[i];
    }
  }

  svg.onpointerdown = svg.onpointermove = svg.onpointerup = svg.onpointercancel = null;
  if (!opts.onSelect) return;
  // Drag to select a span, anywhere on the chart (bars keep their tooltips). The
  // handlers are properties, so that a redraw replaces them instead of adding more.
  svg.classList.add('selectable');
  const sel = svgEl('rect', { x: 0, y: 0, width: 0, height: ih, class: 'sel', visibility: 'hidden' }, g);
  const toX = (ev) => {
    const r = svg.getBoundingClientRect();
    return Math.min(iw, Math.max(0, ((ev.clientX - r.left) * W) / r.width - m.l));
  };
  let start = null;
  svg.onpointerdown = (ev) => {
    if (ev.button !== 0) return;
    start = toX(ev);
    svg.setPointerCapture(ev.pointerId);
    sel.setAttribute('visibility', 'visible');
    sel.setAttribute('x', start);
    sel.setAttribute('width', 0);
  };
  svg.onpointermove = (ev) => {
    if (start === null) return;
    const x = toX(ev);
    sel.setAttribute('x', Math.min(start, x));
    sel.setAttribute('width', Math.abs(x - start));
  };
  svg.onpointerup = (ev) => {
    if (start === null) return;
    const x = toX(ev);
    const a = Math.min(start, x);
    const b = Math.max(start, x);
    start = null;
    sel.setAttribute('visibility', 'hidden');
    if (b - a < 3) return; // a click, not a drag
    const t = (px) => x0 + (px / iw) * (x1 - x0);
    opts.onSelect(t(a), t(b));
  };
  svg.onpointercancel = () => {
    start = null;
    sel.setAttribute('visibility', 'hidden');
  };
}

/** A line chart of [[ms, value], …] with axes (node stats). */
export function lineChart(svg, data, opts = {}) {
  clear(svg);
  const W = Math.max(svg.clientWidth || 500, 100);
  const H = svg.clientHeight || 140;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const m = { l: 52, r: 12, t: 8, b: 22 };
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const g = svgEl('g', { transform: `translate(${m.l},${m.t})` }, svg);
  if (!data.length) {
    svgEl('text', { x: iw / 2, y: ih / 2, 'text-anchor': 'middle', class: 'empty' }, g).textContent = 'no data in this span';
    return;
  }
  const x0 = data[0][0];
  const x1 = Math.max(data[data.length - 1][0], x0 + 1000);
  let ymax = Math.max(...data.map((d) => d[1]), 0) || 1;
  const ymin = Math.min(0, ...data.map((d) => d[1]));
  const sx = (t) => ((t - x0) / (x1 - x0)) * iw;
  const sy = (v) => ih - ((v - ymin) / (ymax - ymin)) * ih;
  for (const f of [0, 0.5, 1]) {
    const v = ymin + (ymax - ymin) * f;
    svgEl('line', { x1: 0, x2: iw, y1: sy(v), y2: sy(v), class: 'grid' }, g);
    svgEl('text', { x: -6, y: sy(v) + 4, 'text-anchor': 'end', class: 'axis' }, g).textContent = shortNum(v);
  }
  const { ticks, step } = timeTicks(x0, x1, Math.max(2, Math.floor(iw / 110)));
  for (const t of ticks) {
    svgEl('text', { x: sx(t), y: ih + 16, 'text-anchor': 'middle', class: 'axis' }, g).textContent = tickLabel(t, step);
  }
  const pts = data.map(([t, v]) => `${sx(t).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
  svgEl('polyline', { points: pts, class: 'line' }, g);
  if (data.length < 80) {
    for (const [t, v] of data) {
      const c = svgEl('circle', { cx: sx(t), cy: sy(v), r: 2.5, class: 'pt' }, g);
      svgEl('title', {}, c).textContent = `${new Date(t).toISOString().replace('T', ' ').slice(0, 19)} UTC: ${v.toLocaleString('en-US')}`;
    }
  }
}

/**
 * A force-laid graph in `svg`. nodes: [{id, type, size, label, title}], links:
 * [{source, target, value, title}] (indices). Nodes can be dragged (they stay where
 * dropped); a click without drag calls opts.onClick(node). Returns {stop()}.
 */
export function forceGraph(svg, nodes, links, opts = {}) {
  clear(svg);
  const W = Math.max(svg.clientWidth || 800, 200);
  const H = svg.clientHeight || 520;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const maxSize = Math.max(1, ...nodes.map((n) => n.size));
  const radius = (n) => 4 + 14 * Math.sqrt(n.size / maxSize);
  const maxVal = Math.max(1, ...links.map((l) => l.value));

  // Start on a circle (deterministic), so runs look alike.
  const sim = nodes.map((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length);
    const r = Math.min(W, H) * 0.35;
    return { n, x: W / 2 + r * Math.cos(a), y: H / 2 + r * Math.sin(a), vx: 0, vy: 0, fixed: false, r: radius(n) };
  });
  const root = svgEl('g', {}, svg);
  const lineEls = links.map((l) => {
    const e = svgEl('line', { class: 'link', 'stroke-width': 1 + 3 * Math.sqrt(l.value / maxVal) }, root);
    svgEl('title', {}, e).textContent = l.title || '';
    return e;
  });
  const nodeEls = sim.map((s) => {
    const grp = svgEl('g', { class: `node t${s.n.type}`, tabindex: 0, 'data-id': s.n.id }, root);
    svgEl('circle', { r: s.r }, grp);
    const label = svgEl('text', { x: s.r + 3, y: 4 }, grp);
    label.textContent = s.n.label ?? s.n.id;
    svgEl('title', {}, grp).textContent = s.n.title || s.n.id;
    return grp;
  });

  // Fruchterman–Reingold: pairs closer than 2.5k repel with k²/d, links pull with d²/k,
  // a linear pull to the centre keeps separate components together; moves are capped
  // by a cooling temperature.
  const n = Math.max(1, nodes.length);
  const k = Math.min(Math.sqrt((W * H) / n) * 0.55, Math.min(W, H) / 4);
  const tMax = Math.min(W, H) / 10;
  let temp = tMax;
  let frame = 0;
  function tick() {
    for (const s of sim) { s.vx = 0; s.vy = 0; }
    for (let i = 0; i < sim.length; i++) {
      for (let j = i + 1; j < sim.length; j++) {
        const a = sim[i];
        const b = sim[j];
        let dx = a.x - b.x;
        let dy = a.y - b.y;
        let d = Math.sqrt(dx * dx + dy * dy);
        if (d < 0.01) { dx = ((i * 7 + j) % 5) - 2 + 0.5; dy = ((i + j * 3) % 5) - 2 + 0.5; d = Math.sqrt(dx * dx + dy * dy); }
        if (d > 2.5 * k) continue; // far apart: no push (keeps components together)
        const f = (k * k) / d / d;
        a.vx += dx * f; a.vy += dy * f;
        b.vx -= dx * f; b.vy -= dy * f;
      }
    }
    for (const l of links) {
      const a = sim[l.source];
      const b = sim[l.target];
      if (!a || !b) continue;
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
      const f = d / k;
      a.vx -= dx * f; a.vy -= dy * f;
      b.vx += dx * f; b.vy += dy * f;
    }
    for (const s of sim) {
      if (s.fixed) continue;
      const gx = W / 2 - s.x;
      const gy = H / 2 - s.y;
      s.vx += gx * 0.06;
      s.vy += gy * 0.06 * Math.max(1, W / H); // wide boxes: pull harder vertically
      const v = Math.sqrt(s.vx * s.vx + s.vy * s.vy) || 1;
      const step = Math.min(v, temp);
      s.x = Math.min(W - s.r, Math.max(s.r, s.x + (s.vx / v) * step));
      s.y = Math.min(H - s.r, Math.max(s.r, s.y + (s.vy / v) * step));
    }
    temp *= 0.985;
  }
  function draw() {
    for (const [i, l] of links.entries()) {
      const a = sim[l.source];
      const b = sim[l.target];
      if (!a || !b) continue;
      lineEls[i].setAttribute('x1', a.x.toFixed(1)); lineEls[i].setAttribute('y1', a.y.toFixed(1));
      lineEls[i].setAttribute('x2', b.x.toFixed(1)); lineEls[i].setAttribute('y2', b.y.toFixed(1));
    }
    for (const [i, s] of sim.entries()) nodeEls[i].setAttribute('transform', `translate(${s.x.toFixed(1)},${s.y.toFixed(1)})`);
  }
  let stopped = false;
  function loop() {
    if (stopped) return;
    for (let i = 0; i < 4; i++) tick();
    draw();
    if (temp > 0.2) frame = requestAnimationFrame(loop);
    else svg.dataset.settled = '1';
  }
  svg.dataset.settled = '';
  draw();
  frame = requestAnimationFrame(loop);
  // After a drag the others make room again, gently.
  const reheat = () => {
    const idle = temp <= 0.2;
    temp = Math.max(temp, tMax / 8);
    if (idle) { svg.dataset.settled = ''; frame = requestAnimationFrame(loop); }
  };

  // Dragging: pointer capture on the node's group; moves of under 3px count as a click.
  const toSvg = (ev) => {
    const r = svg.getBoundingClientRect();
    return [((ev.clientX - r.left) * W) / r.width, ((ev.clientY - r.top) * H) / r.height];
  };
  for (const [i, grp] of nodeEls.entries()) {
    const s = sim[i];
    let down = null;
    grp.addEventListener('pointerdown', (ev) => {
      ev.preventDefault();
      down = { p: toSvg(ev), moved: false };
      root.appendChild(grp); // on top of the others while it moves
      grp.setPointerCapture(ev.pointerId);
      s.fixed = true;
    });
    grp.addEventListener('pointermove', (ev) => {
      if (!down) return;
      const [x, y] = toSvg(ev);
      if (Math.hypot(x - down.p[0], y - down.p[1]) > 3) down.moved = true;
      if (!down.moved) return;
      s.x = Math.min(W - s.r, Math.max(s.r, x));
      s.y = Math.min(H - s.r, Math.max(s.r, y));
      draw();
      reheat();
    });
    grp.addEventListener('pointerup', () => {
      if (down && !down.moved && opts.onClick) opts.onClick(s.n);
      down = null;
    });
    grp.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && opts.onClick) opts.onClick(s.n);
    });
  }
  return { stop() { stopped = true; cancelAnimationFrame(frame); } };
}
