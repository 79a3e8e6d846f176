import { isAbsolute, relative } from 'node:path';
import type { BacktestResult, InstrumentSpec, StrategyEvent } from '@rxtrade/core';

/** Money, ratios and prices: two decimals, thousands separated; `n/a` when undefined, `∞` for Infinity. */
export const num = (x: number | null, digits = 2): string =>
  x === null || !Number.isFinite(x)
    ? x === Number.POSITIVE_INFINITY
      ? '∞'
      : 'n/a'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Fractions as percentages with two decimals. */
export const pct = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? 'n/a' : `${num(x * 100)}%`;
/** Counts: whole, thousands separated. */
export const count = (n: number): string => n.toLocaleString('en-US');
const day = (ts: number | null): string => (ts === null ? 'n/a' : new Date(ts).toISOString().slice(0, 10));

type StrategyFailed = Extract<StrategyEvent, { type: 'StrategyFailed' }>;

/** The strategies that threw and were stopped. */
export function strategyFailures(result: BacktestResult): StrategyFailed[] {
  return result.strategyEvents.filter((e): e is StrategyFailed => e.type === 'StrategyFailed');
}

/** What a user can change for a refusal reason, when the CLI knows. */
const HINTS: Readonly<Record<string, string>> = {
  QUANTITY_OFF_LOT:
    'quantities must be whole multiples of the lot: --quantity-precision 3 allows 0.001 (the default 0 trades whole units)',
  BELOW_MIN_QUANTITY:
    'the order is smaller than the instrument allows: trade more, or raise --quantity-precision',
  PRICE_OFF_TICK: 'prices must be multiples of the tick: round them, or raise --price-precision',
  SHORT_NOT_ALLOWED: 'selling more than the position would go short, which the account does not allow',
};

/**
 * What went wrong, for the top of the summary: each failed strategy, then refused orders by reason
 * with the first message and a hint. Empty when nothing did.
 */
