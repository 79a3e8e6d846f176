import { resolve } from 'node:path';
import { ResolvedPlan } from '@rxtrade/fleet';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import {
  fleetPlanFromConfig,
  loadStrategies,
  resolveStrategyModule,
  strategyBudgetsFromConfig,
} from './plan';

const ROOT = resolve(import.meta.dirname, '../../../..');
const SMA = 'examples/sma-crossover/src/strategy.ts';

describe('fleetPlanFromConfig', () => {
  it("builds one instance of the user's strategy module per symbol and account, with its params", async () => {
    const config = loadConfig({
      SYMBOLS: '3',
      ACCOUNTS: 'a,b',
      INITIAL_CASH: '50000',
      STRATEGIES: JSON.stringify([
        { id: 'fast', module: SMA, params: { fast: 3, slow: 7, quantity: 2 }, symbols: ['SPX1'] },
        { id: 'slow', module: `./${SMA}`, export: 'SmaCrossover', accounts: ['b'] },
      ]),
    });
    const plan = new ResolvedPlan(fleetPlanFromConfig(config, await loadStrategies(config, ROOT)));
    expect(plan.strategies.map((s) => [s.id, s.symbol, s.accountId])).toEqual([
      ['fast-SPX1-a', 'SPX1', 'a'],
      ['fast-SPX1-b', 'SPX1', 'b'],
      ['slow-SPX0-b', 'SPX0', 'b'],
      ['slow-SPX1-b', 'SPX1', 'b'],
      ['slow-SPX2-b', 'SPX2', 'b'],
    ]);
    expect([...plan.accounts.values()]).toEqual([
      { id: 'a', initialCash: 50_000 },
      { id: 'b', initialCash: 50_000 },
    ]);
    const built = plan.build(plan.strategies[0] as (typeof plan.strategies)[number]);
    expect(built.id).toBe('fast-SPX1-a');
    expect(built.constructor.name).toBe('SmaCrossover');
    expect((built as unknown as { params: unknown }).params).toMatchObject({ fast: 3, slow: 7, quantity: 2 });
  });

  it("refuses params the strategy's schema refuses, a missing module and an unknown symbol", async () => {
    const plan = async (strategies: unknown[]) => {
      const config = loadConfig({ STRATEGIES: JSON.stringify(strategies) });
      return fleetPlanFromConfig(config, await loadStrategies(config, ROOT));
    };
    await expect(plan([{ id: 's', module: SMA, params: { fast: -1 } }])).rejects.toThrow(/fast/);
    await expect(plan([{ id: 's', module: SMA, params: { fats: 3 } }])).rejects.toThrow(
      /unknown parameter fats \(did you mean fast\?\): strategy \S+ takes fast, slow, quantity/,
    );
    await expect(plan([{ id: 's', module: 'nope/strategy.ts' }])).rejects.toThrow(/not found/);
    await expect(plan([{ id: 's', module: SMA, symbols: ['ZZZ'] }])).rejects.toThrow(/ZZZ/);
    await expect(plan([{ id: 's', module: SMA, accounts: ['nobody'] }])).rejects.toThrow(/nobody/);
  });

  it('without loading (risk, order), its factories refuse to build', async () => {
    const plan = fleetPlanFromConfig(loadConfig({}));
    expect(plan.strategies).toHaveLength(5);
    expect(() => plan.strategies[0]?.create({ id: 'x', symbols: ['SPX0'], params: {} })).toThrow(
      /strategy service/,
    );
  });
});

describe('resolveStrategyModule', () => {
  it('resolves a package specifier from node_modules', () => {
    expect(resolveStrategyModule('@rxtrade/example-sma-crossover/package.json', ROOT)).toMatch(
      /sma-crossover\/package\.json$/,
    );
  });
});

describe('account weights', () => {
  it("scale a numeric quantity param per account (ACCOUNTS=a:1,b:3), the module's other params as configured", () => {
    const plan = fleetPlanFromConfig(loadConfig({ SYMBOLS: '1', ACCOUNTS: 'a:1,b:3' }));
    expect(plan.strategies.map((s) => [s.id, s.params])).toEqual([
      ['sma-SPX0-a', { fast: 10, slow: 30, quantity: 10 }],
      ['sma-SPX0-b', { fast: 10, slow: 30, quantity: 30 }],
    ]);
  });
});

