import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvRowScanner, decimalValue } from './csv-parse';

const COMMA = 44;

/** The scanner's value of `text` as the only cell of a line (`NaN`: not a short plain decimal). */
const parse = (text: string): number => {
  const scanner = new CsvRowScanner(COMMA, 1);
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  expect(scanner.scan(bytes, 0, bytes.length)).toBe(bytes.length);
  return scanner.cellValue[0] ?? Number.NaN;
};

/** A plain decimal as CSV files write it: optional sign, integer digits, optional dot and fraction digits. */
const decimalText = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 20 }),
    fc.boolean(),
    fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 }),
  )
  .map(([sign, whole, dot, fraction]) => `${sign}${whole}${dot ? `.${fraction}` : ''}`);

/** Significant digits of a plain decimal (leading zeros of the digit string do not count). */
const significantDigits = (text: string): number => text.replace(/[^0-9]/g, '').replace(/^0+/, '').length;
const fractionDigits = (text: string): number => (text.split('.')[1] ?? '').length;

describe('CsvRowScanner: numbers', () => {
  it('equals Number() exactly where the naive digit-by-digit float parse does not', () => {
    for (const text of ['1455.219971', '0.1', '0.3', '1438.359985', '99.8535', '123456.789012345']) {
      expect(parse(text)).toBe(Number(text));
    }
    // Why the digits are kept as an integer: adding the fraction digit by digit in floating point rounds at
    // every step and misses.
    let stepwise = 1455;
    let unit = 1;
    for (const digit of '219971') {
      unit /= 10;
      stepwise += Number(digit) * unit;
    }
    expect(stepwise).not.toBe(Number('1455.219971'));
  });

  it('reads signs, bare dots and zeros like Number()', () => {
    expect(parse('-0')).toBe(-0);
    expect(Object.is(parse('-0.000'), -0)).toBe(true);
    expect(parse('+12.5')).toBe(12.5);
    expect(parse('.5')).toBe(0.5);
    expect(parse('-.5')).toBe(-0.5);
    expect(parse('5.')).toBe(5);
    expect(parse('007')).toBe(7);
    expect(parse('946684800000')).toBe(946_684_800_000);
    expect(parse('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('returns NaN (decode and use Number()) for other shapes and for numbers too long to read exactly', () => {
    for (const text of [
      '',
      '-',
      '+',
      '.',
      '-.',
      '1e5',
      ' 1',
      '1 ',
      '0x10',
      '1.2.3',
      '--1',
      '1-',
      'NaN',
      '"1"',
    ]) {
      expect(parse(text)).toBeNaN();
    }
    expect(parse('9007199254740993')).toBeNaN();
    expect(parse('1.00000000000000000000')).toBeNaN();
    expect(parse(`0.${'0'.repeat(22)}1`)).toBeNaN();
  });

  it('property: any plain decimal is read as exactly Number(text), or handed back as NaN', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const value = parse(text);
        if (!Number.isNaN(value)) expect(Object.is(value, Number(text))).toBe(true);
        // Up to 15 significant digits (any double's shortest form fits in 17) the fast path must be taken.
        if (/[0-9]/.test(text) && significantDigits(text) <= 15 && fractionDigits(text) <= 22) {
          expect(Object.is(value, Number(text))).toBe(true);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('property: prices as written by toFixed and String() round-trip exactly', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e15, max: 1e15, noNaN: true }),
        fc.integer({ min: 0, max: 12 }),
        (x, decimals) => {
          for (const text of [x.toFixed(decimals), String(x)]) {
            const value = parse(text);
            if (!Number.isNaN(value)) expect(Object.is(value, Number(text))).toBe(true);
          }
          const fixed = x.toFixed(decimals);
          if (significantDigits(fixed) <= 15) expect(Object.is(parse(fixed), Number(fixed))).toBe(true);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('property: arbitrary text is never misread', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789.-+e x\t\r'), maxLength: 24 }), (text) => {
        const value = parse(text);
        if (!Number.isNaN(value)) expect(Object.is(value, Number(text))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('CsvRowScanner: cells and lines', () => {
  const scan = (text: string, columns = 4, to?: number) => {
    const scanner = new CsvRowScanner(COMMA, columns);
    const bytes = Buffer.from(text, 'utf8');
    const next = scanner.scan(bytes, 0, to ?? bytes.length);
    const cells = Array.from({ length: Math.min(scanner.cells, columns) }, (_, i) =>
      bytes.toString('utf8', scanner.cellStart[i], scanner.cellEnd[i]),
    );
    return { next, scanner, cells, values: [...scanner.cellValue.slice(0, cells.length)] };
  };

  it('records the leading cells, counts all of them and returns the next line start', () => {
    const { next, scanner, cells, values } = scan('1,2.5,,x,9\nnext', 3);
    expect(next).toBe(11);
    expect(scanner.cells).toBe(5);
    expect(scanner.end).toBe(10);
    expect(scanner.quoted).toBe(false);
    expect(cells).toEqual(['1', '2.5', '']);
    expect(values).toEqual([1, 2.5, Number.NaN]);
  });

  it('ends a line at \\n or \\r\\n; a lone \\r stays in its cell', () => {
    expect(scan('1,2\r\n3').cells).toEqual(['1', '2']);
    const lone = scan('1\r,2\r\r\n');
    expect(lone.cells).toEqual(['1\r', '2\r']);
    expect(lone.values).toEqual([Number.NaN, Number.NaN]);
    expect(scan('\n').scanner.end).toBe(0);
    expect(scan('\r\n').scanner.end).toBe(0);
  });

  it('asks for more bytes when the line (or its \\r\\n) is not complete before `to`', () => {
    expect(scan('1,2').next).toBe(-1);
    expect(scan('1,2\r').next).toBe(-1);
    expect(scan('1,2\r\n', 4, 4).next).toBe(-1);
    expect(scan('1,2\n', 4, 3).next).toBe(-1);
  });

  it('reports quotes and scans from an offset of a larger buffer', () => {
    expect(scan('"a,b",1\n').scanner.quoted).toBe(true);
    const scanner = new CsvRowScanner(59, 2);
    const bytes = Buffer.from('xx;yy\n-3;.25\n');
    expect(scanner.scan(bytes, 6, bytes.length)).toBe(bytes.length);
    expect([...scanner.cellValue]).toEqual([-3, 0.25]);
    expect([scanner.cellStart[0], scanner.cellEnd[1]]).toEqual([6, 12]);
  });

  it('reads multi-byte text as non-numbers without splitting it', () => {
    const { cells, values } = scan('€1,ÄÖ\n');
    expect(cells).toEqual(['€1', 'ÄÖ']);
    expect(values).toEqual([Number.NaN, Number.NaN]);
  });
});

describe('decimalValue', () => {
  it('divides by an exact power of ten, or gives up beyond 2^53 - 1 or 22 fraction digits', () => {
    expect(decimalValue(1_455_219_971, 6, false)).toBe(1455.219971);
    expect(decimalValue(5, 1, true)).toBe(-0.5);
    expect(decimalValue(Number.MAX_SAFE_INTEGER, 0, false)).toBe(Number.MAX_SAFE_INTEGER);
    expect(decimalValue(Number.MAX_SAFE_INTEGER + 1, 0, false)).toBeNaN();
    expect(decimalValue(1, 22, false)).toBe(1e-22);
    expect(decimalValue(1, 23, false)).toBeNaN();
  });
});
