import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { BarSchema } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { loadSp500Bars, SP500_INSTRUMENT, sp500CsvPath } from './sp500';

const DAY = 86_400_000;

describe('sp500CsvPath', () => {
  it('is the absolute path of the CSV inside vega-datasets', () => {
    const path = sp500CsvPath();
    expect(isAbsolute(path)).toBe(true);
    expect(path.replaceAll('\\', '/')).toMatch(/vega-datasets\/data\/sp500-2000\.csv$/);
    expect(readFileSync(path, 'utf8').slice(0, 40)).toBe('date,open,high,low,close,adjclose,volume');
  });
});

describe('the raw file', () => {
  const rows = readFileSync(sp500CsvPath(), 'utf8').trim().split('\n').slice(1);

  it('stores two-decimal prices as float32 artifacts: every price is float32(cent value) printed to 6 decimals', () => {
    let maxDeviation = 0;
    const mismatches: string[] = [];
    for (const row of rows) {
      for (const text of row.split(',').slice(1, 6)) {
        const cents = Math.round(Number(text) * 100) / 100;
        maxDeviation = Math.max(maxDeviation, Math.abs(Number(text) - cents));
        if (Math.fround(cents).toFixed(6) !== text) mismatches.push(`${row}: ${text}`);
      }
    }
    expect(mismatches).toEqual([]);
    // float32 spacing near 2,000-4,000 is 2^-12 ≈ 0.000244, so a half-step of about 0.000122 is the most a
    // correctly rounded float32 can be away from the cent value.
    expect(maxDeviation).toBeGreaterThan(0);
    expect(maxDeviation).toBeLessThan(0.000123);
  });
});

describe('loadSp500Bars', () => {
  it('loads 5,105 valid, strictly increasing daily bars from 2000-01-03 to 2020-04-17', async () => {
    const bars = await loadSp500Bars();
    expect(bars).toHaveLength(5105);
    expect(bars[0]).toEqual({
      symbol: 'SPX',
      ts: Date.UTC(2000, 0, 3),
      open: 1469.25,
      high: 1478,
      low: 1438.36,
      close: 1455.22,
      volume: 931_800_000,
    });
    expect(bars.at(-1)).toEqual({
      symbol: 'SPX',
      ts: Date.UTC(2020, 3, 17),
      open: 2842.43,
      high: 2879.22,
      low: 2830.88,
      close: 2874.56,
      volume: 5_792_140_000,
    });
    let previous = 0;
    for (const bar of bars) {
      expect(BarSchema.safeParse(bar).success).toBe(true);
      expect(bar.ts % DAY).toBe(0);
      expect(bar.ts).toBeGreaterThan(previous);
      previous = bar.ts;
      for (const price of [bar.open, bar.high, bar.low, bar.close]) {
        expect(Math.round(price * 100) / 100).toBe(price);
      }
    }
  });

  it('describes the instrument with a 0.01 tick', () => {
    expect(SP500_INSTRUMENT).toMatchObject({ id: 'SPX', pricePrecision: 2, tickSize: 0.01 });
  });
});
