import { describe, expect, it } from 'vitest';
import {
  downsampleMinMax,
  esc,
  type HtmlReportFill,
  type HtmlReportInput,
  MAX_FILL_ROWS,
  niceTicks,
  renderHtmlReport,
  timeTicks,
} from './html-report';
import { computeStatistics } from './statistics';

const DAY = 86_400_000;
const T0 = Date.UTC(2020, 0, 6);

function input(overrides: Partial<HtmlReportInput> = {}): HtmlReportInput {
  const timestamps = [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY];
  const values = [100_000, 110_000, 99_000, 121_000];
  const statistics = computeStatistics({
    timestamps,
    equity: values,
    trades: [],
    feesPaid: 12.5,
    exposure: 0.5,
    periodsPerYear: 252,
  });
  return {
    title: 'SMA crossover',
    statistics,
    equity: { timestamps, values },
    prices: [{ symbol: 'SPX', timestamps, close: [3000, 3100, 2950, 3200] }],
    fills: [
      { ts: T0 + DAY, symbol: 'SPX', side: 'buy', price: 3100, quantity: 10, fee: 6.25 },
      { ts: T0 + 3 * DAY, symbol: 'SPX', side: 'sell', price: 3200, quantity: 10, fee: 6.25 },
    ],
    params: { fast: 20, slow: 100 },
    ...overrides,
  };
}

/** All text between tags, roughly: enough to find rendered values. */
const text = (html: string): string => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

