import { isRxtradeError, type OrderRequest } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { decodeFleetMessage, fleetEnvelope, type SubmitOrder } from './messages';
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
});
