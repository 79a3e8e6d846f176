/**
 * The Redis rate limiter's throughput: grants per second of `tryAcquire` (two buckets, never full) from
 * one process with 64 calls in flight, against raw INCR round trips at the same concurrency.
 * Run: npx tsx --conditions=rxtrade-source bench/rate-limit.ts   (needs Redis on REDIS_URL)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '../packages/adapters-redis/src/index';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const N = 20_000;
const IN_FLIGHT = 64;
const prefix = `rxtrade-bench:rate:${randomBytes(4).toString('hex')}:`;

async function drive(call: () => Promise<unknown>): Promise<number> {
  let left = N;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await call();
    }),
  );
  return N / ((performance.now() - started) / 1000);
}

const limiter = createRedisRateLimiter(
  { url },
  {
    name: 'bench',
    prefix,
    buckets: {
      'ip-weight': { limit: 1_000_000, windowMs: 10_000 },
      'uid-orders': { limit: 1_000_000, windowMs: 10_000 },
    },
  },
);
const raw = new Redis(url);
await drive(() => limiter.tryAcquire({ 'ip-weight': 1, 'uid-orders': 1 })); // warm-up (script load, JIT)
const grants = await drive(async () => {
  if ((await limiter.tryAcquire({ 'ip-weight': 1, 'uid-orders': 1 })) !== 0) throw new Error('refused');
});
const incr = await drive(() => raw.incr(`${prefix}raw`));
console.log('| path | per second |\n| --- | ---: |');
console.log(`| RedisRateLimiter.tryAcquire (2 buckets, ${IN_FLIGHT} in flight) | ${grants.toFixed(0)} |`);
console.log(`| raw INCR (${IN_FLIGHT} in flight) | ${incr.toFixed(0)} |`);
console.log(
  `\ntarget: ≥ 4,000 grants/s from one process (4 replicas × 1,000 orders/s) → ${grants >= 4_000 ? 'MET' : 'MISSED'} (${grants.toFixed(0)}/s, ${((grants / incr) * 100).toFixed(0)} % of raw INCR)`,
);
for await (const keys of raw.scanStream({ match: `${prefix}*` })) {
  if ((keys as string[]).length > 0) await raw.del(...(keys as string[]));
}
await limiter.close();
raw.disconnect();
