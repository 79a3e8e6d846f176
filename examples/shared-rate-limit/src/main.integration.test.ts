import { probeTcp, requireService } from '@rxtrade/core/testing';
import { describe, expect, it } from 'vitest';
import { runSharedRateLimit } from './main';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const { hostname, port } = new URL(REDIS_URL);
const redisUp = await requireService('Redis', () => probeTcp(hostname, Number(port || 6379)));

describe.skipIf(!redisUp)('4 replicas sharing a Redis rate limiter against one venue', () => {
  it('never exceed its limits, answer no 429/418, and place every order exactly once', async () => {
    const result = await runSharedRateLimit({
      redisUrl: REDIS_URL,
      workers: 4,
      ordersEach: 1_000,
      venue: { orders: 150, weight: 200, windowMs: 1_000 },
      marginMs: 500,
    });
    expect(result.reports.flatMap((r) => r.failed)).toEqual([]);
    expect(result.stats.answered429 + result.stats.answered418).toBe(0);
    expect(result.peakOrdersSeen).toBeLessThanOrEqual(150);
    expect(result.stats.peakWeight).toBeLessThanOrEqual(200);
    // The limit was binding (the replicas could send faster): some window was filled close to it.
    expect(result.peakOrdersSeen).toBeGreaterThanOrEqual(75);
    const expected = result.reports.flatMap((r) => r.sent);
    expect(expected).toHaveLength(4_000);
    expect(new Set(result.placed).size).toBe(result.placed.length); // no duplicate
    expect([...result.placed].sort()).toEqual([...expected].sort()); // no loss
    // 4,000 orders at 150 per 1.5 s take more than 26 s.
    expect(result.ms).toBeGreaterThan(26_000);
  }, 120_000);
});
