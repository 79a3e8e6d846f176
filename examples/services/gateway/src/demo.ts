import { createEngine } from '@rxtrade/core';
import {
  createEngineBackend,
  createGatewayApp,
  createMemoryKeyStore,
  createMemoryRateLimiter,
  mintApiKey,
} from '@rxtrade/fleet/gateway';
import { createLogger } from '@rxtrade/logging';

/**
 * A one-process demo of the gateway and its dashboard, with no Redis or RabbitMQ: an in-process
 * engine on a random walk (one bar a second), a market order every few bars, and one admin key
 * printed once. `npm run demo -w @rxtrade/example-gateway`, then open the printed URL.
 */
const engine = createEngine({
  instruments: [{ id: 'BTCUSD', pricePrecision: 2, quantityPrecision: 3 }],
  accounts: [{ id: 'demo', initialCash: 100_000 }],
});
await engine.start();
const backend = createEngineBackend({ engine });
const { key, record } = mintApiKey({ scopes: ['read', 'trade', 'admin'], accounts: '*', label: 'demo' });
const app = createGatewayApp({
  backend,
  keys: createMemoryKeyStore([record]),
  rateLimit: createMemoryRateLimiter({ capacity: 100, refillPerSecond: 20 }),
  logger: createLogger({ level: 'info' }),
});
const port = Number(process.env['PORT'] ?? 8080);
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`dashboard: http://127.0.0.1:${port}/\nAPI key (shown once): ${key}\n`);

let price = 100;
let n = 0;
const timer = setInterval(() => {
  const open = price;
  price = Math.max(1, Math.round((price + (Math.random() - 0.5) * 2) * 100) / 100);
  engine.processBar({
    symbol: 'BTCUSD',
    ts: Date.now(),
    open,
    high: Math.max(open, price),
    low: Math.min(open, price),
    close: price,
    volume: 10,
  });
  if (++n % 5 === 0 && engine.tradingState() === 'ACTIVE') {
    engine.submit({
      instrumentId: 'BTCUSD',
      accountId: 'demo',
      side: n % 10 === 0 ? 'sell' : 'buy',
      type: 'market',
      quantity: 1,
    });
  }
}, 1_000);

process.once('SIGINT', async () => {
  clearInterval(timer);
  await app.close();
  backend.close();
  await engine.stop();
});
