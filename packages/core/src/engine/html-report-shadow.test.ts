import { describe, expect, it } from 'vitest';
import type { ShadowOrderReport, ShadowReport } from '../execution/shadow/shadow-report';
import { renderHtmlReport, renderShadowReport } from './html-report';
import { MAX_SHADOW_ROWS } from './html-report-shadow';
import { computeStatistics } from './statistics';

const T = Date.UTC(2026, 11, 6, 18, 25, 24);
const zero = {
  slippage: '0.00',
  latency: '0.00',
  fees: '0.00',
  partialFills: '0.00',
  missedFills: '0.00',
  extraFills: '0.00',
  total: '0.00',
};

function order(overrides: Partial<ShadowOrderReport> = {}): ShadowOrderReport {
  return {
    clientOrderId: 'o-1',
    accountId: 'live',
    strategyId: 'S',
    instrumentId: 'BTCUSDT',
    side: 'buy',
    type: 'market',
    quantity: 0.01,
    tsInit: T,
    outcome: 'matched',
    simulated: {
      status: 'filled',
      filledQty: 0.01,
      avgPx: 30_000,
      firstFillTs: T + 250,
      lastFillTs: T + 250,
      fills: 1,
      fees: '0.30',
    },
    real: {
      status: 'filled',
      filledQty: 0.01,
      avgPx: 30_030,
      firstFillTs: T + 40,
      lastFillTs: T + 40,
      fills: 1,
      fees: '0.3003',
    },
    delayMs: -210,
    priceDiffBps: 10,
    currency: 'USDT',
    mark: { px: 30_050, ts: T + 500 },
    attribution: { ...zero, slippage: '-0.30', fees: '-0.0003', total: '-0.3003' },
    ...overrides,
  };
}

function doc(orders: ShadowOrderReport[], overrides: Partial<ShadowReport> = {}): ShadowReport {
  return {
    v: 1,
    venues: { real: 'BINANCE', simulated: 'SHADOW' },
    ts: T + 1_000,
    orders,
    pending: 0,
    outcomes: { matched: 1, partial: 0, missed: 1, extra: 0, unfilled: 0 },
    totals: {
      USDT: { ...zero, slippage: '-0.30', fees: '0.2997', missedFills: '-1.25', total: '-1.2503' },
    },
    ...overrides,
  };
}

/** The visible text: no style, no tooltips, entities decoded. */
const text = (html: string): string =>
  html
    .replace(/<(style|title)>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');

describe('shadow report section', () => {
  const missed = order({
    clientOrderId: 'o-2',
    outcome: 'missed',
    real: {
      status: 'rejected',
      filledQty: 0,
      avgPx: null,
      firstFillTs: null,
      lastFillTs: null,
      fills: 0,
      fees: '0.00',
      reason: 'INSUFFICIENT_FUNDS',
    },
    delayMs: null,
    priceDiffBps: null,
    attribution: { ...zero, missedFills: '-1.25', fees: '0.30', total: '-0.95' },
  });

  it('a page of its own: counts by outcome, each part of the difference with its sign, a row per order', () => {
    const html = renderShadowReport(doc([order(), missed]), { title: 'Live <vs> sim' });
    const t = text(html);
    expect(html).toContain('<title>Live &lt;vs&gt; sim</title>');
    expect(html).toContain('<title>-1.2503 USDT</title>'); // the exact total, as a tooltip
    expect(t).toContain('Live vs simulated 2 orders');
    expect(t).toContain('real BINANCE · simulated SHADOW');
    expect(t).toMatch(/matched 1 partial 0 missed 1 extra 0 unfilled 0/);
    // The headline total is exact; the bars are labelled to 4 decimals, the exact value in a tooltip.
    expect(t).toContain('Real P&L − simulated P&L, USDT: −1.2503');
    expect(t).toContain('Slippage −0.30 USDT');
    expect(t).toContain('Missed fills −1.25 USDT');
    expect(t).toContain('Fees +0.2997 USDT');
    // Rows: one day, so times only; prices aligned; the reason of a rejection under its outcome.
    expect(t).toContain('Sent (2026-12-06 UTC)');
    expect(t).toContain(
      '18:25:24 o-1 buy market matched 0.01 / 0.01 30,000.00 30,030.00 10.0 −210 ms 0.30 / 0.3003 −0.3003',
    );
    expect(t).toContain('missed INSUFFICIENT_FUNDS 0.01 / 0 30,000.00 — — — 0.30 / 0.00 −0.95');
    expect(html).not.toMatch(/https?:\/\//); // self-contained
  });

  it('escapes what venues and strategies name, and caps the table', () => {
    const many = Array.from({ length: MAX_SHADOW_ROWS + 3 }, (_, i) =>
      order({ clientOrderId: i === 0 ? '<img src=x onerror=alert(1)>' : `o-${i}` }),
    );
    const html = renderShadowReport(doc(many, { venues: { real: '"><script>', simulated: 'SHADOW' } }));
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('"><script>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text(html)).toContain(`Showing the first ${MAX_SHADOW_ROWS} of ${MAX_SHADOW_ROWS + 3} orders.`);
  });

  it('nothing settled yet: says so, and counts what is still working', () => {
    const t = text(
      renderShadowReport(
        doc([], {
          totals: {},
          pending: 2,
          outcomes: { matched: 0, partial: 0, missed: 0, extra: 0, unfilled: 0 },
        }),
      ),
    );
    expect(t).toContain('still working 2');
    expect(t).toContain('Nothing to attribute yet.');
    expect(t).toContain('No order has settled at both venues yet.');
  });

  it('refuses anything but a shadow document', () => {
    expect(() => renderShadowReport({ v: 2 } as unknown as ShadowReport)).toThrow(/shadow report document/);
  });

  it('is a section of the backtest report when the input carries a shadow document', () => {
    const timestamps = [T, T + 60_000];
    const statistics = computeStatistics({
      timestamps,
      equity: [10_000, 10_001],
      trades: [],
      feesPaid: 0,
      exposure: 0,
      periodsPerYear: 525_600,
    });
    const base = {
      title: 'Run',
      statistics,
      equity: { timestamps, values: [10_000, 10_001] },
      prices: [],
      fills: [],
    };
    expect(text(renderHtmlReport(base))).not.toContain('Live vs simulated');
    expect(text(renderHtmlReport({ ...base, shadow: doc([order(), missed]) }))).toContain(
      'Live vs simulated 2 orders',
    );
  });
});
