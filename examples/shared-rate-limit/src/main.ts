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
  /**
   * The limits the replicas' limiter believes in, when not the venue's: larger ones (a limiter set
   * wrong, another client on the key) make the venue answer 429/418.
   */
  readonly limiter?: { readonly orders: number; readonly weight: number };
  /** How long the venue bans an IP that keeps sending during a Retry-After (418). Default 2,000 ms. */
  readonly banMs?: number;
}

/** What the venue saw and what the replicas reported. */
export interface SharedRateLimitResult {
  readonly reports: readonly WorkerReport[];
  readonly stats: FakeRateStats;
  /** Client order ids in the venue's ledger, in arrival order. */
  readonly placed: readonly string[];
  /** Highest order count the venue received in one window, from its request log (refused ones included). */
  readonly peakOrdersSeen: number;
  /** Highest order count the venue accepted (answered 200) in one window, from its request log. */
  readonly peakOrdersAccepted: number;
  /** Order requests sent more than once (after a 429/418), by the venue's log. */
  readonly resent: number;
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
      banMs: run.banMs ?? 2_000,
    },
  });
  const believed = run.limiter ?? venue;
  const buckets: RateBuckets = {
    'ip-weight': { limit: believed.weight, windowMs: venue.windowMs },
    'uid-orders': { limit: believed.orders, windowMs: venue.windowMs },
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
    const posts = fake.requestsTo('POST', '/api/v3/order');
    const peak = (times: readonly number[]): number => {
      const perWindow = new Map<number, number>();
      for (const ts of times) {
        const w = Math.floor(ts / venue.windowMs);
        perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
      }
      return Math.max(0, ...perWindow.values());
    };
    const ids = posts.map((r) => r.params['newClientOrderId']);
    return {
      reports,
      stats: { ...fake.rateStats },
      placed: fake.orders.map((o) => o.clientOrderId),
      peakOrdersSeen: peak(posts.map((r) => r.ts)),
      peakOrdersAccepted: peak(posts.filter((r) => r.status === 200).map((r) => r.ts)),
      resent: ids.length - new Set(ids).size,
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
  });
  const failed = result.reports.reduce((n, r) => n + r.failed.length, 0);
  console.log(
    `${result.placed.length} orders placed by ${result.reports.length} replicas in ${result.ms} ms`,
  );
  console.log(
    `venue: peak ${result.peakOrdersAccepted} orders accepted per window (limit 150), 429s ${result.stats.answered429}, 418s ${result.stats.answered418}, requests resent ${result.resent}, failed submissions ${failed}`,
  );
}
