import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSp500Bars } from '@rxtrade/datasets';
import { describe, expect, it } from 'vitest';
import { expectNothingLeft, fleetServersUp, where } from '../test/fleet-servers';
import { type RxtradeRun, root, rxtrade } from '../test/rxtrade-process';

/**
 * The parity suite through the command line: `rxtrade fleet --until-done --json` prints what
 * `rxtrade backtest --json` prints — the same fills (time, side, price, quantity, fee) and final
 * equity — for each example strategy, in one process on the in-memory bus, as processes on RabbitMQ
 * and Redis (3 strategy, 2 risk, 2 order replicas), and with a strategy and an order replica
 * SIGKILLed mid-run. The runs as processes leave no queue, exchange or Redis key behind.
 */
const up = await fleetServersUp();

const examples = [
  ['the SMA crossover (market orders)', 'examples/sma-crossover/src/strategy.ts'],
  ['the RSI mean reversion (limit entries)', 'examples/rsi-mean-reversion/src/strategy.ts'],
  ['the ATR breakout (a bracket: take-profit, trailing stop-loss)', 'examples/breakout-atr/src/strategy.ts'],
] as const;

const settings = (strategy: string, slice: readonly string[] = []) => [
  '--strategy',
  strategy,
  '--data',
  'sp500',
  ...slice,
  '--cash',
  '50000',
  '--json',
];

interface Printed {
  readonly fills: readonly { time: string; side: string; price: number; quantity: number }[];
  readonly statistics: { readonly endEquity: number };
}

/** Orders a run's JSON document counts as denied by the strategy's cash budget. */
const refusedByBudget = (run: RxtradeRun): number =>
  (JSON.parse(run.out) as { refusals: readonly { reason: string; count: number }[] }).refusals.find(
    (r) => r.reason === 'STRATEGY_BUDGET_EXCEEDED',
  )?.count ?? 0;

/**
 * The backtest's JSON document, and the same fills and final equity checked one by one. With
 * `perStrategy` both documents have the per-strategy results a budget brings (`strategies`: the
 * strategy's own curve, statistics, positions, refusals and budget), equal too.
 */
function expectParity(fleet: RxtradeRun, backtest: RxtradeRun, perStrategy = false): void {
  expect(backtest.code).toBe(0);
  expect(fleet, fleet.err).toMatchObject({ code: 0 });
  const a = JSON.parse(fleet.out) as Printed & { strategies?: unknown };
  const b = JSON.parse(backtest.out) as Printed & { strategies?: unknown };
  expect(b.strategies !== undefined).toBe(perStrategy);
  expect(b.fills.length).toBeGreaterThan(0);
  const trade = (f: Printed['fills'][number]) => [f.time, f.side, f.price, f.quantity];
  expect(a.fills.map(trade)).toEqual(b.fills.map(trade));
  expect(a.statistics.endEquity).toBe(b.statistics.endEquity);
  expect(a).toEqual(b);
}

/** The run ended flat, its last fill a closing one: at the last bar's time, at that bar's close. */
function expectClosedAtEnd(run: RxtradeRun, lastDay: string): void {
  const doc = JSON.parse(run.out) as Printed & {
    readonly positions: readonly { readonly quantity: number }[];
  };
  const last = doc.fills.at(-1);
  expect(last?.time.slice(0, 10)).toBe(lastDay);
  expect(doc.fills.filter((f) => f.time.slice(0, 10) === lastDay)).toHaveLength(1);
  expect(doc.positions.every((p) => p.quantity === 0)).toBe(true);
}

/**
 * A plan's parity: the same document but for the venue's trade ids (one simulated venue for every
 * account in a backtest, one per account in the fleet: SIM-T<n> counts per venue) — the same fills in
 * the same order, with their strategy and client order ids, the same accounts, positions, closed
 * trades and statistics, and each strategy's own results.
 */
