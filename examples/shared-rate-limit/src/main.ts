// Several order replicas on one exchange account, each its own process with its own ccxt client and
// Redis connection, sharing one Redis-held rate limiter: together they stay under the venue's limits.
// Run: npm start -w @rxtrade/example-shared-rate-limit   (needs Redis on REDIS_URL, default 127.0.0.1:6379)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FakeBinance, type FakeRateStats } from '@rxtrade/ccxt/testing';
import type { RateBuckets } from '@rxtrade/core';
import type { WorkerReport } from './worker';

/** Options of {@link runSharedRateLimit}. */
export interface SharedRateLimitRun {
  readonly redisUrl: string;
  readonly workers: number;
  readonly ordersEach: number;
  /** The venue's limits: orders and request weight per window of `windowMs`. */
  readonly venue: { readonly orders: number; readonly weight: number; readonly windowMs: number };
  /** Added to the limiter's windows: covers the time from grant to arrival at the venue. */
  readonly marginMs: number;
}

/** What the venue saw and what the replicas reported. */
export interface SharedRateLimitResult {
  readonly reports: readonly WorkerReport[];
  readonly stats: FakeRateStats;
  /** Client order ids in the venue's ledger, in arrival order. */
  readonly placed: readonly string[];
  /** Highest order count the venue received in one window, from its request log. */
  readonly peakOrdersSeen: number;
  readonly ms: number;
}

/** Starts the fake venue with limits, runs `workers` replica processes to completion, returns what happened. */
export async function runSharedRateLimit(run: SharedRateLimitRun): Promise<SharedRateLimitResult> {
  const { venue } = run;
  const fake = await FakeBinance.start({
    balances: { USDT: 1e12, BTC: 1e6 },
    rateLimits: {
      weight: { limit: venue.weight, windowMs: venue.windowMs },
      orders: { limit: venue.orders, windowMs: venue.windowMs },
    },
  });
  const buckets: RateBuckets = {
    'ip-weight': { limit: venue.weight, windowMs: venue.windowMs + run.marginMs },
    'uid-orders': { limit: venue.orders, windowMs: venue.windowMs + run.marginMs },
    'uid-orders-day': { limit: 200_000, windowMs: 86_400_000 },
  };
  const prefix = `rxtrade-example:rate:${randomBytes(4).toString('hex')}:`;
  const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const started = Date.now();
  try {
    const reports = await Promise.all(
      Array.from(
        { length: run.workers },
        (_, i) =>
          new Promise<WorkerReport>((resolve, reject) => {
            const child = fork(
              worker,
              [
                fake.url,
                fake.apiKey,
                fake.secret,
                run.redisUrl,
                prefix,
                'binance:acc',
                JSON.stringify(buckets),
                `w${i}`,
                String(run.ordersEach),
              ],
              {
                execArgv: ['--import', 'tsx', '--conditions=rxtrade-source'],
                stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
              },
            );
            let report: WorkerReport | undefined;
            child.on('message', (m) => {
              report = m as WorkerReport;
            });
            child.on('error', reject);
            child.on('exit', (code) =>
              report ? resolve(report) : reject(new Error(`replica w${i} exited ${code} without a report`)),
            );
          }),
      ),
    );
    const orderTimes = fake.requestsTo('POST', '/api/v3/order').map((r) => r.ts);
    const perWindow = new Map<number, number>();
    for (const ts of orderTimes) {
      const w = Math.floor(ts / venue.windowMs);
      perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
    }
    return {
      reports,
      stats: { ...fake.rateStats },
      placed: fake.orders.map((o) => o.clientOrderId),
      peakOrdersSeen: Math.max(0, ...perWindow.values()),
      ms: Date.now() - started,
    };
  } finally {
    await fake.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runSharedRateLimit({
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    workers: 4,
    ordersEach: 1_000,
    venue: { orders: 150, weight: 200, windowMs: 1_000 },
    marginMs: 500,
  });
  const failed = result.reports.reduce((n, r) => n + r.failed.length, 0);
  console.log(
    `${result.placed.length} orders placed by ${result.reports.length} replicas in ${result.ms} ms`,
  );
  console.log(
    `venue: peak ${result.peakOrdersSeen} orders per window (limit 150), 429s ${result.stats.answered429}, 418s ${result.stats.answered418}, failed submissions ${failed}`,
  );
}
