import type { Logger, MessageBus, StateStore } from '@rxtrade/core';
import { RxtradeError, SimulatedVenue, StrategyBudgetsSchema } from '@rxtrade/core';
import { z } from 'zod';
import { FleetJournal } from '../journal';
import { OrderRole } from '../order-role';
import { type FleetPlan, ResolvedPlan } from '../plan';
import { RiskRole } from '../risk-role';
import { shadowExecution } from '../shadow';
import { StrategyRole } from '../strategy-role';
import { FLEET_VIEW_PREFIX, startGatewayRole } from './gateway-role';
import { startHistoryWriter } from './history-role';
import { loadStrategy, strategyFactoryOf } from './load-strategy';
import { writeShadowFiles } from './shadow-files';

const word = z.string().regex(/^[A-Za-z0-9_\-:]{1,64}$/, 'use 1 to 64 of A-Z a-z 0-9 _ - :');

/** A strategy of a {@link FilePlan}: a module loaded as `rxtrade backtest --strategy` loads it. */
export const FileStrategySchema = z.strictObject({
  id: word,
  symbol: word,
  accountId: word,
  /** The strategy module (.ts through tsx, or .js), relative to the plan's `cwd`. */
  file: z.string().min(1),
  /** Which export; default: the default export, else the first BaseStrategy subclass. */
  export: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  /** See `FleetStrategy.followAccount`. */
  followAccount: z.boolean().optional(),
});

/**
 * A fleet plan every process can load on its own: JSON, with strategies named by their module file
 * instead of a factory function.
 */
export const FilePlanSchema = z.strictObject({
  instruments: z.array(z.looseObject({ id: word })).min(1),
  accounts: z.array(z.looseObject({ id: word, initialCash: z.number().nonnegative() })).min(1),
  strategies: z.array(FileStrategySchema).min(1),
  mode: z.enum(['barrier', 'live']).optional(),
  /**
   * Signal sizing and equity halts per account (`FleetPlan.accountManager`): core's
   * `AccountManagerOptions` as JSON, validated by core when the plan is resolved.
   */
  accountManager: z.looseObject({ accounts: z.array(z.looseObject({ id: word })).min(1) }).optional(),
  /** Where strategy files are looked up. */
  cwd: z.string().min(1),
});
export type FilePlan = z.input<typeof FilePlanSchema>;
export type FileStrategy = z.input<typeof FileStrategySchema>;

/** The configuration of one role replica process (see {@link startRoleProcess}). */
export const RoleProcessConfigSchema = z.strictObject({
  role: z.enum(['strategy', 'risk', 'order', 'gateway']),
  replica: z.number().int().min(0),
  /** Names the run's exchange, consumer groups and journal (see {@link fleetNames}). */
  runId: word,
  rabbitmqUrl: z.string().min(1),
  redisUrl: z.string().min(1),
  /** Partition queues per consumer group. Default 4. */
  partitions: z.number().int().min(1).max(64).default(4),
  /** How often group members rebalance, ms. Default 200. */
  rebalanceIntervalMs: z.number().int().min(10).default(200),
  plan: FilePlanSchema,
  /** Options of each account's simulated venue (slippage, partial fills): JSON. */
  venue: z.record(z.string(), z.unknown()).optional(),
  /** Risk role: cash budgets per strategy id, checked as `runBacktest`'s `budgets` are. */
  budgets: StrategyBudgetsSchema.optional(),
  /** Order role: flatten at the last close when the data ends (`OrderRoleOptions.closeAtEnd`). */
  closeAtEnd: z.boolean().optional(),
  /**
   * The risk and strategy roles keep the gateway's read model (accounts, positions, orders, fills;
   * the strategies' status). Default false.
   */
  readModel: z.boolean().default(false),
  /**
   * The order role also writes every fill to PostgreSQL (consumer group `fleet-history`) in this
   * schema, as the services' order process does.
   */
  history: z
    .strictObject({
      url: z.string().min(1),
      schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL name'),
    })
    .optional(),
  /** The gateway role: where it listens, and a first API key's record (its hash, never the key). */
  gateway: z
    .strictObject({
      port: z.number().int().min(0).max(65_535).default(0),
      host: z.string().min(1).default('127.0.0.1'),
      bootstrapKey: z.unknown().optional(),
    })
    .optional(),
  /**
   * Order role: a shadow venue beside each account's venue (core's `ShadowExecutionClient` with a
   * backtest's defaults); each order's report is logged as it settles, and when the replica stops each
   * account it traded has its document and page written to `<dir>/shadow-<accountId>.json|.html`.
   */
  shadow: z.strictObject({ dir: z.string().min(1) }).optional(),
});
export type RoleProcessConfig = z.input<typeof RoleProcessConfigSchema>;