function expectPlanParity(
  fleet: RxtradeRun,
  backtest: RxtradeRun,
  accounts: readonly string[],
  strategyCount = 3,
): void {
  expect(backtest.code, backtest.err).toBe(0);
  expect(fleet, fleet.err).toMatchObject({ code: 0 });
  interface Doc {
    readonly fills: readonly { readonly tradeId?: string; readonly strategyId: string }[];
    readonly strategies?: unknown;
    readonly accounts: readonly { readonly accountId: string }[];
  }
  const a = JSON.parse(fleet.out) as Doc;
  const b = JSON.parse(backtest.out) as Doc;
  expect(b.strategies).toHaveLength(strategyCount);
  const noTradeId = (doc: Doc) => ({ ...doc, fills: doc.fills.map(({ tradeId: _, ...f }) => f) });
  expect(a.accounts.map((x) => x.accountId)).toEqual(accounts);
  // Every strategy of the plan traded.
  expect(new Set(b.fills.map((f) => f.strategyId)).size).toBe(strategyCount);
  expect(noTradeId(a)).toEqual(noTradeId(b));
}

/**
 * A fleet run as processes in which the strategy replica that owns the symbol and the order replica
 * that owns the account (`orderAccount`, or the first account taken) are SIGKILLed once both took
 * their partitions and the run has had `strategyAfterFills` / `orderAfterFills` fills. Checks each
 * kill came mid-run and that survivors rebuilt both from their journals.
 */
async function runKillingOwners(
  args: readonly string[],
  at: {
    readonly strategyAfterFills: number;
    readonly orderAfterFills: number;
    readonly orderAccount?: string;
  },
): Promise<RxtradeRun> {
  const owners = new Map<string, string>();
  const killed: string[] = [];
  let running = '';
  let fills = 0;
  const kill = (owner: 'strategy' | 'order', afterFills: number): void => {
    const name = owners.get(owner);
    if (owners.size < 2 || name === undefined || killed.includes(name) || fills < afterFills) return;
    process.kill(where(running).pids.get(name) as number, 'SIGKILL');
    killed.push(name);
  };
  const fleet = await rxtrade(['fleet', ...args, '--until-done', '--verbose'], {
    onErrLine: (line) => {
      if (line.includes(' running: RabbitMQ ')) running = line;
      if (!line.startsWith('{')) return;
      const log = JSON.parse(line) as Record<string, unknown>;
      const name = `${log['role']}-${log['replica']}`;
      if (log['msg'] === 'fill') fills++;
      if (log['msg'] === 'symbol taken' && !owners.has('strategy')) owners.set('strategy', name);
      if (
        log['msg'] === 'account taken' &&
        log['role'] === 'order' &&
        !owners.has('order') &&
        (at.orderAccount === undefined || log['accountId'] === at.orderAccount)
      )
        owners.set('order', name);
      kill('strategy', at.strategyAfterFills);
      kill('order', at.orderAfterFills);
    },
  });
  expect(killed).toHaveLength(2);
  expect(fills).toBeGreaterThan(at.orderAfterFills); // fills still came after the kills
  const lines = fleet.err
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const rebuilt = (role: string, msg: string) =>
    lines.some(
      (l) => l['role'] === role && l['msg'] === msg && !killed.includes(`${l['role']}-${l['replica']}`),
    );
  expect(rebuilt('strategy', 'rebuilding the strategy from its journal')).toBe(true);
  expect(rebuilt('order', 'rebuilding the account from its journal')).toBe(true);
  return fleet;
}

/**
 * The multi-account example as a plan: two signal strategies, two accounts sizing their signals, a
 * daily-loss halt that flattens (examples/multi-account).
 */
const signalSettings = [
  '--plan',
  'examples/multi-account/plan.json',
  '--data',
  'sp500',
  '--from',
  '2003-01-01',
  '--fee',
  '0.001',
  '--json',
];

/**
 * The multi-account example's parity: the whole document but for the venue's trade ids and the kill
 * switch's flattening order's name (`flatten:<n>`, the risk role's; the engine gives it the strategy's
 * next id): the halt on 2007-02-27 and its flatten the next morning, every signal's order in both
 * accounts (`<strategy>@<account>-<n>`), the refusals after the halt, accounts and statistics.
 */
