import type { BacktestResult } from '@rxtrade/core';

const pct = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(2)}%`;
const num = (x: number | null, digits = 2): string =>
  x === null || !Number.isFinite(x)
    ? x === Number.POSITIVE_INFINITY
      ? '∞'
      : 'n/a'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const day = (ts: number | null): string => (ts === null ? 'n/a' : new Date(ts).toISOString().slice(0, 10));

/** The summary table printed after a backtest. */
export function formatSummary(result: BacktestResult, title: string): string {
  const s = result.statistics;
  const rows: [string, string][] = [
    ['Period', `${day(s.startTs)} → ${day(s.endTs)} (${result.bars.toLocaleString('en-US')} bars)`],
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
      `${pct(s.maxDrawdown)} (${num(s.maxDrawdownAmount)}, ${s.maxDrawdownDurationBars} bars)`,
    ],
    ['Trades', String(s.numberOfTrades)],
    ['Win rate', pct(s.winRate)],
    ['Profit factor', num(s.profitFactor)],
    ['Exposure', pct(s.exposure)],
    ['Fees paid', num(s.feesPaid)],
  ];
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
  const failures = result.strategyEvents.filter((e) => e.type === 'StrategyFailed');
  for (const f of failures)
    if (f.type === 'StrategyFailed')
      lines.push(`  ! strategy ${f.strategyId} failed in ${f.hook}: ${f.message}`);
  return `${title}\n${lines.join('\n')}\n`;
}

/**
 * The whole result as one JSON document: fills with time, side, price, quantity and fee;
 * statistics including final equity and cash. Stable key order, so equal runs print equal bytes.
 */
export function resultToJson(result: BacktestResult, meta: Record<string, unknown>): string {
  return JSON.stringify(
    {
      ...meta,
      bars: result.bars,
      statistics: { ...result.statistics, finalEquity: result.account.equity, cash: result.account.cash },
      account: result.account,
      positions: result.positions,
      fills: result.fills.map((f) => ({
        time: new Date(f.tsEvent).toISOString(),
        symbol: f.instrumentId,
        side: f.side,
        price: f.lastPx,
        quantity: f.lastQty,
        fee: f.fee,
        liquidity: f.liquiditySide,
        clientOrderId: f.clientOrderId,
        tradeId: f.tradeId,
      })),
      closedTrades: result.closedTrades,
      strategyErrors: result.strategyEvents
        .filter((e) => e.type === 'StrategyFailed')
        .map((e) =>
          e.type === 'StrategyFailed' ? { strategyId: e.strategyId, hook: e.hook, message: e.message } : e,
        ),
    },
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value),
  );
}
