// The sessions page: expression search, errors, paging, sorting, columns, the
// histogram's drag-to-zoom, session detail and payload, values into the expression,
// pcap downloads and the login form. Expected values come from Arkime's .test files.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BASE, REPO, SESSIONS, values, ipPort, fmt, pcapRecords, open, rerender, reload, goHash, hashOf, shot, columnTexts, sorted,
} from './lib.mjs';

const ALL = SESSIONS.length;
const srcCell = (doc) => ipPort(doc.source.ip, doc.source.port);
/** The one session of a pcap (the tests pick pcaps with one session for these). */
const only = (pcap) => {
  const s = SESSIONS.filter((x) => x.pcap === pcap);
  assert.equal(s.length, 1, `${pcap} has one session`);
  return s[0].doc;
};

let ctx;
let page;
before(async () => {
  ctx = await open('#sessions?date=-1');
  page = ctx.page;
});
after(async () => {
  await ctx?.close();
});

async function search(expression) {
  await page.fill('#expression', expression);
  await rerender(page, () => page.press('#expression', 'Enter'));
}

describe('sessions page', () => {
  it('shows every captured session, paged, with Arkime\'s counts', async () => {
    await goHash(page, hashOf('sessions', { date: '-1' }));
    assert.equal(await page.textContent('#showing'), `Showing 1–50 of ${fmt(ALL)} entries (${fmt(ALL)} total)`);
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), 50);
    // The default columns, in Arkime's order.
    const heads = await page.$$eval('#sessions thead th[data-col]', (ths) => ths.map((t) => t.dataset.col));
    assert.deepEqual(heads, ['firstPacket', 'lastPacket', 'src', 'dst', 'network.packets', 'network.bytes', 'node', 'info']);
    // The histogram has bars and its totals are Arkime's.
    assert.ok(await page.locator('#histo rect.bar').count() > 0, 'histogram bars');
    const packets = SESSIONS.reduce((a, s) => a + s.doc.network.packets, 0);
    assert.equal(await page.textContent('#graphLegend'),
      `${fmt(ALL)} sessions · ${fmt(packets)} packets · ${fmt(SESSIONS.reduce((a, s) => a + s.doc.network.bytes, 0))} bytes`);
    await shot(page, 'sessions-all');
    // Next page holds the rest.
    await rerender(page, () => page.click('#pager button[title="Next page"]'));
    assert.equal(await page.textContent('#showing'), `Showing 51–${ALL} of ${fmt(ALL)} entries (${fmt(ALL)} total)`);
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), ALL - 50);
    // Page size 100: everything on one page; the first column sorted by start time.
    await rerender(page, () => page.selectOption('#pageSize', '100'));
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), ALL);
    assert.match(page.url(), /length=100/);
  });

  it('an expression gives exactly its sessions (port.dst == 53)', async () => {
    const expected = SESSIONS.filter((s) => s.doc.destination.port === 53).map((s) => srcCell(s.doc));
    assert.ok(expected.length > 5 && expected.length < 50);
    await search('port.dst == 53');
    assert.equal(await page.textContent('#showing'), `Showing 1–${expected.length} of ${expected.length} entries (${fmt(ALL)} total)`);
    assert.deepEqual(sorted(await columnTexts(page, 'src')), sorted(expected));
    const dst = SESSIONS.filter((s) => s.doc.destination.port === 53).map((s) => ipPort(s.doc.destination.ip, 53));
    assert.deepEqual(sorted(await columnTexts(page, 'dst')), sorted(dst));
    await shot(page, 'sessions-port53');
    // The state is in the URL: a reload shows the same.
    assert.match(decodeURIComponent(page.url()), /expression=port\.dst\+==\+53|expression=port\.dst == 53/);
    await reload(page);
    assert.equal(await page.inputValue('#expression'), 'port.dst == 53');
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), expected.length);
  });

  it('the info column shows each session\'s URI, DNS host or mail subject', async () => {
    await goHash(page, hashOf('sessions', { date: '-1', length: '100' }));
    const infos = await page.$$eval('#sessions tbody tr.srow', (trs) => trs.map((tr) => [
      tr.querySelector('td[data-col="src"]').textContent, tr.querySelector('td[data-col="dst"]').textContent,
      tr.querySelector('td[data-col="info"]').textContent]));
    assert.equal(infos.length, ALL);
    for (const { doc } of SESSIONS) {
      const row = infos.find((r) => r[0] === srcCell(doc) && r[1] === ipPort(doc.destination.ip, doc.destination.port));
      assert.ok(row, `a row for ${srcCell(doc)}`);
      for (const [field, label] of [['http.uri', 'URI'], ['dns.host', 'DNS'], ['email.subject', 'SUBJECT']]) {
        const v = values(doc, field);
        // The column shows the first few values and "(+N)" for the rest; the order of a
        // list's values is not part of Arkime's document (its tests sort them).
        if (v.length) assert.ok(v.some((x) => row[2].includes(x)), `${srcCell(doc)}: info shows a ${label} of ${v.join(' | ')}: ${row[2]}`);
      }
    }
  });

  it('a bad expression shows the server\'s error with its position', async () => {
    const expr = 'port.dst == 53 && && ip.src == 10.0.0.1';
    const at = expr.indexOf('&& &&') + 3; // where the second && starts (0-based)
    await search(expr);
    const alert = page.locator('#exprError[role="alert"]');
    assert.ok(await alert.isVisible(), 'error visible');
    const msg = await alert.textContent();
    const m = msg.match(/at (?:character |position |char )?(\d+)/);
    assert.ok(m, `a position in: ${msg}`);
    assert.ok([at, at + 1].includes(Number(m[1])), `position ${m[1]} is where the second && is (${at}, 0- or 1-based): ${msg}`);
    await shot(page, 'sessions-bad-expression');
    // A good one clears it.
    await search('port.dst == 53');
    assert.ok(await alert.isHidden());
  });

  it('autocompletes field names from /api/fields', async () => {
    await page.fill('#expression', '');
    await page.type('#expression', 'host.d');
    await page.waitForSelector('#suggest:not([hidden]) li');
    const items = await page.$$eval('#suggest li b', (bs) => bs.map((b) => b.textContent));
    assert.ok(items.includes('host.dns'), `suggestions: ${items.join(' ')}`);
    // Arrow to it and take it with Enter.
    const idx = items.indexOf('host.dns');
    for (let i = 0; i <= idx; i++) await page.press('#expression', 'ArrowDown');
    await page.press('#expression', 'Enter');
    assert.equal(await page.inputValue('#expression'), 'host.dns ');
    assert.ok(await page.locator('#suggest').isHidden());
  });

  it('opens a session: fields by group and the payload both ways', async () => {
    const doc = only('http-simple-get');
    await search(`ip.src == ${doc.source.ip} && port.src == ${doc.source.port}`);
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), 1);
    await page.click('#sessions tbody tr.srow td[data-col="src"]');
    const detail = page.locator('#sessions tr.detail');
    await detail.locator('.groups').waitFor();
    await detail.locator('.pktlist').waitFor();
    // Fields: the HTTP host and the method, as Arkime wrote them.
    const host = await detail.locator('dd[data-db="http.host"] button.val').allTextContents();
    assert.deepEqual(host, values(doc, 'http.host'));
    assert.deepEqual(await detail.locator('dd[data-db="http.method"] button.val').allTextContents(), values(doc, 'http.method'));
    assert.deepEqual(await detail.locator('dd[data-db="source.ip"] button.val').allTextContents(), [doc.source.ip]);
    // Times as Arkime shows them (UTC).
    const t = new Date(doc.firstPacket).toISOString();
    assert.equal(await detail.locator('dd[data-db="firstPacket"]').textContent(), `${t.slice(0, 10).replace(/-/g, '/')} ${t.slice(11, 19)}`);
    // Payload: the request from the source, the answer (its status code) from the destination.
    const srcText = await detail.locator('.pkt.src pre').first().textContent();
    assert.ok(srcText.startsWith(`${values(doc, 'http.method')[0]} ${values(doc, 'http.path')[0]} HTTP/1.1`), srcText.slice(0, 80));
    assert.ok(srcText.includes(`User-Agent: ${values(doc, 'http.useragent')[0]}`));
    const dstText = await detail.locator('.pkt.dst pre').first().textContent();
    assert.ok(dstText.startsWith(`HTTP/1.1 ${values(doc, 'http.statuscode')[0]}`), dstText.slice(0, 40));
    // Markup in the payload is shown as text, never parsed (the page escapes everything).
    const html = detail.locator('.pkt.dst pre').first();
    assert.ok((await html.textContent()).includes('<title>Apache HTTP Server Test Page'));
    assert.equal(await html.evaluate((pre) => pre.children.length), 0, 'no elements made from the payload');
    // Colours differ by direction.
    const [cs, cd] = await Promise.all(['.pkt.src', '.pkt.dst'].map((s) => detail.locator(s).first().evaluate((e) => getComputedStyle(e).backgroundColor)));
    assert.notEqual(cs, cd);
    await shot(page, 'session-detail-ascii');
    // Hex: offsets and the bytes of "GET ".
    await detail.locator('button[data-mode="hex"]').click();
    const hex = await detail.locator('.pkt.src pre').first().textContent();
    assert.ok(hex.startsWith('00000000  47 45 54 20'), hex.slice(0, 60));
    await shot(page, 'session-detail-hex');
  });

  it('downloads the session\'s pcap through its link, the same bytes as the API, with Arkime\'s packet count', async () => {
    const doc = only('http-simple-get');
    const row = page.locator('#sessions tbody tr.srow').first();
    const [id, node] = await row.evaluate((tr) => [tr.dataset.id, tr.dataset.node]);
    const link = page.locator('#sessions tr.detail a[data-role="session-pcap"]');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const viaPage = fs.readFileSync(await download.path());
    const direct = Buffer.from(await (await fetch(`${BASE}/api/session/${encodeURIComponent(node)}/${encodeURIComponent(id)}.pcap`)).arrayBuffer());
    assert.ok(direct.length > 24);
    assert.ok(viaPage.equals(direct), `downloaded ${viaPage.length} bytes, API ${direct.length}`);
    assert.equal(pcapRecords(viaPage), doc.network.packets);
    // The query's pcap and CSV links carry the query.
    const q = new URL(await page.getAttribute('#exportPcap', 'href'), `${BASE}/`);
    assert.equal(q.pathname, '/api/sessions.pcap');
    assert.equal(q.searchParams.get('expression'), `ip.src == ${doc.source.ip} && port.src == ${doc.source.port}`);
    assert.equal(q.searchParams.get('date'), '-1');
    const all = Buffer.from(await (await fetch(q)).arrayBuffer());
    assert.equal(pcapRecords(all), doc.network.packets);
    const csvUrl = new URL(await page.getAttribute('#exportCsv', 'href'), `${BASE}/`);
    assert.equal(csvUrl.pathname, '/api/sessions.csv');
    const csv = (await (await fetch(csvUrl)).text()).trim().split('\n');
    assert.equal(csv.length, 2, 'CSV: header and one session');
    assert.ok(csv[1].includes(doc.source.ip) && csv[1].includes(String(doc.source.port)));
  });

  it('clicking a value adds field == value to the expression and searches', async () => {
    // A DNS session of dnssec_synthetic, opened from the full list.
    const doc = SESSIONS.find((s) => s.pcap === 'dnssec_synthetic').doc;
    const hostValue = values(doc, 'dns.host')[0];
    await search('');
    await rerender(page, () => page.selectOption('#pageSize', '100'));
    const row = page.locator('#sessions tbody tr.srow', { has: page.locator(`td[data-col="src"]:text-is("${srcCell(doc)}")`) });
    assert.equal(await row.count(), 1);
    await row.click();
    const chip = page.locator(`#sessions tr.detail dd[data-db="dns.host"] button.val[data-value="${hostValue}"]`);
    await chip.waitFor();
    await rerender(page, () => chip.click());
    assert.equal(await page.inputValue('#expression'), `host.dns == ${hostValue}`);
    const expected = SESSIONS.filter((s) => values(s.doc, 'dns.host').includes(hostValue));
    assert.ok(expected.length > 1);
    assert.deepEqual(sorted(await columnTexts(page, 'src')), sorted(expected.map((s) => srcCell(s.doc))));
    await shot(page, 'sessions-value-clicked');

    // The ≠ control of a value adds `!=` with &&.
    await page.locator('#sessions tbody tr.srow', { has: page.locator(`td[data-col="src"]:text-is("${srcCell(doc)}")`) }).click();
    const chipOf = page.locator(`#sessions tr.detail dd[data-db="source.ip"] .chip:has(button.val[data-value="${doc.source.ip}"])`);
    await chipOf.waitFor();
    await chipOf.hover(); // the ≠ control shows on hover
    await rerender(page, () => chipOf.locator('button.ne').click());
    assert.equal(await page.inputValue('#expression'), `host.dns == ${hostValue} && ip.src != ${doc.source.ip}`);
    const rest = expected.filter((s) => s.doc.source.ip !== doc.source.ip);
    assert.deepEqual(sorted(await columnTexts(page, 'src')), sorted(rest.map((s) => srcCell(s.doc))));
  });

  it('a value with spaces is quoted', async () => {
    const doc = only('http-simple-get');
    const ua = values(doc, 'http.useragent')[0];
    assert.match(ua, / /);
    await search(`ip.src == ${doc.source.ip} && port.src == ${doc.source.port}`);
    await page.click('#sessions tbody tr.srow td[data-col="src"]');
    const chip = page.locator('#sessions tr.detail dd[data-db="http.useragent"] button.val').first();
    await chip.waitFor();
    await rerender(page, () => chip.click());
    const expr = await page.inputValue('#expression');
    assert.ok(expr.endsWith(` && http.user-agent == "${ua.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`), expr);
    const expected = SESSIONS.filter((s) => s.doc.source.ip === doc.source.ip && s.doc.source.port === doc.source.port
      && values(s.doc, 'http.useragent').includes(ua));
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), expected.length);
  });

  it('sorts by clicking headers; shift-click adds a second key', async () => {
    await goHash(page, hashOf('sessions', { date: '-1', length: '100' }));
    const bytes = SESSIONS.map((s) => s.doc.network.bytes);
    await rerender(page, () => page.click('#sessions thead th[data-col="network.bytes"]'));
    assert.match(decodeURIComponent(page.url()), /order=network\.bytes:asc/);
    let cells = await columnTexts(page, 'network.bytes');
    assert.deepEqual(cells, [...bytes].sort((a, b) => a - b).map(fmt));
    await rerender(page, () => page.click('#sessions thead th[data-col="network.bytes"]'));
    cells = await columnTexts(page, 'network.bytes');
    assert.deepEqual(cells, [...bytes].sort((a, b) => b - a).map(fmt));
    assert.equal(await page.getAttribute('#sessions thead th[data-col="network.bytes"]', 'aria-sort'), 'descending');
    await rerender(page, () => page.click('#sessions thead th[data-col="network.packets"]', { modifiers: ['Shift'] }));
    assert.match(decodeURIComponent(page.url()), /order=network\.bytes:desc,network\.packets:asc/);
    // Rows with equal bytes are now ordered by packets.
    const rows = await page.$$eval('#sessions tbody tr.srow', (trs) => trs.map((tr) => [
      tr.querySelector('td[data-col="network.bytes"]').textContent, tr.querySelector('td[data-col="network.packets"]').textContent]));
    const expected = SESSIONS.map((s) => [s.doc.network.bytes, s.doc.network.packets])
      .sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([b, p]) => [fmt(b), fmt(p)]);
    assert.deepEqual(rows, expected);
    await shot(page, 'sessions-sorted');
  });

  it('the column picker adds a field column and remembers it', async () => {
    const doc = only('http-simple-get');
    await goHash(page, hashOf('sessions', { date: '-1', expression: `ip.src == ${doc.source.ip} && port.src == ${doc.source.port}` }));
    await page.click('#colsBtn');
    await page.fill('#colFilter', 'http.useragent');
    const box = page.locator('#colList input[data-col="http.useragent"]');
    await rerender(page, () => box.check());
    assert.deepEqual(await columnTexts(page, 'http.useragent'), values(doc, 'http.useragent'));
    await reload(page);
    assert.deepEqual(await columnTexts(page, 'http.useragent'), values(doc, 'http.useragent'));
    await shot(page, 'sessions-column-added');
    await page.click('#colsBtn');
    await rerender(page, () => page.click('#colReset'));
    assert.equal(await page.locator('#sessions thead th[data-col="http.useragent"]').count(), 0);
  });

  it('dragging across the histogram narrows the time range to the span', async () => {
    await goHash(page, hashOf('sessions', { date: '-1', expression: 'port.dst == 53', length: '100' }));
    const port53 = SESSIONS.filter((s) => s.doc.destination.port === 53);
    // Drag across the first bar (a few pixels either side).
    const bars = await page.$$eval('#histo rect.bar', (rs) => rs.map((r) => {
      const b = r.getBoundingClientRect();
      return [b.left, b.right, b.top, b.bottom];
    }).sort((a, b) => a[0] - b[0]));
    assert.ok(bars.length > 1);
    const box = await page.locator('#histo').boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(bars[0][0] - 3, y);
    await page.mouse.down();
    await page.mouse.move(bars[0][1] + 3, y, { steps: 4 });
    await rerender(page, () => page.mouse.up());
    const q = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    assert.equal(q.get('date'), 'custom');
    const start = Number(q.get('startTime'));
    const stop = Number(q.get('stopTime'));
    assert.ok(start > 0 && stop > start, `${start}..${stop}`);
    assert.equal(await page.inputValue('#date'), 'custom');
    // The custom range inputs show the span (UTC; the browser drops ":00" seconds).
    assert.equal(Date.parse(`${await page.inputValue('#startTime')}Z`), start * 1000);
    assert.equal(Date.parse(`${await page.inputValue('#stopTime')}Z`), stop * 1000);
    // bounding=last: the sessions whose last packet is in the span.
    const inSpan = port53.filter((s) => s.doc.lastPacket >= start * 1000 && s.doc.lastPacket <= stop * 1000);
    assert.ok(inSpan.length > 0 && inSpan.length < port53.length, `${inSpan.length} of ${port53.length}`);
    assert.deepEqual(sorted(await columnTexts(page, 'src')), sorted(inSpan.map((s) => srcCell(s.doc))));
    assert.equal(await page.inputValue('#bounding'), 'last');
    await shot(page, 'sessions-zoomed');
  });

  it('a 401 opens the login form, which posts /api/login and retries', async () => {
    let refused = 0;
    let posted = null;
    await page.route('**/api/sessions?*', async (route) => {
      if (refused === 0) {
        refused++;
        return route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":"login required"}' });
      }
      return route.continue();
    });
    await page.route('**/api/login', async (route) => {
      posted = new URLSearchParams(route.request().postData() || '');
      return route.fulfill({ status: 200, contentType: 'application/json', body: '{"success":true}', headers: { 'set-cookie': 'TRAWL=1; Path=/' } });
    });
    // The view finishes only once the login has gone through.
    const done = goHash(page, hashOf('sessions', { date: '-1', expression: 'port.dst == 53' }));
    await page.locator('#login').waitFor({ state: 'visible' });
    await shot(page, 'login');
    await page.fill('#loginUser', 'analyst');
    await page.fill('#loginPass', 'secret word');
    await page.click('#loginForm button[type="submit"]');
    await done;
    assert.equal(posted?.get('username'), 'analyst');
    assert.equal(posted?.get('password'), 'secret word');
    assert.ok(await page.locator('#login').isHidden());
    const n = SESSIONS.filter((s) => s.doc.destination.port === 53).length;
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), n);
    await page.unrouteAll();
  });

  it('writes the README screenshot when asked', { skip: process.env.TRAWL_SCREENSHOT_README !== '1' }, async () => {
    const doc = only('http-simple-get');
    const p = await ctx.context.newPage();
    await p.setViewportSize({ width: 1400, height: 880 });
    // 2013–2014, where most of the listed pcaps' sessions are, by week.
    const t0 = Date.UTC(2013, 0, 1) / 1000;
    const t1 = Date.UTC(2015, 0, 1) / 1000;
    await p.goto(`${BASE}/${hashOf('sessions', { date: 'custom', startTime: t0, stopTime: t1, interval: 'week', graph: 'packets' })}`);
    await p.waitForFunction(() => Number(document.body.dataset.renders || 0) >= 1);
    assert.ok(await p.locator('#sessions tbody tr.srow', { has: p.locator(`td[data-col="src"]:text-is("${srcCell(doc)}")`) }).isVisible());
    await p.screenshot({ path: path.join(REPO, 'docs', 'screenshot-sessions.png') });
    await p.close();
  });
});
