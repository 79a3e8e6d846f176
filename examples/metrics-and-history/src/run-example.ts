import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ClosedTrade,
  computeStatistics,
  createEngine,
  type Fill,
  ManualClock,
  type OrderEvent,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT, SP500_SYMBOL } from '@rxtrade/datasets';
import { componentLogger, createLogger } from '@rxtrade/logging';
import { createPostgresHistory, type PostgresHistory } from '@rxtrade/postgres';
import { bindEngineMetrics, createMetricsHandler, createPrometheusMetrics } from '@rxtrade/prometheus';
import type { DestinationStream } from 'pino';
import { SmaCross, type SmaCrossParams } from './strategy';

/** Options of {@link runExample}; every one has a default for `npm start`. */
export interface ExampleOptions {
  readonly databaseUrl?: string;
  /** Schema of the history tables. Default `rxtrade_example`. */
  readonly schema?: string;
  /** Port of `/metrics`; 0 picks a free one. Default 9464. */
  readonly port?: number;
  readonly host?: string;
  readonly params?: Partial<SmaCrossParams>;
  /** Where log lines go. Default stdout. */
  readonly logDestination?: DestinationStream;
}

/** What {@link runExample} leaves running, and what it did. */
export interface ExampleRun {
  readonly runId: string;
  readonly metricsUrl: string;
  readonly history: PostgresHistory;
  readonly fills: number;
  readonly closedTrades: number;
  readonly totalReturn: number;
  /** Stops the metrics endpoint and closes the database pool. Idempotent. */
  close(): Promise<void>;
}

/**
 * Stores the S&P 500 bars in PostgreSQL, backtests an SMA crossover over bars read back from it with
 * the engine's metrics bound to Prometheus, and writes the run (params, statistics, orders' events,
 * fills, closed trades) to PostgreSQL. The `/metrics` endpoint stays up until `close()`.
 */
export async function runExample(options: ExampleOptions = {}): Promise<ExampleRun> {
  const logger = createLogger({
    base: { service: 'metrics-and-history' },
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const log = componentLogger(logger, 'example');

  // History: migrate, then ingest the sample bars (a no-op from the second start on).
  const history = createPostgresHistory({
    connectionString: options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test',
    schema: options.schema ?? 'rxtrade_example',
    logger: componentLogger(logger, 'postgres'),
  });
  let server: Server | undefined;
  const close = async () => {
    await new Promise((resolve) => (server?.listening ? server.close(resolve) : resolve(undefined)));
    await history.close();
  };
  try {
    const migrated = await history.migrate();
    const ingest = await history.bars.ingest(await loadSp500Bars());
    log.info({ ...migrated, ...ingest }, 'history ready');

    // Metrics: one registry for this engine, served on /metrics.
    const metrics = createPrometheusMetrics();
    server = createServer(createMetricsHandler(metrics, { path: '/metrics' }));
    await new Promise<void>((resolve) =>
      server?.listen(options.port ?? 9464, options.host ?? '127.0.0.1', resolve),
    );
    const { port } = server.address() as AddressInfo;
    const metricsUrl = `http://${options.host ?? '127.0.0.1'}:${port}/metrics`;

    // The run: its id prefixes every order id, so ids never repeat across runs.
    const strategy = new SmaCross({ id: 'sma-cross', params: options.params ?? {} });
    const run = await history.runs.create({
      runId: `sma-cross-${randomUUID()}`,
      strategyId: strategy.id,
      params: strategy.params,
      meta: { data: `${SP500_SYMBOL} daily, vega-datasets sp500-2000.csv`, source: 'postgres' },
    });

    const clock = new ManualClock(0);
    const engine = createEngine({
      instruments: [SP500_INSTRUMENT],
      accounts: [{ id: 'main', initialCash: 100_000 }],
      strategies: [strategy],
      clock,
      logger: componentLogger(logger, 'engine'),
      metrics,
      orderIdPrefix: `${run.runId}-`,
    });
    const binding = bindEngineMetrics(engine, metrics);
    const events: OrderEvent[] = [];
    const fills: Fill[] = [];
    const closedTrades: ClosedTrade[] = [];
    binding.add(engine.orderEvents$.subscribe((e) => events.push(e)));
    binding.add(engine.fills$.subscribe((f) => fills.push(f)));
    binding.add(engine.closedTrades$.subscribe((t) => closedTrades.push(t)));

    // Backtest over the bars read back from PostgreSQL through a cursor.
    const timestamps: number[] = [];
    const equity: number[] = [];
    let exposed = 0;
    await engine.start();
    try {
      for await (const chunk of history.bars.source({ symbol: SP500_SYMBOL }).chunks()) {
        for (const bar of chunk) {
          clock.set(bar.ts);
          engine.processBar(bar);
          timestamps.push(bar.ts);
          equity.push(engine.account('main').equity);
          if (engine.positions('main').some((p) => p.quantity !== 0)) exposed++;
        }
      }
    } finally {
      await engine.stop();
      binding.unsubscribe();
    }
    const account = engine.account('main');
    const statistics = computeStatistics({
      timestamps,
      equity,
      trades: closedTrades,
      feesPaid: account.feesPaid,
      exposure: timestamps.length === 0 ? 0 : exposed / timestamps.length,
    });

    // Results: every write is idempotent, so a retried run writes nothing twice.
    await history.orders.appendEvents(run.runId, events);
    await history.fills.append(run.runId, fills);
    await history.closedTrades.append(run.runId, closedTrades);
    await history.runs.finish(run.runId, { stats: statistics, finishedAt: clock.now() });
    const totals = await history.fills.totals(run.runId);
    log.info(
      {
        runId: run.runId,
        fills: totals.fills,
        fees: totals.fees,
        closedTrades: closedTrades.length,
        totalReturn: statistics.totalReturn,
        metricsUrl,
      },
      'backtest stored',
    );
    return {
      runId: run.runId,
      metricsUrl,
      history,
      fills: fills.length,
      closedTrades: closedTrades.length,
      totalReturn: statistics.totalReturn,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