function expectSignalParity(fleet: RxtradeRun, backtest: RxtradeRun): void {
  expect(backtest.code, backtest.err).toBe(0);
  expect(fleet, fleet.err).toMatchObject({ code: 0 });
  interface Doc {
    readonly fills: readonly {
      readonly tradeId?: string;
      readonly clientOrderId: string;
      readonly time: string;
    }[];
    readonly refusals: readonly { readonly reason: string; readonly firstTime: string }[];
  }
  const a = JSON.parse(fleet.out) as Doc;
  const b = JSON.parse(backtest.out) as Doc;
  const flattens = (doc: Doc) => doc.fills.filter((f) => !f.clientOrderId.includes('@'));
  expect(flattens(b).map((f) => [f.time.slice(0, 10), f.clientOrderId])).toEqual([['2007-02-28', 'trend-1']]);
  expect(flattens(a).map((f) => [f.time.slice(0, 10), f.clientOrderId])).toEqual([
    ['2007-02-28', 'flatten:1'],
  ]);
  expect(b.refusals.map((r) => [r.reason, r.firstTime.slice(0, 10)])).toEqual([
    ['TRADING_HALTED', '2007-02-27'],
  ]);
  const same = (doc: Doc) => ({
    ...doc,
    fills: doc.fills.map(({ tradeId: _, ...f }) =>
      f.clientOrderId.includes('@') ? f : { ...f, clientOrderId: 'flatten' },
    ),
  });
  expect(same(a)).toEqual(same(b));
}

/** Two accounts, three strategies (SMA and RSI on one account, the ATR breakout on the other). */
const PLAN = ['--plan', 'packages/cli/src/test-fixtures/multi-account-plan.json'];
const planSettings = (slice: readonly string[] = []) => [...PLAN, '--data', 'sp500', ...slice, '--json'];