describe('renderHtmlReport', () => {
  it('a tearsheet: buy and hold of the one symbol, Calmar, monthly returns, a small-sample caveat', () => {
    const html = renderHtmlReport(input());
    const t = text(html);
    // SPX 3000 → 3200: +6.67 % held; the strategy made +21 %.
    expect(t).toContain('Buy and hold 6.67%');
    expect(t).toContain('Buy and hold SPX');
    expect(html).toContain('stroke-dasharray="5 3"');
    expect(t).toMatch(/Calmar ratio [\d,.]+/);
    expect(t).toContain('Small sample: CAGR, volatility and Sharpe are annualised from 3 days of data');
    expect(t).not.toContain('Monthly returns'); // one month only
    // Two years of month-end points: a row per year, the year compounded.
    const ts = [Date.UTC(2020, 0, 31), Date.UTC(2020, 1, 29), Date.UTC(2021, 0, 31)];
    const values = [110_000, 121_000, 108_900];
    const long = renderHtmlReport(
      input({
        equity: { timestamps: ts, values },
        statistics: computeStatistics({
          timestamps: ts,
          equity: values,
          trades: [],
          feesPaid: 0,
          exposure: 0,
        }),
        prices: [],
      }),
    );
    const lt = text(long);
    expect(lt).toContain('Monthly returns');
    expect(lt).toContain('2020 0.0% 10.0%');
    expect(lt).toContain('2021 −10.0%');
    expect(lt).not.toContain('Buy and hold');
    expect(lt).not.toContain('Small sample');
  });

  it('lists round trips with how long each was held', () => {
    const trade = { symbol: 'SPX', side: 'long' as const, entryPx: 3100, exitPx: 3200, quantity: 10 };
    const html = renderHtmlReport(
      input({
        trades: [
          { ...trade, entryTs: T0 + DAY, exitTs: T0 + 3 * DAY, pnl: 987.5, returnPct: 0.0318 },
          { ...trade, entryTs: T0, exitTs: T0 + DAY, exitPx: 3000, pnl: -1012.5, returnPct: -0.0327 },
        ],
      }),
    );
    const t = text(html);
    expect(t).toContain('Round trips 2 average hold 36.0 hours');
    expect(t).toContain('2020-01-07 2020-01-09 2 days SPX long 3,100.00 3,200.00 10 987.50 3.18%');
    expect(t).toContain('−1,012.50 −3.27%');
    expect(renderHtmlReport(input())).not.toContain('Round trips');
  });

  it('shows a failed strategy and refused orders above the figures, escaped', () => {
    const html = renderHtmlReport(
      input({
        fills: [],
        strategyErrors: [{ strategyId: 'S<1>', hook: 'onBar', message: 'boom & bust', tsEvent: T0 + DAY }],
        refusals: [
          {
            reason: 'QUANTITY_OFF_LOT',
            count: 3,
            first: {
              message: 'QUANTITY_OFF_LOT: 0.5 is not a multiple of lot 1',
              tsEvent: T0,
              instrumentId: 'BTC',
            },
          },
        ],
      }),
    );
    const t = text(html);
    expect(t).toContain('Strategy S&lt;1&gt; failed in onBar on 2020-01-07 and was stopped');
    expect(t).toContain('boom &amp; bust');
    expect(t).toContain('No order reached the market: all 3 were refused');
    expect(t).toContain(
      'QUANTITY_OFF_LOT 3 first on 2020-01-06 (BTC): QUANTITY_OFF_LOT: 0.5 is not a multiple of lot 1',
    );
    // Above the figures: both alerts come before the first KPI.
    expect(html.indexOf('class="alert err"')).toBeLessThan(html.indexOf('class="kpis"'));
    expect(html.indexOf('class="alert warn"')).toBeLessThan(html.indexOf('class="kpis"'));
    expect(renderHtmlReport(input())).not.toContain('class="alert');
  });

  it('is one HTML document containing the statistics, params and fills', () => {
    const html = renderHtmlReport(input());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    const t = text(html);
    expect(t).toContain('Total return 21.00%');
    expect(t).toContain('Max drawdown −10.00%');
    expect(t).toContain('Drawdown amount −11,000.00');
    expect(t).toContain('Sharpe ratio 7.23');
    expect(t).toContain('Sortino ratio 20.37');
    expect(t).toContain('Fees paid 12.50');
    expect(t).toContain('Drawdown peak 2020-01-07');
    expect(t).toContain('Recovered 2020-01-09');
    expect(t).toContain('fast 20');
    expect(t).toContain('2020-01-07 SPX buy 3,100.00 10 31,000.00 6.25');
    expect(html.match(/<svg /g)).toHaveLength(3); // equity, drawdown, SPX price
    expect(t).toContain('Buy (1)');
    expect(t).toContain('Sell (1)');
  });

  it('escapes all text: title, symbols, params', () => {
    const html = renderHtmlReport(
      input({
        title: '<script>alert("x")</script> & co',
        params: { '<img src=x onerror=alert(1)>': '</td><script>bad()</script>' },
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>');
    expect(esc(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  });

  it('references no external resource', () => {
    const html = renderHtmlReport(input());
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|<link|<script/i);
  });

  it('keeps a 1M-point curve small by downsampling', () => {
    const n = 1_000_000;
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      timestamps[i] = T0 + i * 60_000;
      values[i] = 100_000 + 5_000 * Math.sin(i / 5_000) + (i % 7) * 10;
    }
    const statistics = computeStatistics({
      timestamps,
      equity: values,
      trades: [],
      feesPaid: 0,
      exposure: 0,
    });
    const html = renderHtmlReport(
      input({
        statistics,
        equity: { timestamps, values },
        prices: [{ symbol: 'X', timestamps, close: values }],
        fills: [],
      }),
    );
    expect(html.length).toBeLessThan(600_000);
    const equityPath = /<path d="(M[^"]*)" fill="none" stroke="#2563eb"/.exec(html)?.[1] ?? '';
    const points = equityPath.split(/[ML]/).filter(Boolean).length;
    expect(points).toBeGreaterThan(500);
    expect(points).toBeLessThanOrEqual(4 * 1000);
  });

  it('draws thousands of fills as small markers under the price line, a few as large ones over it', () => {
    const priceSvg = (html: string): string => html.slice(html.indexOf('close price with fills'));
    const sparse = priceSvg(renderHtmlReport(input()));
    expect(sparse).toContain('l5,8.5h-10z');
    expect(sparse.indexOf('stroke-width="1.3"')).toBeLessThan(sparse.indexOf('l5,8.5h-10z'));

    const n = 4_000;
    const timestamps = Array.from({ length: n }, (_, i) => T0 + i * DAY);
    const close = timestamps.map((_, i) => 3000 + 200 * Math.sin(i / 50));
    const fills: HtmlReportFill[] = timestamps.map((ts, i) => ({
      ts,
      symbol: 'SPX',
      side: i % 2 === 0 ? 'buy' : 'sell',
      price: close[i] as number,
      quantity: 1,
      fee: 0,
    }));
    const dense = priceSvg(
      renderHtmlReport(input({ prices: [{ symbol: 'SPX', timestamps, close }], fills })),
    );
    expect(dense).not.toContain('l5,8.5h-10z');
    expect(dense).toContain('l2,3.5h-4z');
    expect(dense).toContain('fill-opacity="0.55"');
    expect(dense.indexOf('l2,3.5h-4z')).toBeLessThan(dense.indexOf('stroke-width="1.3"'));
  });

  it('truncates a long fills table with a count', () => {
    const fills: HtmlReportFill[] = Array.from({ length: 1_234 }, (_, i) => ({
      ts: T0 + (i % 4) * DAY,
      symbol: 'SPX',
      side: i % 2 === 0 ? 'buy' : 'sell',
      price: 3000 + i,
      quantity: 1,
      fee: 0.5,
    }));
    const html = renderHtmlReport(input({ fills }));
    expect(html.match(/<tr><td>/g)).toHaveLength(MAX_FILL_ROWS);
    expect(text(html)).toContain(`Showing the first 500 of 1,234 fills; 734 more not shown.`);
  });

  it('renders empty data without failing and is deterministic', () => {
    const statistics = computeStatistics({
      timestamps: [T0],
      equity: [1000],
      trades: [],
      feesPaid: 0,
      exposure: 0,
    });
    const empty = input({ statistics, equity: { timestamps: [], values: [] }, prices: [], fills: [] });
    const html = renderHtmlReport(empty);
    expect(text(html)).toContain('No data');
    expect(text(html)).toContain('No fills.');
    expect(renderHtmlReport(input())).toBe(renderHtmlReport(input()));
  });

  it('rejects mismatched series', () => {
    expect(() => renderHtmlReport(input({ equity: { timestamps: [1, 2], values: [1] } }))).toThrow(
      /same length/,
    );
  });
});

describe('downsampleMinMax', () => {
  it('bounds the point count and keeps first, last, min and max', () => {
    const n = 100_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((i) => Math.sin(i / 100) + (i === 31_337 ? 50 : 0) - (i === 77_777 ? 60 : 0));
    const { x, y } = downsampleMinMax(xs, ys, 200);
    expect(x.length).toBeLessThanOrEqual(800);
    expect(x.length).toBe(y.length);
    expect(x[0]).toBe(0);
    expect(x.at(-1)).toBe(n - 1);
    expect(Math.max(...y)).toBe(Math.max(...ys));
    expect(Math.min(...y)).toBe(Math.min(...ys));
    for (let i = 1; i < x.length; i++) expect(x[i] as number).toBeGreaterThan(x[i - 1] as number);
  });

  it('returns short series unchanged', () => {
    expect(downsampleMinMax([1, 2, 3], [5, 6, 7], 100)).toEqual({ x: [1, 2, 3], y: [5, 6, 7] });
  });
});

describe('axis ticks', () => {
  it('niceTicks uses round steps', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(-0.34, 0, 4)).toEqual([-0.4, -0.3, -0.2, -0.1, 0]);
  });

  it('timeTicks label years for long spans, months for shorter ones, hours intraday', () => {
    expect(timeTicks(Date.UTC(2000, 0, 3), Date.UTC(2020, 3, 17)).map((t) => t.label)).toEqual([
      '2002',
      '2004',
      '2006',
      '2008',
      '2010',
      '2012',
      '2014',
      '2016',
      '2018',
      '2020',
    ]);
    const months = timeTicks(Date.UTC(2021, 0, 15), Date.UTC(2021, 6, 1));
    expect(months.map((t) => t.label)).toEqual([
      'Feb 2021',
      'Mar 2021',
      'Apr 2021',
      'May 2021',
      'Jun 2021',
      'Jul 2021',
    ]);
    const hours = timeTicks(Date.UTC(2021, 0, 4, 9, 30), Date.UTC(2021, 0, 4, 16, 0));
    expect(hours[0]?.label).toBe('Jan 4 10:00');
    expect(hours.slice(1).map((t) => t.label)).toEqual([
      '11:00',
      '12:00',
      '13:00',
      '14:00',
      '15:00',
      '16:00',
    ]);
  });
});

