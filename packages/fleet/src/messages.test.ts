import { isRxtradeError, type OrderRequest } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { BarFrameSchema, decodeFleetMessage, fleetEnvelope, type SubmitOrder } from './messages';
import { fleetTopics } from './topics';

const bar = (ts: number, symbol = 'SPX') => ({
  symbol,
  ts,
  open: 10,
  high: 11,
  low: 9,
  close: 10.5,
  volume: 100,
});
const invalid = (e: unknown) => isRxtradeError(e) && e.code === 'INVALID_MESSAGE';
/** What crosses a process boundary: JSON text. */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('fleet messages', () => {
  it('carry every order type and option from strategy to order role with its meaning intact', () => {
    const requests: OrderRequest[] = [
      { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 2 },
      {
        instrumentId: 'SPX',
        side: 'buy',
        type: 'limit',
        quantity: 1.5,
        price: 99.5,
        timeInForce: 'DAY',
        postOnly: true,
      },
      { instrumentId: 'SPX', side: 'sell', type: 'stop', quantity: 3, triggerPrice: 95, reduceOnly: true },
      {
        instrumentId: 'SPX',
        side: 'sell',
        type: 'stopLimit',
        quantity: 3,
        triggerPrice: 95,
        price: 94.5,
        timeInForce: 'IOC',
        reduceOnly: true,
      },
      { instrumentId: 'SPX', side: 'buy', type: 'limit', quantity: 1, price: 100, timeInForce: 'FOK' },
    ];
    for (const [i, request] of requests.entries()) {
      const payload: SubmitOrder = {
        accountId: 'a',
        strategyId: 's',
        clientOrderId: `s-${i}`,
        request,
        tsInit: 5,
        mark: { symbol: 'SPX', ts: 5, price: 100 },
      };
      const decoded = decodeFleetMessage(
        wire(fleetEnvelope('SubmitOrder', payload, { id: `a:submit:s-${i}`, ts: 1 })),
        ['SubmitOrder'],
      );
      expect(decoded.payload).toEqual(payload);
    }
  });

  it('refuse an order that names another account than the command, and one of no known type', () => {
    const request: OrderRequest = {
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 1,
      accountId: 'b',
    };
    const envelope = fleetEnvelope(
      'SubmitOrder',
      { accountId: 'a', strategyId: 's', clientOrderId: 'x', request, tsInit: 1 },
      { id: 'a:submit:x', ts: 1 },
    );
    expect(() => decodeFleetMessage(wire(envelope))).toThrow(/differs from accountId/);
    expect(() => decodeFleetMessage(wire(envelope))).toThrow(expect.toSatisfy(invalid));
    expect(() => decodeFleetMessage({ ...envelope, type: 'Nope' })).toThrow(/unexpected message type "Nope"/);
    expect(() => decodeFleetMessage(envelope, ['CancelOrder'])).toThrow(/expected CancelOrder/);
  });

  it('refuse a frame with a bar of another symbol or out of time order', () => {
    const frame = (bars: ReturnType<typeof bar>[]) =>
      wire(
        fleetEnvelope('BarFrame', { symbol: 'SPX', seq: 0, bars, last: false }, { id: 'bars:SPX:0', ts: 1 }),
      );
    expect(decodeFleetMessage(frame([bar(1), bar(2)]), ['BarFrame']).payload.bars).toHaveLength(2);
    expect(() => decodeFleetMessage(frame([bar(1), bar(2, 'QQQ')]))).toThrow(/not SPX/);
    expect(() => decodeFleetMessage(frame([bar(2), bar(2)]))).toThrow(/strictly rising/);
  });

  it('name topics only with ids that cannot change their meaning', () => {
    expect(fleetTopics.orderSubmit('acc-1')).toBe('orders.submit.acc-1');
    expect(() => fleetTopics.orderSubmit('acc.1')).toThrow(/cannot be part of a topic name/);
    expect(() => fleetTopics.orderEvents('*')).toThrow(/cannot be part of a topic name/);
  });

  it('decode a bar frame as its schema does, on the fast path and off it', () => {
    const good = { symbol: 'SPX', seq: 3, bars: [bar(1), bar(2), bar(5)], last: false };
    const variants: unknown[] = [
      good,
      { ...good, last: true },
      { ...good, bars: [{ ...bar(1), volume: 0 }] },
      { ...good, bars: [{ ...bar(1), extra: 1 }] }, // the schema strips it: decoded off the fast path
      { ...good, extra: 1 },
      { ...good, seq: -1 },
      { ...good, seq: 1.5 },
      { ...good, symbol: '' },
      { ...good, symbol: 'X'.repeat(65) },
      { ...good, last: 'no' },
      { ...good, bars: [] },
      { ...good, bars: [bar(2), bar(2)] },
      { ...good, bars: [bar(2), bar(1)] },
      { ...good, bars: [bar(1, 'NDX')] },
      { ...good, bars: [{ ...bar(1), ts: -1 }] },
      { ...good, bars: [{ ...bar(1), ts: 1.5 }] },
      { ...good, bars: [{ ...bar(1), open: 0 }] },
      { ...good, bars: [{ ...bar(1), close: -1 }] },
      { ...good, bars: [{ ...bar(1), high: 10.4 }] },
      { ...good, bars: [{ ...bar(1), low: 10.1 }] },
      { ...good, bars: [{ ...bar(1), low: 12, high: 12 }] },
      { ...good, bars: [{ ...bar(1), volume: -1 }] },
      { ...good, bars: [{ ...bar(1), volume: '1' }] },
      { ...good, bars: [{ ...bar(1), open: '10' }] },
      { ...good, bars: [{ ...bar(1), high: null }] },
      { ...good, bars: [null] },
      { symbol: 'SPX', seq: 0, bars: [bar(1)] },
    ];
    for (const payload of variants) {
      const expected = BarFrameSchema.safeParse(payload);
      const decode = () =>
        decodeFleetMessage(wire({ v: 1, type: 'BarFrame', id: 'f', ts: 1, correlationId: 'f', payload }), [
          'BarFrame',
        ]).payload;
      if (expected.success) expect(decode()).toEqual(expected.data);
      else expect(decode).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE' }));
    }
  });
});
