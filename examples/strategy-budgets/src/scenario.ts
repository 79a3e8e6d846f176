import { type BacktestResult, renderHtmlReport, runBacktest } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { Trend } from './strategies';

/** Two strategies share one 100,000 USD account; each may use only its own budget of it. */
export const BUDGETS = { swing: 20_000, position: 50_000 } as const;

const money = (n: number): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (n: number): string => `${(n * 100).toFixed(2)} %`;

/** Runs the backtest, prints one line per strategy and returns the result and its HTML report. */
export async function runStrategyBudgets(
  print: (line: string) => void,
): Promise<{ result: BacktestResult; html: string }> {
  const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
  const result = await runBacktest({
    strategies: [
      new Trend({ id: 'swing', params: { fast: 10, slow: 30, quantity: 10 } }),
      new Trend({ id: 'position', params: { fast: 50, slow: 200, quantity: 15 } }),
    ],
    data: await loadSp500Bars(),
    instruments: [instrument],
    accounts: [{ id: 'main', initialCash: 100_000 }],
    budgets: BUDGETS,
    recordPrices: true,
  });
  print(`account main: equity ${money(result.account.equity)}, ${result.fills.length} fills`);
  for (const s of result.strategies) {
    const b = s.budget;
    print(
      `${s.strategyId.padEnd(9)} budget ${money(s.capital).padStart(10)} → ${money(s.statistics.endEquity).padStart(10)} (${pct(s.statistics.totalReturn ?? 0)}), ` +
        `${s.statistics.numberOfTrades} trades, max drawdown ${pct(s.statistics.maxDrawdown)}, ` +
        `refused ${s.statistics.refusalsByReason['STRATEGY_BUDGET_EXCEEDED'] ?? 0} (STRATEGY_BUDGET_EXCEEDED)` +
        (b ? `, used ${money(b.used)}, available ${money(b.available)}` : ''),
    );
  }
  const first = result.refusals.find((r) => r.reason === 'STRATEGY_BUDGET_EXCEEDED');
  if (first) print(`first refusal: ${first.first.message}`);
  const html = renderHtmlReport({
    title: 'Two strategies, one account, a budget each',
    statistics: result.statistics,
    equity: result.equity,
    prices: result.prices,
    fills: result.fills.map((f) => ({
      ts: f.tsEvent,
      symbol: f.instrumentId,
      side: f.side,
      price: f.lastPx,
      quantity: f.lastQty,
      fee: f.fee,
    })),
    refusals: result.refusals,
    trades: result.closedTrades,
    strategies: result.strategies,
  });
  return { result, html };
}
