import { isRxtradeError } from '@rxtrade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisClientOptions } from '../src/connection';
import { createRedisLockManager } from '../src/lock-manager';
import { createRedisMarketDataCache } from '../src/market-data-cache';
import { createRedisStateStore } from '../src/state-store';
import { eventually, sleep } from './helpers';
import { requireRedisServerBinary, type SpawnedRedis, spawnRedis } from './redis-server';

const binary = await requireRedisServerBinary();

interface Probe {
  readonly ms: number;
  readonly code: string;
}

/** Runs `call` and reports how long it took and which error code it failed with ('ok' if it did not). */
async function probe(call: () => Promise<unknown>): Promise<Probe> {
  const started = performance.now();
  try {
    await call();
    return { ms: performance.now() - started, code: 'ok' };
  } catch (error) {
    return {
      ms: performance.now() - started,
      code: isRxtradeError(error) ? error.code : `untyped: ${String(error)}`,
    };
  }
}

/** The middle value of the probes' durations: one stalled call on a loaded machine does not move it. */
function medianMs(probes: readonly Probe[]): number {
  const sorted = probes.map((p) => p.ms).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// Fail-fast is asserted by what ended each call (its error code: TIMEOUT only when commandTimeout
// fired) and by the median duration relative to the configured commandTimeout, never by the single
// slowest call: a loaded 2-core machine can stall any one call for seconds.
describe.skipIf(!binary)('fault: Redis unavailable', () => {
  // One server per test: a test that fails while its server is stopped or paused leaves nothing
  // behind for the next.
  let server: SpawnedRedis;
  beforeEach(async () => {
    server = await spawnRedis();
  });
  afterEach(async () => {
    server?.resume();
    await server?.cleanup();
  });

  it('down for 5 s: every call fails fast with NOT_CONNECTED, then the same instances recover', async () => {
    const commandTimeout = redisClientOptions().commandTimeout as number;
    const store = createRedisStateStore({ url: server.url }, { prefix: 'f4:' });
    const locks = createRedisLockManager({ url: server.url }, { prefix: 'f4:' });
    const cache = createRedisMarketDataCache({ url: server.url }, { prefix: 'f4:' });
    try {
      await store.apply({
        eventId: 'before',
        ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 7 }],
      });
      await server.stop('SIGKILL');

      const probes: Probe[] = [];
      const outageEnds = Date.now() + 5_000;
      let n = 0;
      while (Date.now() < outageEnds || n < 20) {
        n++;
        probes.push(
          await probe(() =>
            store.apply({
              eventId: `during-${n}`,
              ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 1 }],
            }),
          ),
          await probe(() => store.get('account:a')),
          await probe(() => store.list('account:')),
          await probe(() => locks.acquire('acct-a', { ttlMs: 1_000 })),
          await probe(() => cache.quote('BTCUSD')),
        );
        await sleep(100);
      }
      const slowest = Math.max(...probes.map((p) => p.ms));
      console.info(
        `outage: ${probes.length} calls, median ${medianMs(probes).toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms`,
      );
      // Rejected at once, not queued until Redis is back: a queued call would end by the default
      // commandTimeout, as TIMEOUT.
      expect(new Set(probes.map((p) => p.code))).toEqual(new Set(['NOT_CONNECTED']));
      expect(medianMs(probes)).toBeLessThan(commandTimeout / 4);

      await server.start();
      // Same instances, no re-creation: they reconnect by themselves.
      expect(
        await eventually(async () => (await probe(() => store.get('account:a'))).code === 'ok', 5_000, 50),
      ).toBe(true);
      expect(await store.get('account:a')).toEqual({ cash: '7' });
      expect(
        await store.apply({
          eventId: 'after',
          ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 1 }],
        }),
      ).toEqual({ applied: true });
      expect(await store.get('account:a')).toEqual({ cash: '8' });
      expect(await eventually(async () => (await probe(() => cache.quote('BTCUSD'))).code === 'ok')).toBe(
        true,
      );
      expect(
        await eventually(
          async () => (await probe(() => locks.acquire('acct-a', { ttlMs: 1_000 }))).code === 'ok',
        ),
      ).toBe(true);
    } finally {
      await Promise.all([store.close(), locks.close(), cache.close()]);
    }
  });

  it('frozen (SIGSTOP) for 2 s: calls time out within commandTimeout instead of hanging, then recover', async () => {
    const commandTimeout = 300;
    const store = createRedisStateStore(
      { url: server.url, redisOptions: { commandTimeout, socketTimeout: 600 } },
      { prefix: 'f4b:' },
    );
    try {
      await store.apply({ ops: [{ op: 'set', key: 'k', fields: { v: '1' } }] });
      server.pause();
      const probes: Probe[] = [];
      const frozenUntil = Date.now() + 2_000;
      while (Date.now() < frozenUntil) {
        probes.push(await probe(() => store.apply({ ops: [{ op: 'set', key: 'k', fields: { v: '2' } }] })));
        await sleep(50);
      }
      server.resume();
      const slowest = Math.max(...probes.map((p) => p.ms));
      console.info(
        `freeze: ${probes.length} calls, codes ${[...new Set(probes.map((p) => p.code))]}, median ${medianMs(probes).toFixed(0)} ms, slowest ${slowest.toFixed(0)} ms`,
      );
      // Every call ended while the server was still frozen (the loop resumes it only afterwards), by
      // its commandTimeout or by the dead socket being dropped; none waited for the freeze to end.
      expect(probes.every((p) => p.code === 'TIMEOUT' || p.code === 'NOT_CONNECTED')).toBe(true);
      const timedOut = probes.filter((p) => p.code === 'TIMEOUT');
      expect(timedOut.length).toBeGreaterThan(0);
      // TIMEOUT is commandTimeout firing: never before it, and typically right at it.
      for (const p of timedOut) expect(p.ms).toBeGreaterThanOrEqual(commandTimeout - 5);
      expect(medianMs(timedOut)).toBeLessThan(commandTimeout * 2);
      expect(await eventually(async () => (await probe(() => store.get('k'))).code === 'ok', 5_000, 50)).toBe(
        true,
      );
      // A timed-out write has an unknown outcome: Redis may run it when it wakes up.
      expect(['1', '2']).toContain((await store.get('k'))?.['v']);
    } finally {
      await store.close();
    }
  });
});
