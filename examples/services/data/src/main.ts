import type { Bar } from '@rxtrade/core';
import { envelope } from '../../shared/src/envelope';
import { main } from '../../shared/src/harness';
import { replayBars } from '../../shared/src/replay-data';
import { PAYLOAD_TYPES } from '../../shared/src/schemas';
import { keys } from '../../shared/src/state-keys';
import { openBarCache, openHistory } from '../../shared/src/stores';
import { topics } from '../../shared/src/topics';

/**
 * Data service: stores the replay's bars in PostgreSQL (COPY, idempotent), then replays them in time
 * order: for each bar, Redis cache first (state before publish: a strategy replica that rebuilds from
 * the cache never misses a bar it was sent), then `bars.<symbol>` with `{ key: symbol }`.
 * Restartable: progress is in Redis, a restart resumes after the last published timestamp (a
 * re-published bar has the same envelope id and is deduped downstream).
 */
main('data', async (ctx) => {
  const { config, logger, bus, store, metrics } = ctx;
  const cache = openBarCache(ctx);
  const history = await openHistory(ctx, 2);

  const universe = await replayBars({ symbols: config.SYMBOLS, bars: config.BARS, csv: config.DATA_CSV });
  const all: Bar[] = [...universe.values()].flat();
  await history.bars.ingest(all);
  logger.info({ symbols: universe.size, bars: all.length }, 'history stored');

  const published = metrics.counter('bars_published_total', {
    help: 'Bars published on the bus',
    labelNames: ['symbol'],
  });
  const timeline = [...universe.values()];
  const length = Math.min(...timeline.map((b) => b.length));
  const progress = await store.get(keys.dataProgress);
  let startAt = progress?.['nextIndex'] !== undefined ? Number(progress['nextIndex']) : 0;
  let running = true;
  ctx.onStop(async () => {
    running = false;
    await loop;
  });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  const loop = (async () => {
    await store.apply({
      ops: [
        { op: 'set', key: keys.dataProgress, fields: { total: String(length * timeline.length), done: '0' } },
      ],
    });
    // With a rate, step k (one bar per symbol) is due at a fixed time from the start: a slow step
    // is caught up by the next ones instead of shifting every later bar.
    const stepMs =
      config.REPLAY_BARS_PER_SECOND > 0 ? (1_000 * timeline.length) / config.REPLAY_BARS_PER_SECOND : 0;
    const paceStart = performance.now();
    const firstIndex = startAt;
    // Steps whose publishes may wait for their confirms at once. Awaiting each step's confirms
    // before the next would cap the replay at one broker round trip per step.
    const window: Promise<unknown>[] = [];
    for (let k = startAt; k < length && running; k++) {
      if (stepMs > 0) {
        const wait = paceStart + (k - firstIndex) * stepMs - performance.now();
        if (wait > 0) await sleep(wait);
      }
      // State before publish: each bar is in the cache before its publish is issued. Publishes are
      // issued in step order on one channel, so every symbol's bars reach the broker in order.
      await Promise.all(timeline.map((bars) => cache.pushBar(bars[k] as Bar)));
      const step = Promise.all(
        timeline.map(async (bars) => {
          const bar = bars[k] as Bar;
          const id = `bar-${bar.symbol}-${bar.ts}`;
          // The envelope's ts is the wall-clock publish time; every message this bar causes carries
          // it on, so any service can tell how long ago its chain started (bar → order latency).
          await bus.publish(
            topics.bars(bar.symbol),
            envelope(PAYLOAD_TYPES.bar, bar, { id, correlationId: id, ts: Date.now() }),
            { key: bar.symbol },
          );
          published.add(1, { symbol: bar.symbol });
        }),
      );
      step.catch(() => undefined); // awaited below; this only marks a rejection as handled
      window.push(step);
      if (window.length >= 64) await window.shift();
      if (k % 100 === 99 || k === length - 1) {
        // Progress only covers confirmed steps: a restart re-sends the rest (deduped by id).
        await Promise.all(window.splice(0));
        startAt = k + 1;
        await store.apply({
          ops: [{ op: 'set', key: keys.dataProgress, fields: { nextIndex: String(k + 1) } }],
        });
      }
      if (stepMs === 0 && config.BAR_INTERVAL_MS > 0) await sleep(config.BAR_INTERVAL_MS);
    }
    await Promise.all(window.splice(0));
    if (startAt >= length) {
      await store.apply({
        ops: [{ op: 'set', key: keys.dataProgress, fields: { nextIndex: String(length), done: '1' } }],
      });
      const published = (length - firstIndex) * timeline.length;
      const seconds = (performance.now() - paceStart) / 1_000;
      logger.info(
        {
          bars: length * timeline.length,
          published,
          seconds,
          barsPerSecond: Math.round(published / seconds),
        },
        'replay finished',
      );
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'replay failed'));
});
