import { isRxtradeError, type StateBatch } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStateStore } from '../src/state-store';
import { sleep } from './helpers';
import { requireRedisServerBinary, type SpawnedRedis, spawnRedis } from './redis-server';

const binary = await requireRedisServerBinary();
const N = 10_000;
const CONCURRENCY = 64;

/** One realistic position update: a 6-field position hash, a fill counter, an idempotency key. */
const update = (i: number): StateBatch => ({
  eventId: `fill-${i}`,
  ops: [
    {
      op: 'set',
      key: `position:acct-1:SYM${i}`,
      fields: {
        qty: String(i % 97),
        avgPxUnits: String(10_000 + i),
        realizedPnlUnits: String(i * 3),
        side: i % 2 === 0 ? 'long' : 'short',
        updatedAt: String(1_700_000_000_000 + i),
        lastTradeId: `fill-${i}`,
      },
    },
    { op: 'incrBy', key: 'account:acct-1', field: 'fills', by: 1 },
  ],
});

describe.skipIf(!binary)(
  'fault: redis-server SIGKILLed and restarted (AOF, appendfsync always) mid-stream',
  () => {
    let server: SpawnedRedis;
    beforeAll(async () => {
      server = await spawnRedis();
    });
    afterAll(async () => {
      await server?.cleanup();
    });

    it(`keeps every acknowledged update of ${N} and applies none twice`, async () => {
      const store = createRedisStateStore({ url: server.url }, { prefix: 'f1:' });
      const acked = new Set<number>();
      let ackedAtCrash = 0;
      let appliedResults = 0;
      let duplicateResults = 0;
      let unknownOutcomes = 0;
      let failedCalls = 0;
      let next = 0;
      let crash: Promise<void> | undefined;

      const worker = async (): Promise<void> => {
        while (next < N) {
          const i = next++;
          // Retry only with the same eventId: that is what makes a retry after an unknown outcome safe.
          for (let attempt = 1; ; attempt++) {
            try {
              const result = await store.apply(update(i));
              if (result.applied) appliedResults++;
              else if (result.reason === 'DUPLICATE_EVENT' && attempt > 1) duplicateResults++;
              else throw new Error(`unexpected ${JSON.stringify(result)} on attempt ${attempt}`);
              acked.add(i);
              break;
            } catch (error) {
              if (!isRxtradeError(error) || !['NOT_CONNECTED', 'TIMEOUT'].includes(error.code)) throw error;
              failedCalls++;
              if (error.details?.['outcome'] === 'unknown') unknownOutcomes++;
              if (attempt > 400) throw error;
              await sleep(25);
            }
          }
          if (!crash && acked.size >= 3_000) {
            ackedAtCrash = acked.size;
            crash = (async () => {
              await server.stop('SIGKILL');
              await sleep(500);
              await server.start();
            })();
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await crash;

      // Read back through a plain client: what is on disk after the crash plus what came later.
      const check = new Redis(server.url);
      try {
        const pipeline = check.pipeline();
        for (let i = 0; i < N; i++) pipeline.hget(`f1:state:position:acct-1:SYM${i}`, 'lastTradeId');
        const stored = (await pipeline.exec())?.filter(([, value], i) => value === `fill-${i}`).length;
        const fills = Number(await check.hget('f1:state:account:acct-1', 'fills'));
        console.info(
          `restart fault: acked ${acked.size} (${ackedAtCrash} before the kill), stored ${stored}, fills counter ${fills}, ` +
            `failed calls ${failedCalls} (${unknownOutcomes} with unknown outcome), duplicates on retry ${duplicateResults}`,
        );
        expect(ackedAtCrash).toBeLessThan(N);
        expect(failedCalls).toBeGreaterThan(0);
        expect(acked.size).toBe(N);
        expect(stored).toBe(acked.size);
        expect(fills).toBe(N);
        expect(appliedResults + duplicateResults).toBe(N);
        expect(duplicateResults).toBeLessThanOrEqual(unknownOutcomes);
      } finally {
        check.disconnect();
        await store.close();
      }
    });
  },
);