describe('strategy budgets (STRATEGIES budget)', () => {
  it('give each instance of a strategy with a budget that budget times its account weight; none without', () => {
    const config = loadConfig({
      SYMBOLS: '2',
      ACCOUNTS: 'a:1,b:3',
      STRATEGIES: JSON.stringify([
        { id: 'capped', module: SMA, budget: 15_000, symbols: ['SPX1'] },
        { id: 'free', module: SMA, accounts: ['a'] },
      ]),
    });
    expect(strategyBudgetsFromConfig(config)).toEqual({ 'capped-SPX1-a': 15_000, 'capped-SPX1-b': 45_000 });
    // The ids are the plan's instance ids, which the risk role checks orders by.
    const ids = fleetPlanFromConfig(config).strategies.map((s) => s.id);
    expect(ids).toEqual(['capped-SPX1-a', 'capped-SPX1-b', 'free-SPX0-a', 'free-SPX1-a']);
    expect(strategyBudgetsFromConfig(loadConfig({ SYMBOLS: '1' }))).toBeUndefined();
  });

  it('refuse a budget that is not a positive number, naming STRATEGIES', () => {
    for (const budget of [0, -5, 'lots', null]) {
      expect(() => loadConfig({ STRATEGIES: JSON.stringify([{ id: 'x', module: SMA, budget }]) })).toThrow(
        /STRATEGIES/,
      );
    }
  });
});

describe('signals and halts (ACCOUNT_MANAGER)', () => {
  const SIGNALS = 'examples/multi-account/src/strategies.ts';
  const env = {
    SYMBOLS: '1',
    ACCOUNTS: 'aggressive,steady',
    STRATEGIES: JSON.stringify([
      { id: 'trend', module: SIGNALS, export: 'TrendSignals', accounts: ['aggressive'] },
      { id: 'dips', module: SIGNALS, export: 'DipBuyer', accounts: ['aggressive'] },
    ]),
    ACCOUNT_MANAGER: JSON.stringify({
      accounts: {
        aggressive: { sizing: { type: 'fixedFraction', fraction: 0.95 }, halts: { maxDailyLoss: 3000 } },
        steady: { sizing: { type: 'fixedFraction', fraction: 0.3 }, canTrade: { strategies: ['trend'] } },
      },
      flattenOnHalt: true,
    }),
  };

  it("make the plan's accountManager: each account with INITIAL_CASH, canTrade naming the strategies' instances", async () => {
    const config = loadConfig(env);
    const plan = new ResolvedPlan(fleetPlanFromConfig(config, await loadStrategies(config, ROOT)));
    expect(plan.manager?.accounts).toEqual([
      {
        id: 'aggressive',
        initialCash: 100_000,
        sizing: { type: 'fixedFraction', fraction: 0.95 },
        halts: { maxDailyLoss: 3000 },
      },
      {
        id: 'steady',
        initialCash: 100_000,
        sizing: { type: 'fixedFraction', fraction: 0.3 },
        canTrade: { strategies: ['trend-SPX0-aggressive'] },
      },
    ]);
    expect(plan.manager?.settings.flattenOnHalt).toBe(true);
    // trend's signals go to both accounts, dips' to aggressive only; aggressive halts on its equity.
    expect(plan.signalAccounts('trend-SPX0-aggressive')).toEqual(['aggressive', 'steady']);
    expect(plan.signalAccounts('dips-SPX0-aggressive')).toEqual(['aggressive']);
    expect(plan.guarded('aggressive')).toBe(true);
    expect(plan.guarded('steady')).toBe(false);
  });

  it('refuse an account ACCOUNTS lacks, bad JSON, a bad sizing model and total limits, naming what is wrong', () => {
    const manager = (value: unknown) => ({ ...env, ACCOUNT_MANAGER: JSON.stringify(value) });
    expect(() =>
      fleetPlanFromConfig(
        loadConfig(manager({ accounts: { nobody: { sizing: { type: 'fixedQuantity', quantity: 1 } } } })),
      ),
    ).toThrow(/ACCOUNT_MANAGER: nobody is not in ACCOUNTS/);
    expect(() => loadConfig({ ...env, ACCOUNT_MANAGER: '{' })).toThrow(/ACCOUNT_MANAGER is not JSON/);
    expect(() => loadConfig(manager({ accounts: { steady: { sizing: { type: 'guess' } } } }))).toThrow(
      /ACCOUNT_MANAGER/,
    );
    expect(
      () =>
        new ResolvedPlan(
          fleetPlanFromConfig(loadConfig(manager({ accounts: {}, total: { maxDrawdown: 0.2 } }))),
        ),
    ).toThrow(/total/);
  });
});
