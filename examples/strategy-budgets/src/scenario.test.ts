import { describe, expect, it } from 'vitest';
import { BUDGETS, runStrategyBudgets } from './scenario';

describe('example: two strategies on one account, a budget each', () => {
  it('holds swing to its budget, reports each strategy on its own, and the parts add up to the account', async () => {
    const lines: string[] = [];
    const { result, html } = await runStrategyBudgets((line) => lines.push(line));
    const [swing, position] = result.strategies;
    expect(swing).toMatchObject({ strategyId: 'swing', capital: BUDGETS.swing });
    expect(position).toMatchObject({ strategyId: 'position', capital: BUDGETS.position });
    // swing's 10 units cost more than its budget once the index is high enough: refused, by reason.
    expect(swing?.statistics.refusalsByReason['STRATEGY_BUDGET_EXCEEDED']).toBeGreaterThan(0);
    expect(position?.statistics.ordersRefused).toBe(0);
    expect(result.refusals.map((r) => r.reason)).toEqual(['STRATEGY_BUDGET_EXCEEDED']);
    expect(result.refusals[0]?.first.message).toMatch(
      /^STRATEGY_BUDGET_EXCEEDED: needs [\d,.]+ > [\d,.]+ available of 20,000 \(strategy swing\)$/,
    );
    // Each strategy's gain, added up, is the account's.
    const gains =
      (swing?.statistics.endEquity ?? 0) -
      BUDGETS.swing +
      (position?.statistics.endEquity ?? 0) -
      BUDGETS.position;
    expect(gains).toBeCloseTo(result.account.equity - 100_000, 6);
    expect(html).toContain('<h2>Strategy swing</h2>');
    expect(html).toContain('<h2>Strategy position</h2>');
    expect(lines.some((l) => l.startsWith('swing'))).toBe(true);
  });
});
