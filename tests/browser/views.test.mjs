// SPI view, SPI graph, connections and stats pages, and the tabs keeping the query.
// Expected values come from Arkime's .test files (and the pcap files themselves).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  REGRESSION, SESSIONS, values, fmt, pcapRecords, open, rerender, goHash, hashOf, shot, assertTop, sorted,
} from './lib.mjs';
import { PCAPS } from './pcaps.mjs';

const ALL = SESSIONS.length;

let ctx;
let page;
before(async () => {
  ctx = await open('#spiview?date=-1');
  page = ctx.page;
});
after(async () => {
  await ctx?.close();
});

/** [key, count] rows of an SPI view card. */
function cardRows(field) {
  return page.$$eval(`#spiCards .card[data-field="${field}"] tbody tr`, (trs) => trs.map((tr) => [
    tr.querySelector('button.val').dataset.value, Number(tr.querySelector('td.cnt').textContent.replace(/,/g, ''))]));
}

describe('SPI view', () => {
  it('shows the top values of the default fields with Arkime\'s counts', async () => {
    await goHash(page, hashOf('spiview', { date: '-1' }));
    assert.equal(await page.textContent('#spiCount'), `${fmt(ALL)} of ${fmt(ALL)} sessions`);
    for (const field of ['destination.port', 'node', 'protocol', 'source.ip', 'destination.ip', 'dns.host']) {
      assertTop(await cardRows(field), SESSIONS, field, 10);
    }
    assert.deepEqual(await cardRows('node'), [['test', ALL]]);
    await shot(page, 'spiview');
  });

  it('a value clicks into the expression and the view follows it', async () => {
    const proto = page.locator('#spiCards .card[data-field="protocol"] button.val[data-value="dns"]');
    await rerender(page, () => proto.click());
    assert.equal(await page.inputValue('#expression'), 'protocols == dns');
    const dns = SESSIONS.filter((s) => values(s.doc, 'protocol').includes('dns'));
    assert.equal(await page.textContent('#spiCount'), `${fmt(dns.length)} of ${fmt(ALL)} sessions`);
    assertTop(await cardRows('destination.port'), dns, 'destination.port', 10);
    assertTop(await cardRows('dns.host'), dns, 'dns.host', 10);
  });

  it('fields can be added with a chosen number of values', async () => {
    await goHash(page, hashOf('spiview', { date: '-1', spi: 'destination.port:3' }));
    assertTop(await cardRows('destination.port'), SESSIONS, 'destination.port', 3);
    await page.fill('#spiAdd', 'host.http');
    await rerender(page, () => page.click('#spiAddBtn'));
    assert.match(decodeURIComponent(page.url()), /spi=destination\.port:3,http\.host:10/);
    assertTop(await cardRows('http.host'), SESSIONS, 'http.host', 10);
  });
});

describe('SPI graph', () => {
  it('shows a field\'s top values, each with its histogram', async () => {
    await goHash(page, hashOf('spigraph', { date: '-1', sgField: 'destination.port', sgSize: '10' }));
    const rows = await page.$$eval('#sgItems .sgitem', (items) => items.map((it) => [
      it.dataset.name, Number(it.querySelector('.sgcount').textContent.replace(/,/g, ''))]));
    assertTop(rows, SESSIONS, 'destination.port', 10);
    // Each value has its own histogram; the bars add up to its count.
    const sums = await page.$$eval('#sgItems .sgitem', (items) => items.map((it) => it.querySelectorAll('svg.spark rect.bar').length));
    assert.ok(sums.every((n) => n > 0), 'every value has bars');
    // They share the total's time axis: a value seen in one bucket is a thin bar, not the
    // whole width, and bars of the same time line up with the total's.
    const widths = await page.$$eval('#sgItems svg.spark rect.bar', (rs) => rs.map((r) => r.getBoundingClientRect().width));
    const plot = await page.locator('#sgTotal').boundingBox();
    assert.ok(Math.max(...widths) < plot.width / 4, `bar widths ${Math.max(...widths)} of ${plot.width}`);
    assert.equal(await page.inputValue('#sgField'), 'port.dst');
    assert.equal(await page.textContent('#sgCount'), `${fmt(ALL)} of ${fmt(ALL)} sessions`);
    await shot(page, 'spigraph');
    // The metric switch shows packets per value.
    await rerender(page, () => page.selectOption('#sgMetric', 'packets'));
    const packets = await page.$$eval('#sgItems .sgitem', (items) => items.map((it) => [
      it.dataset.name, Number(it.querySelector('.sgcount').textContent.replace(/,/g, ''))]));
    for (const [port, n] of packets) {
      const exp = SESSIONS.filter((s) => String(s.doc.destination.port) === port).reduce((a, s) => a + s.doc.network.packets, 0);
      assert.equal(n, exp, `packets to port ${port}`);
    }
  });
});

