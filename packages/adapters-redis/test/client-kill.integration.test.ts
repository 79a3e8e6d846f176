import { type ApplyResult, isRxtradeError, type RxtradeError, type StateStore } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../src/keys';
import { createRedisStateStore } from '../src/state-store';
import { eventually, sleep } from './helpers';
import { requireRedisServerBinary, type SpawnedRedis, spawnRedis } from './redis-server';

const binary = await requireRedisServerBinary();
const N = 5_000;

interface Tally {
  applied: number;
  duplicateOnFirstAttempt: number;
  duplicateOnRetry: number;
  failedCalls: number;
}

/** N fills on one position, 32 at a time, each retried with its eventId until acknowledged. */
async function drive(store: StateStore, admin: Redis): Promise<Tally> {
  const tally: Tally = { applied: 0, duplicateOnFirstAttempt: 0, duplicateOnRetry: 0, failedCalls: 0 };
  let next = 0;
  let done = false;
  const killer = (async () => {
    // Kill every normal client connection (ours) repeatedly while the updates stream.
    for (let k = 0; k < 8 && !done; k++) {
      await sleep(60);
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    }
  })();
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await store.apply({
            eventId: `fill-${i}`,
            ops: [
              { op: 'incrBy', key: 'position:acct-1:BTC', field: 'qtyUnits', by: 1 },
              { op: 'incrBy', key: 'position:acct-1:BTC', field: 'notionalUnits', by: i },
            ],
          });
          if (result.applied) tally.applied++;
          else if (attempt === 1) tally.duplicateOnFirstAttempt++;
          else tally.duplicateOnRetry++;
          break;
        } catch (error) {
          if (!isRxtradeError(error) || !['NOT_CONNECTED', 'TIMEOUT'].includes(error.code)) throw error;
          tally.failedCalls++;
          if (attempt > 400) throw error;
          await sleep(10);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  done = true;
  await killer;
  return tally;
}

