import { isRxtradeError, type StateStore } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStateStore } from '../src/state-store';
import { sleep } from './helpers';
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
});