describe('connections', () => {
  it('draws source → destination:port for the query, with draggable nodes', async () => {
    const port53 = SESSIONS.filter((s) => s.doc.destination.port === 53);
    const dstId = (d) => (String(d.destination.ip).includes(':') ? `${d.destination.ip}.53` : `${d.destination.ip}:53`);
    const expectedNodes = new Set([...port53.map((s) => s.doc.source.ip), ...port53.map((s) => dstId(s.doc))]);
    const expectedLinks = new Set(port53.map((s) => `${s.doc.source.ip} ${dstId(s.doc)}`));
    await goHash(page, hashOf('connections', { date: '-1', expression: 'port.dst == 53' }));
    await page.waitForFunction(() => document.getElementById('cnGraph').dataset.settled === '1');
    const ids = await page.$$eval('#cnGraph g.node', (gs) => gs.map((g) => g.dataset.id));
    assert.deepEqual(sorted(ids), sorted([...expectedNodes]));
    assert.equal(await page.locator('#cnGraph line.link').count(), expectedLinks.size);
    assert.equal(await page.textContent('#cnCount'),
      `${fmt(expectedNodes.size)} nodes · ${fmt(expectedLinks.size)} links · ${fmt(port53.length)} sessions`);
    await shot(page, 'connections');

    // Drag the busiest source somewhere else: it moves and stays.
    const top = [...new Set(port53.map((s) => s.doc.source.ip))]
      .map((ip) => [ip, port53.filter((s) => s.doc.source.ip === ip).length]).sort((a, b) => b[1] - a[1])[0];
    const node = page.locator(`#cnGraph g.node[data-id="${top[0]}"]`);
    const svg = await page.locator('#cnGraph').boundingBox();
    // A point of its circle that no other node covers.
    const [cx, cy] = await node.locator('circle').evaluate((c) => {
      const b = c.getBoundingClientRect();
      for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.3], [0.7, 0.7], [0.3, 0.7], [0.7, 0.3], [0.5, 0.2], [0.5, 0.8]]) {
        const x = b.left + b.width * fx;
        const y = b.top + b.height * fy;
        if (document.elementFromPoint(x, y)?.closest('g.node') === c.parentNode) return [x, y];
      }
      return [b.left + b.width / 2, b.top + b.height / 2];
    });
    const tx = svg.x + 60;
    const ty = svg.y + 60;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(tx, ty, { steps: 8 });
    await page.mouse.up();
    const after = await node.locator('circle').boundingBox();
    assert.ok(Math.hypot(after.x + after.width / 2 - tx, after.y + after.height / 2 - ty) < 6, 'the node is where it was dropped');

    // A click opens its details, with Arkime's session count for it.
    await node.locator('circle').click();
    const info = page.locator('#cnInfo');
    await info.waitFor();
    assert.equal(await info.locator('h4').textContent(), top[0]);
    const dl = await info.locator('dl').evaluate((d) => Object.fromEntries([...d.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    assert.equal(dl.Sessions, fmt(top[1]));
    assert.equal(dl['Seen as'], 'source');
    await shot(page, 'connections-dragged');
  });
});

describe('stats', () => {
  it('lists the capture node with the packets it read', async () => {
    // Every packet of the captured files was read, so the node's total is their count.
    const packets = PCAPS.reduce((a, p) => a + pcapRecords(fs.readFileSync(path.join(REGRESSION, 'pcap', `${p}.pcap`))), 0);
    await goHash(page, '#stats');
    assert.ok(await page.locator('#searchForm').isHidden(), 'no search bar on stats');
    const row = page.locator('#statsTable tbody tr[data-node="test"]');
    await row.waitFor();
    const cells = await page.$$eval('#statsTable thead th', (ths) => ths.map((t) => t.textContent));
    const vals = await row.locator('td').allTextContents();
    const get = (name) => vals[cells.indexOf(name)];
    assert.equal(get('Node'), 'test');
    assert.equal(get('Total packets'), fmt(packets));
    // Sessions written: every session Arkime wrote for these files.
    assert.equal(get('Sessions'), fmt(ALL));
    assert.equal(await page.locator('#stCharts figure').count(), 6);
    await shot(page, 'stats');
  });
});

describe('tabs', () => {
  it('keep the query and time range across views', async () => {
    await goHash(page, hashOf('sessions', { date: '-1', expression: 'port.dst == 53' }));
    await rerender(page, () => page.click('.tabs a[data-view="spiview"]'));
    assert.equal(await page.inputValue('#expression'), 'port.dst == 53');
    assert.equal(await page.inputValue('#date'), '-1');
    const n = SESSIONS.filter((s) => s.doc.destination.port === 53).length;
    assert.equal(await page.textContent('#spiCount'), `${fmt(n)} of ${fmt(ALL)} sessions`);
    await rerender(page, () => page.click('.tabs a[data-view="sessions"]'));
    assert.equal(await page.locator('#sessions tbody tr.srow').count(), n);
  });
});