describe.skipIf(!binary)('fault: connection killed (CLIENT KILL) mid-stream', () => {
  let server: SpawnedRedis;
  let admin: Redis;
  beforeAll(async () => {
    server = await spawnRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.cleanup();
  });

  const position = async (prefix: string) => admin.hgetall(`${prefix}state:position:acct-1:BTC`);
  const expectedNotional = String((N * (N - 1)) / 2);

  it('loses no update and applies none twice (store-owned connection: fail fast, caller retries)', async () => {
    const store = createRedisStateStore({ url: server.url }, { prefix: 'f2a:' });
    try {
      const tally = await drive(store, admin);
      console.info(`CLIENT KILL, own connection: ${JSON.stringify(tally)}`);
      expect(tally.failedCalls).toBeGreaterThan(0);
      expect(await position('f2a:')).toEqual({ qtyUnits: String(N), notionalUnits: expectedNotional });
      expect(tally.applied + tally.duplicateOnRetry).toBe(N);
      expect(tally.duplicateOnFirstAttempt).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('also on a user client with ioredis defaults, which re-sends in-flight commands by itself', async () => {
    // autoResendUnfulfilledCommands (default true) re-sends a script whose reply was lost; the script
    // recognises its own call by the nonce and answers "applied" instead of a false DUPLICATE_EVENT.
    const client = new Redis(server.url);
    client.on('error', () => {}); // the test expects the kills; keep ioredis from printing each one
    const store = createRedisStateStore({ client }, { prefix: 'f2b:' });
    try {
      const tally = await drive(store, admin);
      console.info(`CLIENT KILL, user client with ioredis defaults: ${JSON.stringify(tally)}`);
      expect(await position('f2b:')).toEqual({ qtyUnits: String(N), notionalUnits: expectedNotional });
      expect(tally.applied + tally.duplicateOnRetry).toBe(N);
      expect(tally.duplicateOnFirstAttempt).toBe(0);
    } finally {
      await store.close();
      client.disconnect();
    }
  });

  it('a kill that cuts shared script calls: every caller gets its result or an error, and Redis agrees', async () => {
    const prefix = 'f2c:';
    const keys = redisKeys(prefix);
    const store = createRedisStateStore({ url: server.url }, { prefix });
    const waves = 30;
    const perWave = 400; // issued at once: 7 script calls of at most 64 applies, one pipeline
    const total = waves * perWave;
    const fill = (i: number) => ({
      eventId: `c-${i}`,
      ops: [
        { op: 'incrBy' as const, key: `fills:${i % 50}`, field: `f${i}`, by: 1 },
        { op: 'incrBy' as const, key: 'totals', field: 'count', by: 1 },
      ],
    });
    const outcomes: Array<ApplyResult | RxtradeError> = new Array(total);
    try {
      await store.get('warm-up');
      for (let w = 0; w < waves; w++) {
        const wave = Array.from({ length: perWave }, (_, j) => {
          const i = w * perWave + j;
          return store.apply(fill(i)).then(
            (result) => {
              outcomes[i] = result;
            },
            (error: unknown) => {
              if (!isRxtradeError(error) || !['NOT_CONNECTED', 'TIMEOUT'].includes(error.code)) throw error;
              outcomes[i] = error;
            },
          );
        });
        if (w % 3 === 1) {
          // The wave's pipeline is on the wire: kill the connection while Redis works through it.
          await new Promise((resolve) => setImmediate(resolve));
          await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        }
        await Promise.all(wave);
        if (w % 3 === 1)
          await eventually(async () => (await store.get('warm-up').catch(() => 'down')) !== 'down');
      }

      // What Redis holds, per apply: its marker and its own field, both or neither.
      const landed = new Set<number>();
      const problems: string[] = []; // collected, so 12,000 checks cost no 12,000 expects
      const read = admin.pipeline();
      for (let i = 0; i < total; i++) {
        read.exists(keys.event(`c-${i}`)).hget(keys.state(`fills:${i % 50}`), `f${i}`);
      }
      const replies = (await read.exec()) ?? [];
      for (let i = 0; i < total; i++) {
        const marker = replies[2 * i]?.[1];
        const field = replies[2 * i + 1]?.[1];
        if (field !== (marker === 1 ? '1' : null)) problems.push(`${i}: marker ${marker}, field ${field}`);
        if (marker === 1) landed.add(i);
      }
      expect(await admin.hget(keys.state('totals'), 'count')).toBe(String(landed.size));

      const failed = outcomes.flatMap((o, i) => (isRxtradeError(o) ? [i] : []));
      const unknown = failed.filter((i) => (outcomes[i] as RxtradeError).details?.['outcome'] === 'unknown');
      const cutButLanded = failed.filter((i) => landed.has(i));
      console.info(
        `CLIENT KILL across shared script calls: ${total} applies, ${failed.length} failed (${unknown.length} outcome unknown, ${cutButLanded.length} of them had landed)`,
      );
      expect(unknown.length).toBeGreaterThan(0);
      for (let i = 0; i < total; i++) {
        const outcome = outcomes[i];
        // Every success is in Redis; a call refused before sending ('not-applied') is not.
        if (!isRxtradeError(outcome)) {
          if (!(outcome?.applied === true && landed.has(i))) {
            problems.push(`${i}: ${JSON.stringify(outcome)}, not in Redis`);
          }
        } else if (outcome.details?.['outcome'] === 'not-applied' && landed.has(i)) {
          problems.push(`${i}: refused as not sent, yet in Redis`);
        }
      }
      expect(problems).toEqual([]);

      // The callers retry with the same eventId until they get an answer: each failed apply lands
      // exactly once. An answer to a first retry tells whether the cut call had landed.
      const firstRetry = new Map<number, ApplyResult>();
      await Promise.all(
        failed.map(async (i) => {
          for (let attempt = 1; ; attempt++) {
            try {
              const result = await store.apply(fill(i));
              if (attempt === 1) firstRetry.set(i, result);
              return;
            } catch (error) {
              if (
                !isRxtradeError(error) ||
                !['NOT_CONNECTED', 'TIMEOUT'].includes(error.code) ||
                attempt > 200
              )
                throw error;
              await sleep(20);
            }
          }
        }),
      );
      for (const [i, result] of firstRetry) {
        const expected = landed.has(i) ? { applied: false, reason: 'DUPLICATE_EVENT' } : { applied: true };
        if (JSON.stringify(result) !== JSON.stringify(expected))
          problems.push(`${i}: retried, got ${JSON.stringify(result)}`);
      }
      expect(problems).toEqual([]);
      expect(await admin.hget(keys.state('totals'), 'count')).toBe(String(total));
      for (let f = 0; f < 50; f++) {
        const fields = await admin.hgetall(keys.state(`fills:${f}`));
        expect(Object.values(fields).every((v) => v === '1')).toBe(true);
        expect(Object.keys(fields)).toHaveLength(total / 50);
      }
    } finally {
      await store.close();
    }
  });

  it('after a kill with calls in flight, the new connection stays up (no stale socketTimeout, ioredis#2147)', async () => {
    const store = createRedisStateStore({ url: server.url }, { prefix: 'f2d:' });
    try {
      await store.get('warm-up');
      const inFlight = Array.from({ length: 2_000 }, (_, i) =>
        store.apply({ ops: [{ op: 'incrBy', key: 'k', field: 'n', by: i }] }).catch(() => 'failed'),
      );
      await new Promise((resolve) => setImmediate(resolve));
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await Promise.all(inFlight);
      expect(await eventually(async () => (await store.get('k').catch(() => 'down')) !== 'down')).toBe(true);
      // Past socketTimeout (2 s) from the kill: every call succeeds.
      const failures: string[] = [];
      const until = Date.now() + 2_500;
      while (Date.now() < until) {
        await store.get('k').catch((error: unknown) => failures.push(String(error)));
        await sleep(25);
      }
      expect(failures).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
