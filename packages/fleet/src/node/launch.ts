import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BacktestData,
  type Fill,
  type Logger,
  RxtradeError,
  type StrategyBudgetConfig,
} from '@rxtrade/core';
import { mintApiKey } from '../gateway/api-keys';
import { type FleetRunResult, runFleet } from '../run-fleet';
import { fleetGroups, fleetSubscriptions, fleetTopics } from '../topics';
import { type FilePlan, fleetNames, type RoleProcessConfig, resolveFilePlan } from './role-process';
import { type FleetTeardown, removeFleetRun } from './teardown';

/** Default RabbitMQ of {@link launchFleet}: the local broker. */
export const LOCAL_RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The local PostgreSQL of `rxtrade fleet`'s history (the database `npm run services` uses). */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** Default Redis of {@link launchFleet}: the local server. */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** Options of {@link launchFleet}. */
export interface LaunchFleetOptions {
  readonly plan: FilePlan;
  /** Bars of the plan's symbols, in time order; published by this process. */
  readonly data: BacktestData;
  /** Default {@link LOCAL_RABBITMQ_URL}. */
  readonly rabbitmqUrl?: string;
  /** Default {@link LOCAL_REDIS_URL}. */
  readonly redisUrl?: string;
  /** Replica processes of each role. Default 1 each. */
  readonly replicas?: { readonly strategy?: number; readonly risk?: number; readonly order?: number };
  /** Partition queues per consumer group. Default 4. */
  readonly partitions?: number;
  /** Names everything the run creates (see `fleetNames`). Default: a random id. */
  readonly runId?: string;
  /** Options of each account's simulated venue (JSON: slippage, partial fills). */
  readonly venue?: Record<string, unknown>;
  /** Cash budgets per strategy id, checked by the risk replicas as `runBacktest`'s `budgets`. */
  readonly budgets?: StrategyBudgetConfig;
  /** Flatten at the last close when the data ends, as `runBacktest`'s `closeAtEnd` (the order replicas'). */
  readonly closeAtEnd?: boolean;
  /**
   * Starts the gateway role too (`@rxtrade/fleet/gateway`: the HTTP API over the run's bus and the
   * risk role's read model) with a first API key for the plan's accounts; see
   * {@link LaunchedFleet.gateway}. Default: no gateway.
   */
  readonly gateway?: { readonly port?: number; readonly host?: string };
  /**
   * Keeps the run's fills in PostgreSQL at this URL (`@rxtrade/postgres`, an optional peer), in the
   * schema {@link LaunchedFleet.historySchema}, written by the order replicas as the services' order
   * process writes them; `stop()` drops the schema. Default: no history.
   */
  readonly historyUrl?: string;
  /**
   * A shadow venue beside each account's venue at the order replicas: each writes the documents of
   * the accounts it traded to `<dir>/shadow-<accountId>.json|.html` when it stops (see {@link LaunchedFleet.stop}).
   */
  readonly shadow?: { readonly dir: string };
  /** Bars per frame. Default 500. */
  readonly frameSize?: number;
  /** The run gives up with `TIMEOUT` after this. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** How long the replicas may take to start and settle their groups. Default 180 s. */
  readonly readyTimeoutMs?: number;
  /** Called with each fill as it arrives. */
  readonly onFill?: (fill: Fill) => void;
  /** Each JSON line a replica logs. */
  readonly onLine?: (replica: FleetReplica, line: Readonly<Record<string, unknown>>) => void;
  readonly logger?: Logger;
}

/** One role replica process of a launched fleet. */
export interface FleetReplica {
  readonly role: 'strategy' | 'risk' | 'order' | 'gateway';
  readonly replica: number;
  readonly process: ChildProcess;
  /** Its JSON log lines so far. */
  readonly lines: readonly Readonly<Record<string, unknown>>[];
}

/** A fleet of role processes, replaying its data (see {@link launchFleet}). */
export interface LaunchedFleet {
  readonly runId: string;
  /** The run's RabbitMQ exchange: every queue and exchange of the run starts with it. */
  readonly exchange: string;
  /** The run's Redis key prefix. */
  readonly redisPrefix: string;
  readonly replicas: readonly FleetReplica[];
  /**
   * With the `gateway` option: where the gateway listens, and a first API key (scopes read, trade,
   * admin; the plan's accounts), minted for this run — only its hash is stored, in the run's Redis
   * prefix, so it goes with the run.
   */
  readonly gateway?: { readonly url: string; readonly apiKey: string };
  /** With `historyUrl`: the run's PostgreSQL schema (`rxtrade_fleet_<run id>`). */
  readonly historySchema?: string;
  /** Settles when every account has seen its last bar and every fill arrived (the processes keep running). */
  readonly result: Promise<FleetRunResult>;
  /**
   * Stops every replica (SIGTERM, SIGKILL after 10 s), cancels the replay if it still runs, and removes
   * everything the run created: its queues and exchanges, and its Redis keys.
   */
  stop(): Promise<FleetTeardown>;
}

