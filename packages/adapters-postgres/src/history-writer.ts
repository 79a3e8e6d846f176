import {
  type ClosedTrade,
  type Fill,
  type Logger,
  type MetricsSink,
  noopLogger,
  noopMetrics,
  type Order,
  type OrderEvent,
  RxtradeError,
} from '@rxtrade/core';
import { z } from 'zod';
import type { PostgresHistory } from './postgres-history';
import { assertFills } from './trade-stores';
import { assertRecords } from './validate';

/** Options of {@link createHistoryWriter}. */
export interface HistoryWriterOptions {
  /**
   * Records accepted but not yet in PostgreSQL. When full, the write methods wait for room
   * (back-pressure): nothing is ever dropped. Default 100,000.
   */
  readonly maxQueuedRecords?: number;
  /** Most records in one INSERT (consecutive writes of one kind and run are merged). Default 1,000. */
  readonly maxBatchRecords?: number;
  /** Backoff between attempts of a failing write, capped exponential. Default 100 ms doubling to 5,000 ms. */
  readonly retryDelay?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * An attempt not answered within this counts as failed and is retried (a server that stopped
   * answering without closing the connection would otherwise hold the queue silently). The late
   * attempt may still land; the writes are idempotent. Default 30,000 ms.
   */
  readonly attemptTimeoutMs?: number;
  /** How long `close()` waits for the queue to drain. Default 10,000 ms. */
  readonly closeTimeoutMs?: number;
  /** Failures (warn, then error every 10th attempt), recoveries (info) and records left at close (error). */
  readonly logger?: Logger;
  /** `history_write_failures_total{kind}`, `history_records_written_total{kind}`, `history_queued_records`, `history_backpressure_waits_total`. */
  readonly metrics?: MetricsSink;
}

/** Counters of a {@link HistoryWriter}. */
export interface HistoryWriterStats {
  /** Records accepted and not yet written. */
  readonly queued: number;
  /** Records written (or found already there: the writes are idempotent). */
  readonly written: number;
  /** Failed attempts; each was retried. */
  readonly failures: number;
  /** Times a write method waited for room in a full queue. */
  readonly backpressureWaits: number;
  /** True from a failed attempt until the next write lands: report it in `/health`. */
  readonly failing: boolean;
}

/**
 * Writes history to PostgreSQL without losing any of it to an outage: each write is queued, written
 * in order, and retried until it lands. Every write is idempotent (fills by `tradeId`, order events
 * by content, order snapshots by `clientOrderId` and `tsLast`, closed trades by their key), so a
 * retry of an INSERT whose reply was lost writes nothing twice, and a redelivered fill can be written
 * again safely.
 *
 * The write methods validate the records (`INVALID_ARGUMENT` at once, nothing queued) and resolve
 * once they are queued; {@link HistoryWriter.flush} resolves once they are written. The queue is in
 * memory: what is queued when the process dies is lost, so write history from a source you can
 * replay (the bus, the state store) or await `flush()` before acknowledging.
 */
export interface HistoryWriter {
  fills(runId: string, fills: readonly Fill[]): Promise<void>;
  orderEvents(runId: string, events: readonly OrderEvent[]): Promise<void>;
  orders(runId: string, orders: readonly Order[]): Promise<void>;
  closedTrades(runId: string, trades: readonly ClosedTrade[]): Promise<void>;
  /** Resolves when everything queued before the call is written. */
  flush(): Promise<void>;
  stats(): HistoryWriterStats;
  /**
   * Refuses new writes (`CLOSED`), waits up to `closeTimeoutMs` for the queue to drain, then stops
   * retrying. Resolves with how many records were not written (also logged at error). Idempotent.
   * Does not close the {@link PostgresHistory}.
   */
  close(): Promise<{ readonly unwritten: number }>;
}

type Kind = 'fills' | 'orderEvents' | 'orders' | 'closedTrades';

interface Entry {
  readonly seq: number;
  readonly kind: Kind;
  readonly runId: string;
  readonly records: readonly unknown[];
}

