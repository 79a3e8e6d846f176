import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFill, orderFromRecord, orderToRecord, positionFromRecord, toPosition } from './records';
import type { PositionSnapshot } from './schemas';

const flat = (): PositionSnapshot => positionFromRecord('acc-1', 'SPX0', undefined);

describe('applyFill', () => {
  it('keeps cash and realised PnL exact in cents', () => {
    let p = applyFill(flat(), { side: 'buy', qty: 10, px: 1234.56, feeCents: 0, ts: 1 });
    expect(p).toMatchObject({ qty: 10, netCashCents: -1_234_560, openCostCents: 1_234_560 });
    p = applyFill(p, { side: 'sell', qty: 4, px: 1300.01, feeCents: 0, ts: 2 });
    expect(p.qty).toBe(6);
    p = applyFill(p, { side: 'sell', qty: 6, px: 1299.99, feeCents: 0, ts: 3 });
    expect(p).toMatchObject({ qty: 0, openCostCents: 0, fills: 3 });
    // realised = 4 × 65.45 + 6 × 65.43 = 654.38
    expect(toPosition(p, 1299.99).realizedPnl).toBe(654.38);
  });

  it('cash equals the exact decimal sum of fills for any sequence (property)', () => {
    const fillArb = fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      qty: fc.integer({ min: 1, max: 1_000 }),
      cents: fc.integer({ min: 1, max: 10_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 50 }), (fills) => {
        let p = flat();
        let expected = new Decimal(0);
        let qty = 0;
        for (const f of fills) {
          const px = f.cents / 100;
          p = applyFill(p, { side: f.side, qty: f.qty, px, feeCents: 0, ts: 1 });
          const sign = f.side === 'buy' ? -1 : 1;
          expected = expected.plus(new Decimal(f.cents).div(100).times(f.qty).times(sign));
          qty += f.side === 'buy' ? f.qty : -f.qty;
        }
        expect(p.qty).toBe(qty);
        expect(new Decimal(p.netCashCents).div(100).equals(expected)).toBe(true);
        if (qty === 0) expect(p.openCostCents).toBe(0);
      }),
    );
  });
});

describe('order records', () => {
  it('round-trip NaN and undefined fields', () => {
    const order = {
      clientOrderId: 'c1',
      venueOrderId: undefined,
      accountId: 'acc-1',
      strategyId: 's',
      instrumentId: 'SPX0',
      side: 'buy',
      type: 'market',
      quantity: 1,
      price: undefined,
      triggerPrice: undefined,
      timeInForce: 'GTC',
      reduceOnly: false,
      postOnly: false,
      status: 'submitted',
      previousStatus: undefined,
      filledQty: 0,
      leavesQty: 1,
      avgPx: Number.NaN,
      quantityPrecision: 0,
      tradeIds: [],
      tsInit: 1,
      tsLast: 1,
    } as const;
    const back = orderFromRecord(orderToRecord(order));
    expect(back?.avgPx).toBeNaN();
    expect(back).toMatchObject({ clientOrderId: 'c1', status: 'submitted' });
  });
});