/** The module a replica process runs, and how: `.ts` sources run through tsx. */
function replicaEntry(): { readonly path: string; readonly execArgv: readonly string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const path = fileURLToPath(new URL(`./role-main${ext === '.ts' ? '.ts' : '.js'}`, import.meta.url));
  if (ext !== '.ts') return { path, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { path, execArgv: ['--import', tsx, '--conditions=rxtrade-source'] };
}

/**
 * Starts a fleet as local processes on RabbitMQ and Redis — strategy ×N, risk ×M, order ×K, each its
 * own process with its own connection, journals in Redis — waits until every replica is subscribed and
 * the consumer groups have settled, then replays `data` from this process. The plan's strategies are
 * modules loaded by file in each process, as `rxtrade backtest --strategy` loads them.
 *
 * @example
 * const fleet = await launchFleet({ plan, data: bars, replicas: { strategy: 3, risk: 2, order: 2 } });
 * try { console.log((await fleet.result).fills.length); } finally { await fleet.stop(); }
 */
export async function launchFleet(options: LaunchFleetOptions): Promise<LaunchedFleet> {
  const rabbitmqUrl = options.rabbitmqUrl ?? LOCAL_RABBITMQ_URL;
  const redisUrl = options.redisUrl ?? LOCAL_REDIS_URL;
  const runId = options.runId ?? `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const names = fleetNames(runId);
  const partitions = options.partitions ?? 4;
  const counts = {
    strategy: options.replicas?.strategy ?? 1,
    risk: options.replicas?.risk ?? 1,
    order: options.replicas?.order ?? 1,
  };
  // Loaded here too: a bad plan or strategy file fails before any process starts.
  const plan = await resolveFilePlan(options.plan);
  const [{ createRabbitMqMessageBus }, { createRedisStateStore }] = await Promise.all([
    import('@rxtrade/rabbitmq'),
    import('@rxtrade/redis'),
  ]);
  const entry = replicaEntry();
  const history =
    options.historyUrl === undefined
      ? undefined
      : {
          url: options.historyUrl,
          schema: `rxtrade_fleet_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
        };
  const key = options.gateway
    ? mintApiKey({
        scopes: ['read', 'trade', 'admin'],
        accounts: plan.accounts.map((a) => a.id),
        label: `rxtrade fleet ${runId}`,
      })
    : undefined;
  const replicas: (FleetReplica & { lines: Record<string, unknown>[]; stderr: string[] })[] = [];
  const spawnReplica = (role: FleetReplica['role'], replica: number) => {
    const config: RoleProcessConfig = {
      role,
      replica,
      runId,
      rabbitmqUrl,
      redisUrl,
      partitions,
      plan: options.plan,
      ...(options.venue ? { venue: options.venue } : {}),
      ...(options.budgets && role === 'risk' ? { budgets: options.budgets } : {}),
      ...(options.closeAtEnd && role === 'order' ? { closeAtEnd: true } : {}),
      // The read model the gateway shows: risk's accounts and orders, the strategies' status.
      ...(options.gateway && (role === 'risk' || role === 'strategy') ? { readModel: true } : {}),
      ...(history && role === 'order' ? { history } : {}),
      ...(options.gateway && role === 'gateway'
        ? { gateway: { ...options.gateway, bootstrapKey: key?.record } }
        : {}),
      ...(options.shadow && role === 'order' ? { shadow: options.shadow } : {}),
    };
    const child = fork(entry.path, [], {
      execArgv: [...entry.execArgv],
      env: { ...process.env, FLEET_ROLE_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const out = {
      role,
      replica,
      process: child,
      lines: [] as Record<string, unknown>[],
      stderr: [] as string[],
    };
    let rest = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.startsWith('{')) continue;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(part) as Record<string, unknown>;
        } catch {
          continue;
        }
        out.lines.push(line);
        if (line['msg'] === 'partitions') lastChange = Date.now();
        options.onLine?.(out, line);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      out.stderr.push(chunk);
      if (out.stderr.length > 50) out.stderr.shift();
    });
    replicas.push(out);
  };
  let lastChange = Date.now();
  for (let i = 0; i < counts.order; i++) spawnReplica('order', i);
  for (let i = 0; i < counts.risk; i++) spawnReplica('risk', i);
  for (let i = 0; i < counts.strategy; i++) spawnReplica('strategy', i);
  if (options.gateway) spawnReplica('gateway', 0);

  const exited = (r: FleetReplica) => r.process.exitCode !== null || r.process.signalCode !== null;
  let stopping: Promise<FleetTeardown> | undefined;
  const abort = new AbortController();
  const store = createRedisStateStore({ url: redisUrl }, { prefix: names.redisPrefix });
  const stopReplicas = async (): Promise<void> => {
    await Promise.all(
      replicas.map(async (r) => {
        if (exited(r)) return;
        const gone = new Promise((resolve) => r.process.once('exit', resolve));
        r.process.kill('SIGTERM');
        const timer = setTimeout(() => r.process.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }),
    );
  };
  let result: Promise<FleetRunResult> | undefined;
  const stop = (): Promise<FleetTeardown> => {
    stopping ??= (async () => {
      // The store closes whatever happens to the clean-up (RabbitMQ down as well): an open Redis
      // connection would keep the caller's process alive after its error was printed.
      try {
        return await cleanUp();
      } finally {
        await store.close();
      }
    })();
    return stopping;
  };
  const cleanUp = async (): Promise<FleetTeardown> => {
    abort.abort();
    await result?.catch(() => {});
    await stopReplicas();
    return removeFleetRun({
      rabbitmqUrl,
      exchange: names.exchange,
      partitions,
      groups: [
        ...fleetSubscriptions({
          runId,
          strategyIds: plan.strategies.map((s) => s.id),
          orderReplicaIds: [...Array(counts.order).keys()].map((i) => `${runId}-${i}`),
        }),
        ...(history ? [{ group: fleetGroups.history, pattern: fleetTopics.allFills }] : []),
      ],
      redisUrl,
      redisPrefix: names.redisPrefix,
      ...(history ? { history } : {}),
    });
  };

  try {
    await waitUntil(
      () => {
        const dead = replicas.find(exited);
        if (dead) {
          throw new RxtradeError({
            code: 'ADAPTER_FAILURE',
            message: `the ${dead.role} replica ${dead.replica} exited while starting: ${dead.stderr.join('').trim() || `exit code ${dead.process.exitCode}`}`,
          });
        }
        // Every replica subscribed, and no group has changed hands for 1.5 s: no partition moves mid-run.
        return (
          replicas.every((r) => r.lines.some((l) => l['msg'] === 'ready')) && Date.now() - lastChange > 1_500
        );
      },
      options.readyTimeoutMs ?? 180_000,
      () =>
        `the fleet replicas did not become ready (waiting for ${
          replicas
            .filter((r) => !r.lines.some((l) => l['msg'] === 'ready'))
            .map((r) => `${r.role}-${r.replica}`)
            .join(', ') || `the groups to settle; last change ${Date.now() - lastChange} ms ago`
        })`,
    );
  } catch (error) {
    // The reason it did not start, not a clean-up failure it causes (RabbitMQ down fails both).
    await stop().catch(() => {});
    throw error;
  }
  result = runFleet({
    plan,
    data: options.data,
    runId,
    rolesElsewhere: true,
    store,
    keepState: true,
    signal: abort.signal,
    connect: (role, replica) =>
      createRabbitMqMessageBus({
        url: rabbitmqUrl,
        exchange: names.exchange,
        connectionName: `${names.exchange}-${role}-${replica}`,
        queueType: 'classic',
        partitions,
      }),
    ...(options.frameSize !== undefined ? { frameSize: options.frameSize } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onFill ? { onFill: options.onFill } : {}),
  });
  result.catch(() => {});
  const listening = replicas
    .find((r) => r.role === 'gateway')
    ?.lines.find((l) => l['msg'] === 'gateway listening')?.['url'];
  return {
    runId,
    exchange: names.exchange,
    redisPrefix: names.redisPrefix,
    replicas,
    ...(key && typeof listening === 'string' ? { gateway: { url: listening, apiKey: key.key } } : {}),
    ...(history ? { historySchema: history.schema } : {}),
    result,
    stop,
  };
}

async function waitUntil(check: () => boolean, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new RxtradeError({ code: 'TIMEOUT', message: `${message()} in ${timeoutMs} ms` });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
