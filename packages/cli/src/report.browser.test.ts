import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService } from '@rxtrade/core/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, rxtrade } from './test-fixtures/run-cli';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const haveChromium = await requireService(
  'Chromium (report browser)',
  () => access(CHROMIUM, constants.X_OK),
  'apt-get install chromium',
);

/** Pictures a person looks at: the whole report, and its price chart at full size. */
const SHOTS = '/tmp/rxtrade-report';
const FLIP = join(root, 'packages/cli/src/test-fixtures/warm-flip.ts');
const RSI = join(root, 'packages/cli/src/test-fixtures/rsi.ts');

describe.skipIf(!haveChromium)('the HTML report of rxtrade backtest, in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxtrade-report-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const open = async (file: string) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    return { page, errors };
  };

  it('2,552 round trips over 20 years: fits the screen, the price line stays on top of small markers, trades listed', async () => {
    const report = join(dir, 'many.html');
    const run = await rxtrade([
      'backtest',
      '--strategy',
      FLIP,
      '--params',
      '{"length":1,"quantity":1}',
      '--data',
      'sp500',
      '--report',
      report,
    ]);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toMatch(/Trades\s+2,552/);
    const { page, errors } = await open(report);
    const layout = (await page.evaluate(`({
      width: document.documentElement.scrollWidth,
      screen: window.innerWidth,
      caveat: document.querySelector('.caveat')?.textContent ?? null,
      price: document.querySelector('svg[aria-label="SPX close price with fills"]')?.outerHTML ?? '',
      text: document.body.innerText,
    })`)) as { width: number; screen: number; caveat: string | null; price: string; text: string };
    expect(layout.width).toBeLessThanOrEqual(layout.screen);
    expect(layout.caveat).toBeNull(); // 20 years: nothing to warn about
    // Small markers, and the price line drawn after (over) them.
    expect(layout.price).toContain('l2,3.5h-4z');
    expect(layout.price.slice(layout.price.lastIndexOf('<path'))).toContain('stroke-width="1.3"');
    expect(layout.price.length).toBeLessThan(120_000);
    expect(layout.text).toContain('Round trips');
    expect(layout.text).toContain('Showing the first 500 of 2,552 trades');
    expect(layout.text).toContain('Monthly returns');
    expect(errors).toEqual([]);
    await page.screenshot({ path: `${SHOTS}-many.png`, fullPage: true });
    await page.locator('svg[aria-label="SPX close price with fills"]').screenshot({
      path: `${SHOTS}-many-price.png`,
    });
    await page.close();
  });

  it('six weeks of data: the annualised figures carry a small-sample warning at the top', async () => {
    const report = join(dir, 'short.html');
    const run = await rxtrade([
      'backtest',
      '--strategy',
      RSI,
      '--params',
      '{"rsiPeriod":3}',
      '--data',
      'sp500',
      '--from',
      '2020-01-01',
      '--to',
      '2020-02-15',
      '--report',
      report,
    ]);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).not.toMatch(/Trades\s+0\n/);
    const { page, errors } = await open(report);
    expect(await page.locator('.kpi').first().isVisible()).toBe(true);
    expect(await page.textContent('body')).not.toContain('−0.00%'); // no negative zero
    const caveat = page.locator('.caveat');
    expect(await caveat.isVisible()).toBe(true);
    expect(await caveat.textContent()).toMatch(
      /^Small sample: CAGR, volatility and Sharpe are annualised from/,
    );
    const box = await caveat.boundingBox();
    expect(box?.y ?? Number.POSITIVE_INFINITY).toBeLessThan(900); // on the first screen, not below the fold
    expect(errors).toEqual([]);
    await page.screenshot({ path: `${SHOTS}-short.png`, fullPage: true });
    await page.close();
  });
});
