import { invalidArgument } from '../errors';
import type { ShadowReport } from '../execution/shadow/shadow-report';
import { esc } from './html-escape';
import { SHADOW_CSS, shadowSection } from './html-report-shadow';
import type { BacktestStatistics } from './statistics';

export { esc };

/** One fill as shown in the report. */
export interface HtmlReportFill {
  readonly ts: number;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
}

/** A symbol's close prices, drawn with its fills as buy/sell markers. */
export interface HtmlReportPrices {
  readonly symbol: string;
  readonly timestamps: ArrayLike<number>;
  readonly close: ArrayLike<number>;
}

/** Input of {@link renderHtmlReport}. */
export interface HtmlReportInput {
  readonly title: string;
  readonly statistics: BacktestStatistics;
  readonly equity: { readonly timestamps: ArrayLike<number>; readonly values: ArrayLike<number> };
  readonly prices: readonly HtmlReportPrices[];
  readonly fills: readonly HtmlReportFill[];
  /** Strategy parameters, shown as a table (values as JSON). */
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * Strategies that threw and were stopped (`result.strategyEvents`' `StrategyFailed`): shown first, in
   * red, because every figure after the failure no longer reflects the strategy's logic.
   */
  readonly strategyErrors?: readonly HtmlReportStrategyError[];
  /** Orders refused, by reason (`result.refusals`): shown above the figures with an example message. */
  readonly refusals?: readonly HtmlReportRefusal[];
  /** Round trips (`result.closedTrades`): a table with their duration and return, the first `MAX_FILL_ROWS` (500). */
  readonly trades?: readonly HtmlReportTrade[];
  /**
   * Each strategy's own results (`result.strategies`): a comparison table and a section per strategy
   * with its equity curve, drawn from its virtual books.
   */
  readonly strategies?: readonly HtmlReportStrategy[];
  /** A shadow venue's document (`ShadowExecutionClient.report()`): the "Live vs simulated" section. */
  readonly shadow?: ShadowReport;
}

/** One strategy's results as shown in the report (a subset of `StrategyResult`). */
export interface HtmlReportStrategy {
  readonly strategyId: string;
  readonly capital: number;
  /** Its budget at the end, when it has one. */
  readonly budget?:
    | {
        readonly budget: number;
        readonly used: number;
        readonly reserved: number;
        readonly available: number;
      }
    | undefined;
  readonly equity: { readonly timestamps: ArrayLike<number>; readonly values: ArrayLike<number> };
  readonly statistics: BacktestStatistics;
}

/** A round trip as shown in the report (a subset of `ClosedTrade`). */
export interface HtmlReportTrade {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly entryTs: number;
  readonly exitTs: number;
  readonly entryPx: number;
  readonly exitPx: number;
  readonly quantity: number;
  readonly pnl: number;
  readonly returnPct: number;
}

/** A strategy that failed, as shown in the report. */
export interface HtmlReportStrategyError {
  readonly strategyId: string;
  readonly hook: string;
  readonly message: string;
  readonly tsEvent: number;
}

/** Orders refused for one reason, as shown in the report. */
export interface HtmlReportRefusal {
  readonly reason: string;
  readonly count: number;
  /** The first refused order's message (`QUANTITY_OFF_LOT: 0.5 is not a multiple of lot 1`). */
  readonly first: { readonly message: string; readonly tsEvent: number; readonly instrumentId: string };
}

/** Rows of the fills table; the rest is summarised as a count. */
export const MAX_FILL_ROWS = 500;
/** Price charts drawn at most; further symbols are listed as omitted. */
export const MAX_PRICE_CHARTS = 12;

const WIDTH = 1000;
const MARGIN = { left: 76, right: 18, top: 14, bottom: 30 } as const;
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
/** Above one fill marker per this many pixel columns, a price chart draws small markers under its line. */
const DENSE_PX = 6;

const COLORS = {
  equity: '#2563eb',
  drawdown: '#dc2626',
  price: '#334155',
  buy: '#16a34a',
  sell: '#dc2626',
  grid: '#e5e7eb',
  axis: '#6b7280',
  band: '#fee2e2',
  benchmark: '#94a3b8',
} as const;

/**
 * Renders a backtest as ONE self-contained HTML document: inline CSS, inline SVG charts drawn here (equity
 * with the max-drawdown period shaded, drawdown, and one price chart per symbol with buy/sell markers),
 * the statistics, the parameters and the fills. It references no external resource (no CDN, fonts,
 * scripts or images), so it opens offline and can be mailed or archived as is.
 *
 * Long series are downsampled to at most 4 points per pixel column (`downsampleMinMax`), so a
 * 1M-point equity curve still gives a file of a few hundred KB; fills tables stop at `MAX_FILL_ROWS` (500)
 * rows with a count of the rest. All text is HTML-escaped. Dates are UTC. The output is deterministic
 * (no "generated at" time), so reports can be diffed.
 */
export function renderHtmlReport(input: HtmlReportInput): string {
  if (typeof input?.title !== 'string') throw invalidArgument('renderHtmlReport: title must be a string');
  if (input.equity?.timestamps?.length !== input.equity?.values?.length) {
    throw invalidArgument('renderHtmlReport: equity timestamps and values must have the same length');
  }
  for (const p of input.prices) {
    if (p.timestamps.length !== p.close.length) {
      throw invalidArgument(`renderHtmlReport: ${p.symbol} timestamps and close must have the same length`);
    }
  }
  const s = input.statistics;
  const intraday = hasIntradayTimes(input.equity.timestamps);
  const fmtTs = (ts: number | null): string => (ts === null ? '—' : formatDate(ts, intraday));

  const charts = [
    section(
      'Equity',
      legend([
        { label: 'Equity', color: COLORS.equity, kind: 'line' },
        ...(benchmarkOf(input)
          ? [
              {
                label: `Buy and hold ${input.prices[0]?.symbol ?? ''}`,
                color: COLORS.benchmark,
                kind: 'line' as const,
              },
            ]
          : []),
        ...maxDdLegend(s),
      ]),
      equityChart(input, s),
    ),
    section(
      'Drawdown',
      legend([{ label: 'Drawdown from peak', color: COLORS.drawdown, kind: 'area' }]),
      drawdownChart(input),
    ),
    ...input.prices.slice(0, MAX_PRICE_CHARTS).map((p) => {
      const fills = input.fills.filter((f) => f.symbol === p.symbol);
      return section(
        `${p.symbol} price`,
        legend([
          { label: 'Close', color: COLORS.price, kind: 'line' },
          { label: `Buy (${countOf(fills, 'buy')})`, color: COLORS.buy, kind: 'up' },
          { label: `Sell (${countOf(fills, 'sell')})`, color: COLORS.sell, kind: 'down' },
        ]),
        priceChart(p, fills),
      );
    }),
  ];
  if (input.prices.length > MAX_PRICE_CHARTS) {
    charts.push(
      `<p class="note">${input.prices.length - MAX_PRICE_CHARTS} more symbols not charted: ${esc(
        input.prices
          .slice(MAX_PRICE_CHARTS)
          .map((p) => p.symbol)
          .join(', '),
      )}</p>`,
    );
  }

  const period =
    s.bars > 0 ? `${fmtTs(s.startTs)} → ${fmtTs(s.endTs)} · ${formatInteger(s.bars)} bars` : 'no bars';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rxtrade">
<title>${esc(input.title)}</title>
<style>${CSS}
${SHADOW_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(input.title)}</h1>
<p class="sub">${esc(period)} · all times UTC</p>
</header>
${alerts(input, fmtTs)}
${sampleWarning(s)}
${kpis(s)}
${charts.join('\n')}
${input.shadow ? shadowSection(input.shadow) : ''}
<div class="grid2">
${statisticsTables(s, fmtTs, benchmarkOf(input))}
</div>
${monthlyReturnsTable(input.equity, s.startEquity)}
${paramsTable(input.params)}
${strategySections(input, fmtTs)}
${tradesTable(input.trades, intraday)}
${fillsTable(input.fills, intraday)}
<footer>Backtest report generated by rxtrade. Past performance does not predict future results.</footer>
</main>
</body>
</html>
`;
}

/**
 * Renders a shadow venue's document (`ShadowExecutionClient.report()`) as ONE self-contained HTML
 * page, in the backtest report's style: the "Live vs simulated" section alone (paper and live runs
 * have no backtest statistics to show beside it). Deterministic, offline, all text escaped.
 */
export function renderShadowReport(report: ShadowReport, options: { readonly title?: string } = {}): string {
  if (report?.v !== 1) throw invalidArgument('renderShadowReport: expected a shadow report document (v 1)');
  const title = options.title ?? 'Live vs simulated';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rxtrade">
<title>${esc(title)}</title>
<style>${CSS}
${SHADOW_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(title)}</h1>
<p class="sub">as of ${esc(new Date(report.ts).toISOString().slice(0, 19).replace('T', ' '))} · all times UTC</p>
</header>
${shadowSection(report)}
<footer>Shadow venue report generated by rxtrade.</footer>
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------------
// Downsampling

/**
 * Downsamples a series sorted by x to at most 4 points per bucket (first, min, max, last of each of
 * `buckets` equal-width x ranges, in x order), which keeps every spike and trough visible when drawn
 * `buckets` pixels wide. Series short enough are returned as they are.
 */
export function downsampleMinMax(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  buckets: number,
): { x: number[]; y: number[] } {
  const n = Math.min(xs.length, ys.length);
  const x: number[] = [];
  const y: number[] = [];
  if (n <= buckets * 4 || n < 2) {
    for (let i = 0; i < n; i++) {
      x.push(xs[i] as number);
      y.push(ys[i] as number);
    }
    return { x, y };
  }
  const x0 = xs[0] as number;
  const span = (xs[n - 1] as number) - x0 || 1;
  let i = 0;
  while (i < n) {
    const bucket = Math.min(buckets - 1, Math.floor((((xs[i] as number) - x0) / span) * buckets));
    const first = i;
    let min = i;
    let max = i;
    let j = i + 1;
    for (; j < n; j++) {
      const b = Math.min(buckets - 1, Math.floor((((xs[j] as number) - x0) / span) * buckets));
      if (b !== bucket) break;
      const v = ys[j] as number;
      if (v < (ys[min] as number)) min = j;
      if (v > (ys[max] as number)) max = j;
    }
    const last = j - 1;
    const picks = [first, min, max, last].sort((a, b) => a - b);
    let previous = -1;
    for (const k of picks) {
      if (k === previous) continue;
      x.push(xs[k] as number);
      y.push(ys[k] as number);
      previous = k;
    }
    i = j;
  }
  return { x, y };
}

// ---------------------------------------------------------------------------------------------------------
// Charts

interface Frame {
  readonly height: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

const sx = (f: Frame, x: number): number =>
  MARGIN.left + (f.x1 === f.x0 ? PLOT_WIDTH / 2 : ((x - f.x0) / (f.x1 - f.x0)) * PLOT_WIDTH);
const sy = (f: Frame, y: number): number => {
  const h = f.height - MARGIN.top - MARGIN.bottom;
  return MARGIN.top + (f.y1 === f.y0 ? h / 2 : (1 - (y - f.y0) / (f.y1 - f.y0)) * h);
};
const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

interface Series {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

function linePath(f: Frame, { x: xs, y: ys }: Series): string {
  let d = '';
  for (let i = 0; i < xs.length; i++)
    d += `${i === 0 ? 'M' : 'L'}${r1(sx(f, xs[i] as number))},${r1(sy(f, ys[i] as number))}`;
  return d;
}

function areaPath(f: Frame, series: Series, base: number): string {
  const xs = series.x;
  if (xs.length === 0) return '';
  const yBase = r1(sy(f, base));
  return `${linePath(f, series)}L${r1(sx(f, xs.at(-1) as number))},${yBase}L${r1(sx(f, xs[0] as number))},${yBase}Z`;
}

function svgOpen(f: Frame, label: string): string {
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${f.height}" role="img" aria-label="${esc(label)}" preserveAspectRatio="xMidYMid meet">`;
}

/** Horizontal grid lines with y labels, and the time axis with date labels. */
function axes(f: Frame, yTicks: readonly number[], yFormat: (v: number) => string): string {
  const parts: string[] = [];
  const bottom = f.height - MARGIN.bottom;
  for (const t of yTicks) {
    const y = r1(sy(f, t));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`,
    );
    parts.push(
      `<text x="${MARGIN.left - 8}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${esc(yFormat(t))}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" stroke="#9ca3af"/>`,
  );
  for (const t of timeTicks(f.x0, f.x1)) {
    const x = r1(sx(f, t.ts));
    parts.push(`<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 5}" stroke="#9ca3af"/>`);
    parts.push(`<text x="${x}" y="${bottom + 18}" text-anchor="middle" class="tick">${esc(t.label)}</text>`);
  }
  return parts.join('');
}