/** What one run of the fleet names on the broker and in the store: all derived from its run id. */
export function fleetNames(runId: string): {
  readonly exchange: string;
  readonly redisPrefix: string;
  readonly journal: string;
} {
  return {
    exchange: `rxtrade-fleet-${runId}`,
    redisPrefix: `rxtrade-fleet:${runId}:`,
    journal: `fleet:${runId}`,
  };
}

/** Loads a {@link FilePlan}'s strategy modules: the plan `runFleet` and the roles take. */
export async function resolveFilePlan(input: FilePlan): Promise<FleetPlan> {
  const plan = FilePlanSchema.parse(input);
  const strategies = [];
  for (const s of plan.strategies) {
    const params = s.params ?? {};
    const strategy = await loadStrategy(s.file, {
      cwd: plan.cwd,
      params,
      ...(s.export ? { export: s.export } : {}),
    });
    strategies.push({
      id: s.id,
      symbol: s.symbol,
      accountId: s.accountId,
      params,
      create: strategyFactoryOf(strategy, params),
      ...(s.followAccount ? { followAccount: true } : {}),
    });
  }
  return {
    instruments: plan.instruments as unknown as FleetPlan['instruments'],
    accounts: plan.accounts,
    strategies,
    ...(plan.mode ? { mode: plan.mode } : {}),
    ...(plan.accountManager
      ? { accountManager: plan.accountManager as unknown as NonNullable<FleetPlan['accountManager']> }
      : {}),
  };
}

