import { access, constants } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { requireService } from '@rxtrade/core/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bar, createFixture, type GatewayFixture } from './test-support';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const haveChromium = await requireService(
  'Chromium (dashboard browser)',
  () => access(CHROMIUM, constants.X_OK),
  'apt-get install chromium',
);

/** Pictures a person looks at (docs/guides/troubleshooting.md's dashboard section says where). */
const SHOTS = '/tmp/rxtrade-gateway-dashboard';
const LONG_ID = 'rebalance-2026-01-01T00:00:00Z-BTCUSD-leg-0001-of-0004-retry-1';

describe.skipIf(!haveChromium)('dashboard in headless Chromium', () => {
  let f: GatewayFixture;
  let browser: Browser;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    f = await createFixture();
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  const order = (payload: Record<string, unknown>) =>
    f.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: auth(f.keys.tradeA),
      payload: { accountId: 'acct-a', instrumentId: 'BTCUSD', side: 'buy', quantity: 1, ...payload },
    });

  it('logged out shows only the login form; after login the equity chart and the fills of before are there, with dates; the kill switch turns the state HALTED', async () => {
    // History from before anyone opens the page: a fill and a few marks.
    expect((await order({ type: 'market', quantity: 2, clientOrderId: 'ui-1' })).statusCode).toBe(201);
    for (const px of [104, 106, 103, 108, 110]) f.engine.processBar(bar('BTCUSD', px));

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(base);
    // Logged out: the form and nothing else (main is a CSS grid, which used to win over `hidden`).
    expect(await page.isVisible('#login-form')).toBe(true);
    for (const hidden of ['#main-view', '#kill', '#chart', '#orders', '#logout']) {
      expect(await page.isVisible(hidden), hidden).toBe(false);
    }
    await page.screenshot({ path: `${SHOTS}-logged-out.png`, fullPage: true });

    // a wrong key is refused
    await page.fill('#api-key', 'rxk_0000000000000000_wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toBe('Key refused.');
    expect(await page.isVisible('#main-view')).toBe(false);
    expect(pageErrors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    pageErrors.length = 0;

    await page.fill('#api-key', f.keys.all);
    await page.click('button[type=submit]');
    await page.waitForSelector('#main-view:not([hidden])');
    expect(await page.isVisible('#login-view')).toBe(false);
    await expect.poll(() => page.textContent('#conn')).toBe('live');
    expect(await page.textContent('#risk-state')).toBe('ACTIVE');
    expect(await page.evaluate('sessionStorage.getItem("rxtrade.apiKey")')).toMatch(/^rxk_/);

    // No new event since login: the chart and the fills come from the gateway's history.
    await expect
      .poll(async () => (await page.getAttribute('#chart-line', 'points'))?.split(' ').length ?? 0)
      .toBeGreaterThan(4);
    const ys = ((await page.getAttribute('#chart-line', 'points')) ?? '')
      .split(' ')
      .map((p) => Number(p.split(',')[1]));
    expect(new Set(ys).size).toBeGreaterThan(1); // not a flat line: the marks moved the equity
    await page.waitForSelector('#fills tr.fill');
    const cells = await page.$$eval('#fills tr.fill td', (tds) => tds.map((td) => td.textContent));
    expect(cells[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(cells.slice(1)).toEqual(['ui-1', 'BTCUSD', 'buy', '2', '104.00']);
    await expect.poll(() => page.textContent('#positions')).toContain('BTCUSD');
    await page.screenshot({ path: `${SHOTS}-after-login.png`, fullPage: true });

    // live: a resting order with a long id for the open-orders table, and a new fill on top
    expect((await order({ type: 'limit', price: 90, clientOrderId: LONG_ID })).statusCode).toBe(201);
    expect((await order({ type: 'market', side: 'sell', clientOrderId: 'ui-2' })).statusCode).toBe(201);
    f.engine.processBar(bar('BTCUSD', 111));
    await expect.poll(() => page.textContent('#orders')).toContain(LONG_ID.slice(0, 12));
    await expect.poll(() => page.textContent('#fills tr.fill')).toContain('ui-2');
    expect(await page.$$eval('#fills tr.fill', (rows) => rows.length)).toBe(2);

    // The open-orders table stays inside its card; a long id is cut, with the whole id as its title.
    // (strings: this package type-checks without the DOM library)
    const box = (await page.evaluate(`(() => {
      const tbody = document.querySelector('#orders');
      return {
        card: tbody.closest('.card').getBoundingClientRect().right,
        table: tbody.closest('table').getBoundingClientRect().right,
      };
    })()`)) as { card: number; table: number };
    expect(box.table).toBeLessThanOrEqual(box.card);
    expect(await page.getAttribute('#orders td.id', 'title')).toBe(LONG_ID);
    await page.screenshot({ path: `${SHOTS}-orders.png`, fullPage: true });

    // kill switch: arm, confirm, HALTED
    await page.click('#kill');
    expect(await page.textContent('#kill')).toBe('Click again to HALT');
    await page.click('#kill');
    await expect.poll(() => page.textContent('#risk-state')).toBe('HALTED');
    await expect.poll(() => page.textContent('#orders')).not.toContain(LONG_ID.slice(0, 12));
    expect(f.engine.tradingState()).toBe('HALTED');
    await page.screenshot({ path: `${SHOTS}-halted.png`, fullPage: true });

    // CSP held: nothing was blocked, no script errors
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows the selected account’s trading state, or the global one when that is stricter (the fleet reports states per account only)', async () => {
    f.engine.setTradingState('ACTIVE', { reason: 'resume' });
    f.engine.setTradingState('REDUCING', { accountId: 'acct-a', reason: 'account limit' });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(base);
    await page.fill('#api-key', f.keys.tradeA);
    await page.click('button[type=submit]');
    await page.waitForSelector('#main-view:not([hidden])');
    await expect.poll(() => page.textContent('#risk-state')).toBe('REDUCING');
    expect(await page.textContent('#risk-reason')).toBe('(account limit)');
    await expect.poll(() => page.textContent('#conn')).toBe('live');
    // From the stream: the account halts, then resumes while the whole engine halts.
    f.engine.setTradingState('HALTED', { accountId: 'acct-a', reason: 'breach' });
    await expect.poll(() => page.textContent('#risk-state')).toBe('HALTED');
    f.engine.setTradingState('ACTIVE', { accountId: 'acct-a', reason: 'cleared' });
    await expect.poll(() => page.textContent('#risk-state')).toBe('ACTIVE');
    f.engine.setTradingState('HALTED', { reason: 'operator' });
    await expect.poll(() => page.textContent('#risk-state')).toBe('HALTED');
    expect(await page.textContent('#risk-reason')).toBe('(operator)');
    f.engine.setTradingState('ACTIVE', { reason: 'resume' });
    await page.close();
  });

  it('on a phone-sized screen nothing is wider than the screen: tables scroll inside their cards', async () => {
    f.engine.setTradingState('ACTIVE', { reason: 'test' });
    expect((await order({ type: 'limit', price: 80, clientOrderId: `${LONG_ID}-b` })).statusCode).toBe(201);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(base);
    await page.fill('#api-key', f.keys.all);
    await page.click('button[type=submit]');
    await page.waitForSelector('#main-view:not([hidden])');
    await expect.poll(() => page.textContent('#orders')).toContain(LONG_ID.slice(0, 12));
    const widths = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
      cards: [...document.querySelectorAll('.card')].map((c) => c.getBoundingClientRect().right),
    })`)) as { page: number; screen: number; cards: number[] };
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    for (const right of widths.cards) expect(right).toBeLessThanOrEqual(widths.screen);
    await page.screenshot({ path: `${SHOTS}-phone.png`, fullPage: true });
    await page.close();
  });
});
