import { createMemoryMetrics, type Fill, isRxtradeError, type Logger } from '@rxtrade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryWriter } from './history-writer';
import { createPostgresHistory, type PostgresHistory } from './postgres-history';
import { backtestFills } from './test-fixtures/database';
import { type OwnPostgres, ownPostgresAvailable, spawnPostgres } from './test-fixtures/own-postgres';

const available = await ownPostgresAvailable();

interface Line {
  readonly level: string;
  readonly message: string | undefined;
  readonly fields: Record<string, unknown>;
}

function recorder(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (first: object | string, message?: string): void => {
      if (typeof first === 'string') lines.push({ level, message: first, fields: {} });
      else lines.push({ level, message, fields: first as Record<string, unknown> });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('HistoryWriter: history catches up after a PostgreSQL outage', () => {
  let server: OwnPostgres;
  let history: PostgresHistory;
  beforeAll(async () => {
    server = await spawnPostgres();
    history = createPostgresHistory({ connectionString: server.url, poolSize: 2 });
    await history.migrate();
    for (const runId of ['outage-run', 'down-run'])
      await history.runs.create({ runId, strategyId: 'sma-cross' });
  }, 120_000);
  afterAll(async () => {
    await history?.close();
    await server?.cleanup();
  });

  it('writes every fill exactly once when PostgreSQL is stopped mid-stream and started again', async () => {
    const lines: Line[] = [];
    const metrics = createMemoryMetrics();
    const writer = createHistoryWriter(history, {
      maxQueuedRecords: 50,
      retryDelay: { initialMs: 20, maxMs: 200 },
      logger: recorder(lines),
      metrics,
    });
    const runId = 'outage-run';
    const fills: Fill[] = backtestFills(209);
    let outage: Promise<void> | undefined;
    for (const [i, fill] of fills.entries()) {
      if (i === 60) {
        await server.stop();
        // Back up after a while; meanwhile the queue fills and the writes below wait for room.
        outage = sleep(1_500).then(() => server.start());
      }
      await writer.fills(runId, [fill]);
      // A redelivered fill (same tradeId) now and then: written once.
      if (i % 25 === 0) await writer.fills(runId, [fill]);
    }
    await outage;
    await writer.flush();
    expect((await history.fills.totals(runId)).fills).toBe(209);
    const stored = await history.fills.list(runId);
    expect(stored.map((f) => f.tradeId)).toEqual(fills.map((f) => f.tradeId));

    const stats = writer.stats();
    expect(stats).toMatchObject({ queued: 0, failing: false });
    expect(stats.failures).toBeGreaterThan(0);
    expect(stats.backpressureWaits).toBeGreaterThan(0);
    expect(metrics.value('history_write_failures_total', { kind: 'fills' })).toBe(stats.failures);
    expect(metrics.value('history_records_written_total', { kind: 'fills' })).toBe(209 + 9);
    expect(lines.some((l) => l.level === 'warn' && l.message?.includes('retrying until it lands'))).toBe(
      true,
    );
    expect(lines.some((l) => l.level === 'info' && l.message?.includes('landed after failures'))).toBe(true);
    expect(await writer.close()).toEqual({ unwritten: 0 });
  });

  it('refuses bad records at once, and says at close what an outage left unwritten', async () => {
    const lines: Line[] = [];
    const writer = createHistoryWriter(history, {
      retryDelay: { initialMs: 20, maxMs: 50 },
      closeTimeoutMs: 300,
      logger: recorder(lines),
    });
    const [fill] = backtestFills(1);
    await expect(writer.fills('r', [{ ...(fill as Fill), lastQty: -1 }])).rejects.toSatisfy(
      (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
    );
    await server.stop();
    try {
      await writer.fills('down-run', backtestFills(3));
      const flushed = writer.flush();
      expect(await writer.close()).toEqual({ unwritten: 3 });
      await expect(flushed).rejects.toSatisfy((e) => isRxtradeError(e) && e.code === 'CLOSED');
      await expect(writer.fills('down-run', backtestFills(1))).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'CLOSED',
      );
      expect(lines.some((l) => l.level === 'error' && l.fields['unwritten'] === 3)).toBe(true);
    } finally {
      await server.start();
    }
  });
});
