import { executionClientContract } from '@rxtrade/core/testing';
import { describe } from 'vitest';
import { fakeExchange, startFake } from '../test/helpers';
import { CcxtExecutionClient } from './execution-client';

describe('CcxtExecutionClient against the fake Binance', () => {
  executionClientContract({
    // Binance amends an order's quantity down in place (keepPriority); the suite checks that.
    amends: true,
    create: async () => {
      const fake = await startFake();
      const exchange = fakeExchange(fake, { timeoutMs: 1_000 });
      // No polling timer: the suite catches up by hand (settle), so nothing depends on real time.
      const client = new CcxtExecutionClient({ exchange, symbols: ['BTC/USDT'], pollIntervalMs: 0 });
      const working = (clientOrderId: string): boolean =>
        fake.orders.some(
          (o) => o.clientOrderId === clientOrderId && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'),
        );
      return {
        client,
        // Binance's BTCUSDT: steps of 0.00001 BTC, ticks of 0.01 USDT, at least 5 USDT per order.
        instrument: { id: 'BTCUSDT', quantityPrecision: 5 },
        quantity: 0.002,
        restingBuyPrice: 20_000, // the fake's market is around 30,000
        offGrid: { quantity: 0.000015 },
        // Market orders fill when they are placed; a resting limit is filled by hand, as a maker.
        fill: (clientOrderId, quantity) => {
          if (working(clientOrderId))
            fake.fillOrder(clientOrderId, quantity === undefined ? {} : { qty: quantity });
        },
        settle: () => client.pollOnce(),
        loseNextSubmitAnswer: () =>
          fake.fault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'dropAfterAccept' } }),
        close: () => fake.close(),
      };
    },
  });
});
