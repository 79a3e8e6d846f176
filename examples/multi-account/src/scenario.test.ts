import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ACCOUNTS, runMultiAccount } from './scenario';

describe('example: two accounts, two strategies, one daily-loss halt', () => {
  it('halts and flattens the account that crossed its daily loss; the other trades on', async () => {
    const lines: string[] = [];
    const outcome = await runMultiAccount((line) => lines.push(line));
    expect(outcome.breaches).toHaveLength(1);
    const breach = outcome.breaches[0];
    expect(breach?.accountId).toBe('aggressive');
    expect(breach?.reason).toBe('MAX_DAILY_LOSS');
    expect(breach?.message).toMatch(
      /^MAX_DAILY_LOSS: [\d,.]+ > 3,000 \(day start [\d,.]+\) \(account aggressive\)$/,
    );
    const [aggressive, steady] = outcome.status;
    expect(aggressive).toMatchObject({ id: 'aggressive', venue: 'broker-a', tradingState: 'HALTED' });
    expect(aggressive?.positions.every((p) => p.quantity === 0)).toBe(true);
    expect(outcome.denied['aggressive']).toBeGreaterThan(0);
    expect(outcome.fills['aggressive']?.last).toBeLessThanOrEqual((breach?.tsEvent ?? 0) + 4 * 86_400_000);
    expect(steady).toMatchObject({ id: 'steady', tradingState: 'ACTIVE' });
    expect(outcome.fills['steady']?.last).toBeGreaterThan((breach?.tsEvent ?? 0) + 365 * 86_400_000);
    expect(outcome.denied['steady']).toBeUndefined();
    // steady takes only the trend strategy: dips never traded there.
    expect(outcome.strategyPositions['dips']?.map((p) => p.accountId)).toEqual(['aggressive']);
    expect(lines.some((l) => l.includes('BREACH'))).toBe(true);
  });

  it('plan.json (for rxtrade backtest/fleet --plan) has the scenario’s accounts and strategies', async () => {
    const plan = JSON.parse(await readFile(new URL('../plan.json', import.meta.url), 'utf8')) as {
      accounts: unknown[];
      flattenOnHalt: boolean;
      strategies: { id: string; export: string }[];
    };
    expect(plan.accounts).toEqual(ACCOUNTS.accounts);
    expect(plan.flattenOnHalt).toBe(ACCOUNTS.flattenOnHalt);
    expect(plan.strategies.map((s) => [s.id, s.export])).toEqual([
      ['trend', 'TrendSignals'],
      ['dips', 'DipBuyer'],
    ]);
  });
});
