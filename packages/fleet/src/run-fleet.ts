import {
  AccountBook,
  type AccountState,
  type BacktestData,
  type BudgetUsage,
  type BusSubscription,
  createMemoryMessageBus,
  type Fill,
  type Logger,
  type MessageBus,
  type OrderDenied,
  type OrderRejected,
  type PreTradeRule,
  type RefusalSummary,
  RxtradeError,
  type SimulatedVenueOptions,
  type StateStore,
  type StrategyBudgetConfig,
  type StrategyEvent,
} from '@rxtrade/core';
import { z } from 'zod';
import { publishBars } from './data-role';
import { FleetJournal } from './journal';
import { type AccountFinished, decodeFleetMessage } from './messages';
import { OrderRole, type OrderRoleOptions } from './order-role';
import { type FleetPlan, ResolvedPlan } from './plan';
import { RiskRole } from './risk-role';
import { StrategyRole } from './strategy-role';
import { fleetGroups, fleetTopics } from './topics';

/** The role a bus connection is made for (see {@link RunFleetOptions.connect}). */
export type FleetRoleName = 'data' | 'strategy' | 'risk' | 'order' | 'observer';

const ReplicasSchema = z.number().int().min(1).max(64);

/** Options of {@link runFleet}. */
export interface RunFleetOptions {
  readonly plan: FleetPlan;
  /** Bars of the plan's symbols, in time order. */
  readonly data: BacktestData;
  /**
   * A bus connection for each role replica (RabbitMQ: one connection each, as separate processes
   * would have). Default: every role on one in-memory bus.
   */
  readonly connect?: (role: FleetRoleName, replica: number) => Promise<MessageBus>;
  /** Default 1 each. */
  readonly replicas?: { readonly strategy?: number; readonly risk?: number; readonly order?: number };
  /**
   * Awaited after every role subscribed and before the first bar is published: on a broker whose
   * consumer groups rebalance as members join, wait here until they have, so no partition moves
   * while the run goes (a moved strategy or order partition is not restored from a checkpoint yet).
   */
  readonly settle?: () => Promise<void>;
  /**
   * Where frames and each partition's journal are kept (`fleet:<run id>:…`), so a partition that
   * moves to another replica is rebuilt there. Removed when the run ends unless `keepState`.
   * Default: none (state in memory only).
   */
  readonly store?: StateStore;
  /** Keep the run's frames and journals in `store` after it ends. Default false. */
  readonly keepState?: boolean;
  /** Bars per frame. Default 500. */
  readonly frameSize?: number;
  readonly rules?: readonly PreTradeRule[];
  /** Cash budgets per strategy id, checked by the risk role as in `runBacktest` (docs/concepts/strategy-budgets.md). */
  readonly budgets?: StrategyBudgetConfig;
  /** Options of each account's simulated venue (slippage, partial fills). */
  readonly venue?: Omit<SimulatedVenueOptions, 'instruments' | 'clock'>;
  /**
   * Flatten every strategy's position at the last close when the data ends, as `runBacktest`'s
   * `closeAtEnd` (the order role's `closeAtEnd`). Needs a bar-driven venue. Default false.
   */
  readonly closeAtEnd?: boolean;
  /**
   * The execution client of each account at the order role, on the account's clock (see
   * `OrderRoleOptions.execution`), e.g. a `ShadowExecutionClient` around the venue. Default: a
   * simulated venue with `venue`.
   */
  readonly execution?: OrderRoleOptions['execution'];
  /** Gives up with `TIMEOUT` when the run has not finished by then. Default 10 minutes. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /** Names the run's journal (`fleet:<run id>:…`) and observer groups. Default: a random id. */
  readonly runId?: string;
  /**
   * The roles run elsewhere (other processes, see `launchFleet` in `@rxtrade/fleet/node`), already
   * started on the same bus and store: this call only publishes the bars and observes. Default false.
   */
  readonly rolesElsewhere?: boolean;
  /** Called with each fill as it arrives (once per trade). */
  readonly onFill?: (fill: Fill) => void;
  /** Aborting gives up with `CANCELED` (the bar replay stops; the roles are stopped as at the end). */
  readonly signal?: AbortSignal;
}