export function formatProblems(result: BacktestResult): string {
  const lines: string[] = [];
  for (const f of strategyFailures(result)) {
    lines.push(`  ✗ STRATEGY FAILED: ${f.strategyId} threw in ${f.hook} on ${day(f.tsEvent)}: ${f.message}`);
    lines.push('    It was stopped there; the figures below include the rest of the run without it.');
  }
  const refused = result.statistics.ordersRefused;
  if (refused > 0) {
    const none = result.fills.length === 0 && result.statistics.numberOfTrades === 0;
    lines.push(
      none
        ? `  ! NOTHING TRADED: all ${count(refused)} orders were refused`
        : `  ! ${count(refused)} order${refused === 1 ? ' was' : 's were'} refused`,
    );
    const width = Math.max(...result.refusals.map((r) => r.reason.length));
    for (const r of result.refusals) {
      lines.push(`      ${r.reason.padEnd(width)}  ${count(r.count).padStart(7)}  first: ${r.first.message}`);
    }
    for (const r of result.refusals) {
      const hint = HINTS[r.reason];
      if (hint) lines.push(`    hint: ${hint}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n\n`;
}

/** The summary table printed after a backtest, after any problems (failed strategies, refused orders). */
export function formatSummary(result: BacktestResult, title: string): string {
  const s = result.statistics;
  const rows: [string, string][] = [
    ['Period', `${day(s.startTs)} → ${day(s.endTs)} (${count(result.bars)} bars)`],
    ['Start equity', num(s.startEquity)],
    ['Final equity', num(s.endEquity)],
    ['Cash', num(result.account.cash)],
    ['Total return', pct(s.totalReturn)],
    ['CAGR', pct(s.cagr)],
    ['Annual volatility', pct(s.annualVolatility)],
    ['Sharpe', num(s.sharpe)],
    ['Sortino', num(s.sortino)],
    [
      'Max drawdown',
      `${pct(s.maxDrawdown)} (${num(s.maxDrawdownAmount)}, ${count(s.maxDrawdownDurationBars)} bars)`,
    ],
    ['Trades', count(s.numberOfTrades)],
    ['Win rate', pct(s.winRate)],
    ['Profit factor', num(s.profitFactor)],
    ['Exposure', pct(s.exposure)],
    ['Fees paid', num(s.feesPaid)],
    ['Orders refused', count(s.ordersRefused)],
  ];
  if (result.accounts.length > 1) {
    // A plan of several accounts: the statistics above are the first account's; each one's equity here.
    rows.splice(0, 0, ['Accounts', result.accounts.map((a) => `${a.accountId} ${num(a.equity)}`).join(', ')]);
    rows[1] = ['Period', `${rows[1]?.[1]} · statistics of ${result.accounts[0]?.accountId}`];
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const open = result.positions.filter((p) => p.quantity !== 0);
  if (open.length > 0) {
    lines.push(
      `  ${'Open positions'.padEnd(width)}  ${open
        .map((p) => `${p.instrumentId} ${p.quantity} @ ${num(p.avgPx)} (valued at ${num(p.markPx)})`)
        .join(', ')}`,
    );
  }
  const span = s.endTs - s.startTs;
  if (span < 365.25 * 86_400_000) {
    lines.push(
      `  note: CAGR, volatility and Sharpe are annualised from ${span < 2 * 86_400_000 ? `${num(span / 3_600_000, 1)} hours` : `${count(Math.round(span / 86_400_000))} days`} of data; read them as indications`,
    );
  }
  if (s.numberOfTrades > 0 && s.numberOfTrades < 30) {
    lines.push(`  note: the trade statistics rest on ${count(s.numberOfTrades)} trades`);
  }
  return `${title}\n${formatProblems(result)}${lines.join('\n')}\n`;
}

/** Rounds to `decimals` (prices to the tick, quantities to the lot, money to the cent) for output. */
const round = (x: number, decimals: number): number => {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/**
 * Derived figures (sums of money, averages, ratios) at 12 significant digits: a sum of prices in cents
 * reads 22690.06, not 22690.060000000005, the last bits of float error cut. Integers (timestamps,
 * counts) are left alone; prices and quantities are rounded to their instrument's precision instead.
 */
function denoise<T extends object>(record: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] =
      typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
        ? Number(value.toPrecision(12))
        : value;
  }
  return out as T;
}

/**
 * The whole result as one JSON document: fills with time, side, price, quantity and fee;
 * statistics including final equity and cash; refused orders and failed strategies. Prices and
 * quantities of fills are rounded to the instrument's precision. Stable key order, so equal runs
 * print equal bytes. Derived figures are denoised (12 significant digits).
 */
export function resultToJson(
  result: BacktestResult,
  meta: Record<string, unknown> & { readonly instruments?: readonly InstrumentSpec[] },
): string {
  const { instruments, ...rest } = meta;
  const spec = new Map((instruments ?? []).map((i) => [i.id, i]));
  const pricePrecision = (id: string): number => spec.get(id)?.pricePrecision ?? 8;
  const quantityPrecision = (id: string): number => spec.get(id)?.quantityPrecision ?? 8;
  return JSON.stringify(
    {
      ...rest,
      bars: result.bars,
      statistics: denoise({
        ...result.statistics,
        finalEquity: result.account.equity,
        cash: result.account.cash,
      }),
      account: result.account,
      // Every account, when a plan has several (\`account\` and the statistics are the first one's).
      ...(result.accounts.length > 1 ? { accounts: result.accounts } : {}),
      positions: result.positions,
      fills: result.fills.map((f) => ({
        time: new Date(f.tsEvent).toISOString(),
        symbol: f.instrumentId,
        side: f.side,
        price: round(f.lastPx, pricePrecision(f.instrumentId)),
        quantity: round(f.lastQty, quantityPrecision(f.instrumentId)),
        fee: f.fee,
        liquidity: f.liquiditySide,
        clientOrderId: f.clientOrderId,
        tradeId: f.tradeId,
        strategyId: f.strategyId,
      })),
      closedTrades: result.closedTrades.map(denoise),
      refusals: result.refusals.map((r) => ({
        reason: r.reason,
        count: r.count,
        firstMessage: r.first.message,
        firstTime: new Date(r.first.tsEvent).toISOString(),
        firstSymbol: r.first.instrumentId,
      })),
      strategyErrors: strategyFailures(result).map((e) => ({
        strategyId: e.strategyId,
        hook: e.hook,
        message: e.message,
        time: new Date(e.tsEvent).toISOString(),
      })),
      // Each strategy's own results, when the run has them (several strategies, or budgets).
      ...(result.strategies.length === 0
        ? {}
        : {
            strategies: result.strategies.map((s) => ({
              strategyId: s.strategyId,
              accountId: s.accountId,
              capital: s.capital,
              budget: s.budget ?? null,
              statistics: s.statistics,
              positions: s.positions,
              closedTrades: s.closedTrades.length,
              equity: s.equity,
            })),
          }),
    },
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value),
  );
}

/**
 * A path as messages show it: relative to the working directory when inside it (`reports/x.html`),
 * else absolute (`/tmp/x.html`, not `../../../tmp/x.html`).
 */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
