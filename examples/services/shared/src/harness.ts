import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, StateStore } from '@rxtrade/core';
import { componentLogger, createLogger } from '@rxtrade/logging';
import {
  createEventLoopMonitor,
  createMetricsHandler,
  createPrometheusMetrics,
  type EventLoopMonitor,
  type PrometheusMetrics,
} from '@rxtrade/prometheus';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import { createRedisClient, createRedisStateStore } from '@rxtrade/redis';
import type { Redis } from 'ioredis';
import { type FleetConfig, loadConfig, namespace } from './config';
import { createRedisDedupeStore } from './redis-dedupe';

/** What a service gets from the harness. */
export interface ServiceContext {
  readonly name: string;
  readonly config: FleetConfig;
  readonly ns: ReturnType<typeof namespace>;
  readonly logger: Logger;
  readonly metrics: PrometheusMetrics;
  readonly redis: Redis;
  readonly store: StateStore;
  readonly bus: RabbitMqMessageBus;
  /** Registers a cleanup run on shutdown, before the bus drains (last registered runs first). */
  onStop(fn: () => Promise<void> | void): void;
  /** Adds a readiness check shown on /health. */
  addCheck(name: string, check: () => boolean | Promise<boolean>): void;
  /** Adds an HTTP route (exact path). */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): void;
}

/**
 * Runs one service process: config from env, pino JSON logs, Redis + RabbitMQ connections, an HTTP
 * server with `/health` (503 until every connection is up) and `/metrics` (on a port of its own,
 * `METRICS_PORT`, when set — the gateway's too, whose app serves its own routes), and a graceful stop on
 * SIGTERM/SIGINT: the service's own stops (unsubscribe: no new messages), then `bus.close()` (running
 * handlers finish and are acked, publishes confirmed), then Redis and HTTP close, exit 0.
 */
export async function runService(
  name: string,
  // biome-ignore lint/suspicious/noConfusingVoidType: most services return nothing; the gateway returns its port
  start: (ctx: ServiceContext) => Promise<void | { port: number }>,
): Promise<void> {
  const config = loadConfig();
  const ns = namespace(config);
  const root = createLogger({
    level: config.LOG_LEVEL,
    base: { service: name, replica: config.REPLICA, pid: process.pid },
  });
  const logger = componentLogger(root, name);
  const metrics = createPrometheusMetrics({ prefix: 'rxtrade_' });
  const redis = createRedisClient(config.REDIS_URL);
  const store = createRedisStateStore({ client: redis }, { prefix: ns.redisPrefix });
  const bus = await createRabbitMqMessageBus({
    url: config.AMQP_URL,
    exchange: ns.exchange,
    connectionName: `${ns.exchange}-${name}-${config.REPLICA}`,
    partitions: config.BUS_PARTITIONS,
    dedupe: createRedisDedupeStore(redis, ns.redisPrefix),
    logger: componentLogger(root, 'bus'),
    closeTimeoutMs: 10_000,
  });

  const stops: (() => Promise<void> | void)[] = [];
  // Started once the service is up: start-up (data loading, compiling) may block the loop on purpose.
  let loop: EventLoopMonitor | undefined;
  const checks = new Map<string, () => boolean | Promise<boolean>>([
    ['broker', () => bus.stats().connected],
    ['redis', () => redis.status === 'ready'],
    // A blocked event loop cannot answer while it is blocked: the stall shows on the probes after it.
    ['loop', () => loop?.status().healthy ?? true],
  ]);
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>>();
  const metricsHandler = createMetricsHandler(metrics);
  // With METRICS_PORT, /metrics lives on a server of its own (see below), never on the main port.
  if (config.METRICS_PORT === undefined) routes.set('/metrics', metricsHandler);
  const metricsServer: Server | undefined =
    config.METRICS_PORT === undefined
      ? undefined
      : createServer((req, res) => {
          if ((req.url ?? '/').split('?')[0] !== '/metrics') {
            res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
            return;
          }
          Promise.resolve(metricsHandler(req, res)).catch((error: unknown) => {
            logger.error({ err: error, path: '/metrics' }, 'route failed');
            if (!res.headersSent) res.writeHead(500).end();
          });
        });
  routes.set('/health', async (_req, res) => {
    const result: Record<string, boolean> = {};
    for (const [key, check] of checks) {
      try {
        result[key] = await check();
      } catch {
        result[key] = false;
      }
    }
    const ok = Object.values(result).every(Boolean);
    res
      .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok, checks: result }));
  });

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      logger.error({ err: error, path }, 'route failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const ctx: ServiceContext = {
    name,
    config,
    ns,
    logger,
    metrics,
    redis,
    store,
    bus,
    onStop: (fn) => void stops.push(fn),
    addCheck: (key, check) => void checks.set(key, check),
    route: (path, handler) => void routes.set(path, handler),
  };

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal }, 'stopping');
      const watchdog = setTimeout(() => {
        logger.error({}, 'shutdown took over 20 s, exiting');
        process.exit(1);
      }, 20_000);
      watchdog.unref();
      for (const fn of stops.reverse()) {
        try {
          await fn();
        } catch (error) {
          logger.warn({ err: error }, 'stop hook failed');
        }
      }
      await bus.close();
      await store.close();
      await redis.quit().catch(() => undefined);
      for (const s of [server, metricsServer]) {
        if (!s?.listening) continue;
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      logger.info({}, 'stopped');
      clearTimeout(watchdog);
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT')); // Ctrl-C reaches us twice: directly and from the launcher

  const own = await start(ctx);
  loop = createEventLoopMonitor({ logger, metrics, stallThresholdMs: 2_000, unhealthyForMs: 10_000 });
  stops.unshift(() => loop?.stop());
  let port: number;
  if (own) {
    port = own.port; // the service serves HTTP itself (the gateway's app has its own /health, /metrics)
  } else {
    await new Promise<void>((resolve) => server.listen(config.HTTP_PORT, config.HTTP_HOST, resolve));
    port = (server.address() as AddressInfo).port;
  }
  let metricsPort: number | undefined;
  if (metricsServer) {
    await new Promise<void>((resolve) =>
      metricsServer.listen(config.METRICS_PORT, config.HTTP_HOST, resolve),
    );
    metricsPort = (metricsServer.address() as AddressInfo).port;
  }
  logger.info({ port, metricsPort, event: 'ready' }, 'service ready');
}

/** Entry point helper: runs the service and exits 1 (logged) when start-up fails. */
export function main(
  name: string,
  // biome-ignore lint/suspicious/noConfusingVoidType: as in runService
  start: (ctx: ServiceContext) => Promise<void | { port: number }>,
): void {
  runService(name, start).catch((error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: 60, service: name, msg: 'start-up failed', err: String(error) })}\n`,
    );
    process.exit(1);
  });
}