describe('rxtrade fleet --until-done --json prints what rxtrade backtest --json prints', () => {
  describe('in one process on the in-memory bus (the whole S&P 500 series)', () => {
    it.each(examples)(
      '%s',
      async (_name, strategy) => {
        const [backtest, fleet] = await Promise.all([
          rxtrade(['backtest', ...settings(strategy), '--no-report', '--quiet']),
          rxtrade([
            'fleet',
            ...settings(strategy),
            '--in-process',
            '--until-done',
            '--strategy-replicas',
            '2',
          ]),
        ]);
        expectParity(fleet, backtest);
      },
      400_000,
    );

    it('a plan of two accounts and three strategies (--plan), with 2 strategy replicas', async () => {
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...planSettings(), '--no-report', '--quiet']),
        rxtrade(['fleet', ...planSettings(), '--in-process', '--until-done', '--strategy-replicas', '2']),
      ]);
      expectPlanParity(fleet, backtest, ['aggressive', 'steady']);
    }, 400_000);

    it('the multi-account example as a plan: signals sized per account, a daily-loss halt that flattens', async () => {
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...signalSettings, '--no-report', '--quiet']),
        rxtrade(['fleet', ...signalSettings, '--in-process', '--until-done']),
      ]);
      expectSignalParity(fleet, backtest);
    }, 400_000);

    it('a plan of two symbols (two CSV files), each traded for its own account', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rxtrade-plan-'));
      const spx = (await loadSp500Bars()).slice(0, 3_000);
      const csv = (scale: number) =>
        [
          'time,open,high,low,close,volume',
          ...spx.map((b, i) =>
            [new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(), b.open, b.high, b.low, b.close]
              .map((v, k) => (k === 0 ? v : (v as number) / scale))
              .concat(b.volume)
              .join(','),
          ),
        ].join('\n');
      await writeFile(join(dir, 'btc.csv'), csv(1));
      await writeFile(join(dir, 'eth.csv'), csv(10));
      const sma = join(root, 'examples/sma-crossover/src/strategy.ts');
      await writeFile(
        join(dir, 'plan.json'),
        JSON.stringify({
          accounts: [
            { id: 'a', initialCash: 100_000 },
            { id: 'b', initialCash: 50_000 },
          ],
          strategies: [
            { id: 'sma-btc', file: sma, account: 'a', symbol: 'BTC', params: { fast: 10, slow: 30 } },
            { id: 'sma-eth', file: sma, account: 'b', symbol: 'ETH' },
          ],
        }),
      );
      const args = [
        '--plan',
        join(dir, 'plan.json'),
        '--data',
        join(dir, 'btc.csv'),
        '--data',
        join(dir, 'eth.csv'),
        '--json',
      ];
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...args, '--no-report', '--quiet']),
        rxtrade(['fleet', ...args, '--in-process', '--until-done', '--strategy-replicas', '2']),
      ]);
      expectPlanParity(fleet, backtest, ['a', 'b'], 2);
      const symbols = (JSON.parse(fleet.out) as { fills: { symbol: string }[] }).fills.map((f) => f.symbol);
      expect(new Set(symbols)).toEqual(new Set(['BTC', 'ETH']));
    }, 400_000);

    it("the SMA crossover with --slippage-bps 25 (the order role's simulated venue slips as the backtest's)", async () => {
      const strategy = 'examples/sma-crossover/src/strategy.ts';
      const slipped = [...settings(strategy), '--slippage-bps', '25'];
      const [backtest, fleet, unslipped] = await Promise.all([
        rxtrade(['backtest', ...slipped, '--no-report', '--quiet']),
        rxtrade(['fleet', ...slipped, '--in-process', '--until-done']),
        rxtrade(['fleet', ...settings(strategy), '--in-process', '--until-done']),
      ]);
      expectParity(fleet, backtest);
      // The option reached the venue: without it the fills are at other prices.
      const price = (run: RxtradeRun) => (JSON.parse(run.out) as Printed).fills.map((f) => f.price);
      expect(price(unslipped)).not.toEqual(price(fleet));
    }, 400_000);

    it.each(examples)(
      '%s with --close-at-end (up to 2008-05-07, where it holds a position: closed at the last close)',
      async (_name, strategy) => {
        const closing = [...settings(strategy, ['--to', '2008-05-07']), '--close-at-end'];
        const [backtest, fleet] = await Promise.all([
          rxtrade(['backtest', ...closing, '--no-report', '--quiet']),
          rxtrade(['fleet', ...closing, '--in-process', '--until-done', '--strategy-replicas', '2']),
        ]);
        expectParity(fleet, backtest);
        expectClosedAtEnd(fleet, '2008-05-07');
      },
      400_000,
    );

    it("the SMA crossover with --budget 15000 (the risk role denies the entries the backtest's risk engine denies)", async () => {
      // 10 units cost more than 15,000 once the index is above ~1,485: some entries are denied.
      const budgeted = [...settings('examples/sma-crossover/src/strategy.ts'), '--budget', '15000'];
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...budgeted, '--no-report', '--quiet']),
        rxtrade(['fleet', ...budgeted, '--in-process', '--until-done']),
      ]);
      expectParity(fleet, backtest, true);
      expect(refusedByBudget(fleet)).toBeGreaterThan(0);
    }, 400_000);
  });

  // Processes start slowly on a busy machine: a shorter slice of the data (2000–2004).
  const slice = ['--to', '2004-12-31'];
  const replicas = ['--strategy-replicas', '3', '--risk-replicas', '2', '--order-replicas', '2'];

  describe.skipIf(!up)('as processes on RabbitMQ + Redis: 3 strategy, 2 risk and 2 order replicas', () => {
    it.each(examples)(
      '%s, and nothing of the run is left afterwards',
      async (_name, strategy) => {
        const [backtest, fleet] = await Promise.all([
          rxtrade(['backtest', ...settings(strategy, slice), '--no-report', '--quiet']),
          rxtrade(['fleet', ...settings(strategy, slice), '--until-done', ...replicas]),
        ]);
        expectParity(fleet, backtest);
        await expectNothingLeft(fleet.err);
      },
      400_000,
    );

    it('a plan of two accounts and three strategies (--plan), and nothing of the run is left afterwards', async () => {
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...planSettings(slice), '--no-report', '--quiet']),
        rxtrade(['fleet', ...planSettings(slice), '--until-done', ...replicas]),
      ]);
      expectPlanParity(fleet, backtest, ['aggressive', 'steady']);
      await expectNothingLeft(fleet.err);
    }, 400_000);

    it('the multi-account example as a plan (signals, a halt that flattens), and nothing of the run is left afterwards', async () => {
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...signalSettings, '--no-report', '--quiet']),
        rxtrade(['fleet', ...signalSettings, '--until-done', ...replicas]),
      ]);
      expectSignalParity(fleet, backtest);
      await expectNothingLeft(fleet.err);
    }, 400_000);

    it('the SMA crossover with --budget 15000 (each risk replica checks it), and nothing of the run is left afterwards', async () => {
      // 2000–2004: two entries above ~1,485 are denied.
      const budgeted = [...settings('examples/sma-crossover/src/strategy.ts', slice), '--budget', '15000'];
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...budgeted, '--no-report', '--quiet']),
        rxtrade(['fleet', ...budgeted, '--until-done', ...replicas]),
      ]);
      expectParity(fleet, backtest, true);
      expect(refusedByBudget(fleet)).toBeGreaterThan(0);
      await expectNothingLeft(fleet.err);
    }, 400_000);

    it('the SMA crossover with --slippage-bps 25, and nothing of the run is left afterwards', async () => {
      const slipped = [...settings('examples/sma-crossover/src/strategy.ts', slice), '--slippage-bps', '25'];
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...slipped, '--no-report', '--quiet']),
        rxtrade(['fleet', ...slipped, '--until-done', ...replicas]),
      ]);
      expectParity(fleet, backtest);
      await expectNothingLeft(fleet.err);
    }, 400_000);

    it('the ATR breakout with --close-at-end (its bracket working at the end), and nothing of the run is left afterwards', async () => {
      const closing = [...settings('examples/breakout-atr/src/strategy.ts', slice), '--close-at-end'];
      const [backtest, fleet] = await Promise.all([
        rxtrade(['backtest', ...closing, '--no-report', '--quiet']),
        rxtrade(['fleet', ...closing, '--until-done', ...replicas]),
      ]);
      expectParity(fleet, backtest);
      expectClosedAtEnd(fleet, '2004-12-31');
      await expectNothingLeft(fleet.err);
    }, 400_000);

    it.each(examples.slice(0, 2))(
      '%s with the strategy and the order replica that own its symbol and account SIGKILLed mid-run',
      async (_name, strategy) => {
        const backtest = await rxtrade(['backtest', ...settings(strategy, slice), '--no-report', '--quiet']);
        // Between its trades the strategy waits for nothing and would be through the data before a
        // kill: the replay is paced (400 bar times a second, a bar a frame).
        const fleet = await runKillingOwners([...settings(strategy, slice), ...replicas, '--speed', '400'], {
          // The RSI strategy fills 4 times over these years: killed after the 2nd.
          strategyAfterFills: 2,
          orderAfterFills: 2,
        });
        expectParity(fleet, backtest);
        await expectNothingLeft(fleet.err);
      },
      400_000,
    );

    it('the ATR breakout with the strategy and the order replica that own its symbol and account SIGKILLed mid-run', async () => {
      const strategy = 'examples/breakout-atr/src/strategy.ts';
      const backtest = await rxtrade(['backtest', ...settings(strategy, slice), '--no-report', '--quiet']);
      const fleet = await runKillingOwners([...settings(strategy, slice), ...replicas], {
        strategyAfterFills: 8,
        orderAfterFills: 8,
      });
      expectParity(fleet, backtest);
      await expectNothingLeft(fleet.err);
    }, 400_000);

    it('the multi-account example with the strategy replica of its symbol and the order replica of the halting account SIGKILLed mid-run', async () => {
      const backtest = await rxtrade(['backtest', ...signalSettings, '--no-report', '--quiet']);
      // The signal strategies never wait (risk holds each signal until its bar is matched), so they would
      // be through the data before a kill: the replay is paced (800 bar times a second, a bar a frame).
      // Their replica is killed at the 2nd fill (it has run and journaled bars), the account's order
      // replica at the 20th, before the halt (the 49th), so its survivor halts and flattens the account.
      const fleet = await runKillingOwners([...signalSettings, ...replicas, '--speed', '800'], {
        strategyAfterFills: 2,
        orderAfterFills: 20,
        orderAccount: 'aggressive',
      });
      expectSignalParity(fleet, backtest);
      await expectNothingLeft(fleet.err);
    }, 400_000);
  });
});
