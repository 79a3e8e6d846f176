import type { Bar } from '@rxtrade/core';
import { publishBars } from '@rxtrade/fleet';
import { main } from '../../shared/src/harness';
import { openJournal } from '../../shared/src/journal';
import { replayBars } from '../../shared/src/replay-data';
import { keys } from '../../shared/src/state-keys';
import { openHistory } from '../../shared/src/stores';
import { ReplayPace } from './pace';

/**
 * Data service: stores the replay's bars in PostgreSQL (COPY, idempotent), then hands them to the
 * fleet's `publishBars` (frames on `bars.<symbol>`, each kept in the fleet journal before it is
 * published), paced by `REPLAY_BARS_PER_SECOND` / `BAR_INTERVAL_MS`, at the bars' own time
 * (`REPLAY_AT_BAR_TIME=1`, a live rehearsal) or as fast as the broker confirms.
 *
 * Resumable and outage-proof: frame ids are deterministic (`bars:<symbol>:<seq>`), so a replay that
 * failed (a Redis or RabbitMQ outage) or a restarted service publishes the same frames again from the
 * first, unpaced up to the recorded progress (consumers drop what they already have), then on at the
 * configured pace. A failed replay is retried with backoff until it finishes; `/health` is 503 while
 * the replay is failing or has not moved for `REPLAY_STALL_MS`.
 */
main('data', async (ctx) => {
  const { config, logger, store, metrics } = ctx;
  const journal = openJournal(ctx);
  const history = await openHistory(ctx, 2);

  const universe = await replayBars({ symbols: config.SYMBOLS, bars: config.BARS, csv: config.DATA_CSV });
  const timeline = [...universe.values()];
  const all: Bar[] = timeline.flat();
  await history.bars.ingest(all);
  logger.info({ symbols: universe.size, bars: all.length }, 'history stored');

  const steps = Math.min(...timeline.map((b) => b.length));
  const published = metrics.counter('bars_published_total', { help: 'Bars handed to the replay' });
  const failures = metrics.counter('replay_failures_total', { help: 'Replay attempts that failed' });
  const stepMs =
    config.REPLAY_BARS_PER_SECOND > 0
      ? (1_000 * timeline.length) / config.REPLAY_BARS_PER_SECOND
      : config.BAR_INTERVAL_MS;
  // Paced bars travel one per frame (a frame leaves when the next bar of its symbol arrives);
  // an unpaced replay batches them.
  const paced = stepMs > 0 || config.REPLAY_AT_BAR_TIME;
  const frameSize = config.REPLAY_FRAME_BARS > 0 ? config.REPLAY_FRAME_BARS : paced ? 1 : 500;
  const pace = new ReplayPace({
    stepMs,
    stallMs: config.REPLAY_STALL_MS,
    // Step k at its bars' time: the earliest of the symbols' bar k (a replay's timeline shares it).
    ...(config.REPLAY_AT_BAR_TIME
      ? { dueAt: (k: number) => Math.min(...timeline.map((series) => (series[k] as Bar).ts)) }
      : {}),
  });
  ctx.addCheck('replay', () => pace.healthy());

  const controller = new AbortController();
  let finished = false;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      controller.signal.addEventListener('abort', done, { once: true });
    });

  /** Bar k of every symbol, step by step; paced past `resumeAt`, recording progress every 100 steps. */
  async function* bars(resumeAt: number): AsyncGenerator<Bar> {
    pace.begin(resumeAt);
    for (let k = 0; k < steps; k++) {
      if (k >= resumeAt) {
        const wait = pace.beforeStep(k);
        if (wait > 0) await sleep(wait);
      }
      // Thrown, not returned: a generator that ended would mark each symbol's pending frame as its last.
      if (controller.signal.aborted) throw new Error('replay stopped');
      for (const series of timeline) yield series[k] as Bar;
      pace.stepped(k);
      if (k >= resumeAt) published.add(timeline.length);
      if (k % 100 === 99 && k >= resumeAt) {
        await store.apply({
          ops: [{ op: 'set', key: keys.dataProgress, fields: { nextIndex: String(k + 1) } }],
        });
      }
    }
  }

  const replay = (async () => {
    for (let attempt = 0; !controller.signal.aborted; attempt++) {
      try {
        const progress = await store.get(keys.dataProgress);
        const resumeAt = Math.min(steps, Number(progress?.['nextIndex'] ?? 0));
        if (progress?.['done'] === '1') {
          logger.info({ bars: all.length }, 'replay already finished');
          pace.finish();
          return;
        }
        const started = performance.now();
        const sent = await publishBars({
          bus: ctx.bus,
          journal,
          data: bars(resumeAt),
          frameSize,
          signal: controller.signal,
        });
        if (controller.signal.aborted) return;
        await store.apply({
          ops: [{ op: 'set', key: keys.dataProgress, fields: { nextIndex: String(steps), done: '1' } }],
        });
        finished = true;
        pace.finish();
        const seconds = (performance.now() - started) / 1_000;
        logger.info(
          { bars: sent.bars, frames: sent.frames, seconds, barsPerSecond: Math.round(sent.bars / seconds) },
          'replay finished',
        );
        return;
      } catch (error) {
        if (controller.signal.aborted) return;
        failures.add(1);
        pace.failed();
        const backoff = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
        logger.error(
          { err: error, attempt, retryInMs: backoff },
          'replay failed; it resumes from its progress',
        );
        await sleep(backoff);
      }
    }
  })();
  ctx.onStop(async () => {
    if (!finished) controller.abort();
    await replay;
  });
});
