import { describe, expect, it } from 'vitest';
import type { StrategyEvent } from '../engine/types';
import { isRxtradeError } from '../errors';
import { BaseStrategy } from '../strategy/base-strategy';
import { createRiskRule } from './rules';
import { riskHarness, SPX } from './test-support';

const NDX = { ...SPX, id: 'NDX' };

describe('createRiskRule: each limit denies with its code and the numbers that failed', () => {
  it('max order notional at the last price (market) or the limit price', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ defaults: { maxOrderNotional: 10_000 } })] });
    h.tick(124);
    expect(h.send({ quantity: 100 }).status).toBe('denied');
    expect(h.lastDenial()).toMatchObject({
      reason: 'MAX_NOTIONAL_EXCEEDED',
      message: 'MAX_NOTIONAL_EXCEEDED: 12,400 > 10,000 (account acc)',
    });
    expect(h.send({ quantity: 80 }).status).toBe('accepted'); // 9,920
    expect(h.send({ quantity: 100, type: 'limit', price: 100 }).status).toBe('accepted'); // exactly 10,000
    expect(h.send({ quantity: 100, type: 'limit', price: 100.01 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_NOTIONAL_EXCEEDED: 10,001 > 10,000 (account acc)');
  });

  it('a market order before any price is denied PRICE_UNKNOWN when a notional limit needs one', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ accounts: { acc: { maxOrderNotional: 1 } } })] });
    expect(h.send({ quantity: 1 }).status).toBe('denied');
    expect(h.lastDenial()).toMatchObject({ reason: 'PRICE_UNKNOWN' });
  });

  it('max order quantity', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ accounts: { acc: { maxOrderQuantity: 5 } } })] });
    h.tick(100);
    expect(h.send({ quantity: 6 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_ORDER_QUANTITY_EXCEEDED: 6 > 5 (account acc)');
    expect(h.send({ quantity: 5 }).status).toBe('accepted');
  });

  it('max position counts open orders of the same side, and never refuses a reduction', async () => {
    const h = await riskHarness({
      rules: [createRiskRule({ accounts: { acc: { maxPosition: { SPX: 100 } } } })],
    });
    h.tick(100);
    expect(h.send({ quantity: 60, type: 'limit', price: 90 }).status).toBe('accepted'); // rests
    expect(h.send({ quantity: 50 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_POSITION_EXCEEDED: |110| > 100 SPX (account acc)');
    expect(h.send({ quantity: 40 }).status).toBe('accepted');
    h.tick(100); // the market buy fills: long 40, 60 still working
    expect(h.engine.positions('acc')[0]?.quantity).toBe(40);
    expect(h.send({ quantity: 1 }).status).toBe('denied'); // 40 + 60 + 1
    expect(h.send({ side: 'sell', quantity: 100 }).status).toBe('accepted'); // 40 − 100 = −60: |−60| ≤ 100
    expect(h.send({ side: 'sell', quantity: 41 }).status).toBe('denied'); // −101
    expect(h.lastDenial()?.message).toBe('MAX_POSITION_EXCEEDED: |-101| > 100 SPX (account acc)');
  });

  it('max gross exposure over instruments, at the last prices, open orders included', async () => {
    const h = await riskHarness({
      instruments: [SPX, NDX],
      rules: [createRiskRule({ defaults: { maxGrossExposure: 10_000 } })],
    });
    h.tick(100, 0);
    h.tick(100, 0, 'NDX');
    expect(h.send({ quantity: 30 }).status).toBe('accepted'); // gross 3,000 (open)
    expect(h.send({ instrumentId: 'NDX', side: 'sell', quantity: 40 }).status).toBe('accepted'); // 7,000
    expect(h.send({ quantity: 31 }).status).toBe('denied'); // 10,100
    expect(h.lastDenial()?.message).toBe('MAX_GROSS_EXPOSURE_EXCEEDED: 10,100 > 10,000 (account acc)');
    expect(h.send({ quantity: 30 }).status).toBe('accepted'); // 10,000 exactly
    h.tick(100, 60_000);
    h.tick(100, 60_000, 'NDX');
    expect(h.engine.positions('acc').map((p) => p.quantity)).toEqual([60, -40]);
    // Buying back part of the short NDX shrinks gross although the book is at the limit.
    expect(h.send({ instrumentId: 'NDX', side: 'buy', quantity: 10 }).status).toBe('accepted');
    expect(h.send({ side: 'buy', quantity: 1 }).status).toBe('denied');
  });

  it('max net exposure takes the worse side: open buys may be canceled while open sells fill', async () => {
    const h = await riskHarness({
      instruments: [SPX, NDX],
      rules: [createRiskRule({ defaults: { maxNetExposure: 3_000 } })],
    });
    h.tick(100, 0);
    h.tick(100, 0, 'NDX');
    expect(h.send({ quantity: 30 }).status).toBe('accepted');
    expect(h.send({ quantity: 1 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_NET_EXPOSURE_EXCEEDED: 3,100 > 3,000 (account acc)');
    // While the SPX buy is open, its fill is not certain: short NDX 40 alone would be −4,000.
    expect(h.send({ instrumentId: 'NDX', side: 'sell', quantity: 40 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_NET_EXPOSURE_EXCEEDED: 4,000 > 3,000 (account acc)');
    h.tick(100, 60_000); // SPX fills: long 30
    expect(h.send({ instrumentId: 'NDX', side: 'sell', quantity: 40 }).status).toBe('accepted'); // net −1,000
  });

  it('max leverage: gross exposure / equity', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ accounts: { acc: { maxLeverage: 1 } } })] });
    h.tick(100);
    expect(h.send({ quantity: 1_001 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_LEVERAGE_EXCEEDED: 1.001 > 1 (account acc)');
    expect(h.send({ quantity: 1_000 }).status).toBe('accepted');
  });

  it('max open orders; a cancel frees a slot', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ defaults: { maxOpenOrders: 2 } })] });
    h.tick(100);
    const first = h.send({ type: 'limit', price: 90 });
    h.send({ type: 'limit', price: 91 });
    expect(h.send({ type: 'limit', price: 92 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_OPEN_ORDERS_EXCEEDED: 3 > 2 (account acc)');
    h.engine.cancel(first.clientOrderId);
    expect(h.send({ type: 'limit', price: 92 }).status).toBe('accepted');
  });

  it('order rate: a token bucket on the engine clock; denied orders do not use tokens', async () => {
    const h = await riskHarness({
      rules: [
        createRiskRule({ defaults: { orderRate: { limit: 2, intervalMs: 1_000 }, maxOrderQuantity: 5 } }),
      ],
    });
    h.tick(100);
    expect(h.send({ quantity: 9 }).status).toBe('denied'); // quantity, not rate
    expect(h.send({}).status).toBe('accepted');
    expect(h.send({}).status).toBe('accepted');
    expect(h.send({}).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe(
      'ORDER_RATE_EXCEEDED: more than 2 orders per 1,000 ms (next in 500 ms) (account acc)',
    );
    h.clock.advance(499);
    expect(h.send({}).status).toBe('denied');
    h.clock.advance(1);
    expect(h.send({}).status).toBe('accepted');
    expect(h.send({}).status).toBe('denied');
  });

  it('price band: a limit price too far from the last price (fat finger)', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ defaults: { priceBand: 0.05 } })] });
    h.tick(100);
    expect(h.send({ type: 'limit', price: 106 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe(
      'PRICE_BAND_EXCEEDED: limit 106 is 6 % from the last price 100 > 5 % (account acc)',
    );
    expect(h.send({ type: 'limit', price: 105 }).status).toBe('accepted');
    expect(h.send({ side: 'sell', type: 'limit', price: 94.99 }).status).toBe('denied');
    expect(h.send({}).status).toBe('accepted'); // market orders have no price to check
  });

  it('cash: a buy needs its notional and fee after what open buys reserve', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ accounts: { acc: { requireCash: true } } })] });
    h.tick(100);
    expect(h.send({ quantity: 1_000 }).status).toBe('denied'); // 100,000 + 100 fee
    expect(h.lastDenial()?.message).toBe('INSUFFICIENT_CASH: 100,100 > 100,000 available (account acc)');
    expect(h.send({ quantity: 500, type: 'limit', price: 99 }).status).toBe('accepted'); // reserves 49,549.50
    expect(h.send({ quantity: 505 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('INSUFFICIENT_CASH: 50,550.5 > 50,450.5 available (account acc)');
    expect(h.send({ quantity: 504 }).status).toBe('accepted'); // 50,450.40
    expect(h.send({ side: 'sell', quantity: 10 }).status).toBe('accepted'); // sells need no cash
  });

  it('no shorts: a sell that could take the position below zero', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ defaults: { allowShort: false } })] });
    h.tick(100);
    expect(h.send({ side: 'sell' }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('SHORT_NOT_ALLOWED: the position could go to -1 (account acc)');
    h.send({ quantity: 3 });
    h.tick(100);
    expect(h.send({ side: 'sell', quantity: 3 }).status).toBe('accepted');
    expect(h.send({ side: 'sell', quantity: 1 }).status).toBe('denied'); // 3 − 3 − 1
  });

  it('per strategy: its own virtual position in a shared account', async () => {
    const h = await riskHarness({ rules: [createRiskRule({ strategies: { a: { maxPosition: 10 } } })] });
    h.tick(100);
    h.send({ strategyId: 'a', quantity: 10 });
    h.send({ strategyId: 'b', quantity: 10 });
    h.tick(100);
    expect(h.send({ strategyId: 'a', quantity: 1 }).status).toBe('denied');
    expect(h.lastDenial()?.message).toBe('MAX_POSITION_EXCEEDED: |11| > 10 SPX (strategy a)');
    expect(h.send({ strategyId: 'b', quantity: 1 }).status).toBe('accepted');
    expect(h.send({ strategyId: 'a', side: 'sell', quantity: 10 }).status).toBe('accepted');
  });

  it('account entries override the defaults field by field', async () => {
    const h = await riskHarness({
      accounts: [
        { id: 'acc', initialCash: 100_000 },
        { id: 'big', initialCash: 100_000 },
      ],
      rules: [
        createRiskRule({
          defaults: { maxOrderQuantity: 5, maxOpenOrders: 1 },
          accounts: { big: { maxOrderQuantity: 50 } },
        }),
      ],
    });
    h.tick(100);
    expect(h.send({ accountId: 'acc', quantity: 6 }).status).toBe('denied');
    expect(h.send({ accountId: 'big', quantity: 50, type: 'limit', price: 90 }).status).toBe('accepted');
    expect(h.send({ accountId: 'big', quantity: 1, type: 'limit', price: 90 }).status).toBe('denied'); // maxOpenOrders from defaults
    expect(h.lastDenial()?.message).toBe('MAX_OPEN_ORDERS_EXCEEDED: 2 > 1 (account big)');
  });

  it('rejects bad limits with INVALID_CONFIG, and cash/leverage limits on a strategy', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isRxtradeError(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(code(() => createRiskRule({ defaults: { maxOrderNotional: -1 } }))).toBe('INVALID_CONFIG');
    expect(code(() => createRiskRule({ defaults: { orderRate: { limit: 0, intervalMs: 1 } } }))).toBe(
      'INVALID_CONFIG',
    );
    expect(code(() => createRiskRule({ strategies: { s: { requireCash: true } } }))).toBe('INVALID_CONFIG');
    expect(code(() => createRiskRule({ defaults: { maxOrderNotional: 1, typo: 1 } as never }))).toBe(
      'INVALID_CONFIG',
    );
  });

  it('a strategy whose order is denied gets an OrderDenied event, never an exception', async () => {
    class Greedy extends BaseStrategy {
      results: string[] = [];
      override onBar(): void {
        this.results.push(this.buy(1_000_000).status);
      }
    }
    const greedy = new Greedy();
    const strategyEvents: StrategyEvent[] = [];
    const h = await riskHarness({
      strategies: [greedy],
      rules: [createRiskRule({ defaults: { maxOrderNotional: 10_000 } })],
    });
    h.engine.strategyEvents$.subscribe((e) => strategyEvents.push(e));
    h.tick(100);
    h.tick(100);
    expect(greedy.results).toEqual(['denied', 'denied']);
    expect(strategyEvents.filter((e) => e.type === 'StrategyFailed')).toEqual([]);
  });
});
