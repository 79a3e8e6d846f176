import { probeTcp, requireService } from '@rxtrade/core/testing';
import { describe, expect, it } from 'vitest';
import { runSharedRateLimit, type SharedRateLimitResult } from './main';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const { hostname, port } = new URL(REDIS_URL);
const redisUp = await requireService('Redis', () => probeTcp(hostname, Number(port || 6379)));

/** What must hold whatever the machine's load: nothing lost, nothing twice, the venue's limits kept. */
function expectEveryOrderOnceWithinLimits(result: SharedRateLimitResult, ordersEach: number): void {
  expect(result.reports.flatMap((r) => r.failed)).toEqual([]);
  const expected = result.reports.flatMap((r) => r.sent);
  expect(expected).toHaveLength(4 * ordersEach);
  expect(new Set(result.placed).size).toBe(result.placed.length); // no duplicate
  expect([...result.placed].sort()).toEqual([...expected].sort()); // no loss
  // What the venue accepted never exceeded its limits in any of its windows.
  expect(result.peakOrdersAccepted).toBeLessThanOrEqual(150);
  expect(result.stats.peakOrders).toBeLessThanOrEqual(150);
  expect(result.stats.peakWeight).toBeLessThanOrEqual(200);
}

describe.skipIf(!redisUp)('4 replicas sharing a Redis rate limiter against one venue', () => {
  it("place every order exactly once and are never refused: the limiter has the venue's own windows, no margin", async () => {
    // Each grant is in flight until its answer is back, so however late a stalled replica's request
    // reaches the venue, it counts in that window: no margin, and not one 429, under any load.
    const result = await runSharedRateLimit({
      redisUrl: REDIS_URL,
      workers: 4,
      ordersEach: 1_000,
      venue: { orders: 150, weight: 200, windowMs: 1_000 },
    });
    expectEveryOrderOnceWithinLimits(result, 1_000);
    expect(result.stats.answered429 + result.stats.answered418).toBe(0);
    expect(result.resent).toBe(0);
    // The limit was binding (the replicas could send faster): some window was filled close to it.
    expect(result.peakOrdersAccepted).toBeGreaterThanOrEqual(75);
    // 4,000 orders at 150 per second take more than 26 s.
    expect(result.ms).toBeGreaterThan(26_000);
  }, 180_000);

  it('with a limiter set above the venue limits (429s and 418 bans), back off together and resend: still every order once', async () => {
    // The limiter grants 40 % more than the venue takes (a limiter set wrong, or another client on
    // the same key outside it): the venue answers 429, then bans (418) the IP that keeps sending.
    const result = await runSharedRateLimit({
      redisUrl: REDIS_URL,
      workers: 4,
      ordersEach: 250,
      venue: { orders: 150, weight: 200, windowMs: 1_000 },
      limiter: { orders: 210, weight: 280 },
      banMs: 1_000,
    });
    expect(result.stats.answered429).toBeGreaterThan(0);
    expect(result.resent).toBeGreaterThan(0);
    expectEveryOrderOnceWithinLimits(result, 250);
  }, 180_000);
});
