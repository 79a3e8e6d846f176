import {
  type Bar,
  BaseStrategy,
  createMemoryStateStore,
  type Fill,
  runBacktest,
  type StrategyOptions,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { BreakoutAtr } from '../../../examples/breakout-atr/src/strategy';
import { RsiMeanReversion } from '../../../examples/rsi-mean-reversion/src/strategy';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import { WeeklyTrend } from '../../../examples/weekly-trend/src/strategy';
import { type FleetPlan, ResolvedPlan, strategyClass } from './plan';
import { fleetReport } from './report';
import { runFleet } from './run-fleet';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
type Class = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;

/** What parity compares: when, which side, at what price, how much, and the fee. */
const trade = (f: Fill) => ({
  ts: f.tsEvent,
  side: f.side,
  px: f.lastPx,
  qty: f.lastQty,
  fee: f.fee,
  account: f.accountId,
});

let bars: Bar[];
beforeAll(async () => {
  bars = await loadSp500Bars();
});

/**
 * The strategy class, reporting what `account()` and `accountPositionQty()` show before each of its
 * bars (then deciding as the class does).
 */
function recordingAccount(
  Strategy: Class,
  record: (strategyId: string, row: Record<string, number>) => void,
): Class {
  return class extends (Strategy as unknown as new (o: StrategyOptions<object>) => BaseStrategy) {
    override onBar(bar: Bar): void {
      const a = this.context.account();
      record(this.id, {
        ts: bar.ts,
        cash: a.cash,
        equity: a.equity,
        realized: a.realizedPnl,
        fees: a.feesPaid,
        tsLast: a.tsLast,
        qty: this.context.accountPositionQty(bar.symbol),
      });
      (Strategy.prototype as unknown as { onBar(bar: Bar): void }).onBar.call(this, bar);
    }
  } as unknown as Class;
}

const examples: [string, Class, string][] = [
  ['SMA crossover (market orders)', SmaCrossover as Class, 'SmaCrossover'],
  ['RSI mean reversion (DAY limit entries)', RsiMeanReversion as Class, 'RsiMeanReversion'],
  [
    'ATR breakout (a bracket: market entry, take-profit, trailing stop-loss)',
    BreakoutAtr as Class,
    'BreakoutAtr',
  ],
  [
    'Weekly trend (weekly bars resampled from the daily feed in the strategy)',
    WeeklyTrend as Class,
    'WeeklyTrend',
  ],
];

describe('the fleet on the in-memory bus gives a backtest’s fills and final equity', () => {
  it.each(examples)('%s', async (_name, Strategy, id) => {
    const backtest = await runBacktest({
      strategies: new Strategy({ id, symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 100_000 }],
    });
    const plan: FleetPlan = {
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 100_000 }],
      strategies: [{ id, symbol: instrument.id, accountId: 'main', create: strategyClass(Strategy) }],
    };
    // With a store: every frame and each partition's inputs journaled, and removed at the end.
    const store = createMemoryStateStore();
    const fleet = await runFleet({ plan, data: bars, frameSize: 250, store });
    expect(await store.list('fleet:')).toEqual([]);
    expect(backtest.fills.length).toBeGreaterThan(10);
    expect(fleet.strategyEvents).toEqual([]);
    expect(fleet.fills.map(trade)).toEqual(backtest.fills.map(trade));
    expect(fleet.accounts).toEqual(backtest.accounts);
    // The run as a backtest's report: the same closed trades, positions and statistics.
    const report = await fleetReport({
      data: bars,
      run: fleet,
      instruments: new ResolvedPlan(plan).instruments,
      accounts: plan.accounts,
    });
    expect(report.accounts).toEqual(fleet.accounts);
    expect(report.closedTrades).toEqual(backtest.closedTrades);
    expect(report.positions).toEqual(backtest.positions);
    expect(report.statistics).toEqual(backtest.statistics);
  });

  it.each(examples.slice(0, 3))(
    '%s, closed at the end (closeAtEnd): the same closing fills, ids and flat books',
    async (_name, Strategy, id) => {
      // Cut where each of these holds a position, so the close has something to flatten.
      const data = bars.slice(0, 2_100);
      const accounts = [{ id: 'main', initialCash: 100_000 }];
      const backtest = await runBacktest({
        strategies: new Strategy({ id, symbols: [instrument.id], accountId: 'main' }),
        data,
        instruments: [instrument],
        accounts,
        closeAtEnd: true,
      });
      const fleet = await runFleet({
        plan: {
          instruments: [instrument],
          accounts,
          strategies: [{ id, symbol: instrument.id, accountId: 'main', create: strategyClass(Strategy) }],
        },
        data,
        frameSize: 250,
        store: createMemoryStateStore(),
        closeAtEnd: true,
      });
      const last = data.at(-1) as Bar;
      const closing = backtest.fills.filter((f) => f.tsEvent === last.ts && f.lastPx === last.close);
      const withIds = (f: Fill) => ({ ...trade(f), id: f.clientOrderId, strategy: f.strategyId });
      expect(fleet.strategyEvents).toEqual([]);
      expect(fleet.fills.map(withIds)).toEqual(backtest.fills.map(withIds));
      expect(fleet.accounts).toEqual(backtest.accounts);
      expect(closing.map((f) => f.strategyId)).toEqual([id]);
      expect(backtest.positions.every((p) => p.quantity === 0)).toBe(true);
    },
  );

  it.each(examples)(
    '%s: account() in onBar gives the backtest’s cash, equity and position at every bar',
    async (_name, Strategy, id) => {
      // Each run records what the strategy sees of its account before each of its decisions.
      const seen = { backtest: [] as Record<string, number>[], fleet: [] as Record<string, number>[] };
      let run: keyof typeof seen = 'backtest';
      const Recording = recordingAccount(Strategy, (_id, row) => seen[run].push(row));
      const accounts = [{ id: 'main', initialCash: 100_000 }];
      await runBacktest({
        strategies: new Recording({ id, symbols: [instrument.id], accountId: 'main' }),
        data: bars,
        instruments: [instrument],
        accounts,
      });
      run = 'fleet';
      const fleet = await runFleet({
        plan: {
          instruments: [instrument],
          accounts,
          strategies: [
            { id, symbol: instrument.id, accountId: 'main', create: strategyClass(Recording as Class) },
          ],
        },
        data: bars,
        frameSize: 250,
      });
      expect(fleet.strategyEvents).toEqual([]);
      expect(seen.backtest).toHaveLength(bars.length);
      const cash = new Set(seen.backtest.map((r) => r['cash']));
      expect(cash.size).toBeGreaterThan(10);
      expect(seen.fleet).toEqual(seen.backtest);
    },
  );

  it('account() of an account several strategies share fails the strategy with INVALID_CONFIG (their fills meet only at risk)', async () => {
    class AskAccount extends BaseStrategy {
      override onBar(): void {
        this.context.account();
      }
    }
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts: [{ id: 'main', initialCash: 100_000 }],
        strategies: ['one', 'two'].map((sid) => ({
          id: sid,
          symbol: instrument.id,
          accountId: 'main',
          create: strategyClass(AskAccount as Class),
        })),
      },
      data: bars.slice(0, 20),
    });
    const failed = fleet.strategyEvents.filter((e) => e.type === 'StrategyFailed');
    expect(failed.map((e) => e.strategyId).sort()).toEqual(['one', 'two']);
    expect(JSON.stringify(failed[0])).toContain('INVALID_CONFIG');
  });

  it('account() of a shared account with followAccount: each strategy sees the backtest’s cash, equity and positions at every bar', async () => {
    // Two strategies on one account, each recording the account it sees before each decision.
    const seen = new Map<string, Record<string, number>[]>();
    const recording = (Strategy: Class): Class =>
      recordingAccount(Strategy, (id, row) => {
        const key = `${run}:${id}`;
        const rows = seen.get(key);
        if (rows === undefined) seen.set(key, [row]);
        else rows.push(row);
      });
    let run = 'backtest';
    const data = bars.slice(0, 1_500);
    const accounts = [{ id: 'main', initialCash: 100_000 }];
    const pair: [string, Class][] = [
      ['sma', recording(SmaCrossover as Class)],
      ['rsi', recording(RsiMeanReversion as Class)],
    ];
    const backtest = await runBacktest({
      strategies: pair.map(([id, S]) => new S({ id, symbols: [instrument.id], accountId: 'main' })),
      data,
      instruments: [instrument],
      accounts,
    });
    run = 'fleet';
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts,
        strategies: pair.map(([id, S]) => ({
          id,
          symbol: instrument.id,
          accountId: 'main',
          create: strategyClass(S),
          followAccount: true,
        })),
      },
      data,
      frameSize: 250,
      store: createMemoryStateStore(),
    });
    expect(fleet.strategyEvents).toEqual([]);
    expect(fleet.fills.map(trade)).toEqual(backtest.fills.map(trade));
    // Both traded, so each saw the other's fills move the account.
    expect(new Set(backtest.fills.map((f) => f.strategyId))).toEqual(new Set(['sma', 'rsi']));
    for (const id of ['sma', 'rsi']) {
      const expected = seen.get(`backtest:${id}`) ?? [];
      expect(expected).toHaveLength(data.length);
      expect(new Set(expected.map((r) => r['cash'])).size).toBeGreaterThan(10);
      expect(seen.get(`fleet:${id}`)).toEqual(expected);
    }
  });

  it('one account trading two symbols with two strategies', async () => {
    const second = { ...instrument, id: 'HALF' };
    const data = bars.flatMap((b) => [
      b,
      { ...b, symbol: 'HALF', open: b.open / 2, high: b.high / 2, low: b.low / 2, close: b.close / 2 },
    ]);
    const accounts = [{ id: 'main', initialCash: 100_000 }];
    const backtest = await runBacktest({
      strategies: [
        new SmaCrossover({ id: 'sma', symbols: [instrument.id], accountId: 'main' }),
        new BreakoutAtr({ id: 'atr', symbols: ['HALF'], accountId: 'main' }),
      ],
      data,
      instruments: [instrument, second],
      accounts,
    });
    const fleet = await runFleet({
      plan: {
        instruments: [instrument, second],
        accounts,
        strategies: [
          {
            id: 'sma',
            symbol: instrument.id,
            accountId: 'main',
            create: strategyClass(SmaCrossover as Class),
          },
          { id: 'atr', symbol: 'HALF', accountId: 'main', create: strategyClass(BreakoutAtr as Class) },
        ],
      },
      data,
      replicas: { strategy: 2 },
    });
    const bySymbol = (fills: readonly Fill[], symbol: string) =>
      fills.filter((f) => f.instrumentId === symbol).map(trade);
    for (const symbol of [instrument.id, 'HALF'])
      expect(bySymbol(fleet.fills, symbol)).toEqual(bySymbol(backtest.fills, symbol));
    expect(fleet.accounts).toEqual(backtest.accounts);
  });

  it('an order off the lot (0.5 of a whole-unit instrument) is denied with the engine’s reason, and later orders still trade', async () => {
    class HalfThenWhole extends BaseStrategy {
      n = 0;
      override onBar(): void {
        this.n++;
        if (this.n % 100 === 0) this.buy(0.5);
        else if (this.n % 100 === 50) this.buy(1);
      }
    }
    const accounts = [{ id: 'main', initialCash: 100_000 }];
    const backtest = await runBacktest({
      strategies: new HalfThenWhole({ id: 'half', symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts,
        strategies: [
          {
            id: 'half',
            symbol: instrument.id,
            accountId: 'main',
            create: strategyClass(HalfThenWhole as Class),
          },
        ],
      },
      data: bars,
    });
    expect(backtest.fills.length).toBeGreaterThan(40);
    expect(fleet.fills.map(trade)).toEqual(backtest.fills.map(trade));
    expect(backtest.refusals.length).toBeGreaterThan(0);
    expect(fleet.refusals).toEqual(backtest.refusals);
  });

  it('needs its barrier: live-style on a replay, the ATR breakout’s orders meet bars already matched', async () => {
    // Counts the brackets the strategy placed (an order among its open ones after onBar that was not before).
    const placed = { barrier: 0, live: 0 };
    let mode: keyof typeof placed = 'barrier';
    class Counting extends BreakoutAtr {
      override onBar(bar: Bar): void {
        const before = this.context.openOrders().length;
        super.onBar(bar);
        if (this.context.openOrders().length > before) placed[mode]++;
      }
    }
    const backtest = await runBacktest({
      strategies: new BreakoutAtr({ id: 'atr', symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 100_000 }],
    });
    const run = (m: keyof typeof placed) => {
      mode = m;
      return runFleet({
        plan: {
          instruments: [instrument],
          accounts: [{ id: 'main', initialCash: 100_000 }],
          strategies: [
            { id: 'atr', symbol: instrument.id, accountId: 'main', create: strategyClass(Counting as Class) },
          ],
          mode: m,
        },
        data: bars,
        frameSize: 250,
      });
    };
    const barrier = await run('barrier');
    const entries = backtest.fills.filter((f) => f.side === 'buy').length;
    expect(entries).toBeGreaterThan(50);
    expect(barrier.fills.map(trade)).toEqual(backtest.fills.map(trade));
    expect(placed.barrier).toBe(entries);
    expect(barrier.barrier.waited).toBeGreaterThan(entries);
    const live = await run('live');
    // Live: no strategy waits, and the order role matches each bar as it arrives. On a replay the
    // bars outrun the orders: the first bracket reaches the order role after later bars were matched
    // and fills on one of those (never at the backtest's bar); the strategy hears of it as the order
    // role matches it, by then frames ahead, and places no other bracket while it thinks one works.
    expect(live.barrier).toEqual({ bars: bars.length, waited: 0 });
    expect(placed.live).toBeGreaterThan(0);
    expect(placed.live).toBeLessThan(entries);
    expect(live.fills.length).toBeLessThan(backtest.fills.length);
    const first = (fills: readonly Fill[]) => fills[0]?.tsEvent ?? Number.POSITIVE_INFINITY;
    expect(first(live.fills)).toBeGreaterThan(first(backtest.fills));
  });

  it('several accounts and strategies on one symbol, over 3 strategy, 2 risk and 2 order replicas', async () => {
    const accounts = [
      { id: 'a', initialCash: 100_000 },
      { id: 'b', initialCash: 50_000 },
    ];
    const make = () => [
      new SmaCrossover({ id: 'sma-a', symbols: [instrument.id], accountId: 'a' }),
      new RsiMeanReversion({ id: 'rsi-a', symbols: [instrument.id], accountId: 'a' }),
      new BreakoutAtr({ id: 'atr-b', symbols: [instrument.id], accountId: 'b' }),
    ];
    const backtest = await runBacktest({
      strategies: make(),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    const built = make();
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts,
        strategies: built.map((s) => ({
          id: s.id,
          symbol: instrument.id,
          accountId: s.accountId as string,
          create: strategyClass(s.constructor as Class),
        })),
      },
      data: bars,
      replicas: { strategy: 3, risk: 2, order: 2 },
    });
    const byAccount = (fills: readonly Fill[], account: string) =>
      fills.filter((f) => f.accountId === account).map(trade);
    for (const { id } of accounts) expect(byAccount(fleet.fills, id)).toEqual(byAccount(backtest.fills, id));
    expect(fleet.accounts).toEqual(backtest.accounts);
  });
});
