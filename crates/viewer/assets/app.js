// trawl's analyst page: sessions (histogram, expression search, table, session detail
// with payloads), SPI view, SPI graph, connections and node stats, over the viewer API
// in crates/viewer/API.md. Plain ES module, no build step.
//
// Safety rule of this file: data from the server only ever reaches the DOM through
// textContent, attribute values or URLSearchParams — never as markup.

import { histogram, lineChart, forceGraph, shortNum } from './charts.js';

// ---------------------------------------------------------------------------
// DOM helpers and formatting
// ---------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

/**
 * Creates an element. attrs: attributes, except `class`, `text` (textContent), `on`
 * ({event: handler}) and `data` ({key: value} → data-key). Children: nodes or strings
 * (strings become text nodes).
 */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

const nf = new Intl.NumberFormat('en-US');
const fmtNum = (n) => (typeof n === 'number' ? nf.format(n) : n ?? '');
const pad = (n) => String(n).padStart(2, '0');

/** ms since the epoch → "YYYY/MM/DD HH:MM:SS" in UTC (Arkime's format). */
function fmtTime(ms) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * A time field's value in ms. Arkime's `date` and `seconds` types hold ms in the
 * session documents (firstPacket, lastPacket); a small number is taken as seconds.
 */
const timeMs = (v) => (typeof v === 'number' && Math.abs(v) < 1e11 ? v * 1000 : v);

/** "10.0.0.1:80", or "[2001:db8::1]:80" for IPv6. */
function ipPort(ep) {
  if (!ep || ep.ip === undefined) return '';
  const ip = String(ep.ip).includes(':') ? `[${ep.ip}]` : ep.ip;
  return ep.port === undefined ? ip : `${ip}:${ep.port}`;
}

/** Bytes as a human size (1 decimal). */
function fmtSize(bytes) {
  if (typeof bytes !== 'number') return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (bytes >= 1024 && i < u.length - 1) { bytes /= 1024; i++; }
  return `${i ? bytes.toFixed(1) : bytes} ${u[i]}`;
}

/**
 * A value of a session document by database field name: `http.uri` is
 * doc.http.uri, but a key may itself hold dots (`http.method-GET`), so every split
 * of the path is tried. Arrays of objects (Arkime's `dns: [{host: […]}, …]`) give
 * the values of all their elements.
 */
