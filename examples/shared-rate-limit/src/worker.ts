// One order replica: its own ccxt client and its own Redis connection, sharing the account's rate
// limiter with every other replica. Sends `count` orders as fast as the limiter lets it, then reports.
// argv: venueUrl apiKey secret redisUrl prefix limiterName bucketsJson workerId count
import { createCcxtConnector } from '@rxtrade/ccxt';
import { pointCcxtAtFakeBinance } from '@rxtrade/ccxt/testing';
import { createOrder, type Order, type OrderRequest, type RateBuckets } from '@rxtrade/core';
import { createRedisRateLimiter } from '@rxtrade/redis';
import ccxt from 'ccxt';

/** What a replica reports to its parent when done. */
export interface WorkerReport {
  readonly workerId: string;
  readonly sent: readonly string[];
  readonly failed: ReadonlyArray<{ readonly id: string; readonly error: string }>;
  readonly ms: number;
}

const [venueUrl, apiKey, secret, redisUrl, prefix, name, bucketsJson, workerId, countText] =
  process.argv.slice(2);
const buckets = JSON.parse(bucketsJson as string) as RateBuckets;
const count = Number(countText);
const IN_FLIGHT = 32;

const exchange = new ccxt.binance({ enableRateLimit: false, timeout: 10_000 });
pointCcxtAtFakeBinance(exchange as never, {
  url: venueUrl as string,
  apiKey: apiKey as string,
  secret: secret as string,
});
const limiter = createRedisRateLimiter(
  { url: redisUrl as string },
  { name: name as string, buckets, prefix: prefix as string },
);
const connector = createCcxtConnector({
  exchange,
  symbols: ['BTC/USDT'],
  orderPollIntervalMs: 0,
  rateLimit: { limiter, maxWaitMs: 60_000 },
  // A 429/418 was not processed: the order goes out again, same client order id, after the shared back-off.
  rateLimitRetryMs: 120_000,
});

const order = (i: number): Order => {
  const o = createOrder(
    { instrumentId: 'BTCUSDT', side: 'buy', type: 'limit', price: 20_000, quantity: 0.001 } as OrderRequest,
    {
      clientOrderId: `rx-${workerId}-${i}`,
      accountId: 'acc',
      strategyId: 'S',
      quantityPrecision: 5,
      ts: Date.now(),
    },
  );
  return { ...o, status: 'submitted' };
};

const started = Date.now();
await connector.execution.connect();
const sent: string[] = [];
const failed: Array<{ id: string; error: string }> = [];
let next = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) {
      const o = order(next++);
      try {
        await connector.execution.submitOrder(o);
        sent.push(o.clientOrderId);
      } catch (error) {
        failed.push({ id: o.clientOrderId, error: String(error) });
      }
    }
  }),
);
await connector.execution.disconnect();
await limiter.close();
const report: WorkerReport = { workerId: workerId as string, sent, failed, ms: Date.now() - started };
process.send?.(report, () => process.exit(0));