/** What a fleet run produced: the shape of a backtest's fills and accounts. */
export interface FleetRunResult {
  readonly bars: number;
  /** Every fill, in time order (each account's in the order it happened). */
  readonly fills: readonly Fill[];
  /** Final state of every account of the plan, in plan order. */
  readonly accounts: readonly AccountState[];
  readonly strategyEvents: readonly StrategyEvent[];
  /**
   * Orders that never reached the market, by reason (risk's denials, the venue's rejections), with
   * the first of each: every account's, in plan order.
   */
  readonly refusals: readonly RefusalSummary[];
  /** Bars run by strategies (one per strategy and bar), and how many waited for the order role first. */
  readonly barrier: { readonly bars: number; readonly waited: number };
  /**
   * Every strategy of the plan, in plan order, as its account's risk role ended: its refusals by
   * reason and where its budget stood (undefined without one). The report rebuilds each strategy's
   * results from these and the fills.
   */
  readonly strategies: readonly FleetStrategyOutcome[];
}

/** One strategy's part of a {@link FleetRunResult}. */
export interface FleetStrategyOutcome {
  readonly strategyId: string;
  readonly accountId: string;
  readonly refusals: Readonly<Record<string, number>>;
  readonly budget: BudgetUsage | undefined;
}

/**
 * Runs a plan's strategies over `data` through the fleet's roles — data, strategy ×N, risk ×M,
 * order ×K — until every account has seen its last bar, and returns the fills and final accounts.
 * On the default in-memory bus it is the whole fleet in one process; with `connect` it is the same
 * roles on a real bus (each replica its own connection). With the barrier (the default mode) and the
 * simulated venue, the fills and final equity equal `runBacktest`'s for the same strategies and bars.
 *
 * @example
 * const result = await runFleet({
 *   plan: { instruments: [spx], accounts: [{ id: 'main', initialCash: 100_000 }],
 *           strategies: [{ id: 'sma', symbol: 'SPX', accountId: 'main', create: strategyClass(SmaCrossover) }] },
 *   data: bars,
 * });
 */