function valueAt(doc, path) {
  if (doc === null || typeof doc !== 'object') return undefined;
  if (Array.isArray(doc)) {
    const out = doc.flatMap((d) => {
      const v = valueAt(d, path);
      return v === undefined ? [] : v;
    });
    return out.length ? out : undefined;
  }
  if (path in doc) return doc[path];
  let i = path.indexOf('.');
  while (i > 0) {
    const head = path.slice(0, i);
    if (head in doc) {
      const v = valueAt(doc[head], path.slice(i + 1));
      if (v !== undefined) return v;
    }
    i = path.indexOf('.', i + 1);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// API access: JSON, errors, login on 401
// ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let busyCount = 0;
function busy(delta) {
  busyCount += delta;
  $('busy').hidden = busyCount <= 0;
}

/** Builds "path?query" from a params object, leaving out empty values. */
function withQuery(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * GETs an API path (relative to the page, so trawl can sit behind a prefix) and
 * returns its JSON (or text with {text: true}). A 401 opens the login form and then
 * retries; other failures throw ApiError with the server's `error` message.
 */
async function api(path, params = {}, opts = {}) {
  const url = withQuery(path.replace(/^\//, ''), params);
  busy(1);
  try {
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      } catch (e) {
        throw new ApiError(0, `cannot reach the server (${e.message})`);
      }
      if (res.status === 401 && attempt < 3) {
        await login();
        continue;
      }
      if (!res.ok) {
        let msg = `${res.status} ${res.statusText}`;
        try {
          const body = await res.text();
          try { msg = JSON.parse(body).error || body || msg; } catch { msg = body || msg; }
        } catch { /* keep the status line */ }
        throw new ApiError(res.status, msg);
      }
      return opts.text ? res.text() : res.json();
    }
  } finally {
    busy(-1);
  }
}

// One login form for every request that got a 401 at the same time.
let loginPending = null;
function login() {
  if (loginPending) return loginPending;
  const dlg = $('login');
  const form = $('loginForm');
  const err = $('loginError');
  loginPending = new Promise((resolve) => {
    err.hidden = true;
    const submit = async (ev) => {
      ev.preventDefault();
      const body = new URLSearchParams(new FormData(form));
      let res;
      try {
        res = await fetch('api/login', { method: 'POST', body, credentials: 'same-origin' });
      } catch (e) {
        res = { ok: false, status: 0, statusText: e.message };
      }
      if (!res.ok) {
        err.textContent = res.status === 401 ? 'Wrong user name or password' : `Login failed: ${res.status} ${res.statusText}`;
        err.hidden = false;
        return;
      }
      form.removeEventListener('submit', submit);
      dlg.close();
      loginPending = null;
      resolve();
    };
    form.addEventListener('submit', submit);
    // The form stays until a login works.
    dlg.addEventListener('cancel', (ev) => ev.preventDefault());
    if (!dlg.open) dlg.showModal();
    $('loginUser').focus();
  });
  return loginPending;
}

// ---------------------------------------------------------------------------
// Field definitions (/api/fields)
// ---------------------------------------------------------------------------

const fields = { list: [], byExp: new Map(), byDb: new Map() };

async function loadFields() {
  try {
    const list = await api('/api/fields');
    fields.list = Array.isArray(list) ? list.filter((f) => f && f.exp) : [];
  } catch (e) {
    showError(`field list: ${e.message}`);
    return;
  }
  for (const f of fields.list) {
    fields.byExp.set(f.exp, f);
    if (f.dbField && !fields.byDb.has(f.dbField)) fields.byDb.set(f.dbField, f);
  }
  const dl = $('fieldNames');
  dl.replaceChildren(...fields.list.map((f) => h('option', { value: f.exp, label: f.friendlyName || '' })));
}

/** Expression name → database field name (names that are already database names pass). */
const dbOf = (name) => fields.byExp.get(name)?.dbField || name;
/** Database field name → expression name. */
const expOf = (db) => fields.byDb.get(db)?.exp || db;
const friendly = (db) => fields.byDb.get(db)?.friendlyName || db;

// ---------------------------------------------------------------------------
// State, kept in the URL hash: #view?expression=…&date=…
// ---------------------------------------------------------------------------

const DEFAULT_SPI = 'node:10,protocol:10,source.ip:10,destination.ip:10,destination.port:10,http.host:10,dns.host:10,tls.version:10';

const DEFAULTS = {
  view: 'sessions',
  expression: '',
  date: '1', // hours back, '-1' all, 'custom' = startTime/stopTime
  startTime: '',
  stopTime: '',
  bounding: 'last',
  interval: '',
  // sessions
  order: 'firstPacket:asc',
  start: '0',
  length: '50',
  graph: 'sessions',
  // SPI view
  spi: DEFAULT_SPI,
  // SPI graph
  sgField: 'node',
  sgSize: '20',
  sgSort: 'count',
  sgMetric: 'sessions',
  // connections
  cnSrc: 'ip.src',
  cnDst: 'ip.dst:port',
  cnSize: 'sessions',
  cnMin: '1',
  cnLen: '5000',
  // stats
  stNode: '',
  stSpan: '24',
  stInterval: '60',
};
const VIEWS = ['sessions', 'spiview', 'spigraph', 'connections', 'stats'];
let state = { ...DEFAULTS };

function hashFor(s) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (k !== 'view' && String(v) !== DEFAULTS[k]) q.set(k, v);
  const qs = q.toString();
  return `#${s.view}${qs ? `?${qs}` : ''}`;
}

function readHash() {
  const raw = location.hash.replace(/^#/, '');
  const [view, qs = ''] = raw.split(/\?(.*)/s);
  const q = new URLSearchParams(qs);
  const s = { ...DEFAULTS };
  if (VIEWS.includes(view)) s.view = view;
  for (const k of Object.keys(DEFAULTS)) if (k !== 'view' && q.has(k)) s[k] = q.get(k);
  // Arkime-style links: startTime+stopTime without date mean a custom range.
  if (q.has('startTime') && q.has('stopTime') && !q.has('date')) s.date = 'custom';
  state = s;
}

/** Changes the state and runs the view (through the hash, so back/reload work). */
function go(changes) {
  const next = hashFor({ ...state, ...changes });
  if (next !== location.hash) location.hash = next; // → hashchange → route()
  else route();
}

/** The session query every view sends: expression, time range, bounding, interval. */
function queryParams() {
  const p = {};
  if (state.expression.trim()) p.expression = state.expression.trim();
  if (state.date === 'custom' && state.startTime && state.stopTime) {
    p.startTime = state.startTime;
    p.stopTime = state.stopTime;
  } else {
    p.date = state.date === 'custom' ? '1' : state.date;
  }
  p.bounding = state.bounding;
  if (state.interval) p.interval = state.interval;
  return p;
}

// ---------------------------------------------------------------------------
// The search bar: expression with field autocompletion, time range, bounding
// ---------------------------------------------------------------------------

const exprInput = $('expression');
const suggestBox = $('suggest');

function showError(msg) {
  const el = $('exprError');
  el.textContent = msg;
  el.hidden = false;
}
function clearError() {
  $('exprError').hidden = true;
  $('exprError').textContent = '';
}

/** Seconds since the epoch ↔ the value of a datetime-local input read as UTC. */
const secToLocalInput = (s) => (s ? new Date(Number(s) * 1000).toISOString().slice(0, 19) : '');
const localInputToSec = (v) => {
  if (!v) return '';
  const ms = Date.parse(v.length === 16 ? `${v}:00Z` : `${v}Z`);
  return Number.isNaN(ms) ? '' : String(Math.floor(ms / 1000));
};

/** Puts the state into the controls. */
function syncControls() {
  if (document.activeElement !== exprInput || exprInput.dataset.state !== state.expression) {
    exprInput.value = state.expression;
  }
  exprInput.dataset.state = state.expression;
  $('date').value = state.date;
  if ($('date').value !== state.date) {
    // An hour count the select has no option for.
    $('date').appendChild(h('option', { value: state.date, text: `Last ${state.date} hours` }));
    $('date').value = state.date;
  }
  $('customTime').hidden = state.date !== 'custom';
  $('startTime').value = secToLocalInput(state.startTime);
  $('stopTime').value = secToLocalInput(state.stopTime);
  $('bounding').value = state.bounding;
  $('interval').value = state.interval;
  $('searchForm').hidden = state.view === 'stats';
  for (const a of document.querySelectorAll('.tabs a')) {
    const on = a.dataset.view === state.view;
    a.classList.toggle('on', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    a.href = hashFor({ ...state, view: a.dataset.view });
  }
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== state.view;
}

function submitSearch() {
  closeSuggest();
  const date = $('date').value;
  const changes = {
    expression: exprInput.value,
    date,
    bounding: $('bounding').value,
    interval: $('interval').value,
    start: '0',
  };
  if (date === 'custom') {
    changes.startTime = localInputToSec($('startTime').value);
    changes.stopTime = localInputToSec($('stopTime').value);
    if (!changes.startTime || !changes.stopTime) {
      // Prefill a custom range with the last hour, to edit from there.
      const now = Math.floor(Date.now() / 1000);
      changes.startTime ||= String(now - 3600);
      changes.stopTime ||= String(now);
    }
  } else {
    changes.startTime = '';
    changes.stopTime = '';
  }
  go(changes);
}

$('searchForm').addEventListener('submit', (ev) => {
  ev.preventDefault();
  submitSearch();
});
for (const id of ['date', 'bounding', 'interval', 'startTime', 'stopTime']) {
  $(id).addEventListener('change', submitSearch);
}

// Autocompletion of field names in the expression. The word at the caret is
// completed unless it follows a comparison operator (then it is a value).
let suggestItems = [];
let suggestActive = -1;

function wordAtCaret() {
  const v = exprInput.value;
  const end = exprInput.selectionStart ?? v.length;
  let start = end;
  while (start > 0 && /[A-Za-z0-9\-+_.@:*?/$]/.test(v[start - 1])) start--;
  const before = v.slice(0, start).trimEnd();
  const isValue = /(==|!=|<=|>=|[=<>])$/.test(before);
  return { start, end, word: v.slice(start, end), isValue };
}

function closeSuggest() {
  suggestBox.hidden = true;
  suggestItems = [];
  suggestActive = -1;
  exprInput.setAttribute('aria-expanded', 'false');
  exprInput.removeAttribute('aria-activedescendant');
}

function renderSuggest() {
  suggestBox.replaceChildren(...suggestItems.map((f, i) => h('li', {
    id: `sg-${i}`, role: 'option', class: i === suggestActive ? 'on' : '', 'aria-selected': i === suggestActive ? 'true' : 'false',
    on: { mousedown: (ev) => { ev.preventDefault(); pickSuggest(i); } },
  }, h('b', { text: f.exp }), h('span', { text: f.friendlyName || '' }))));
  suggestBox.hidden = suggestItems.length === 0;
  exprInput.setAttribute('aria-expanded', String(!suggestBox.hidden));
  if (suggestActive >= 0) exprInput.setAttribute('aria-activedescendant', `sg-${suggestActive}`);
}

function updateSuggest() {
  const { word, isValue } = wordAtCaret();
  if (!word || isValue || !fields.list.length) return closeSuggest();
  const w = word.toLowerCase();
  const starts = [];
  const contains = [];
  for (const f of fields.list) {
    const e = f.exp.toLowerCase();
    if (e === w) continue;
    if (e.startsWith(w)) starts.push(f);
    else if (e.includes(w) || (f.friendlyName || '').toLowerCase().includes(w)) contains.push(f);
  }
  suggestItems = [...starts, ...contains].slice(0, 12);
  suggestActive = -1; // nothing chosen until the arrow keys choose (Tab takes the first)
  renderSuggest();
}

function pickSuggest(i) {
  const f = suggestItems[i];
  if (!f) return;
  const { start, end } = wordAtCaret();
  const v = exprInput.value;
  const after = v.slice(end);
  const insert = f.exp + (after.startsWith(' ') ? '' : ' ');
  exprInput.value = v.slice(0, start) + insert + after;
  const caret = start + insert.length;
  exprInput.setSelectionRange(caret, caret);
  closeSuggest();
  exprInput.focus();
}

exprInput.addEventListener('input', updateSuggest);
exprInput.addEventListener('blur', () => setTimeout(closeSuggest, 100));
exprInput.addEventListener('keydown', (ev) => {
  const open = !suggestBox.hidden && suggestItems.length > 0;
  if (ev.key === 'ArrowDown' && open) {
    suggestActive = (suggestActive + 1) % suggestItems.length;
    renderSuggest();
    ev.preventDefault();
  } else if (ev.key === 'ArrowUp' && open) {
    suggestActive = (suggestActive - 1 + suggestItems.length) % suggestItems.length;
    renderSuggest();
    ev.preventDefault();
  } else if (ev.key === 'Tab' && open) {
    pickSuggest(Math.max(0, suggestActive));
    ev.preventDefault();
  } else if (ev.key === 'Enter' && open && suggestActive >= 0) {
    // Enter picks a suggestion only after the arrows chose one; else it searches.
    pickSuggest(suggestActive);
    ev.preventDefault();
  } else if (ev.key === 'Escape' && open) {
    closeSuggest();
    ev.preventDefault();
  }
});

// ---------------------------------------------------------------------------
// Adding `field == value` to the expression (from the session detail, SPI view…)
// ---------------------------------------------------------------------------

/** A value as the expression language needs it: bare when safe, else quoted. */
function exprValue(value, type) {
  if (typeof value === 'number') return String(value);
  const s = String(value);
  if ((type === 'ip' || type === 'integer') && /^[0-9A-Fa-f.:]+$/.test(s)) return s;
  if (/^[A-Za-z0-9_.:@-]+$/.test(s) && !/^(EXISTS!)$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Adds `exp op value` (op `==` or `!=`) to the expression with && and searches again. */
function addExpression(exp, value, op = '==', type) {
  const clause = `${exp} ${op} ${exprValue(value, type)}`;
  const cur = state.expression.trim();
  go({ expression: cur ? `${cur} && ${clause}` : clause, start: '0' });
}

/** A clickable value: click adds `==`, alt-click or the ≠ button adds `!=`. */
function valueChip(exp, value, label, type) {
  const add = (op) => (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    addExpression(exp, value, ev.altKey ? '!=' : op, type);
  };
  return h('span', { class: 'chip' },
    h('button', { type: 'button', class: 'val', title: `${exp} == ${value}  (alt-click: !=)`, data: { exp, value: String(value) }, on: { click: add('==') } }, label ?? String(value)),
    h('button', { type: 'button', class: 'ne', title: `${exp} != ${value}`, 'aria-label': `${exp} != ${value}`, on: { click: add('!=') } }, '≠'));
}

// ---------------------------------------------------------------------------
// Sessions view
// ---------------------------------------------------------------------------

// Fields Arkime's info column shows, in that order.
const INFO_FIELDS = [
  ['http.uri', 'URI'], ['email.subject', 'Subject'], ['email.src', 'From'], ['email.dst', 'To'],
  ['email.filename', 'File'], ['dns.host', 'DNS'], ['cert', 'Cert'], ['irc.channel', 'IRC'],
];

// Columns that are not just one field.
const SPECIAL_COLUMNS = {
  firstPacket: { label: 'Start', sort: 'firstPacket', fields: ['firstPacket'], cell: (s) => fmtTime(s.firstPacket) },
  lastPacket: { label: 'Stop', sort: 'lastPacket', fields: ['lastPacket'], cell: (s) => fmtTime(s.lastPacket) },
  src: { label: 'Src IP:Port', sort: 'source.ip', fields: ['source.ip', 'source.port'], cell: (s) => ipPort(s.source) },
  dst: { label: 'Dst IP:Port', sort: 'destination.ip', fields: ['destination.ip', 'destination.port'], cell: (s) => ipPort(s.destination) },
  'network.packets': { label: 'Packets', sort: 'network.packets', fields: ['network.packets'], num: true },
  'network.bytes': { label: 'Bytes', sort: 'network.bytes', fields: ['network.bytes'], num: true },
  node: { label: 'Node', sort: 'node', fields: ['node'] },
  info: { label: 'Info', sort: null, fields: INFO_FIELDS.map((f) => f[0]), cell: infoCell },
};
const DEFAULT_COLUMNS = ['firstPacket', 'lastPacket', 'src', 'dst', 'network.packets', 'network.bytes', 'node', 'info'];
// What rows hold without `fields=` (API.md), so that `fields` is only sent when needed.
const DEFAULT_ROW_FIELDS = new Set(('ipProtocol rootId totDataBytes client.bytes server.bytes firstPacket lastPacket source.ip '
  + 'source.port destination.ip destination.port network.packets source.packets destination.packets network.bytes '
  + 'source.bytes destination.bytes node http.uri source.geo.country_iso_code destination.geo.country_iso_code '
  + 'email.subject email.src email.dst email.filename dns.host cert irc.channel http.xffGEO').split(' '));

function loadColumns() {
  try {
    const c = JSON.parse(localStorage.getItem('trawl.columns') || 'null');
    if (Array.isArray(c) && c.length && c.every((x) => typeof x === 'string')) return c;
  } catch { /* fall through */ }
  return [...DEFAULT_COLUMNS];
}
let columns = loadColumns();
function saveColumns() {
  localStorage.setItem('trawl.columns', JSON.stringify(columns));
}

function columnDef(id) {
  if (SPECIAL_COLUMNS[id]) return SPECIAL_COLUMNS[id];
  const f = fields.byDb.get(id);
  return { label: f?.friendlyName || id, sort: id, fields: [id], num: f?.type === 'integer', type: f?.type };
}

/** Text of one field value for a table cell. */
function cellText(v, type) {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => cellText(x, type)).join(', ');
  if ((type === 'date' || type === 'seconds') && typeof v === 'number') return fmtTime(timeMs(v));
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Arkime's info column: a few labelled values of whichever fields the session has. */
function infoCell(s) {
  const out = h('div', { class: 'info' });
  for (const [db, label] of INFO_FIELDS) {
    let v = valueAt(s, db);
    if (v === undefined || (Array.isArray(v) && !v.length)) continue;
    if (db === 'cert') {
      v = (Array.isArray(v) ? v : [v]).map((c) => c?.subjectCN?.[0] || c?.alt?.[0] || c?.issuerCN?.[0] || '').filter(Boolean);
      if (!v.length) continue;
    }
    const vals = (Array.isArray(v) ? v : [v]).map(String);
    const more = vals.length > 3 ? ` (+${vals.length - 3})` : '';
    out.appendChild(h('div', {}, h('span', { class: 'ilabel', text: label }), ` ${vals.slice(0, 3).join(', ')}${more}`));
  }
  return out;
}

let sessionsSeq = 0;
let lastSessions = null; // the last answer, to redraw on resize or new field names

async function runSessions() {
  const seq = ++sessionsSeq;
  const q = queryParams();
  const needed = new Set();
  for (const c of columns) for (const f of columnDef(c).fields) needed.add(f);
  // Rows first (they come from the store's sort and answer at once); the histogram,
  // which reads every match, follows in a second request.
  const params = { ...q, start: state.start, length: state.length, order: state.order };
  if ([...needed].some((f) => !DEFAULT_ROW_FIELDS.has(f))) {
    params.fields = [...new Set([...DEFAULT_ROW_FIELDS, ...needed])].join(',');
  }
  // Export links: the whole query, no paging.
  $('exportPcap').href = withQuery('api/sessions.pcap', q);
  $('exportCsv').href = withQuery('api/sessions.csv', q);
  $('pageSize').value = state.length;
  let res;
  try {
    res = await api('/api/sessions', params);
  } catch (e) {
    if (seq !== sessionsSeq) return;
    showError(e.message);
    lastSessions = null;
    renderSessions({ recordsTotal: 0, recordsFiltered: 0, data: [], graph: {} }, true);
    return;
  }
  await fieldsReady;
  if (seq !== sessionsSeq) return; // a newer search answered first
  clearError();
  lastSessions = res;
  renderSessions(res);
  let facets;
  try {
    facets = await api('/api/sessions', { ...q, facets: 1, length: 1 });
  } catch (e) {
    return; // the rows are shown; the histogram stays empty
  }
  if (seq !== sessionsSeq) return;
  lastSessions.graph = facets.graph || {};
  drawSessionsGraph();
}

function graphSeries(graph, kind) {
  if (kind === 'packets') {
    return [
      { name: 'Src packets', cls: 'src', data: graph['source.packetsHisto'] },
      { name: 'Dst packets', cls: 'dst', data: graph['destination.packetsHisto'] },
    ];
  }
  if (kind === 'bytes') {
    return [
      { name: 'Src bytes', cls: 'src', data: graph['source.bytesHisto'] },
      { name: 'Dst bytes', cls: 'dst', data: graph['destination.bytesHisto'] },
    ];
  }
  return [{ name: 'Sessions', cls: 'sess', data: graph.sessionsHisto }];
}

/** Narrows the time range to a span dragged on a histogram (ms). */
function zoomTo(ms0, ms1) {
  go({ date: 'custom', startTime: String(Math.floor(ms0 / 1000)), stopTime: String(Math.ceil(ms1 / 1000)), start: '0' });
}

function drawSessionsGraph() {
  const graph = lastSessions?.graph || {};
  for (const b of document.querySelectorAll('[data-graph]')) b.classList.toggle('on', b.dataset.graph === state.graph);
  histogram($('histo'), graphSeries(graph, state.graph), {
    xmin: graph.xmin, xmax: graph.xmax, interval: graph.interval, onSelect: zoomTo,
  });
  const legend = $('graphLegend');
  legend.replaceChildren();
  if (state.graph !== 'sessions') {
    legend.append(h('span', { class: 'dot src' }), ' source ', h('span', { class: 'dot dst' }), ' destination · ');
  }
  if (graph.sessionsTotal !== undefined) {
    legend.append(`${fmtNum(graph.sessionsTotal)} sessions · ${fmtNum(graph['network.packetsTotal'])} packets · ${fmtNum(graph['network.bytesTotal'])} bytes`);
  }
}

function renderSessions(res, failed = false) {
  const data = Array.isArray(res.data) ? res.data : [];
  const start = Number(state.start) || 0;
  const len = Number(state.length) || 50;
  const filtered = res.recordsFiltered ?? 0;
  $('showing').textContent = failed ? '' : (filtered === 0
    ? `Showing 0 entries (${fmtNum(res.recordsTotal ?? 0)} total)`
    : `Showing ${fmtNum(start + 1)}–${fmtNum(start + data.length)} of ${fmtNum(filtered)} entries (${fmtNum(res.recordsTotal ?? 0)} total)`);
  drawSessionsGraph();
  renderPager(start, len, filtered);
  renderTableHead();
  const tbody = $('sessions').tBodies[0];
  const rows = [];
  for (const s of data) {
    const tr = h('tr', { class: 'srow', tabindex: 0, data: { id: s.id ?? '', node: s.node ?? '' } });
    tr.appendChild(h('td', { class: 'tog', 'aria-hidden': 'true' }, '▸'));
    for (const c of columns) {
      const def = columnDef(c);
      let content;
      if (def.cell) content = def.cell(s);
      else content = cellText(valueAt(s, def.fields[0]), def.type);
      tr.appendChild(h('td', { class: def.num ? 'num' : '', data: { col: c } }, def.num && typeof content !== 'object' ? fmtNum(valueAt(s, def.fields[0])) : content));
    }
    const toggle = () => toggleDetail(tr, s);
    tr.addEventListener('click', toggle);
    tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') toggle(); });
    rows.push(tr);
  }
  if (!rows.length) {
    rows.push(h('tr', { class: 'none' }, h('td', { colspan: columns.length + 1, text: failed ? 'The search failed.' : 'No sessions match.' })));
  }
  tbody.replaceChildren(...rows);
}

function renderTableHead() {
  const order = state.order.split(',').filter(Boolean).map((o) => {
    const [k, d = 'asc'] = o.split(':');
    return { k, d };
  });
  const tr = h('tr', {}, h('th', { class: 'tog' }));
  for (const c of columns) {
    const def = columnDef(c);
    const idx = def.sort ? order.findIndex((o) => o.k === def.sort) : -1;
    const th = h('th', { class: def.num ? 'num' : '', data: { col: c }, scope: 'col' });
    if (def.sort) {
      th.classList.add('sortable');
      th.title = 'Sort (shift-click: add as next sort key)';
      th.setAttribute('aria-sort', idx === 0 ? (order[0].d === 'desc' ? 'descending' : 'ascending') : 'none');
      th.addEventListener('click', (ev) => sortBy(def.sort, ev.shiftKey));
    }
    th.appendChild(document.createTextNode(def.label));
    if (idx >= 0) {
      th.appendChild(h('span', { class: 'sortmark', text: `${order[idx].d === 'desc' ? '▼' : '▲'}${order.length > 1 ? idx + 1 : ''}` }));
    }
    tr.appendChild(th);
  }
  $('sessions').tHead.replaceChildren(tr);
}

/** Click: sort by this key (again: flip). Shift-click: add it as the next key (again: flip it). */
function sortBy(key, add) {
  let order = state.order.split(',').filter(Boolean).map((o) => {
    const [k, d = 'asc'] = o.split(':');
    return { k, d };
  });
  const i = order.findIndex((o) => o.k === key);
  if (add) {
    if (i >= 0) order[i].d = order[i].d === 'asc' ? 'desc' : 'asc';
    else order.push({ k: key, d: 'asc' });
  } else if (i === 0 && order.length === 1) {
    order[0].d = order[0].d === 'asc' ? 'desc' : 'asc';
  } else {
    order = [{ k: key, d: i >= 0 ? order[i].d : 'asc' }];
  }
  go({ order: order.map((o) => `${o.k}:${o.d}`).join(','), start: '0' });
}

function renderPager(start, len, total) {
  const pages = Math.max(1, Math.ceil(total / len));
  const page = Math.floor(start / len) + 1;
  const btn = (label, p, title) => h('button', {
    type: 'button', title, disabled: p < 1 || p > pages || p === page,
    on: { click: () => go({ start: String((p - 1) * len) }) },
  }, label);
  $('pager').replaceChildren(
    btn('«', 1, 'First page'), btn('‹', page - 1, 'Previous page'),
    h('span', { class: 'pageno', text: `page ${page} of ${pages}` }),
    btn('›', page + 1, 'Next page'), btn('»', pages, 'Last page'));
}

for (const b of document.querySelectorAll('[data-graph]')) {
  b.addEventListener('click', () => go({ graph: b.dataset.graph }));
}
$('pageSize').addEventListener('change', () => go({ length: $('pageSize').value, start: '0' }));

// Column picker over the special columns and every field of /api/fields.
function renderColPicker() {
  const filter = $('colFilter').value.trim().toLowerCase();
  const match = (...s) => !filter || s.some((x) => (x || '').toLowerCase().includes(filter));
  const box = (id, label, title) => h('label', { class: 'colopt', title },
    h('input', {
      type: 'checkbox', checked: columns.includes(id), data: { col: id },
      on: {
        change: (ev) => {
          if (ev.target.checked) columns.push(id);
          else columns = columns.filter((c) => c !== id);
          if (!columns.length) columns = ['firstPacket'];
          saveColumns();
          route();
        },
      },
    }), ` ${label}`);
  const groups = new Map([['columns', []]]);
  for (const [id, def] of Object.entries(SPECIAL_COLUMNS)) {
    if (match(id, def.label)) groups.get('columns').push(box(id, def.label, id));
  }
  for (const f of fields.list) {
    if (!f.dbField || SPECIAL_COLUMNS[f.dbField] || !match(f.exp, f.friendlyName, f.dbField)) continue;
    if (!groups.has(f.group)) groups.set(f.group, []);
    groups.get(f.group).push(box(f.dbField, f.friendlyName || f.exp, `${f.exp} (${f.dbField})`));
  }
  const out = [];
  for (const [g, items] of groups) {
    if (items.length) out.push(h('div', { class: 'colgroup' }, h('h4', { text: g }), ...items));
  }
  $('colList').replaceChildren(...out);
}
$('colsBtn').addEventListener('click', () => {
  const p = $('colPicker');
  p.hidden = !p.hidden;
  $('colsBtn').setAttribute('aria-expanded', String(!p.hidden));
  if (!p.hidden) renderColPicker();
});
$('colFilter').addEventListener('input', renderColPicker);
$('colReset').addEventListener('click', () => {
  columns = [...DEFAULT_COLUMNS];
  saveColumns();
  renderColPicker();
  route();
});

// --- Session detail: fields by group, payloads, downloads ---

function sessionPath(s) {
  return `api/session/${encodeURIComponent(s.node ?? '')}/${encodeURIComponent(s.id ?? '')}`;
}

function toggleDetail(tr, s) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains('detail')) {
    next.remove();
    tr.classList.remove('open');
    return;
  }
  tr.classList.add('open');
  const box = h('div', { class: 'detailbox' }, h('p', { class: 'muted', text: 'loading…' }));
  const row = h('tr', { class: 'detail' }, h('td', { colspan: columns.length + 1 }, box));
  tr.after(row);
  loadDetail(box, s);
}

async function loadDetail(box, s) {
  const base = sessionPath(s);
  const [detail, packets] = await Promise.allSettled([api(`${base}/detail`), api(`${base}/packets`)]);
  const links = h('div', { class: 'dlinks' },
    h('a', { class: 'btn', href: `${base}.pcap`, download: `${s.id}.pcap`, data: { role: 'session-pcap' } }, 'Download pcap'),
    h('a', { class: 'btn', href: `api/session/${encodeURIComponent(s.id ?? '')}`, target: '_blank', rel: 'noopener' }, 'JSON'),
    h('span', { class: 'muted', text: `id ${s.id}` }));
  const parts = [links];
  if (detail.status === 'fulfilled') parts.push(renderFieldGroups(detail.value));
  else parts.push(h('p', { class: 'alert', role: 'alert', text: `detail: ${detail.reason.message}` }));
  if (packets.status === 'fulfilled') parts.push(renderPackets(packets.value, s));
  else parts.push(h('p', { class: 'alert', role: 'alert', text: `packets: ${packets.reason.message}` }));
  box.replaceChildren(...parts);
}

function renderFieldGroups(detail) {
  const wrap = h('div', { class: 'groups' });
  for (const g of detail.groups || []) {
    const dl = h('dl');
    for (const f of g.fields || []) {
      const vals = Array.isArray(f.values) ? f.values : [f.values];
      const dd = h('dd', { data: { exp: f.exp || '', db: f.dbField || '' } });
      for (const v of vals) {
        if (v !== null && typeof v === 'object') {
          dd.appendChild(h('span', { class: 'plain', text: JSON.stringify(v) }));
        } else if (f.type === 'date' || f.type === 'seconds') {
          // Dates are shown, not clicked: their text is not a value the language takes.
          dd.appendChild(h('span', { class: 'plain', text: typeof v === 'number' ? fmtTime(timeMs(v)) : String(v) }));
        } else {
          dd.appendChild(valueChip(f.exp, v, typeof v === 'number' ? fmtNum(v) : String(v), f.type));
        }
      }
      dl.append(h('dt', { title: `${f.exp} (${f.dbField})`, text: f.friendlyName || f.exp }), dd);
    }
    // A group with many fields takes two grid columns (and lays its fields in two).
    const wide = (g.fields || []).length > 16 ? ' wide' : '';
    wrap.appendChild(h('section', { class: `group${wide}`, data: { group: g.group } }, h('h4', { text: g.group }), dl));
  }
  return wrap;
}

function b64bytes(b64) {
  try {
    const bin = atob(b64 || '');
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return new Uint8Array(0);
  }
}

/** Printable ASCII with line breaks kept; everything else as '.'. */
function asciiText(bytes) {
  let s = '';
  for (const b of bytes) {
    if (b === 10 || b === 9) s += String.fromCharCode(b);
    else if (b === 13) continue;
    else s += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
  }
  return s;
}

/** Classic hex dump: offset, 16 bytes in hex, the same as ASCII. */
function hexDump(bytes) {
  const lines = [];
  for (let o = 0; o < bytes.length; o += 16) {
    const row = bytes.subarray(o, o + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const asc = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${o.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${asc}`);
  }
  return lines.join('\n');
}

function renderPackets(res, s) {
  const pkts = Array.isArray(res.packets) ? res.packets : [];
  const withData = pkts.map((p) => ({ ...p, bytes: b64bytes(p.data) })).filter((p) => p.bytes.length);
  const t0 = pkts.length ? pkts[0].ts : 0;
  const wrap = h('div', { class: 'packets' });
  let mode = 'ascii';
  const list = h('div', { class: 'pktlist' });
  const draw = () => {
    list.replaceChildren(...withData.map((p) => h('div', { class: `pkt ${p.src ? 'src' : 'dst'}` },
      h('div', { class: 'phead' },
        `${p.src ? 'source → destination' : 'destination → source'} · ${fmtNum(p.bytes.length)} bytes · +${((p.ts - t0) / 1000).toFixed(3)} s`),
      h('pre', { class: mode, text: mode === 'hex' ? hexDump(p.bytes) : asciiText(p.bytes) }))));
    if (!withData.length) list.replaceChildren(h('p', { class: 'muted', text: 'No payload in this session\'s packets.' }));
  };
  const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'Payload as' });
  for (const m of ['ascii', 'hex']) {
    seg.appendChild(h('button', {
      type: 'button', class: m === mode ? 'on' : '', data: { mode: m },
      on: {
        click: (ev) => {
          mode = m;
          for (const b of seg.children) b.classList.toggle('on', b.dataset.mode === m);
          ev.stopPropagation();
          draw();
        },
      },
    }, m === 'ascii' ? 'ASCII' : 'Hex'));
  }
  wrap.append(h('div', { class: 'pbar' },
    h('h4', { text: 'Payload' }), seg,
    h('span', { class: 'muted', text: `${fmtNum(pkts.length)} packets, ${fmtNum(withData.length)} with payload${res.truncated ? ' (truncated)' : ''}` }),
    h('span', { class: 'legend' }, h('span', { class: 'dot src' }), ` ${ipPort(s.source)} `, h('span', { class: 'dot dst' }), ` ${ipPort(s.destination)}`)), list);
  draw();
  return wrap;
}

// ---------------------------------------------------------------------------
// SPI view: top values of several fields
// ---------------------------------------------------------------------------

let spiSeq = 0;
const spiList = () => state.spi.split(',').filter(Boolean).map((x) => {
  const i = x.lastIndexOf(':');
  return i > 0 ? { db: x.slice(0, i), n: x.slice(i + 1) || '10' } : { db: x, n: '10' };
});
const setSpi = (list) => go({ spi: list.map((x) => `${x.db}:${x.n}`).join(',') });

async function runSpiview() {
  const seq = ++spiSeq;
  const list = spiList();
  let res;
  try {
    res = await api('/api/spiview', { ...queryParams(), spi: state.spi });
  } catch (e) {
    if (seq !== spiSeq) return;
    showError(e.message);
    $('spiCards').replaceChildren();
    return;
  }
  await fieldsReady;
  if (seq !== spiSeq) return;
  clearError();
  $('spiCount').textContent = `${fmtNum(res.recordsFiltered ?? 0)} of ${fmtNum(res.recordsTotal ?? 0)} sessions`;
  const cards = list.map((item, idx) => {
    const agg = res.spi?.[item.db] || { buckets: [] };
    const buckets = agg.buckets || [];
    const max = Math.max(1, ...buckets.map((b) => b.doc_count));
    const f = fields.byDb.get(item.db);
    const exp = f?.exp || item.db;
    const sizeSel = h('select', { 'aria-label': 'values shown', on: { change: (ev) => { list[idx].n = ev.target.value; setSpi(list); } } },
      ...['10', '25', '50', '100', '500'].map((n) => h('option', { value: n, selected: n === item.n }, n)));
    const rows = buckets.map((b) => h('tr', {},
      h('td', { class: 'k' }, valueChip(exp, b.key, String(b.key), f?.type)),
      h('td', { class: 'num cnt', text: fmtNum(b.doc_count) }),
      h('td', { class: 'barcell' }, h('span', { class: 'bar', style: `width:${((b.doc_count / max) * 100).toFixed(1)}%` }))));
    return h('section', { class: 'card', data: { field: item.db } },
      h('header', {},
        h('h3', { title: `${exp} (${item.db})`, text: f?.friendlyName || item.db }),
        h('span', { class: 'muted', text: exp }),
        h('span', { class: 'grow' }), sizeSel,
        h('button', { type: 'button', class: 'x', title: 'Remove this field', 'aria-label': `Remove ${exp}`, on: { click: () => setSpi(list.filter((_, i) => i !== idx)) } }, '×')),
      buckets.length ? h('table', { class: 'spitable' }, h('tbody', {}, ...rows)) : h('p', { class: 'muted', text: 'no values' }),
      agg.sum_other_doc_count ? h('p', { class: 'muted', text: `+ ${fmtNum(agg.sum_other_doc_count)} in other values` }) : null);
  });
  $('spiCards').replaceChildren(...cards);
}

function addSpiField() {
  const name = $('spiAdd').value.trim();
  if (!name) return;
  const db = dbOf(name);
  const list = spiList().filter((x) => x.db !== db);
  list.push({ db, n: '10' });
  $('spiAdd').value = '';
  setSpi(list);
}
$('spiAddBtn').addEventListener('click', addSpiField);
$('spiAdd').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); addSpiField(); } });
$('spiReset').addEventListener('click', () => go({ spi: DEFAULT_SPI }));

// ---------------------------------------------------------------------------
// SPI graph: one field's top values over time
// ---------------------------------------------------------------------------

let sgSeq = 0;
function metricSeries(graph, metric) {
  return graphSeries(graph || {}, metric === 'sessions' ? 'sessions' : metric);
}

async function runSpigraph() {
  const seq = ++sgSeq;
  fieldsReady.then(() => { $('sgField').value = expOf(state.sgField); });
  $('sgSize').value = state.sgSize;
  $('sgSort').value = state.sgSort;
  $('sgMetric').value = state.sgMetric;
  let res;
  try {
    res = await api('/api/spigraph', {
      ...queryParams(), field: state.sgField, size: state.sgSize, sort: state.sgSort === 'name' ? 'name' : undefined,
    });
  } catch (e) {
    if (seq !== sgSeq) return;
    showError(e.message);
    $('sgItems').replaceChildren();
    return;
  }
  await fieldsReady;
  if (seq !== sgSeq) return;
  clearError();
  const g = res.graph || {};
  $('sgCount').textContent = `${fmtNum(res.recordsFiltered ?? 0)} of ${fmtNum(res.recordsTotal ?? 0)} sessions`;
  histogram($('sgTotal'), metricSeries(g, state.sgMetric), { xmin: g.xmin, xmax: g.xmax, interval: g.interval, onSelect: zoomTo });
  const f = fields.byDb.get(state.sgField);
  const exp = f?.exp || state.sgField;
  const metricOf = (it) => (state.sgMetric === 'packets' ? it['network.packetsHisto']
    : state.sgMetric === 'bytes' ? it['network.bytesHisto'] : it.count);
  const items = (res.items || []).map((it) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `${it.name} over time`);
    const row = h('div', { class: 'sgitem', data: { name: String(it.name) } },
      h('div', { class: 'sghead' },
        h('span', { class: 'sgname' }, valueChip(exp, it.name, String(it.name), f?.type)),
        h('span', { class: 'sgcount num', text: fmtNum(metricOf(it)) })), svg);
    return { row, svg, it };
  });
  $('sgItems').replaceChildren(...items.map((x) => x.row));
  if (!items.length) $('sgItems').replaceChildren(h('p', { class: 'muted', text: 'No values.' }));
  // Draw after insertion so the SVGs have a size; all share the total's time axis
  // (from its data when the answer has no xmin/xmax, as for all time).
  const times = (g.sessionsHisto || []).map((b) => b[0]);
  const xmin = g.xmin ?? (times.length ? Math.min(...times) : undefined);
  const xmax = g.xmax ?? (times.length ? Math.max(...times) + (g.interval || 60) * 1000 : undefined);
  for (const { svg, it } of items) {
    const ig = it.graph || {};
    histogram(svg, metricSeries(ig, state.sgMetric), {
      axes: 'compact', xmin: xmin ?? ig.xmin, xmax: xmax ?? ig.xmax, interval: ig.interval || g.interval,
    });
  }
}

$('sgField').addEventListener('change', () => {
  const v = $('sgField').value.trim();
  if (v) go({ sgField: dbOf(v) });
});
for (const [id, key] of [['sgSize', 'sgSize'], ['sgSort', 'sgSort'], ['sgMetric', 'sgMetric']]) {
  $(id).addEventListener('change', () => go({ [key]: $(id).value }));
}

// ---------------------------------------------------------------------------
// Connections: force-laid graph of source → destination values
// ---------------------------------------------------------------------------

let cnSeq = 0;
let cnGraph = null;

/** `a.b.c.d:80` (or v6 `addr.80`) → [ip, port]. */
function splitIpPort(v) {
  const s = String(v);
  const i = s.includes(':') && s.indexOf(':') !== s.lastIndexOf(':') ? s.lastIndexOf('.') : s.lastIndexOf(':');
  return i > 0 ? [s.slice(0, i), s.slice(i + 1)] : [s, ''];
}

async function runConnections() {
  const seq = ++cnSeq;
  $('cnSrc').value = state.cnSrc;
  $('cnDst').value = state.cnDst;
  $('cnSize').value = state.cnSize;
  $('cnMin').value = state.cnMin;
  $('cnLen').value = state.cnLen;
  $('cnInfo').hidden = true;
  await fieldsReady; // the fields are named as in expressions; the API takes database names
  const dstField = state.cnDst === 'ip.dst:port' || state.cnDst === 'destination.ip:port' ? 'ip.dst:port' : dbOf(state.cnDst);
  let res;
  try {
    res = await api('/api/connections', {
      ...queryParams(), srcField: dbOf(state.cnSrc), dstField, length: state.cnLen, minConn: state.cnMin,
    });
  } catch (e) {
    if (seq !== cnSeq) return;
    showError(e.message);
    cnGraph?.stop();
    $('cnGraph').replaceChildren();
    return;
  }
  await fieldsReady;
  if (seq !== cnSeq) return;
  clearError();
  const nodes = res.nodes || [];
  const links = res.links || [];
  $('cnCount').textContent = `${fmtNum(nodes.length)} nodes · ${fmtNum(links.length)} links · ${fmtNum(res.recordsFiltered ?? 0)} sessions`;
  const sizeKey = state.cnSize;
  const gnodes = nodes.map((n) => ({
    id: String(n.id), type: n.type, size: Number(n[sizeKey] ?? n.sessions ?? 1) || 1, label: String(n.id),
    title: `${n.id}\nsessions: ${fmtNum(n.sessions)}\nbytes: ${fmtNum(n['network.bytes'])}\npackets: ${fmtNum(n['network.packets'])}\nlinks: ${fmtNum(n.cnt)}`,
    raw: n,
  }));
  const glinks = links.map((l) => ({
    source: l.source, target: l.target, value: Number(l.value) || 1,
    title: `${nodes[l.source]?.id} → ${nodes[l.target]?.id}: ${fmtNum(l.value)} sessions, ${fmtNum(l['network.bytes'])} bytes`,
  }));
  cnGraph?.stop();
  cnGraph = forceGraph($('cnGraph'), gnodes, glinks, { onClick: showNodeInfo });
}

/** The info box of a clicked node, with buttons adding it to the expression. */
function showNodeInfo(node) {
  const n = node.raw;
  const box = $('cnInfo');
  const srcExp = state.cnSrc;
  const dstExp = state.cnDst;
  const adds = [];
  const addBtn = (label, fn) => h('button', { type: 'button', on: { click: fn } }, label);
  if (n.type & 1) {
    adds.push(addBtn(`${srcExp} == ${n.id}`, () => addExpression(expOf(dbOf(srcExp)), n.id)));
  }
  if (n.type & 2) {
    if (dstExp === 'ip.dst:port') {
      const [ip, port] = splitIpPort(n.id);
      adds.push(addBtn(`ip.dst == ${ip} && port.dst == ${port}`, () => {
        const cur = state.expression.trim();
        const clause = `ip.dst == ${exprValue(ip, 'ip')} && port.dst == ${exprValue(port, 'integer')}`;
        go({ expression: cur ? `${cur} && ${clause}` : clause, start: '0' });
      }));
    } else {
      adds.push(addBtn(`${dstExp} == ${n.id}`, () => addExpression(expOf(dbOf(dstExp)), n.id)));
    }
  }
  box.replaceChildren(
    h('button', { type: 'button', class: 'x', 'aria-label': 'Close', on: { click: () => { box.hidden = true; } } }, '×'),
    h('h4', { text: String(n.id) }),
    h('dl', {},
      h('dt', { text: 'Seen as' }), h('dd', { text: ['', 'source', 'destination', 'both'][n.type] || String(n.type) }),
      h('dt', { text: 'Sessions' }), h('dd', { text: fmtNum(n.sessions) }),
      h('dt', { text: 'Links' }), h('dd', { text: fmtNum(n.cnt) }),
      h('dt', { text: 'Packets' }), h('dd', { text: fmtNum(n['network.packets']) }),
      h('dt', { text: 'Bytes' }), h('dd', { text: fmtNum(n['network.bytes']) }),
      h('dt', { text: 'Data bytes' }), h('dd', { text: fmtNum(n.totDataBytes) })),
    h('div', { class: 'adds' }, ...adds));
  box.hidden = false;
}

for (const [id, key] of [['cnSize', 'cnSize'], ['cnMin', 'cnMin'], ['cnLen', 'cnLen']]) {
  $(id).addEventListener('change', () => go({ [key]: $(id).value }));
}
for (const [id, key] of [['cnSrc', 'cnSrc'], ['cnDst', 'cnDst']]) {
  $(id).addEventListener('change', () => { if ($(id).value.trim()) go({ [key]: $(id).value.trim() }); });
}

// ---------------------------------------------------------------------------
// Stats: capture nodes now (/api/stats) and over time (/api/dstats)
// ---------------------------------------------------------------------------

let stSeq = 0;
const perSec = (d, k) => (typeof d[k] === 'number' && d.deltaMS ? (d[k] * 1000) / d.deltaMS : undefined);
const STAT_COLUMNS = [
  ['Node', (d) => d.nodeName],
  ['Time (UTC)', (d) => fmtTime((d.currentTime || 0) * 1000)],
  ['Sessions', (d) => fmtNum(d.totalSessions), 'num'],
  ['Active sessions', (d) => fmtNum(d.monitoring), 'num'],
  ['Packets/s', (d) => fmtNum(Math.round(perSec(d, 'deltaPackets') ?? 0)), 'num'],
  ['Bytes/s', (d) => fmtSize(perSec(d, 'deltaBytes')), 'num'],
  ['Drops/s', (d) => fmtNum(Math.round(perSec(d, 'deltaDropped') ?? 0)), 'num'],
  ['Total packets', (d) => fmtNum(d.totalPackets), 'num'],
  ['Total dropped', (d) => fmtNum(d.totalDropped), 'num'],
  ['Disk free', (d) => (typeof d.freeSpaceM === 'number'
    ? `${fmtSize(d.freeSpaceM * 1048576)}${typeof d.freeSpaceP === 'number' ? ` (${d.freeSpaceP.toFixed(1)}%)` : ''}` : ''), 'num'],
  ['Memory', (d) => fmtSize(d.memory), 'num'],
];
// Series drawn for the chosen node.
const DSTATS = [
  ['deltaPackets', 'Packets/s'], ['deltaDropped', 'Drops/s'], ['deltaSessions', 'New sessions/s'],
  ['deltaBytes', 'Bytes/s'], ['freeSpaceM', 'Disk free (MB)'], ['usedSpaceM', 'Disk used (MB)'],
];

async function runStats() {
  const seq = ++stSeq;
  let res;
  try {
    res = await api('/api/stats');
  } catch (e) {
    if (seq !== stSeq) return;
    showError(e.message);
    return;
  }
  if (seq !== stSeq) return;
  clearError();
  const data = res.data || [];
  $('statsTable').tHead.replaceChildren(h('tr', {}, ...STAT_COLUMNS.map(([l, , c]) => h('th', { class: c || '', text: l }))));
  $('statsTable').tBodies[0].replaceChildren(...(data.length ? data.map((d) => h('tr', { data: { node: d.nodeName ?? '' } },
    ...STAT_COLUMNS.map(([, f, c]) => h('td', { class: c || '', text: f(d) ?? '' }))))
    : [h('tr', { class: 'none' }, h('td', { colspan: STAT_COLUMNS.length, text: 'No capture node has written stats.' }))]));
  const names = data.map((d) => d.nodeName).filter(Boolean);
  const node = names.includes(state.stNode) ? state.stNode : names[0] || '';
  $('stNode').replaceChildren(...names.map((n) => h('option', { value: n, text: n })));
  $('stNode').value = node;
  $('stSpan').value = state.stSpan;
  $('stInterval').value = state.stInterval;
  if (!node) {
    $('stCharts').replaceChildren();
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const span = Number(state.stSpan);
  const charts = DSTATS.map(([name, label]) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'stchart');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    return { name, label, svg, box: h('figure', { class: 'stbox', data: { name } }, h('figcaption', { text: label }), svg) };
  });
  $('stCharts').replaceChildren(...charts.map((c) => c.box));
  await Promise.all(charts.map(async (c) => {
    try {
      const series = await api('/api/dstats', {
        nodeName: node, start: span < 0 ? 0 : now - span * 3600, stop: now, interval: state.stInterval, name: c.name,
      });
      if (seq !== stSeq) return;
      lineChart(c.svg, Array.isArray(series) ? series.filter((p) => Array.isArray(p) && typeof p[1] === 'number') : []);
    } catch (e) {
      c.box.appendChild(h('p', { class: 'muted', text: e.message }));
    }
  }));
}
for (const [id, key] of [['stNode', 'stNode'], ['stSpan', 'stSpan'], ['stInterval', 'stInterval']]) {
  $(id).addEventListener('change', () => go({ [key]: $(id).value }));
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

const RUN = { sessions: runSessions, spiview: runSpiview, spigraph: runSpigraph, connections: runConnections, stats: runStats };

let renders = 0;
function route() {
  readHash();
  syncControls();
  document.title = `trawl · ${document.querySelector(`.tabs a[data-view="${state.view}"]`)?.textContent || ''}`;
  const view = state.view;
  // body[data-renders] counts finished views (answers drawn or errors shown): tests wait on it.
  Promise.resolve(RUN[view]()).finally(() => {
    document.body.dataset.renders = String(++renders);
    document.body.dataset.view = view;
  });
}

window.addEventListener('hashchange', route);
let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (state.view === 'sessions' && lastSessions) drawSessionsGraph();
  }, 150);
});
for (const a of document.querySelectorAll('.tabs a')) {
  a.addEventListener('click', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    go({ view: a.dataset.view });
  });
}

// Field names (they label columns and SPI cards) load alongside the first search;
// every view waits for them before drawing. A failed field list still lets the page
// work with database names.
const fieldsReady = loadFields();
route();
fieldsReady.then(() => { document.body.dataset.ready = '1'; });