const OptionsSchema = z.object({
  maxQueuedRecords: z.number().int().positive().default(100_000),
  maxBatchRecords: z.number().int().positive().max(50_000).default(1_000),
  retryDelay: z
    .object({
      initialMs: z.number().int().positive().default(100),
      maxMs: z.number().int().positive().default(5_000),
    })
    .default({ initialMs: 100, maxMs: 5_000 }),
  closeTimeoutMs: z.number().int().nonnegative().default(10_000),
  attemptTimeoutMs: z.number().int().positive().default(30_000),
});

/**
 * Creates a {@link HistoryWriter} over a {@link PostgresHistory}.
 *
 * @example
 * const writer = createHistoryWriter(history, { logger, metrics });
 * await writer.fills(runId, [fill]); // queued; written, and retried through an outage, in the background
 * await writer.close();
 */
export function createHistoryWriter(
  history: PostgresHistory,
  options: HistoryWriterOptions = {},
): HistoryWriter {
  const { logger: givenLogger, metrics: givenMetrics, ...rest } = options;
  const parsed = OptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid history writer options: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const { maxQueuedRecords, maxBatchRecords, retryDelay, closeTimeoutMs, attemptTimeoutMs } = parsed.data;
  const logger = givenLogger ?? noopLogger;
  const metrics = givenMetrics ?? noopMetrics;
  const failuresTotal = metrics.counter('history_write_failures_total', {
    help: 'Failed attempts to write history to PostgreSQL (each is retried), by kind.',
    labelNames: ['kind'],
  });
  const writtenTotal = metrics.counter('history_records_written_total', {
    help: 'History records written to PostgreSQL, by kind.',
    labelNames: ['kind'],
  });
  const queuedGauge = metrics.gauge('history_queued_records', {
    help: 'History records accepted and not yet written.',
  });
  const waitsTotal = metrics.counter('history_backpressure_waits_total', {
    help: 'Times a history write waited for room in the full queue.',
  });

  const queue: Entry[] = [];
  let queued = 0;
  let seq = 0;
  let landedSeq = 0;
  let written = 0;
  let failures = 0;
  let backpressureWaits = 0;
  let failing = false;
  let closing = false;
  let stopped = false;
  let running: Promise<void> | undefined;
  let closed: Promise<{ unwritten: number }> | undefined;
  let wake: (() => void) | undefined;
  let roomWaiters: Array<() => void> = [];
  let flushWaiters: Array<{
    readonly seq: number;
    readonly resolve: () => void;
    readonly reject: (error: RxtradeError) => void;
  }> = [];
  const closedError = (message: string) => new RxtradeError({ code: 'CLOSED', message });

  const write = (entry: { kind: Kind; runId: string; records: readonly unknown[] }): Promise<unknown> => {
    switch (entry.kind) {
      case 'fills':
        return history.fills.append(entry.runId, entry.records as Fill[]);
      case 'orderEvents':
        return history.orders.appendEvents(entry.runId, entry.records as OrderEvent[]);
      case 'orders':
        return history.orders.upsert(entry.runId, entry.records as Order[]);
      case 'closedTrades':
        return history.closedTrades.append(entry.runId, entry.records as ClosedTrade[]);
    }
  };

  const attempt = (entry: { kind: Kind; runId: string; records: readonly unknown[] }): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RxtradeError({
              code: 'TIMEOUT',
              message: `postgres history write not answered within ${attemptTimeoutMs} ms`,
            }),
          ),
        attemptTimeoutMs,
      );
    });
    const write$ = write(entry);
    write$.catch(() => {}); // a late failure of an attempt that timed out is already counted
    return Promise.race([write$, timeout]).finally(() => clearTimeout(timer));
  };

  const settle = (): void => {
    const rooms = roomWaiters;
    roomWaiters = [];
    for (const resolve of rooms) resolve();
    const still: typeof flushWaiters = [];
    for (const waiter of flushWaiters) waiter.seq <= landedSeq ? waiter.resolve() : still.push(waiter);
    flushWaiters = still;
  };

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const drain = async (): Promise<void> => {
    while (queue.length > 0 && !stopped) {
      const head = queue[0] as Entry;
      let take = 0;
      let records = 0;
      const started = Date.now();
      let attempts = 1;
      for (; !stopped; attempts++) {
        // Consecutive writes of one kind and run go in one INSERT, in order; gathered again on each
        // attempt, so a write retried through an outage takes what queued behind it meanwhile.
        take = 1;
        records = head.records.length;
        while (take < queue.length) {
          const next = queue[take] as Entry;
          if (next.kind !== head.kind || next.runId !== head.runId) break;
          if (records + next.records.length > maxBatchRecords) break;
          records += next.records.length;
          take++;
        }
        const batch = queue.slice(0, take).flatMap((entry) => entry.records);
        try {
          await attempt({ kind: head.kind, runId: head.runId, records: batch });
          break;
        } catch (error) {
          failures++;
          failing = true;
          failuresTotal.add(1, { kind: head.kind });
          // The SQLSTATE tells a connection failure (08…, 57P…) from one that needs an operator (23…, 42…).
          const cause = error instanceof RxtradeError ? error.cause : error;
          const sqlstate = (cause as { code?: unknown } | undefined)?.code;
          const fields = {
            err: error,
            kind: head.kind,
            runId: head.runId,
            attempt: attempts,
            queued,
            sqlstate,
          };
          if (attempts === 1) logger.warn(fields, 'postgres: history write failed; retrying until it lands');
          else if (attempts % 10 === 0)
            logger.error(fields, 'postgres: history write still failing; retrying');
          await pause(Math.min(retryDelay.maxMs, retryDelay.initialMs * 2 ** Math.min(attempts - 1, 20)));
        }
      }
      if (stopped) break;
      if (attempts > 1) {
        logger.info(
          { kind: head.kind, attempts, downMs: Date.now() - started, queued },
          'postgres: history write landed after failures',
        );
      }
      failing = false;
      const done = queue.splice(0, take);
      queued -= records;
      written += records;
      landedSeq = (done[done.length - 1] as Entry).seq;
      writtenTotal.add(records, { kind: head.kind });
      queuedGauge.set(queued);
      settle();
    }
    running = undefined;
  };

  const accept = async (kind: Kind, runId: string, records: readonly unknown[]): Promise<void> => {
    if (closing) throw closedError('the history writer is closed');
    if (typeof runId !== 'string' || runId.length === 0) {
      throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'runId must be a non-empty string' });
    }
    if (kind === 'fills') assertFills(records as Fill[]);
    else
      assertRecords(
        kind === 'orders' ? 'order' : kind === 'closedTrades' ? 'closed trade' : 'order event',
        records,
      );
    if (records.length === 0) return;
    // A write larger than the whole queue still goes, alone, once the queue is empty.
    if (queued > 0 && queued + records.length > maxQueuedRecords) {
      backpressureWaits++;
      waitsTotal.add(1);
      while (queued > 0 && queued + records.length > maxQueuedRecords) {
        await new Promise<void>((resolve) => roomWaiters.push(resolve));
        if (stopped) throw closedError('the history writer is closed');
      }
    }
    // Copied: a caller reusing its array cannot change what is written.
    queue.push({ seq: ++seq, kind, runId, records: [...records] });
    queued += records.length;
    queuedGauge.set(queued);
    running ??= drain();
  };

  const writer: HistoryWriter = {
    fills: (runId, fills) => accept('fills', runId, fills),
    orderEvents: (runId, events) => accept('orderEvents', runId, events),
    orders: (runId, orders) => accept('orders', runId, orders),
    closedTrades: (runId, trades) => accept('closedTrades', runId, trades),
    flush() {
      if (landedSeq >= seq) return Promise.resolve();
      if (stopped)
        return Promise.reject(closedError('the history writer closed before these records were written'));
      const target = seq;
      return new Promise((resolve, reject) => flushWaiters.push({ seq: target, resolve, reject }));
    },
    stats: () => ({ queued, written, failures, backpressureWaits, failing }),
    close() {
      closed ??= (async () => {
        closing = true;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          writer.flush().catch(() => {}),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, closeTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        stopped = true;
        wake?.();
        await running;
        const unwritten = queued;
        if (unwritten > 0) {
          logger.error(
            { unwritten, closeTimeoutMs },
            'postgres: history writer closed with records not written',
          );
        }
        // Writers still waiting for room are refused with CLOSED, and so are flushes of what was not written.
        for (const resolve of roomWaiters) resolve();
        roomWaiters = [];
        for (const waiter of flushWaiters) {
          waiter.reject(closedError('the history writer closed before these records were written'));
        }
        flushWaiters = [];
        return { unwritten };
      })();
      return closed;
    },
  };
  return writer;
}