export async function runFleet(options: RunFleetOptions): Promise<FleetRunResult> {
  const plan = new ResolvedPlan(options.plan);
  const counts: Record<'strategy' | 'risk' | 'order', number> = {
    strategy: ReplicasSchema.parse(options.replicas?.strategy ?? 1),
    risk: ReplicasSchema.parse(options.replicas?.risk ?? 1),
    order: ReplicasSchema.parse(options.replicas?.order ?? 1),
  };
  const shared = options.connect === undefined ? createMemoryMessageBus() : undefined;
  const buses: MessageBus[] = [];
  const connect = async (role: FleetRoleName, replica: number): Promise<MessageBus> => {
    if (shared) return shared;
    const bus = await (options.connect as NonNullable<RunFleetOptions['connect']>)(role, replica);
    buses.push(bus);
    return bus;
  };
  const logger = options.logger;
  const strategyEvents: StrategyEvent[] = [];
  const roles: { stop(): Promise<void> }[] = [];
  const strategyRoles: StrategyRole[] = [];
  const subscriptions: BusSubscription[] = [];
  const fills: Fill[] = [];
  const seenTrades = new Set<string>();
  const finished = new Map<string, AccountFinished>();
  const fillCounts = new Map<string, number>();
  const traded = plan.tradedAccounts;
  let settle: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const check = (): void => {
    for (const accountId of traded) {
      const f = finished.get(accountId);
      if (f === undefined || (fillCounts.get(accountId) ?? 0) < f.fills) return;
    }
    settle?.();
  };
  let timer: NodeJS.Timeout | undefined;
  const runId = options.runId ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const journal = options.store ? new FleetJournal(options.store, `fleet:${runId}`) : undefined;
  const withJournal = journal ? { journal } : {};
  try {
    const observer = await connect('observer', 0);
    subscriptions.push(
      await observer.subscribe(
        fleetTopics.allFills,
        (message) => {
          const { payload } = decodeFleetMessage(message, ['OrderFilled']);
          const fill = payload as Fill;
          if (seenTrades.has(`${fill.accountId}|${fill.tradeId}`)) return; // redelivered
          seenTrades.add(`${fill.accountId}|${fill.tradeId}`);
          fills.push(fill);
          options.onFill?.(fill);
          fillCounts.set(fill.accountId, (fillCounts.get(fill.accountId) ?? 0) + 1);
          check();
        },
        { group: fleetGroups.runFills(runId) },
      ),
      await observer.subscribe(
        fleetTopics.status,
        (message) => {
          const { payload } = decodeFleetMessage(message, ['AccountFinished']);
          finished.set(payload.accountId, payload);
          check();
        },
        { group: fleetGroups.runStatus(runId) },
      ),
    );
    if (options.rolesElsewhere) counts.order = counts.risk = counts.strategy = 0;
    for (let i = 0; i < counts.order; i++) {
      const role = new OrderRole({
        bus: await connect('order', i),
        plan,
        replicaId: `${runId}-${i}`,
        ...withJournal,
        ...(options.venue ? { venue: options.venue } : {}),
        ...(options.closeAtEnd ? { closeAtEnd: true } : {}),
        ...(options.execution ? { execution: options.execution } : {}),
        ...(logger ? { logger: logger.child({ role: 'order', replica: i }) } : {}),
      });
      roles.push(role);
      await role.start();
    }
    for (let i = 0; i < counts.risk; i++) {
      const role = new RiskRole({
        bus: await connect('risk', i),
        plan,
        ...withJournal,
        ...(options.rules ? { rules: options.rules } : {}),
        ...(options.budgets ? { budgets: options.budgets } : {}),
        ...(logger ? { logger: logger.child({ role: 'risk', replica: i }) } : {}),
      });
      roles.push(role);
      await role.start();
    }
    for (let i = 0; i < counts.strategy; i++) {
      const role = new StrategyRole({
        bus: await connect('strategy', i),
        plan,
        ...withJournal,
        onStrategyEvent: (event) => {
          if (event.type === 'StrategyFailed') strategyEvents.push(event);
        },
        ...(logger ? { logger: logger.child({ role: 'strategy', replica: i }) } : {}),
      });
      roles.push(role);
      strategyRoles.push(role);
      await role.start();
    }
    const timeoutMs = options.timeoutMs ?? 600_000;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RxtradeError({ code: 'TIMEOUT', message: `the fleet run did not finish in ${timeoutMs} ms` }),
          ),
        timeoutMs,
      );
    });
    const signal = options.signal;
    const canceled = new Promise<never>((_, reject) => {
      const abort = () =>
        reject(new RxtradeError({ code: 'CANCELED', message: 'the fleet run was canceled' }));
      if (signal?.aborted) abort();
      else signal?.addEventListener('abort', abort, { once: true });
    });
    canceled.catch(() => {});
    await Promise.race([options.settle?.(), canceled]);
    const published = await Promise.race([
      publishBars({
        bus: await connect('data', 0),
        data: options.data,
        ...withJournal,
        ...(options.frameSize !== undefined ? { frameSize: options.frameSize } : {}),
        ...(signal ? { signal } : {}),
      }),
      canceled,
    ]);
    if (traded.length > 0) await Promise.race([done, timedOut, canceled]);
    // In time order; at one time, by account in plan order (each account's own order is kept), so the
    // list does not depend on which account's report arrived first.
    const accountOrder = new Map([...plan.accounts.keys()].map((id, i) => [id, i]));
    const rank = (f: Fill): number => accountOrder.get(f.accountId) ?? accountOrder.size;
    fills.sort((a, b) => a.tsEvent - b.tsEvent || rank(a) - rank(b));
    const accounts = [...plan.accounts.values()].map(
      (config) => finished.get(config.id)?.account ?? new AccountBook(config).snapshot(),
    );
    const barrier = { bars: 0, waited: 0 };
    for (const role of strategyRoles) {
      const stats = role.stats();
      barrier.bars += stats.bars;
      barrier.waited += stats.waited;
    }
    const refusals = new Map<string, { reason: string; count: number; first: OrderDenied | OrderRejected }>();
    for (const config of plan.accounts.values()) {
      for (const r of finished.get(config.id)?.refusals ?? []) {
        const known = refusals.get(r.reason);
        if (known) known.count += r.count;
        else refusals.set(r.reason, { ...r, first: r.first as OrderDenied | OrderRejected });
      }
    }
    const outcomes = new Map(
      [...finished.values()].flatMap((f) => f.strategies.map((s) => [s.strategyId, s] as const)),
    );
    return {
      bars: published.bars,
      fills,
      accounts,
      strategyEvents,
      refusals: [...refusals.values()],
      barrier,
      strategies: plan.strategies.map((s) => {
        const outcome = outcomes.get(s.id);
        return {
          strategyId: s.id,
          accountId: s.accountId,
          refusals: outcome?.refusals ?? {},
          budget: outcome?.budget ?? undefined,
        };
      }),
    };
  } finally {
    if (timer) clearTimeout(timer);
    await Promise.all(subscriptions.map((s) => s.unsubscribe()));
    for (const role of roles.reverse()) await role.stop();
    if (shared) await shared.close();
    await Promise.all(buses.map((bus) => bus.close()));
    if (journal && !options.keepState) await journal.clear();
  }
}
