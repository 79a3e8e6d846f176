import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTION_PARTS,
  type AttributionInput,
  type AttributionLeg,
  attribute,
  sumAttributions,
} from './attribution';

const legArb: fc.Arbitrary<AttributionLeg> = fc.record({
  qty: fc.integer({ min: 1, max: 5_000 }),
  px: fc.integer({ min: 1, max: 50_000_000 }),
  taker: fc.boolean(),
  window: fc.integer({ min: 0, max: 5 }),
  windowOpen: fc.integer({ min: 1, max: 50_000_000 }),
});

const inputArb: fc.Arbitrary<AttributionInput> = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  pricePrecision: fc.integer({ min: 0, max: 8 }),
  quantityPrecision: fc.integer({ min: 0, max: 8 }),
  simulated: fc.array(legArb, { maxLength: 6 }),
  real: fc.array(legArb, { maxLength: 6 }),
  simulatedFees: fc.bigInt({ min: -1_000_000n, max: 100_000_000n }),
  realFees: fc.bigInt({ min: -1_000_000n, max: 100_000_000n }),
  feeScale: fc.integer({ min: 0, max: 12 }),
  mark: fc.integer({ min: 1, max: 50_000_000 }),
});

const partsSum = (a: ReturnType<typeof attribute>): bigint =>
  ATTRIBUTION_PARTS.reduce((n, part) => n + a[part], 0n);

/** The books' difference the slow way: every fill as a decimal cash flow, in rationals of one denominator. */
function booksByHand(input: AttributionInput, scale: number): bigint {
  const sign = input.side === 'buy' ? 1n : -1n;
  const pq = input.pricePrecision + input.quantityPrecision;
  let diff = 0n;
  for (const [legs, weight] of [
    [input.real, 1n],
    [input.simulated, -1n],
  ] as const) {
    for (const leg of legs) {
      // Each fill's P&L at the mark: bought qty at px, worth qty × mark now.
      diff += weight * sign * BigInt(leg.qty) * (BigInt(input.mark) - BigInt(leg.px));
    }
  }
  const fees = (input.simulatedFees - input.realFees) * 10n ** BigInt(scale - input.feeScale);
  return diff * 10n ** BigInt(scale - pq) + fees;
}

describe('shadow attribution (property)', () => {
  it('the parts sum to the difference of the two books, exactly, for any fills', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = attribute(input);
        expect(partsSum(a)).toBe(a.total);
        expect(a.total).toBe(booksByHand(input, a.scale));
      }),
      { numRuns: 2_000 },
    );
  });

  it('the same fills and fees on both sides attribute nothing', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = attribute({ ...input, real: input.simulated, realFees: input.simulatedFees });
        for (const part of ATTRIBUTION_PARTS) expect(a[part]).toBe(0n);
        expect(a.total).toBe(0n);
      }),
    );
  });

  it('only one quantity part is ever non-zero, and it is the one the fills call for', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = attribute(input);
        const sim = input.simulated.length > 0;
        const real = input.real.length > 0;
        if (!(sim && real)) expect(a.partialFills).toBe(0n);
        if (!(sim && !real)) expect(a.missedFills).toBe(0n);
        if (!(!sim && real)) expect(a.extraFills).toBe(0n);
        if (!(sim && real)) {
          expect(a.slippage).toBe(0n);
          expect(a.latency).toBe(0n);
        }
      }),
    );
  });

  it('totals of many orders keep the sum at the largest scale', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 8 }), (inputs) => {
        const all = inputs.map(attribute);
        const sum = sumAttributions(all);
        expect(partsSum(sum)).toBe(sum.total);
        const up = (a: ReturnType<typeof attribute>): bigint => a.total * 10n ** BigInt(sum.scale - a.scale);
        expect(sum.total).toBe(all.reduce((n, a) => n + up(a), 0n));
      }),
    );
  });
});

describe('shadow attribution (examples)', () => {
  const base = {
    side: 'buy',
    pricePrecision: 2,
    quantityPrecision: 0,
    simulatedFees: 0n,
    realFees: 0n,
    feeScale: 2,
    mark: 11_000,
  } as const;
  const leg = (qty: number, px: number, window = 0, windowOpen = 10_000, taker = true): AttributionLeg => ({
    qty,
    px,
    taker,
    window,
    windowOpen,
  });

  it('a buy filled 0.50 higher in the same bar is slippage only', () => {
    const a = attribute({ ...base, simulated: [leg(10, 10_000)], real: [leg(10, 10_050)] });
    expect(a).toMatchObject({ slippage: -500n, latency: 0n, total: -500n });
  });

  it('a buy filled a bar later splits into the market move (latency) and the fill against that bar (slippage)', () => {
    const a = attribute({ ...base, simulated: [leg(10, 10_000)], real: [leg(10, 10_130, 1, 10_100)] });
    expect(a).toMatchObject({ latency: -1_000n, slippage: -300n, total: -1_300n });
  });

  it('a resting limit that filled later at its price has no latency', () => {
    const a = attribute({
      ...base,
      simulated: [leg(10, 9_900, 0, 10_000, false)],
      real: [leg(10, 9_900, 3, 9_950, false)],
    });
    expect(a).toMatchObject({ latency: 0n, slippage: 0n, total: 0n });
  });

  it('half filled live: the missing half is worth its move to the mark', () => {
    const a = attribute({ ...base, simulated: [leg(10, 10_000)], real: [leg(5, 10_000)] });
    expect(a).toMatchObject({ partialFills: -5_000n, missedFills: 0n, total: -5_000n });
  });

  it('rejected live: the whole simulated fill is missed; a sell missed before a fall saves money', () => {
    expect(attribute({ ...base, simulated: [leg(10, 10_000)], real: [] })).toMatchObject({
      missedFills: -10_000n,
      total: -10_000n,
    });
    expect(attribute({ ...base, side: 'sell', simulated: [leg(10, 10_000)], real: [] })).toMatchObject({
      missedFills: 10_000n,
    });
  });

  it('filled live only: extra fills; fees at their own scale', () => {
    const a = attribute({
      ...base,
      feeScale: 8,
      realFees: 12_345_678n,
      simulated: [],
      real: [leg(2, 10_500)],
    });
    expect(a.scale).toBe(8);
    expect(a.extraFills).toBe(1_000n * 1_000_000n);
    expect(a.fees).toBe(-12_345_678n);
    expect(a.total).toBe(1_000_000_000n - 12_345_678n);
  });
});