/** A JSON-lines logger on standard output: what {@link launchFleet} reads from its replicas. */
export function jsonLinesLogger(
  bindings: Record<string, unknown>,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const line =
    (level: string) =>
    (fields: object | string, message?: string): void => {
      const body = typeof fields === 'string' ? { msg: fields } : { ...fields, msg: message };
      write(`${JSON.stringify({ level, ...bindings, ...body })}\n`);
    };
  return {
    debug: () => {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => jsonLinesLogger({ ...bindings, ...more }, write),
  };
}

/** A started role replica process (see {@link startRoleProcess}). */
export interface RoleProcess {
  /** Stops the role, closes the bus and the store. */
  stop(): Promise<void>;
}

/**
 * Runs one fleet role replica in this process on RabbitMQ (its own connection) with its journal in
 * Redis: the entry of each process {@link launchFleet} starts. Logs JSON lines on standard output:
 * `{"msg":"partitions"}` whenever its share of a consumer group changes and `{"msg":"ready"}` once it
 * has not changed for a second. Stops cleanly on SIGTERM and SIGINT.
 */
export async function startRoleProcess(input: RoleProcessConfig): Promise<RoleProcess> {
  const parsed = RoleProcessConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid fleet role config: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const { role, replica, runId } = config;
  const names = fleetNames(runId);
  const logger = jsonLinesLogger({ role, replica });
  const plan = await resolveFilePlan(config.plan);
  const [{ createRabbitMqMessageBus }, { createRedisStateStore }] = await Promise.all([
    import('@rxtrade/rabbitmq'),
    import('@rxtrade/redis'),
  ]);
  const bus: MessageBus & {
    stats(): { connected: boolean; partitions: Readonly<Record<string, readonly number[]>> };
  } = await createRabbitMqMessageBus({
    url: config.rabbitmqUrl,
    exchange: names.exchange,
    connectionName: `${names.exchange}-${role}-${replica}`,
    queueType: 'classic',
    partitions: config.partitions,
    rebalanceIntervalMs: config.rebalanceIntervalMs,
    logger,
  });
  const store: StateStore & { close(): Promise<void> } = createRedisStateStore(
    { url: config.redisUrl },
    { prefix: names.redisPrefix },
  );
  const journal = new FleetJournal(store, names.journal);
  const venue = config.venue ? { venue: config.venue } : {};
  const shadow = config.shadow;
  const instruments = [...new ResolvedPlan(plan).instruments.values()];
  const execution = shadow && {
    execution: shadowExecution({
      instruments,
      real: (_accountId, clock) => new SimulatedVenue({ ...config.venue, instruments, clock }),
      logger,
      onDocument: async (accountId, report) => {
        await writeShadowFiles(report, {
          dir: shadow.dir,
          name: `shadow-${accountId}`,
          title: `Fleet account ${accountId}: live vs simulated`,
        });
      },
    }),
  };
  const views = config.readModel ? { views: { store, prefix: FLEET_VIEW_PREFIX } } : {};
  let started: { stop(): Promise<void> };
  if (role === 'gateway') {
    const gateway = await startGatewayRole({
      bus,
      store,
      plan,
      redisUrl: config.redisUrl,
      redisPrefix: names.redisPrefix,
      port: config.gateway?.port ?? 0,
      host: config.gateway?.host ?? '127.0.0.1',
      ...(config.gateway?.bootstrapKey === undefined ? {} : { bootstrapKey: config.gateway.bootstrapKey }),
      logger,
    });
    logger.info({ url: gateway.url }, 'gateway listening');
    started = gateway;
  } else {
    const runner =
      role === 'strategy'
        ? new StrategyRole({ bus, plan, journal, logger, ...views })
        : role === 'order'
          ? new OrderRole({
              bus,
              plan,
              journal,
              logger,
              replicaId: `${runId}-${replica}`,
              ...(config.closeAtEnd ? { closeAtEnd: true } : {}),
              ...venue,
              ...execution,
            })
          : new RiskRole({
              bus,
              plan,
              journal,
              logger,
              ...views,
              ...(config.budgets ? { budgets: config.budgets } : {}),
            });
    const history =
      role === 'order' && config.history
        ? await startHistoryWriter({
            bus,
            ...config.history,
            runId,
            params: {
              accounts: plan.accounts.map((a) => a.id),
              strategies: plan.strategies.map((s) => s.id),
            },
            logger,
          })
        : undefined;
    await runner.start();
    started = {
      async stop() {
        // The role first (its last fills are published), then the history drains.
        await runner.stop();
        await history?.stop();
      },
    };
  }
  // Ready once this replica's share of each consumer group has stopped changing for a second (the
  // groups rebalance as replicas join; a partition must not move from a live replica mid-run).
  let last = '';
  let changedAt = Date.now();
  let ready = false;
  const watch = setInterval(() => {
    const now = JSON.stringify(bus.stats().partitions);
    if (now !== last) {
      last = now;
      changedAt = Date.now();
      logger.info({ partitions: bus.stats().partitions }, 'partitions');
    } else if (!ready && Date.now() - changedAt >= 1_000) {
      ready = true;
      logger.info({ pid: process.pid }, 'ready');
    }
  }, 100);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(watch);
      await started.stop();
      await bus.close();
      await store.close();
    })();
    return stopping;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: String(error) }, 'stop failed');
          process.exit(1);
        },
      );
    });
  }
  return { stop };
}
