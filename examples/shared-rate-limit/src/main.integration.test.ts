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
      venue: { orders: 1_000, weight: 1_200, windowMs: 1_000 },
      marginMs: 100,
    });
    expect(result.reports.flatMap((r) => r.failed)).toEqual([]);
    expect(result.stats.answered429 + result.stats.answered418).toBe(0);
    expect(result.peakOrdersSeen).toBeLessThanOrEqual(1_000);
    expect(result.stats.peakWeight).toBeLessThanOrEqual(1_200);
    const expected = result.reports.flatMap((r) => r.sent);
    expect(expected).toHaveLength(4_000);
    expect(new Set(result.placed).size).toBe(result.placed.length); // no duplicate
    expect([...result.placed].sort()).toEqual([...expected].sort()); // no loss
    // The limiter was the bottleneck: 4,000 orders at 1,000 per window take more than 3 windows.
    expect(result.ms).toBeGreaterThan(3_000);
  }, 120_000);
});