function noData(height: number, label: string): string {
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(label)}"><text x="${WIDTH / 2}" y="${height / 2}" text-anchor="middle" class="tick">No data</text></svg>`;
}

function extent(values: readonly number[], pad: number, includeZero = false): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) {
    const d = Math.abs(lo) * 0.05 || 1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

function equityChart(input: HtmlReportInput, s: BacktestStatistics): string {
  const { timestamps, values } = input.equity;
  const height = 320;
  if (values.length === 0) return noData(height, 'Equity curve');
  const { x, y } = downsampleMinMax(timestamps, values, PLOT_WIDTH);
  const bench = benchmarkOf(input);
  const b = bench ? downsampleMinMax(bench.timestamps, bench.values, PLOT_WIDTH) : undefined;
  // The scale holds both curves: buy and hold is the yardstick, and a clipped one would mislead.
  const [lo, hi] = extent(b ? [...y, ...b.y] : y, 0.06);
  const ticks = ticksWithin(lo, hi, 6);
  const f: Frame = { height, x0: x[0] as number, x1: x.at(-1) as number, y0: lo, y1: hi };
  const fmt = numberFormatter(ticks);
  const parts = [svgOpen(f, 'Equity curve')];
  parts.push(
    `<defs><linearGradient id="eqfill" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${COLORS.equity}" stop-opacity="0.18"/><stop offset="1" stop-color="${COLORS.equity}" stop-opacity="0.01"/></linearGradient></defs>`,
  );
  if (s.maxDrawdownPeakTs !== null && s.maxDrawdown > 0) {
    const end = s.maxDrawdownRecoveryTs ?? f.x1;
    const bx = sx(f, s.maxDrawdownPeakTs);
    const bw = Math.max(1, sx(f, end) - bx);
    parts.push(
      `<rect x="${r1(bx)}" y="${MARGIN.top}" width="${r1(bw)}" height="${height - MARGIN.top - MARGIN.bottom}" fill="${COLORS.band}" opacity="0.7"/>`,
    );
  }
  parts.push(axes(f, ticks, fmt));
  const startY = r1(sy(f, s.startEquity));
  if (s.startEquity >= f.y0 && s.startEquity <= f.y1) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${startY}" y2="${startY}" stroke="#94a3b8" stroke-dasharray="4 4"/>`,
    );
  }
  parts.push(`<path d="${areaPath(f, { x, y }, f.y0)}" fill="url(#eqfill)" stroke="none"/>`);
  if (b) {
    parts.push(
      `<path d="${linePath(f, b)}" fill="none" stroke="${COLORS.benchmark}" stroke-width="1.2" stroke-dasharray="5 3" stroke-linejoin="round"/>`,
    );
  }
  parts.push(
    `<path d="${linePath(f, { x, y })}" fill="none" stroke="${COLORS.equity}" stroke-width="1.6" stroke-linejoin="round"/>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

function drawdownChart(input: HtmlReportInput): string {
  const { timestamps, values } = input.equity;
  const height = 170;
  if (values.length === 0) return noData(height, 'Drawdown');
  const dd = new Float64Array(values.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > peak) peak = v;
    dd[i] = peak > 0 ? v / peak - 1 : 0;
  }
  const { x, y } = downsampleMinMax(timestamps, dd, PLOT_WIDTH);
  const lo = Math.min(...y, 0);
  const ticks = niceTicks(lo === 0 ? -0.01 : lo * 1.05, 0, 4);
  const f: Frame = { height, x0: x[0] as number, x1: x.at(-1) as number, y0: ticks[0] ?? lo, y1: 0 };
  const step = ticks.length > 1 ? Math.abs((ticks[1] as number) - (ticks[0] as number)) : 0.01;
  const decimals = Math.max(0, Math.ceil(-Math.log10(step * 100) + 1e-9));
  const pct = (v: number): string => (v === 0 ? '0%' : `${(v * 100).toFixed(decimals).replace('-', '−')}%`);
  const parts = [svgOpen(f, 'Drawdown'), axes(f, ticks, pct)];
  parts.push(
    `<path d="${areaPath(f, { x, y }, 0)}" fill="${COLORS.drawdown}" fill-opacity="0.22" stroke="none"/>`,
  );
  parts.push(
    `<path d="${linePath(f, { x, y })}" fill="none" stroke="${COLORS.drawdown}" stroke-width="1.2"/>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

function priceChart(prices: HtmlReportPrices, fills: readonly HtmlReportFill[]): string {
  const height = 290;
  if (prices.close.length === 0) return noData(height, `${prices.symbol} price`);
  const { x, y } = downsampleMinMax(prices.timestamps, prices.close, PLOT_WIDTH);
  const [lo, hi] = extent([...y, ...fills.map((f) => f.price)], 0.06);
  const ticks = ticksWithin(lo, hi, 6);
  const f: Frame = { height, x0: x[0] as number, x1: x.at(-1) as number, y0: lo, y1: hi };
  const parts = [
    svgOpen(f, `${prices.symbol} close price with fills`),
    axes(f, ticks, numberFormatter(ticks)),
  ];
  const line = `<path d="${linePath(f, { x, y })}" fill="none" stroke="${COLORS.price}" stroke-width="1.3" stroke-linejoin="round"/>`;
  // One marker per pixel column and side: thousands of fills stay a small path.
  const markers: Record<'buy' | 'sell', { px: number; py: number }[]> = { buy: [], sell: [] };
  for (const side of ['buy', 'sell'] as const) {
    const seen = new Set<number>();
    for (const fill of fills) {
      if (fill.side !== side || fill.ts < f.x0 || fill.ts > f.x1) continue;
      const px = sx(f, fill.ts);
      const py = sy(f, fill.price);
      const key = Math.round(px) * 4096 + Math.round(py / 3);
      if (seen.has(key)) continue;
      seen.add(key);
      markers[side].push({ px, py });
    }
  }
  // Dense: more markers than one per DENSE_PX columns would hide the price under a band of
  // triangles, so they shrink, lose their outline, sit under the line, and the line stays readable.
  const dense = markers.buy.length + markers.sell.length > PLOT_WIDTH / DENSE_PX;
  if (!dense) parts.push(line);
  for (const side of ['buy', 'sell'] as const) {
    const d = markers[side]
      .map(({ px, py }) =>
        dense
          ? side === 'buy'
            ? `M${r1(px)},${r1(py + 1)}l2,3.5h-4z`
            : `M${r1(px)},${r1(py - 1)}l2,-3.5h-4z`
          : side === 'buy'
            ? `M${r1(px)},${r1(py - 4)}l5,8.5h-10z`
            : `M${r1(px)},${r1(py + 4)}l5,-8.5h-10z`,
      )
      .join('');
    if (d === '') continue;
    parts.push(
      dense
        ? `<path d="${d}" fill="${COLORS[side]}" fill-opacity="0.55"/>`
        : `<path d="${d}" fill="${COLORS[side]}" stroke="#fff" stroke-width="0.8" stroke-linejoin="round"/>`,
    );
  }
  if (dense) parts.push(line);
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------------
// Ticks and formatting

/** Round tick values (1, 2, 2.5, 5 × 10^k) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let k = Math.floor(lo / step); k * step < hi + step * 0.999; k++) {
    const t = Number((k * step).toPrecision(12));
    ticks.push(t === 0 ? 0 : t); // no -0
  }
  return ticks;
}

/** {@link niceTicks} restricted to [lo, hi], for plots whose domain is the data extent. */
function ticksWithin(lo: number, hi: number, count: number): number[] {
  const eps = (hi - lo) * 1e-9;
  return niceTicks(lo, hi, count).filter((t) => t >= lo - eps && t <= hi + eps);
}

function numberFormatter(ticks: readonly number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs((ticks[1] as number) - (ticks[0] as number)) : 1;
  const max = Math.max(...ticks.map(Math.abs));
  if (max >= 1e6) {
    const decimals = Math.max(0, Math.ceil(-Math.log10(step / 1e6) - 1e-9));
    return (v) => (v === 0 ? '0' : `${(v / 1e6).toFixed(Math.min(decimals, 3))}M`);
  }
  const decimals = Math.max(0, Math.min(8, Math.ceil(-Math.log10(step) - 1e-9)));
  return (v) =>
    v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Calendar-aligned UTC time ticks over [t0, t1], about 6-9 of them, labelled for their granularity. */
export function timeTicks(t0: number, t1: number): { ts: number; label: string }[] {
  const span = t1 - t0;
  if (!(span > 0)) return Number.isFinite(t0) ? [{ ts: t0, label: formatDate(t0, true) }] : [];
  const fixed = [
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
  ];
  for (const step of fixed) {
    if (span / step > 9) continue;
    const ticks: { ts: number; label: string }[] = [];
    // Weeks start on Monday (1970-01-05 was one).
    const origin = step === 7 * DAY ? 4 * DAY : 0;
    for (let t = Math.ceil((t0 - origin) / step) * step + origin; t <= t1; t += step) {
      const d = new Date(t);
      const label =
        step >= DAY
          ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`
          : t % DAY === 0 || ticks.length === 0
            ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${hhmm(d)}`
            : hhmm(d);
      ticks.push({ ts: t, label });
    }
    return ticks;
  }
  for (const months of [1, 2, 3, 6, 12, 24, 60, 120, 240, 600]) {
    if (span / (months * 30.44 * DAY) > 11) continue;
    // First tick: the first month boundary at or after t0 that is a multiple of the step.
    const d0 = new Date(t0);
    let first = d0.getUTCFullYear() * 12 + d0.getUTCMonth();
    if (Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth(), 1) < t0) first++;
    first = Math.ceil(first / months) * months;
    const ticks: { ts: number; label: string }[] = [];
    for (let total = first; ; total += months) {
      const ts = Date.UTC(Math.floor(total / 12), total % 12, 1);
      if (ts > t1) break;
      const label =
        months >= 12 ? String(Math.floor(total / 12)) : `${MONTHS[total % 12]} ${Math.floor(total / 12)}`;
      ticks.push({ ts, label });
    }
    if (ticks.length <= 10) return ticks;
  }
  return [];
}

function hhmm(d: Date): string {
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function hasIntradayTimes(timestamps: ArrayLike<number>): boolean {
  const step = Math.max(1, Math.floor(timestamps.length / 1000));
  for (let i = 0; i < timestamps.length; i += step) if ((timestamps[i] as number) % DAY !== 0) return true;
  return false;
}

function formatDate(ts: number, withTime: boolean): string {
  if (!Number.isFinite(ts)) return '—';
  const iso = new Date(ts).toISOString();
  return withTime ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

function formatDuration(ms: number): string {
  if (ms <= 0) return '—';
  if (ms >= 2 * DAY) return `${formatInteger(Math.round(ms / DAY))} days`;
  if (ms >= 2 * HOUR) return `${(ms / HOUR).toFixed(1)} hours`;
  return `${Math.round(ms / MINUTE)} min`;
}

function formatInteger(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatMoney(n: number | null): string {
  if (n === null) return '—';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).replace('-', '−');
}

function formatPct(n: number | null, decimals = 2): string {
  if (n === null) return '—';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  const v = n * 100;
  if (Math.abs(v) >= 1e6) return `${v.toExponential(2)}%`;
  return `${v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}%`.replace(
    '-',
    '−',
  );
}

function formatRatio(n: number | null): string {
  if (n === null) return '—';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  return n.toFixed(2).replace('-', '−');
}

// ---------------------------------------------------------------------------------------------------------
// HTML blocks

interface LegendItem {
  readonly label: string;
  readonly color: string;
  readonly kind: 'line' | 'area' | 'up' | 'down' | 'band';
}

function legend(items: readonly LegendItem[]): string {
  return `<ul class="legend">${items
    .map((i) => `<li><span class="sw sw-${i.kind}" style="--c:${i.color}"></span>${esc(i.label)}</li>`)
    .join('')}</ul>`;
}

function maxDdLegend(s: BacktestStatistics): LegendItem[] {
  return s.maxDrawdown > 0 ? [{ label: 'Max drawdown period', color: COLORS.band, kind: 'band' }] : [];
}

function section(title: string, legendHtml: string, svg: string): string {
  return `<section class="card"><div class="card-head"><h2>${esc(title)}</h2>${legendHtml}</div>${svg}</section>`;
}

function countOf(fills: readonly HtmlReportFill[], side: 'buy' | 'sell'): string {
  return formatInteger(fills.reduce((n, f) => n + (f.side === side ? 1 : 0), 0));
}

/** Holding the one symbol from its first close, in equity terms: the benchmark a strategy must beat. */
interface Benchmark {
  readonly timestamps: number[];
  readonly values: number[];
  readonly totalReturn: number;
}

const benchmarks = new WeakMap<HtmlReportInput, Benchmark | null>();

/** Buy and hold of the only symbol (none with several symbols: which one would it be?). */
function benchmarkOf(input: HtmlReportInput): Benchmark | undefined {
  const cached = benchmarks.get(input);
  if (cached !== undefined) return cached ?? undefined;
  let bench: Benchmark | null = null;
  const p = input.prices.length === 1 ? input.prices[0] : undefined;
  const first = p?.close[0];
  const start = input.statistics.startEquity;
  if (p && first !== undefined && first > 0 && p.close.length > 1) {
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < p.close.length; i++) {
      timestamps.push(p.timestamps[i] as number);
      values.push((start * (p.close[i] as number)) / first);
    }
    bench = { timestamps, values, totalReturn: (p.close[p.close.length - 1] as number) / first - 1 };
  }
  benchmarks.set(input, bench);
  return bench ?? undefined;
}

/** Below this span, annualised figures (CAGR, Sharpe, volatility) extrapolate too far to be read alone. */
const SHORT_SAMPLE_MS = 365.25 * 86_400_000;

function sampleWarning(s: BacktestStatistics): string {
  const span = s.endTs - s.startTs;
  const fewTrades = s.numberOfTrades > 0 && s.numberOfTrades < 30;
  if (span >= SHORT_SAMPLE_MS && !fewTrades) return '';
  const parts: string[] = [];
  if (span < SHORT_SAMPLE_MS) {
    parts.push(`CAGR, volatility and Sharpe are annualised from ${formatDuration(span)} of data`);
  }
  if (fewTrades) parts.push(`the trade statistics rest on ${formatInteger(s.numberOfTrades)} trades`);
  return `<p class="caveat">Small sample: ${esc(parts.join('; '))}. Read them as indications, not estimates.</p>`;
}

/** Month-by-month returns of the equity curve (UTC months), a row per year with the year's total. */
function monthlyReturnsTable(equity: HtmlReportInput['equity'], startEquity: number): string {
  const { timestamps, values } = equity;
  if (values.length < 2) return '';
  const monthEnd = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const d = new Date(timestamps[i] as number);
    monthEnd.set(d.getUTCFullYear() * 12 + d.getUTCMonth(), values[i] as number);
  }
  const months = [...monthEnd.keys()].sort((a, b) => a - b);
  if (months.length < 2) return '';
  const returns = new Map<number, number>();
  let previous = startEquity;
  for (const m of months) {
    const v = monthEnd.get(m) as number;
    if (previous > 0) returns.set(m, v / previous - 1);
    previous = v;
  }
  const firstYear = Math.floor((months[0] as number) / 12);
  const lastYear = Math.floor((months.at(-1) as number) / 12);
  const cell = (raw: number | undefined): string => {
    // Rounded first, so a month of −0.00004 reads 0.0%, not −0.0%.
    const r = raw === undefined ? undefined : Math.round(raw * 1000) / 1000 || 0;
    return r === undefined
      ? '<td></td>'
      : `<td class="num ${r > 0 ? 'pos' : r < 0 ? 'neg' : ''}">${esc(formatPct(r, 1))}</td>`;
  };
  const rows: string[] = [];
  for (let y = firstYear; y <= lastYear; y++) {
    let year = 1;
    let any = false;
    const cells: string[] = [];
    for (let m = 0; m < 12; m++) {
      const r = returns.get(y * 12 + m);
      if (r !== undefined) {
        year *= 1 + r;
        any = true;
      }
      cells.push(cell(r));
    }
    rows.push(`<tr><th scope="row">${y}</th>${cells.join('')}${cell(any ? year - 1 : undefined)}</tr>`);
  }
  return `<section class="card"><h2>Monthly returns</h2><div class="scroll"><table class="fills monthly"><thead><tr><th></th>${MONTHS.map(
    (m) => `<th class="num">${m}</th>`,
  ).join('')}<th class="num">Year</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

/** What went wrong, above the figures: failed strategies (red), then refused orders (amber). */
function alerts(input: HtmlReportInput, fmtTs: (ts: number | null) => string): string {
  const out: string[] = [];
  for (const e of input.strategyErrors ?? []) {
    out.push(
      `<section class="alert err" role="alert"><h2>Strategy ${esc(e.strategyId)} failed in ${esc(e.hook)} on ${esc(
        fmtTs(e.tsEvent),
      )} and was stopped</h2><p><code>${esc(e.message)}</code></p><p>The figures below include everything after the failure, when the strategy no longer traded: fix the error before reading them.</p></section>`,
    );
  }
  const refusals = input.refusals ?? [];
  if (refusals.length > 0) {
    const total = refusals.reduce((n, r) => n + r.count, 0);
    const none = input.fills.length === 0;
    const head = none
      ? `No order reached the market: all ${formatInteger(total)} were refused`
      : `${formatInteger(total)} order${total === 1 ? ' was' : 's were'} refused`;
    out.push(
      `<section class="alert warn" role="alert"><h2>${esc(head)}</h2><table class="kv"><tbody>${refusals
        .map(
          (r) =>
            `<tr><th scope="row">${esc(r.reason)}</th><td>${esc(formatInteger(r.count))}</td><td class="msg">first on ${esc(
              fmtTs(r.first.tsEvent),
            )} (${esc(r.first.instrumentId)}): <code>${esc(r.first.message)}</code></td></tr>`,
        )
        .join('')}</tbody></table></section>`,
    );
  }
  return out.join('\n');
}

function kpis(s: BacktestStatistics): string {
  const tone = (n: number | null): string => (n === null || n === 0 ? '' : n > 0 ? ' pos' : ' neg');
  const items: [string, string, string][] = [
    ['Total return', formatPct(s.totalReturn), tone(s.totalReturn)],
    ['CAGR', formatPct(s.cagr), tone(s.cagr)],
    ['Sharpe', formatRatio(s.sharpe), tone(s.sharpe)],
    ['Max drawdown', formatPct(s.maxDrawdown === 0 ? 0 : -s.maxDrawdown), tone(-s.maxDrawdown)],
    ['Win rate', formatPct(s.winRate, 1), ''],
    ['Trades', formatInteger(s.numberOfTrades), ''],
  ];
  return `<section class="kpis">${items
    .map(
      ([label, value, cls]) =>
        `<div class="kpi"><div class="kpi-label">${esc(label)}</div><div class="kpi-value${cls}">${esc(value)}</div></div>`,
    )
    .join('')}</section>`;
}

function table(title: string, rows: readonly [string, string][]): string {
  return `<section class="card"><h2>${esc(title)}</h2><table class="kv"><tbody>${rows
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('')}</tbody></table></section>`;
}

function statisticsTables(
  s: BacktestStatistics,
  fmtTs: (ts: number | null) => string,
  bench: Benchmark | undefined,
): string {
  const calmar = s.cagr !== null && s.maxDrawdown > 0 ? s.cagr / s.maxDrawdown : null;
  return [
    table('Returns', [
      ['Start equity', formatMoney(s.startEquity)],
      ['End equity', formatMoney(s.endEquity)],
      ['Total return', formatPct(s.totalReturn)],
      ...(bench ? [['Buy and hold', formatPct(bench.totalReturn)] as [string, string]] : []),
      ['CAGR', formatPct(s.cagr)],
      ['Calmar ratio', formatRatio(calmar)],
      ['Annual volatility', formatPct(s.annualVolatility)],
      ['Sharpe ratio', formatRatio(s.sharpe)],
      ['Sortino ratio', formatRatio(s.sortino)],
      ['Periods per year', formatInteger(s.periodsPerYear)],
      ['Risk-free rate', formatPct(s.riskFreeRate)],
    ]),
    table('Risk', [
      ['Max drawdown', formatPct(s.maxDrawdown === 0 ? 0 : -s.maxDrawdown)],
      ['Drawdown amount', formatMoney(s.maxDrawdownAmount === 0 ? 0 : -s.maxDrawdownAmount)],
      ['Drawdown peak', fmtTs(s.maxDrawdownPeakTs)],
      ['Drawdown trough', fmtTs(s.maxDrawdownTroughTs)],
      [
        'Recovered',
        s.maxDrawdownPeakTs === null
          ? '—'
          : fmtTs(s.maxDrawdownRecoveryTs) === '—'
            ? 'not recovered'
            : fmtTs(s.maxDrawdownRecoveryTs),
      ],
      ['Drawdown duration', formatDuration(s.maxDrawdownDurationMs)],
      ['Drawdown bars', formatInteger(s.maxDrawdownDurationBars)],
      ['Exposure', formatPct(s.exposure, 1)],
      ['Fees paid', formatMoney(s.feesPaid)],
      ['Orders refused', formatInteger(s.ordersRefused)],
    ]),
    table('Trades', [
      ['Number of trades', formatInteger(s.numberOfTrades)],
      ['Winning / losing', `${formatInteger(s.winningTrades)} / ${formatInteger(s.losingTrades)}`],
      ['Win rate', formatPct(s.winRate, 1)],
      ['Profit factor', formatRatio(s.profitFactor)],
      ['Average win', formatMoney(s.averageWin)],
      ['Average loss', formatMoney(s.averageLoss)],
      ['Expectancy (average trade)', formatMoney(s.averageTrade)],
      ['Gross profit', formatMoney(s.grossProfit)],
      ['Gross loss', formatMoney(s.grossLoss === 0 ? 0 : -s.grossLoss)],
    ]),
  ].join('\n');
}

/** The strategies side by side, then one section each with its own equity curve. */
function strategySections(input: HtmlReportInput, fmtTs: (ts: number | null) => string): string {
  const strategies = input.strategies ?? [];
  if (strategies.length === 0) return '';
  const budgeted = strategies.some((x) => x.budget !== undefined);
  const head = [
    'Strategy',
    'Capital',
    'End equity',
    'Return',
    'Max drawdown',
    'Sharpe',
    'Trades',
    'Win rate',
    'Fees',
    'Refused',
    ...(budgeted ? ['Used + reserved', 'Available'] : []),
  ];
  const rows = strategies.map((x) => {
    const s = x.statistics;
    const cells = [
      formatMoney(x.capital),
      formatMoney(s.endEquity),
      formatPct(s.totalReturn),
      formatPct(s.maxDrawdown === 0 ? 0 : -s.maxDrawdown),
      formatRatio(s.sharpe),
      formatInteger(s.numberOfTrades),
      formatPct(s.winRate, 1),
      formatMoney(s.feesPaid),
      formatInteger(s.ordersRefused),
      ...(budgeted
        ? x.budget
          ? [formatMoney(x.budget.used + x.budget.reserved), formatMoney(x.budget.available)]
          : ['—', '—']
        : []),
    ];
    return `<tr><th scope="row">${esc(x.strategyId)}</th>${cells.map((c) => `<td class="num">${esc(c)}</td>`).join('')}</tr>`;
  });
  const comparison = `<section class="card"><h2>Strategies <span class="count">${formatInteger(strategies.length)}</span></h2><p class="note">Each strategy's own virtual positions on its account, as if it traded alone: equity = capital (its budget, else the account's starting cash) + its realised PnL − its fees + its unrealised PnL.</p><div class="scroll"><table class="fills"><thead><tr>${head
    .map((h, i) => `<th${i === 0 ? '' : ' class="num"'}>${esc(h)}</th>`)
    .join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`;
  const sections = strategies.map((x) => {
    const s = x.statistics;
    const own: HtmlReportInput = { ...input, statistics: s, equity: x.equity, prices: [], fills: [] };
    const refused = Object.entries(s.refusalsByReason)
      .map(([reason, n]) => `${reason} ${formatInteger(n)}`)
      .join(', ');
    const facts = [
      `${fmtTs(s.startTs)} → ${fmtTs(s.endTs)}`,
      `return ${formatPct(s.totalReturn)}`,
      `max drawdown ${formatPct(s.maxDrawdown === 0 ? 0 : -s.maxDrawdown)}`,
      `${formatInteger(s.numberOfTrades)} trades`,
      ...(x.budget
        ? [
            `budget ${formatMoney(x.budget.budget)}: used ${formatMoney(x.budget.used)}, reserved ${formatMoney(x.budget.reserved)}, available ${formatMoney(x.budget.available)}`,
          ]
        : []),
      ...(refused ? [`refused: ${refused}`] : []),
    ];
    return section(
      `Strategy ${x.strategyId}`,
      legend([{ label: 'Equity', color: COLORS.equity, kind: 'line' }, ...maxDdLegend(s)]),
      `<p class="note">${esc(facts.join(' · '))}</p>${equityChart(own, s)}`,
    );
  });
  return [comparison, ...sections].join('\n');
}

function paramsTable(params: Readonly<Record<string, unknown>> | undefined): string {
  if (params === undefined || Object.keys(params).length === 0) return '';
  const rows = Object.entries(params).map(([k, v]): [string, string] => {
    let text: string;
    try {
      text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
    } catch {
      text = String(v);
    }
    return [k, text];
  });
  return `<div class="grid2">${table('Parameters', rows)}</div>`;
}

function fillsTable(fills: readonly HtmlReportFill[], intraday: boolean): string {
  const shown = fills.slice(0, MAX_FILL_ROWS);
  // One number of decimals per column, so prices line up.
  const priceDecimals = Math.max(2, ...shown.map((f) => decimalsOf(f.price)));
  const quantityDecimals = Math.max(0, ...shown.map((f) => decimalsOf(f.quantity)));
  const rows = shown
    .map(
      (f) =>
        `<tr><td>${esc(formatDate(f.ts, intraday))}</td><td>${esc(f.symbol)}</td><td><span class="side ${f.side === 'buy' ? 'buy' : 'sell'}">${esc(f.side)}</span></td><td class="num">${esc(formatFixed(f.price, priceDecimals))}</td><td class="num">${esc(formatFixed(f.quantity, quantityDecimals))}</td><td class="num">${esc(formatMoney(f.price * f.quantity))}</td><td class="num">${esc(formatMoney(f.fee))}</td></tr>`,
    )
    .join('');
  const more =
    fills.length > shown.length
      ? `<p class="note">Showing the first ${formatInteger(shown.length)} of ${formatInteger(fills.length)} fills; ${formatInteger(fills.length - shown.length)} more not shown.</p>`
      : '';
  const body =
    fills.length === 0
      ? '<p class="note">No fills.</p>'
      : `<div class="scroll"><table class="fills"><thead><tr><th>Time (UTC)</th><th>Symbol</th><th>Side</th><th class="num">Price</th><th class="num">Quantity</th><th class="num">Notional</th><th class="num">Fee</th></tr></thead><tbody>${rows}</tbody></table></div>${more}`;
  return `<section class="card"><h2>Fills <span class="count">${formatInteger(fills.length)}</span></h2>${body}</section>`;
}

function tradesTable(trades: readonly HtmlReportTrade[] | undefined, intraday: boolean): string {
  if (trades === undefined || trades.length === 0) return '';
  const shown = trades.slice(0, MAX_FILL_ROWS);
  const priceDecimals = Math.max(
    2,
    ...shown.map((t) => Math.min(4, Math.max(decimalsOf(t.entryPx), decimalsOf(t.exitPx)))),
  );
  const totalMs = trades.reduce((n, t) => n + (t.exitTs - t.entryTs), 0);
  const rows = shown
    .map((t) => {
      const tone = t.pnl > 0 ? ' pos' : t.pnl < 0 ? ' neg' : '';
      return `<tr><td>${esc(formatDate(t.entryTs, intraday))}</td><td>${esc(formatDate(t.exitTs, intraday))}</td><td class="num">${esc(formatDuration(t.exitTs - t.entryTs))}</td><td>${esc(t.symbol)}</td><td>${esc(t.side)}</td><td class="num">${esc(formatFixed(t.entryPx, priceDecimals))}</td><td class="num">${esc(formatFixed(t.exitPx, priceDecimals))}</td><td class="num">${esc(String(t.quantity))}</td><td class="num${tone}">${esc(formatMoney(t.pnl))}</td><td class="num${tone}">${esc(formatPct(t.returnPct))}</td></tr>`;
    })
    .join('');
  const more =
    trades.length > shown.length
      ? `<p class="note">Showing the first ${formatInteger(shown.length)} of ${formatInteger(trades.length)} trades.</p>`
      : '';
  return `<section class="card"><h2>Round trips <span class="count">${formatInteger(trades.length)}</span> <span class="count">average hold ${esc(formatDuration(totalMs / trades.length))}</span></h2><div class="scroll"><table class="fills"><thead><tr><th>Entry (UTC)</th><th>Exit</th><th class="num">Held</th><th>Symbol</th><th>Side</th><th class="num">Entry price</th><th class="num">Exit price</th><th class="num">Quantity</th><th class="num">PnL</th><th class="num">Return</th></tr></thead><tbody>${rows}</tbody></table></div>${more}</section>`;
}

/** Decimals needed to print `n` exactly, up to 8. */
function decimalsOf(n: number): number {
  for (let d = 0; d < 8; d++) if (Math.abs(Math.round(n * 10 ** d) - n * 10 ** d) < 1e-7) return d;
  return 8;
}

function formatFixed(n: number, decimals: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n
    .toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    .replace('-', '−');
}

const CSS = `
:root{color-scheme:light;--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}
header{margin-bottom:18px}
h1{font-size:24px;font-weight:650;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:15px;font-weight:600;margin:0}
.sub{margin:0;color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 16px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.card>h2{margin-bottom:10px}
.card-head{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:8px;margin-bottom:6px}
.chart{display:block;width:100%;height:auto}
.tick{font-size:11px;fill:${COLORS.axis};font-variant-numeric:tabular-nums}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:14px;margin:0;padding:0;color:var(--muted);font-size:12px}
.legend li{display:flex;align-items:center;gap:6px}
.sw{display:inline-block;width:16px;height:10px}
.sw-line{height:0;border-top:2px solid var(--c)}
.sw-area{background:var(--c);opacity:.35;border-top:2px solid var(--c)}
.sw-band{background:var(--c)}
.sw-up,.sw-down{width:0;height:0;border-left:6px solid transparent;border-right:6px solid transparent}
.sw-up{border-bottom:10px solid var(--c)}
.sw-down{border-top:10px solid var(--c)}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:16px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.kpi-label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.kpi-value{font-size:22px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.pos{color:#15803d}.neg{color:#b91c1c}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px;align-items:start}
.grid2>.card{margin:0}
.grid2+.card,.grid2+.grid2{margin-top:16px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
.kv th{text-align:left;font-weight:500;color:var(--muted);padding:5px 0}
.kv th{padding-right:12px;white-space:nowrap}
.kv td{text-align:right;padding:5px 0;white-space:nowrap}
.kv tr+tr{border-top:1px solid var(--line)}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:8px}
.fills th{position:sticky;top:0;background:#f1f5f9;text-align:left;font-weight:600;font-size:12px;color:#334155;padding:7px 10px;border-bottom:1px solid var(--line)}
.fills td{padding:6px 10px;border-bottom:1px solid #f1f5f9;white-space:nowrap}
.fills tbody tr:nth-child(even){background:#fafbfc}
.num{text-align:right}
.fills th.num{text-align:right}
.side{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.side.buy{background:#dcfce7;color:#166534}.side.sell{background:#fee2e2;color:#991b1b}
.count{display:inline-block;margin-left:6px;padding:0 8px;border-radius:999px;background:#f1f5f9;color:var(--muted);font-size:12px;font-weight:500}
.note{color:var(--muted);font-size:12px;margin:10px 0 0}
.caveat{margin:0 0 16px;padding:10px 14px;border-radius:8px;background:#f1f5f9;color:#334155;font-size:13px}
.monthly td,.monthly th{font-size:12px;padding:5px 8px}
.alert{border-radius:10px;padding:14px 18px;margin:0 0 16px;border:1px solid}
.alert h2{margin:0 0 6px}.alert p{margin:4px 0}
.alert.err{background:#fef2f2;border-color:#fca5a5;color:#7f1d1d}
.alert.warn{background:#fffbeb;border-color:#fcd34d;color:#78350f}
.alert .kv th,.alert .kv td{color:inherit}.alert .kv td{text-align:left;padding-left:12px}
.alert .kv td.msg{white-space:normal}.alert .kv tr+tr{border-top-color:rgba(0,0,0,.08)}
footer{color:var(--muted);font-size:12px;margin-top:24px;text-align:center}
@media (max-width:820px){.kpis{grid-template-columns:repeat(3,1fr)}}
@media print{body{background:#fff}.card,.kpi{box-shadow:none;break-inside:avoid}.scroll{max-height:none;overflow:visible}}
`.trim();