describe('renderHtmlReport: strategies', () => {
  const timestamps = [T0, T0 + DAY, T0 + 2 * DAY];
  const own = (values: number[]) => ({
    equity: { timestamps, values },
    statistics: computeStatistics({
      timestamps,
      equity: values,
      trades: [],
      feesPaid: 1.5,
      exposure: 1,
      periodsPerYear: 252,
    }),
  });

  it('a comparison table and a section with its curve per strategy, budgets where there are', () => {
    const html = renderHtmlReport(
      input({
        strategies: [
          {
            strategyId: 'swing<1>',
            capital: 20_000,
            budget: { budget: 20_000, used: 5_000.5, reserved: 1_000, available: 13_999.5 },
            ...own([20_000, 21_000, 22_000]),
          },
          { strategyId: 'position', capital: 100_000, ...own([100_000, 99_000, 99_500]) },
        ],
      }),
    );
    const t = text(html);
    expect(t).toContain('Strategies 2');
    expect(t).toContain('Strategy swing&lt;1&gt;');
    expect(t).toContain('Strategy position');
    // capital, end, return, drawdown, sharpe, trades, win rate, fees, refused, used + reserved, available
    expect(t).toMatch(
      /swing&lt;1&gt; 20,000\.00 22,000\.00 10\.00% 0\.00% [\d.]+ 0 — 1\.50 0 6,000\.50 13,999\.50/,
    );
    expect(t).toMatch(/position 100,000\.00 99,500\.00 −0\.50% −1\.00% [−\d.]+ 0 — 1\.50 0 — —/);
    expect(t).toContain('budget 20,000.00: used 5,000.50, reserved 1,000.00, available 13,999.50');
    expect(html.match(/aria-label="Equity curve"/g)).toHaveLength(3);
    // No strategies, no section.
    expect(text(renderHtmlReport(input()))).not.toContain('Strategies');
  });
});
