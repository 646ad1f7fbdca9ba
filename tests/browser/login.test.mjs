// Login against a real `trawl serve` with a users file (run.sh starts a second server
// for it when the binary has `trawl user`): the API answers 401, the page's form posts
// /api/login, the cookie it gets lets every later call through.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { SESSIONS, fmt, shot } from './lib.mjs';

const URL_ = (process.env.TRAWL_AUTH_URL || '').replace(/\/$/, '');
const USER = process.env.TRAWL_AUTH_USER || '';
const PASS = process.env.TRAWL_AUTH_PASS || '';
const ALL = SESSIONS.length;

describe('login', { skip: URL_ ? false : 'no server with users (TRAWL_AUTH_URL unset: the binary has no `trawl user`)' }, () => {
  it('asks for a login on 401, refuses a wrong password, then shows the sessions', async () => {
    // Without a login the API refuses.
    assert.equal((await fetch(`${URL_}/api/sessions?date=-1`)).status, 401);
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' });
      const page = await context.newPage();
      page.setDefaultTimeout(15000);
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${URL_}/#sessions?date=-1`);
      await page.locator('#login').waitFor({ state: 'visible' });
      // A wrong password: the form stays, with a message.
      await page.fill('#loginUser', USER);
      await page.fill('#loginPass', `${PASS}x`);
      await page.click('#loginForm button[type="submit"]');
      await page.locator('#loginError').waitFor({ state: 'visible' });
      assert.ok(await page.locator('#login').isVisible());
      await shot(page, 'login-refused');
      // The right one: the page carries on with what it was loading.
      await page.fill('#loginPass', PASS);
      await page.click('#loginForm button[type="submit"]');
      await page.waitForFunction(() => Number(document.body.dataset.renders || 0) >= 1);
      assert.ok(await page.locator('#login').isHidden());
      assert.equal(await page.textContent('#showing'), `Showing 1–50 of ${fmt(ALL)} entries (${fmt(ALL)} total)`);
      const cookies = await context.cookies();
      assert.ok(cookies.some((c) => c.name === 'TRAWL_SESSION'), 'the session cookie is set');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
