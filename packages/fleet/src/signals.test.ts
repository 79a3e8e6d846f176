import {
  AccountManager,
  type AccountManagerOptions,
  type Bar,
  createMemoryStateStore,
  type EquityBreach,
  type Fill,
  runBacktest,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNTS } from '../../../examples/multi-account/src/scenario';
import { DipBuyer, TrendSignals } from '../../../examples/multi-account/src/strategies';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import { type FleetPlan, ResolvedPlan, strategyClass } from './plan';
import { runFleet } from './run-fleet';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };

/** The multi-account example's accounts: sizing per account, a daily-loss halt that flattens. */
const manager: Omit<AccountManagerOptions, 'marketInputs'> = ACCOUNTS;

const trade = (f: Fill) => ({
  id: f.clientOrderId,
  ts: f.tsEvent,
  side: f.side,
  px: f.lastPx,
  qty: f.lastQty,
  fee: f.fee,
  account: f.accountId,
  strategy: f.strategyId,
});

let bars: Bar[];
beforeAll(async () => {
  bars = (await loadSp500Bars()).filter((b) => b.ts >= Date.UTC(2003, 0, 1));
});

async function backtest(options: Omit<AccountManagerOptions, 'marketInputs'>) {
  const accounts = new AccountManager(options);
  const breaches: EquityBreach[] = [];
  const result = await runBacktest({
    strategies: [new TrendSignals({ id: 'trend' }), new DipBuyer({ id: 'dips' })],
    data: bars,
    instruments: [instrument],
    ...accounts.engineOptions(),
    onEngine: (engine) => {
      accounts.attach(engine);
      accounts.breaches$.subscribe((b) => breaches.push(b));
    },
  });
  return { result, breaches };
}

function plan(options: Omit<AccountManagerOptions, 'marketInputs'>): FleetPlan {
  return {
    instruments: [instrument],
    accounts: options.accounts.map((a) => ({ id: a.id, initialCash: a.initialCash })),
    strategies: [
      { id: 'trend', symbol: instrument.id, accountId: 'aggressive', create: strategyClass(TrendSignals) },
      { id: 'dips', symbol: instrument.id, accountId: 'aggressive', create: strategyClass(DipBuyer) },
    ],
    accountManager: options,
  };
}

describe('signals in the fleet: sized per account at risk, halts watched there (the multi-account example)', () => {
  it('the same fills, ids and accounts as the engine with an AccountManager, a daily-loss halt and its flatten included', async () => {
    const { result, breaches } = await backtest(manager);
    const fleet = await runFleet({
      plan: plan(manager),
      data: bars,
      frameSize: 250,
      store: createMemoryStateStore(),
    });
    // What the example shows: aggressive is halted on 2007-02-27 and flattened the next morning.
    expect(
      breaches.map((b) => [b.accountId, b.reason, new Date(b.tsEvent).toISOString().slice(0, 10)]),
    ).toEqual([['aggressive', 'MAX_DAILY_LOSS', '2007-02-27']]);
    const flatten = result.fills.filter(
      (f) => f.accountId === 'aggressive' && f.tsEvent > (breaches[0]?.tsEvent ?? 0),
    );
    expect(flatten).toHaveLength(1);
    expect(result.fills.filter((f) => f.accountId === 'steady').length).toBeGreaterThan(10);
    expect(fleet.strategyEvents).toEqual([]);
    // The kill switch's flattening order is named by the role that places it (`flatten:<n>` at risk,
    // the strategy's next id in the engine); everything else is the same, ids included.
    const named = (f: Fill) => (f.clientOrderId.includes('@') ? trade(f) : { ...trade(f), id: 'flatten' });
    expect(fleet.fills.map(named)).toEqual(result.fills.map(named));
    expect(fleet.accounts).toEqual(result.accounts);
  });

  it('without halts: signals alone, the same fills and accounts', async () => {
    const calm = { ...manager, accounts: manager.accounts.map(({ halts: _h, ...a }) => a) };
    const { result, breaches } = await backtest(calm);
    const fleet = await runFleet({ plan: plan(calm), data: bars, frameSize: 250 });
    expect(breaches).toEqual([]);
    expect(fleet.fills.map(trade)).toEqual(result.fills.map(trade));
    expect(fleet.accounts).toEqual(result.accounts);
  });

  it('halts without signals: a strategy sizing its own orders, its account halted on drawdown and flattened, as in the engine', async () => {
    const halting: Omit<AccountManagerOptions, 'marketInputs'> = {
      accounts: [{ id: 'main', initialCash: 100_000, halts: { maxDrawdown: 0.03 } }],
      flattenOnHalt: true,
    };
    const params = { fast: 10, slow: 30, quantity: 60 };
    const accounts = new AccountManager(halting);
    const breaches: EquityBreach[] = [];
    const engine = await runBacktest({
      strategies: [new SmaCrossover({ id: 'sma', symbols: [instrument.id], accountId: 'main', params })],
      data: bars,
      instruments: [instrument],
      ...accounts.engineOptions(),
      onEngine: (e) => {
        accounts.attach(e);
        accounts.breaches$.subscribe((b) => breaches.push(b));
      },
    });
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts: [{ id: 'main', initialCash: 100_000 }],
        strategies: [
          {
            id: 'sma',
            symbol: instrument.id,
            accountId: 'main',
            params,
            create: strategyClass(SmaCrossover),
          },
        ],
        accountManager: halting,
      },
      data: bars,
      frameSize: 250,
    });
    expect(breaches.map((b) => b.reason)).toEqual(['MAX_DRAWDOWN']);
    // The flatten the morning after: the strategy's next id in the engine, the risk desk's in the fleet;
    // every later entry of the strategy is denied in both.
    const halted = breaches[0]?.tsEvent ?? 0;
    expect(engine.fills.filter((f) => f.tsEvent > halted).map((f) => f.clientOrderId)).toEqual(['sma-12']);
    expect(fleet.fills.filter((f) => f.tsEvent > halted).map((f) => f.clientOrderId)).toEqual(['flatten:1']);
    const named = (f: Fill) => (f.tsEvent > halted ? { ...trade(f), id: 'flatten' } : trade(f));
    expect(fleet.fills.map(named)).toEqual(engine.fills.map(named));
    expect(fleet.accounts).toEqual(engine.accounts);
    expect(engine.refusals.map((r) => r.reason)).toEqual(['TRADING_HALTED']);
  });

  it('a plan refuses what the fleet cannot split: total limits, an account the plan lacks', () => {
    expect(() => new ResolvedPlan(plan({ ...manager, total: { maxDrawdown: 0.2 } }))).toThrow(/total/);
    expect(
      () =>
        new ResolvedPlan({
          ...plan(manager),
          accounts: [{ id: 'aggressive', initialCash: 100_000 }],
        }),
    ).toThrow(/steady is not one of the plan's accounts/);
  });

  it('who feeds whom: signals go to accounts with a sizing model that may trade the strategy', () => {
    const resolved = new ResolvedPlan(plan(manager));
    expect(resolved.signalAccounts('trend')).toEqual(['aggressive', 'steady']);
    expect(resolved.signalAccounts('dips')).toEqual(['aggressive']);
    expect(resolved.feeders('steady', 'SPX')).toEqual(['trend']);
    expect(resolved.tradedAccounts).toEqual(['aggressive', 'steady']);
    expect(resolved.guarded('aggressive')).toBe(true);
  });
});
