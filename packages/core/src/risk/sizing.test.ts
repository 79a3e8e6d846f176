import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { defineInstrument } from '../model/instrument';
import { sizePosition } from './sizing';

const spx = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001 });
const btc = defineInstrument({
  id: 'BTC',
  pricePrecision: 2,
  quantityPrecision: 4,
  lotSize: 0.001,
  minNotional: 10,
});
const noFee = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return isRxtradeError(error) ? error.code : 'other';
  }
  return 'none';
};

describe('sizePosition: each model by hand', () => {
  it('fixed quantity, scaled by strength and rounded down to the lot', () => {
    const input = { instrument: spx, price: 100, equity: 100_000 };
    expect(sizePosition({ type: 'fixedQuantity', quantity: 10 }, input)).toBe(10);
    expect(sizePosition({ type: 'fixedQuantity', quantity: 10 }, { ...input, strength: 0.55 })).toBe(5); // 5.5
  });

  it('fixed notional: 10,000 / 123.45 = 81.004 → 81', () => {
    expect(
      sizePosition(
        { type: 'fixedNotional', notional: 10_000 },
        { instrument: spx, price: 123.45, equity: 0 },
      ),
    ).toBe(81);
  });

  it('fixed fraction of equity: 10 % of 100,000 at 250 = 40', () => {
    expect(
      sizePosition(
        { type: 'fixedFraction', fraction: 0.1 },
        { instrument: spx, price: 250, equity: 100_000 },
      ),
    ).toBe(40);
  });

  it('fixed risk per trade: 1 % of 100,000 over a 2.50 stop = 400, from the stop or 2 × ATR 1.25', () => {
    const input = { instrument: spx, price: 50, equity: 100_000 };
    expect(sizePosition({ type: 'fixedRisk', riskFraction: 0.01 }, { ...input, stopDistance: 2.5 })).toBe(
      400,
    );
    expect(
      sizePosition({ type: 'fixedRisk', riskFraction: 0.01, atrMultiple: 2 }, { ...input, atr: 1.25 }),
    ).toBe(400);
    expect(codeOf(() => sizePosition({ type: 'fixedRisk', riskFraction: 0.01 }, input))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('volatility target: 10 % of 100,000 / (100 × 1 % × √252) = 629.9 → 629', () => {
    const model = { type: 'volatilityTarget', targetVolatility: 0.1 } as const;
    expect(sizePosition(model, { instrument: spx, price: 100, equity: 100_000, volatility: 0.01 })).toBe(629);
    expect(codeOf(() => sizePosition(model, { instrument: spx, price: 100, equity: 100_000 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('Kelly: p 0.55, b 1.5 → f* 0.25, half Kelly 0.125 → 125 at 100 of 100,000; capped; no edge → 0', () => {
    const input = { instrument: spx, price: 100, equity: 100_000 };
    expect(sizePosition({ type: 'kelly', winRate: 0.55, payoffRatio: 1.5 }, input)).toBe(125);
    expect(sizePosition({ type: 'kelly', winRate: 0.55, payoffRatio: 1.5, maxFraction: 0.1 }, input)).toBe(
      100,
    );
    expect(sizePosition({ type: 'kelly', winRate: 0.55, payoffRatio: 1.5, fraction: 1 }, input)).toBe(250);
    expect(sizePosition({ type: 'kelly', winRate: 0.4, payoffRatio: 1 }, input)).toBe(0);
  });
});

describe('sizePosition: rounding, minimums and caps', () => {
  it('rounds down to the lot; 0 below the minimum quantity or notional', () => {
    const input = { instrument: btc, price: 30_000, equity: 0 };
    expect(sizePosition({ type: 'fixedNotional', notional: 1_000 }, input)).toBe(0.033); // 0.0333…
    expect(sizePosition({ type: 'fixedNotional', notional: 29 }, input)).toBe(0); // 0.00097: below one lot
    expect(sizePosition({ type: 'fixedQuantity', quantity: 0.001 }, { ...input, price: 5_000 })).toBe(0); // 5 < 10
    expect(sizePosition({ type: 'fixedQuantity', quantity: 0.002 }, { ...input, price: 5_000 })).toBe(0.002);
  });

  it('never above the cash a buy may spend, fee included, to the cent', () => {
    const model = { type: 'fixedFraction', fraction: 0.1 } as const;
    const input = { instrument: spx, price: 250, equity: 100_000 };
    expect(sizePosition(model, { ...input, availableCash: 5_000 })).toBe(19); // 5,000 / 250.25 = 19.98
    expect(sizePosition(model, { ...input, availableCash: 10_010 })).toBe(40); // 10,000 + fee 10 exactly
    expect(sizePosition(model, { ...input, availableCash: 10_009.99 })).toBe(39);
    expect(sizePosition(model, { ...input, availableCash: -5 })).toBe(0);
    expect(sizePosition(model, { ...input, availableCash: 0, side: 'sell' })).toBe(40); // sells need no cash
  });

  it('never above a risk limit: max quantity, max notional, the instrument maximum', () => {
    const model = { type: 'fixedFraction', fraction: 0.5 } as const;
    const input = { instrument: noFee, price: 100, equity: 100_000 };
    expect(sizePosition(model, input)).toBe(500);
    expect(sizePosition(model, { ...input, maxQuantity: 300 })).toBe(300);
    expect(sizePosition(model, { ...input, maxNotional: 12_345 })).toBe(123);
    expect(sizePosition(model, { ...input, maxNotional: 12_300 })).toBe(123); // exactly on the limit
    const capped = defineInstrument({ id: 'C', pricePrecision: 2, quantityPrecision: 0, maxQuantity: 70 });
    expect(sizePosition(model, { ...input, instrument: capped })).toBe(70);
  });

  it('refuses a price that is not > 0', () => {
    expect(
      codeOf(() =>
        sizePosition({ type: 'fixedQuantity', quantity: 1 }, { instrument: spx, price: 0, equity: 1 }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('property: the exact cost (notional + fee, in cents) never exceeds the cash, and one more lot would', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 10_000_000 }), // price in cents: one lot costs at least a cent
        fc.integer({ min: 0, max: 100_000_000 }), // cash in cents
        fc.integer({ min: 0, max: 3 }), // quantity decimals
        (priceCents, cashCents, qp) => {
          const instrument = defineInstrument({
            id: 'P',
            pricePrecision: 2,
            quantityPrecision: qp,
            takerFee: 0.0025,
          });
          const q = sizePosition(
            { type: 'fixedFraction', fraction: 1 },
            { instrument, price: priceCents / 100, equity: 1e12, availableCash: cashCents / 100 },
          );
          // Independent exact cost: notional = price × qty rounded half-even to the cent, fee rounded up.
          const cost = (qtyUnits: number): number => {
            const scaled = priceCents * qtyUnits; // cents × 10^qp, an exact integer here
            const d = 10 ** qp;
            let cents = Math.floor(scaled / d);
            const r = scaled - cents * d;
            if (2 * r > d || (2 * r === d && cents % 2 === 1)) cents++;
            return cents + Math.ceil(cents * 0.0025);
          };
          const units = Math.round(q * 10 ** qp);
          expect(cost(units)).toBeLessThanOrEqual(cashCents);
          expect(cost(units + 1)).toBeGreaterThan(cashCents); // one more lot would not fit
        },
      ),
      { numRuns: 500 },
    );
  });
});
