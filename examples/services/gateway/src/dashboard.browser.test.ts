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

const SCREENSHOT = '/tmp/rxtrade-gateway-dashboard.png';

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

  it('logs in with a key, shows a live fill and equity, and the kill switch turns the state HALTED', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(base);
    // a wrong key is refused
    await page.fill('#api-key', 'rxk_0000000000000000_wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toBe('Key refused.');
    expect(pageErrors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    pageErrors.length = 0;

    await page.fill('#api-key', f.keys.all);
    await page.click('button[type=submit]');
    await page.waitForSelector('#main-view:not([hidden])');
    await expect.poll(() => page.textContent('#conn')).toBe('live');
    expect(await page.textContent('#risk-state')).toBe('ACTIVE');
    expect(await page.evaluate('sessionStorage.getItem("rxtrade.apiKey")')).toMatch(/^rxk_/);

    // a fill arrives through the backend: an order via the API, matched on the next bar
    const order = await f.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: auth(f.keys.tradeA),
      payload: {
        accountId: 'acct-a',
        instrumentId: 'BTCUSD',
        side: 'buy',
        type: 'market',
        quantity: 2,
        clientOrderId: 'ui-1',
      },
    });
    expect(order.statusCode).toBe(201);
    // a resting order for the open-orders table
    await f.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: auth(f.keys.tradeA),
      payload: {
        accountId: 'acct-a',
        instrumentId: 'BTCUSD',
        side: 'buy',
        type: 'limit',
        quantity: 1,
        price: 90,
        clientOrderId: 'ui-rest',
      },
    });
    for (const px of [104, 106, 103, 108, 110]) f.engine.processBar(bar('BTCUSD', px));
    await page.waitForSelector('#fills tr.fill');
    const fillRow = await page.textContent('#fills tr.fill');
    expect(fillRow).toContain('ui-1');
    expect(fillRow).toContain('104.00');
    await expect.poll(() => page.textContent('#positions')).toContain('BTCUSD');
    await expect.poll(() => page.textContent('#orders')).toContain('ui-rest');
    await expect
      .poll(async () => (await page.getAttribute('#chart-line', 'points'))?.split(' ').length ?? 0)
      .toBeGreaterThan(2);

    // kill switch: arm, confirm, HALTED
    await page.click('#kill');
    expect(await page.textContent('#kill')).toBe('Click again to HALT');
    await page.click('#kill');
    await expect.poll(() => page.textContent('#risk-state')).toBe('HALTED');
    await expect.poll(() => page.textContent('#orders')).not.toContain('ui-rest');
    expect(f.engine.tradingState()).toBe('HALTED');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // CSP held: nothing was blocked, no script errors
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
