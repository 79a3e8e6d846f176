import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import { type Bar, BarSchema } from '../../model/market-data';
import { BarGate, barViolation, type SkippedRow } from './bar-checks';

const bar = (overrides: Partial<Bar> = {}): Bar => ({
  symbol: 'AAA',
  ts: 1_000,
  open: 10,
  high: 12,
  low: 9,
  close: 11,
  volume: 100,
  ...overrides,
});

describe('barViolation', () => {
  it('accepts a valid bar', () => {
    expect(barViolation(bar())).toBeUndefined();
  });

  it.each([
    [{ symbol: '' }, 'symbol'],
    [{ ts: -1 }, 'ts'],
    [{ ts: 1.5 }, 'ts'],
    [{ open: Number.NaN }, 'open'],
    [{ open: 0 }, 'open'],
    [{ high: Number.POSITIVE_INFINITY }, 'high'],
    [{ low: -1 }, 'low'],
    [{ close: Number.NaN }, 'close'],
    [{ volume: -1 }, 'volume'],
    [{ volume: Number.NaN }, 'volume'],
    [{ high: 10.5 }, 'high'], // below close 11
    [{ low: 10.5 }, 'low'], // above open 10
    [{ high: 8, low: 9 }, 'high'], // high < low
  ] as const)('%o fails on %s', (overrides, field) => {
    expect(barViolation(bar(overrides))?.field).toBe(field);
  });

  it('agrees with BarSchema on arbitrary bars', () => {
    const num = fc.oneof(
      fc.double({ min: -5, max: 200, noNaN: false }),
      fc.constantFrom(0, 1, 100, Number.NaN, Number.POSITIVE_INFINITY),
    );
    fc.assert(
      fc.property(
        fc.record({
          symbol: fc.constantFrom('', 'X', 'BTCUSDT'),
          ts: fc.oneof(fc.integer({ min: -10, max: 2e12 }), fc.double({ min: 0, max: 10 })),
          open: num,
          high: num,
          low: num,
          close: num,
          volume: num,
        }),
        (candidate) => {
          expect(barViolation(candidate) === undefined).toBe(BarSchema.safeParse(candidate).success);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('BarGate', () => {
  it('throws INVALID_MESSAGE naming the location and field under the throw policy', () => {
    const gate = new BarGate({});
    try {
      gate.admit(bar({ high: 1 }), { file: 'x.csv', line: 7 });
      expect.unreachable();
    } catch (error) {
      expect(isRxtradeError(error) && error.code).toBe('INVALID_MESSAGE');
      expect((error as Error).message).toContain('x.csv:7');
      expect((error as Error).message).toContain('"high"');
      expect(isRxtradeError(error) && error.details).toMatchObject({ file: 'x.csv', line: 7, field: 'high' });
    }
  });

  it('requires strictly increasing ts per symbol, independently for each symbol', () => {
    const skipped: SkippedRow[] = [];
    const gate = new BarGate({ order: 'skip', onSkip: (row) => skipped.push(row) });
    const admitted = [
      bar({ ts: 1 }),
      bar({ symbol: 'BBB', ts: 1 }),
      bar({ ts: 2 }),
      bar({ symbol: 'BBB', ts: 1 }), // duplicate for BBB
      bar({ ts: 2 }), // duplicate for AAA
      bar({ symbol: 'BBB', ts: 3 }),
      bar({ ts: 1 }), // goes back for AAA
    ].map((b, index) => gate.admit(b, { index }));
    expect(admitted).toEqual([true, true, true, false, false, true, false]);
    expect(skipped.map((s) => s.index)).toEqual([3, 4, 6]);
    expect(gate.stats).toEqual({ rows: 7, bars: 4, skipped: 3 });
  });

  it("lets out-of-order bars through with order: 'allow' but still rejects invalid ones", () => {
    const gate = new BarGate({ order: 'allow', onInvalid: 'skip' });
    expect(gate.admit(bar({ ts: 5 }), { index: 0 })).toBe(true);
    expect(gate.admit(bar({ ts: 5 }), { index: 1 })).toBe(true);
    expect(gate.admit(bar({ open: Number.NaN }), { index: 2 })).toBe(false);
    expect(gate.stats).toEqual({ rows: 3, bars: 2, skipped: 1 });
  });
});
