// Shared helpers of the browser tests: the expected data (Arkime's own session
// documents of the captured pcaps), the browser, waiting for the page, screenshots.
//
// The server under test is at TRAWL_URL (run.sh starts it on a store captured from
// PCAPS). Nothing expected is taken from trawl: every value comes from the .test files.

import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { PCAPS } from './pcaps.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../..');
export const REGRESSION = process.env.TRAWL_REGRESSION || path.resolve(REPO, '../shared/arkime-regression');
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const BASE = (process.env.TRAWL_URL || '').replace(/\/$/, '');
if (!BASE) throw new Error('TRAWL_URL is not set: run the tests through tests/browser/run.sh');

/** Every session document Arkime wrote for PCAPS: [{pcap, doc}]. */
export function loadSessions() {
  const out = [];
  for (const p of PCAPS) {
    const j = JSON.parse(fs.readFileSync(path.join(REGRESSION, 'pcap', `${p}.test`), 'utf8'));
    for (const s of j.sessions3 || []) out.push({ pcap: p, doc: s.body });
  }
  return out;
}
export const SESSIONS = loadSessions();

/**
 * The values of a database field in a session document, flattened: `dns.host` of
 * `{dns: [{host: [a, b]}, {host: [c]}]}` is [a, b, c]. A key may hold dots itself.
 */
export function values(doc, field) {
  if (Array.isArray(doc)) return doc.flatMap((d) => values(d, field));
  if (doc === null || typeof doc !== 'object') return [];
  if (field in doc) {
    const v = doc[field];
    return Array.isArray(v) ? v : [v];
  }
  const parts = field.split('.');
  for (let i = 1; i < parts.length; i++) {
    const head = parts.slice(0, i).join('.');
    if (head in doc) {
      const v = values(doc[head], parts.slice(i).join('.'));
      if (v.length) return v;
    }
  }
  return [];
}

/** "ip:port" as the page writes it (IPv6 in brackets). */
export function ipPort(ip, port) {
  const a = String(ip).includes(':') ? `[${ip}]` : ip;
  return port === undefined ? a : `${a}:${port}`;
}

/** Numbers as the page shows them (en-US grouping). */
export const fmt = (n) => new Intl.NumberFormat('en-US').format(n);

/**
 * Top values of a field over the sessions, as Arkime's terms aggregation counts them
 * (a session counts once per distinct value): [[key, count]] by count desc, key asc.
 */
export function topValues(sessions, field, n = 10) {
  const counts = new Map();
  for (const { doc } of sessions) {
    for (const v of new Set(values(doc, field).map(String))) counts.set(v, (counts.get(v) || 0) + 1);
  }
  const cmpKey = (a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0);
  return [...counts].sort((a, b) => b[1] - a[1] || cmpKey(a[0], b[0])).slice(0, n);
}

/**
 * Checks shown [key, count] rows against the expected top list without depending on
 * how ties at the cut are broken: the same number of rows, the same counts in order,
 * and each shown key has exactly its expected count.
 */
export function assertTop(shown, sessions, field, n) {
  const all = topValues(sessions, field, Infinity);
  const expected = all.slice(0, n);
  const byKey = new Map(all);
  assert.equal(shown.length, expected.length, `${field}: number of values shown`);
  assert.deepEqual(shown.map((r) => r[1]), expected.map((r) => r[1]), `${field}: counts in order`);
  for (const [k, c] of shown) assert.equal(byKey.get(k), c, `${field}: count of ${k}`);
  // Values whose count is above the cut's count must all be there.
  const cut = expected.length ? expected[expected.length - 1][1] : 0;
  for (const [k, c] of all) if (c > cut) assert.ok(shown.some((r) => r[0] === k), `${field}: ${k} (${c}) is shown`);
}

/** Count of records in a pcap buffer (both byte orders, µs or ns); throws if not a pcap. */
export function pcapRecords(buf) {
  assert.ok(buf.length >= 24, 'pcap: shorter than its global header');
  const magic = buf.readUInt32LE(0);
  let le;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else assert.fail(`pcap: bad magic ${magic.toString(16)}`);
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  assert.equal(le ? buf.readUInt16LE(4) : buf.readUInt16BE(4), 2, 'pcap: major version 2');
  const snap = u32(16);
  let off = 24;
  let n = 0;
  while (off < buf.length) {
    assert.ok(off + 16 <= buf.length, `pcap: record header ${n} cut short`);
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    assert.ok(incl <= orig || orig === 0, `pcap: record ${n} caplen ${incl} > len ${orig}`);
    assert.ok(snap === 0 || incl <= Math.max(snap, 262144), `pcap: record ${n} caplen ${incl} over snaplen`);
    off += 16 + incl;
    assert.ok(off <= buf.length, `pcap: record ${n} data cut short`);
    n++;
  }
  return n;
}

/** A browser and a page on the server, with page errors collected (asserted at close). */
export async function open(hash = '#sessions?date=-1', { viewport = { width: 1400, height: 900 } } = {}) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
  const context = await browser.newContext({ viewport, acceptDownloads: true, timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Console errors count, except the browser's own notes on 4xx/5xx answers (the tests
  // provoke some on purpose: a bad expression, a 401).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${BASE}/${hash}`);
  await page.waitForFunction(() => Number(document.body.dataset.renders || 0) >= 1);
  return {
    browser, context, page, errors,
    async close() {
      await browser.close();
      assert.deepEqual(errors, [], 'no script errors on the page');
    },
  };
}

/** Runs `action` and waits until the page has drawn a view again. */
export async function rerender(page, action) {
  const before = await page.evaluate(() => document.body.dataset.renders || '0');
  await action();
  await page.waitForFunction((b) => (document.body.dataset.renders || '0') !== b, before);
}

/** Reloads the page and waits for its first view. */
export async function reload(page) {
  await page.reload();
  await page.waitForFunction(() => Number(document.body.dataset.renders || 0) >= 1);
}

/** Goes to a hash of the page (same document) and waits for the view. */
export async function goHash(page, hash) {
  await rerender(page, () => page.evaluate((h) => {
    // The same hash again fires no hashchange: send one, as a reload of the view.
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash));
}

/** A hash of the page with its query (values URL-encoded). */
export function hashOf(view, params) {
  return `#${view}?${new URLSearchParams(params).toString()}`;
}

/** Screenshot into artifacts/. */
export async function shot(page, name, opts = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, ...opts });
}

/** Texts of the cells of one column of the sessions table. */
export function columnTexts(page, col) {
  return page.$$eval(`#sessions tbody tr.srow td[data-col="${col}"]`, (tds) => tds.map((td) => td.textContent.trim()));
}

export const sorted = (a) => [...a].sort();
