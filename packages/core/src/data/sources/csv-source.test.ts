import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRxtradeError, type RxtradeError } from '../../errors';
import type { Bar } from '../../model/market-data';
import type { SkippedRow } from './bar-checks';
import { type CsvBarSourceOptions, fromCsvFile, splitCsvLine } from './csv-source';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxtrade-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(content: string): Promise<string> {
  const path = join(dir, `f${counter++}.csv`);
  await writeFile(path, content);
  return path;
}

async function readAll(path: string, options: CsvBarSourceOptions = {}): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const chunk of fromCsvFile(path, options).chunks()) bars.push(...chunk);
  return bars;
}

async function readError(path: string, options: CsvBarSourceOptions = {}): Promise<RxtradeError> {
  try {
    await readAll(path, options);
  } catch (error) {
    if (isRxtradeError(error)) return error;
    throw error;
  }
  throw new Error('expected the read to fail');
}

const DAY = 86_400_000;
const D0 = Date.UTC(2020, 0, 2);

describe('fromCsvFile: parsing', () => {
  it('reads a headered daily file with default column names', async () => {
    const path = await csv(
      'Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,10,12,9,11,11,100\n2020-01-03,11,13,10,12.5,12.5,200\n',
    );
    expect(await readAll(path, { symbol: 'SPX' })).toEqual([
      { symbol: 'SPX', ts: D0, open: 10, high: 12, low: 9, close: 11, volume: 100 },
      { symbol: 'SPX', ts: D0 + DAY, open: 11, high: 13, low: 10, close: 12.5, volume: 200 },
    ]);
  });

  it('maps custom column names, a delimiter, epoch seconds and a symbol column', async () => {
    const path = await csv('sym;t;c;h;l;o;qty\nAAA;1577923200;11;12;9;10;5\nBBB;1577923200;21;22;19;20;6\n');
    const bars = await readAll(path, {
      delimiter: ';',
      columns: { time: 't', open: 'o', high: 'h', low: 'l', close: 'c', volume: 'qty', symbol: 'sym' },
    });
    expect(bars).toEqual([
      { symbol: 'AAA', ts: D0, open: 10, high: 12, low: 9, close: 11, volume: 5 },
      { symbol: 'BBB', ts: D0, open: 20, high: 22, low: 19, close: 21, volume: 6 },
    ]);
  });

  it('auto-detects a header-less file and reads it positionally (epoch ms, CRLF, no final newline)', async () => {
    const path = await csv(`${D0},10,12,9,11,100\r\n${D0 + 60_000},11,12,10,11.5,50`);
    const bars = await readAll(path, { symbol: 'X' });
    expect(bars.map((b) => [b.ts, b.close, b.volume])).toEqual([
      [D0, 11, 100],
      [D0 + 60_000, 11.5, 50],
    ]);
  });

  it('supports column indices, header: false, volume: null and ISO datetimes with offsets', async () => {
    const path = await csv('x|2020-01-02T10:00:00+01:00|1|2|0.5|1.5\nx|2020-01-02 09:01|1|2|0.5|1.5\n');
    const bars = await readAll(path, {
      symbol: 'X',
      header: false,
      delimiter: '|',
      columns: { time: 1, open: 2, high: 3, low: 4, close: 5, volume: null },
    });
    expect(bars.map((b) => [b.ts, b.volume])).toEqual([
      [Date.UTC(2020, 0, 2, 9, 0), 0],
      [Date.UTC(2020, 0, 2, 9, 1), 0],
    ]);
  });

  it('handles quoted fields, a BOM and blank lines', async () => {
    const path = await csv(
      '\uFEFF"date","open","high","low","close","volume"\n\n"2020-01-02","10","12","9","11","1,000"\n\n',
    );
    const bars = await readAll(path, { symbol: 'X', onInvalid: 'skip' });
    // "1,000" is one quoted cell and not a number: the row is reported, not silently read as 1.
    expect(bars).toEqual([]);
    const ok = await csv('date,open,high,low,close,volume\n"2020-01-02",10,12,9,"11",1000\n');
    expect(await readAll(ok, { symbol: 'X' })).toEqual([
      { symbol: 'X', ts: D0, open: 10, high: 12, low: 9, close: 11, volume: 1000 },
    ]);
  });

  it('rounds prices to priceDecimals before validation', async () => {
    const path = await csv(
      'date,open,high,low,close,volume\n2000-01-03,1469.250000,1478.000000,1438.359985,1455.219971,931800000\n',
    );
    const [bar] = await readAll(path, { symbol: 'SPX', priceDecimals: 2 });
    expect(bar).toEqual({
      symbol: 'SPX',
      ts: Date.UTC(2000, 0, 3),
      open: 1469.25,
      high: 1478,
      low: 1438.36,
      close: 1455.22,
      volume: 931_800_000,
    });
  });

  it('splits lines correctly across read boundaries (tiny highWaterMark)', async () => {
    const rows = Array.from(
      { length: 300 },
      (_, i) => `${D0 + i * 60_000},${100 + i},${102 + i},${99 + i},${101 + i},${i}`,
    );
    const path = await csv(`ts,open,high,low,close,volume\r\n${rows.join('\r\n')}\r\n`);
    const source = fromCsvFile(path, { symbol: 'X', highWaterMark: 7 });
    let chunks = 0;
    const bars: Bar[] = [];
    for await (const chunk of source.chunks()) {
      chunks++;
      bars.push(...chunk);
    }
    expect(chunks).toBeGreaterThan(50);
    expect(bars).toHaveLength(300);
    bars.forEach((b, i) => {
      expect(b).toEqual({
        symbol: 'X',
        ts: D0 + i * 60_000,
        open: 100 + i,
        high: 102 + i,
        low: 99 + i,
        close: 101 + i,
        volume: i,
      });
    });
    expect(source.stats).toEqual({ rows: 300, bars: 300, skipped: 0 });
  });

  it('is re-readable and iterable bar by bar', async () => {
    const path = await csv(
      'date,open,high,low,close,volume\n2020-01-02,10,12,9,11,1\n2020-01-03,10,12,9,11,1\n',
    );
    const source = fromCsvFile(path, { symbol: 'X' });
    const first: Bar[] = [];
    for await (const bar of source) first.push(bar);
    const second: Bar[] = [];
    for await (const bar of source) second.push(bar);
    expect(first).toHaveLength(2);
    expect(second).toEqual(first);
  });

  it('splitCsvLine honours quotes and escaped quotes', () => {
    expect(splitCsvLine('a,"b,c","say ""hi""",,d', ',')).toEqual(['a', 'b,c', 'say "hi"', '', 'd']);
  });
});

describe('fromCsvFile: reading from bytes', () => {
  const header = 'ts,open,high,low,close,volume\n';

  it('reads unusual numbers exactly like Number() of their text (exponents, spaces, signs, long digits)', async () => {
    const cells = [
      ['1e1', '1.2e1', ' 9 ', '+11.0'],
      ['.5', '5.', '0.25', '0.75'],
      ['1455.2199710000000001', '1455.22', '1455.21', '1455.219971'],
      ['10', '0x10', '9', '12'],
    ];
    const volumes = ['-0', '12345678901234567890', '1\r', ' 7'];
    const rows = cells.map((c, i) => `${D0 + i},${c.join(',')},${volumes[i]}`);
    const path = await csv(`${header}${rows.join('\n')}\n`);
    const bars = await readAll(path, { symbol: 'X' });
    expect(bars).toHaveLength(4);
    bars.forEach((bar, i) => {
      const [open, high, low, close] = (cells[i] ?? []).map(Number);
      expect(bar).toEqual({ symbol: 'X', ts: D0 + i, open, high, low, close, volume: Number(volumes[i]) });
    });
    expect(Object.is(bars[0]?.volume, -0)).toBe(true);
  });

  it('keeps a CR that is not part of the line break in the last cell (as the text reader did)', async () => {
    const path = await csv(`${header}${D0},10,12,9,11,100\r\r\n${D0 + 1},10,12,9,11,1\r2\r\n`);
    const skipped: SkippedRow[] = [];
    const bars = await readAll(path, { symbol: 'X', onInvalid: 'skip', onSkip: (s) => skipped.push(s) });
    expect(bars.map((b) => b.volume)).toEqual([100]);
    expect(skipped).toEqual([expect.objectContaining({ line: 3, field: 'volume', value: '1\r2' })]);
  });

  it('reads epoch seconds with a fraction and epoch ms with a sign like the text reader', async () => {
    const path = await csv(`${header}1577923200.0005,10,12,9,11,1\n+1577923201,10,12,9,11,1\n`);
    const bars = await readAll(path, { symbol: 'X', timeFormat: 'epoch-s' });
    expect(bars.map((b) => b.ts)).toEqual([Math.round(1577923200.0005 * 1000), 1577923201000]);
  });

  it('recognises a Binance kline file in microseconds by magnitude (semicolons too)', async () => {
    const us = 1_735_689_600_000_000; // 2025-01-01 in µs
    const path = await csv(`${us};10;12;9;11;1\n${us + 60_000_000};11;12;10;11.5;2\n`);
    const bars = await readAll(path, { symbol: 'BTCUSDT', delimiter: ';', header: false });
    expect(bars.map((b) => b.ts)).toEqual([Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 1, 0, 1)]);
  });

  it('refuses a unit change mid-file, naming the line and the year it would be', async () => {
    const ms = 1_735_689_600_000;
    const path = await csv(`${header}${ms},10,12,9,11,1\n${(ms + 60_000) * 1000},10,12,9,11,1\n`);
    const error = await readError(path, { symbol: 'X' });
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toContain(':3: invalid bar field "ts"');
    expect(error.message).toContain('read as epoch-ms is the year 56971, outside 1970..2099');
  });

  it('property: random rows, line breaks and read sizes give exactly Number() of every cell', async () => {
    // Mostly plain decimals (`12`, `0.5`, `+.5`, `5.`, long ones that need the fallback), sometimes not.
    const decimal = fc
      .tuple(
        fc.constantFrom('', '', '', '+'),
        fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 18 }),
        fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 24 }), { nil: undefined }),
        fc.constantFrom('', '', '', '', 'e2', ' '),
      )
      .map(
        ([sign, whole, fraction, tail]) =>
          `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${tail}`,
      )
      .filter((text) => Number(text) > 0);
    const row = fc.tuple(fc.array(decimal, { minLength: 4, maxLength: 4 }), decimal);
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        async (rows, eol, highWaterMark, finalBreak) => {
          // low <= open, close <= high: sort the four price texts by value.
          const lines = rows.map(([prices, volume], i) => {
            const [low, open, close, high] = [...prices].sort((a, b) => Number(a) - Number(b));
            return `${D0 + i * 60_000},${open},${high},${low},${close},${volume}`;
          });
          const path = await csv(
            `time,open,high,low,close,volume${eol}${lines.join(eol)}${finalBreak ? eol : ''}`,
          );
          const bars = await readAll(path, { symbol: 'P', highWaterMark });
          expect(bars).toEqual(
            rows.map(([prices, volume], i) => {
              const [low, open, close, high] = [...prices].map(Number).sort((a, b) => a - b);
              return { symbol: 'P', ts: D0 + i * 60_000, open, high, low, close, volume: Number(volume) };
            }),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads a symbol column (trimmed, multi-byte, changing) across tiny reads', async () => {
    const symbols = ['ÄÖ€', 'ÄÖ€', ' BB ', 'ÄÖ€', 'BB', 'ÄÖ€x', 'ÄÖ€'];
    const rows = symbols.map((s, i) => `${s};${D0 + i};10;12;9;11;${i}`);
    const path = await csv(`symbol;time;open;high;low;close;volume\n${rows.join('\n')}\n`);
    for (const highWaterMark of [1, 2, 3, 5, 1 << 20]) {
      const bars = await readAll(path, { delimiter: ';', highWaterMark });
      expect(bars.map((b) => b.symbol)).toEqual(symbols.map((s) => s.trim()));
    }
  });

  it('takes the text path for a delimiter that is not ASCII or could be part of a number', async () => {
    const section = await csv(`${D0}§10§12§9§11§100\n${D0 + 1}§"10"§12§9§11.5§100\n`);
    expect((await readAll(section, { symbol: 'X', delimiter: '§' })).map((b) => b.close)).toEqual([11, 11.5]);
    const dash = await csv(`${D0}-10-12-9-11-100\n${D0 + 1}-10-12-9-11-50\n`);
    expect((await readAll(dash, { symbol: 'X', delimiter: '-' })).map((b) => b.volume)).toEqual([100, 50]);
  });

  it('reads a line longer than the read size plus the carry room', async () => {
    const long = 'n'.repeat(10_000);
    const path = await csv(
      `ts,open,high,low,close,volume,note\n${D0},10,12,9,11,100,${long}\n${D0 + 1},10,12,9,11,5,x\n`,
    );
    const bars = await readAll(path, { symbol: 'X', highWaterMark: 16 });
    expect(bars.map((b) => b.volume)).toEqual([100, 5]);
  });

  it('reads two roles from one column', async () => {
    const path = await csv(`${D0},10,12,9,100\n${D0 + 1},11,12,9,100\n`);
    const bars = await readAll(path, {
      symbol: 'X',
      header: false,
      columns: { time: 0, open: 1, high: 2, low: 3, close: 1, volume: 4 },
    });
    expect(bars.map((b) => [b.open, b.close])).toEqual([
      [10, 10],
      [11, 11],
    ]);
  });

  it('yields chunks of at most 2,048 bars and reports lines right across tiny reads', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${D0 + i},10,12,9,11,${i}`);
    const path = await csv(`${header}${rows.join('\n')}\n`);
    const sizes: number[] = [];
    for await (const chunk of fromCsvFile(path, { symbol: 'X' }).chunks()) sizes.push(chunk.length);
    expect(sizes).toEqual([2048, 2048, 904]);

    const bad = await csv(`${header}${rows.slice(0, 40).join('\n')}\n${D0 + 40},10,8,9,11,1\n`);
    const error = await readError(bad, { symbol: 'X', highWaterMark: 5 });
    expect(error.details).toMatchObject({ file: bad, line: 42, field: 'high', value: '8' });
  });

  it('fails with INVALID_ARGUMENT when the path is a directory', async () => {
    const folder = join(dir, 'a-folder.csv');
    await mkdir(folder);
    const error = await readError(folder, { symbol: 'X' });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({ file: folder });
  });
});

describe('fromCsvFile: bad rows', () => {
  const header = 'date,open,high,low,close,volume\n';
  const good1 = '2020-01-02,10,12,9,11,100\n';
  const good2 = '2020-01-06,10,12,9,11,100\n';
  const cases = [
    { name: 'NaN price', row: '2020-01-03,abc,12,9,11,100\n', field: 'open', value: 'abc' },
    { name: 'empty price', row: '2020-01-03,10,12,,11,100\n', field: 'low', value: '' },
    { name: 'high < low', row: '2020-01-03,10,8,9,11,100\n', field: 'high', value: '8' },
    { name: 'missing column', row: '2020-01-03,10,12,9\n', field: 'close', value: undefined },
    { name: 'bad date', row: '2020-02-30,10,12,9,11,100\n', field: 'ts', value: '2020-02-30' },
    { name: 'negative volume', row: '2020-01-03,10,12,9,11,-5\n', field: 'volume', value: '-5' },
    { name: 'repeated ts', row: '2020-01-02,10,12,9,11,100\n', field: 'ts', value: '2020-01-02' },
    { name: 'ts going back', row: '2019-12-31,10,12,9,11,100\n', field: 'ts', value: '2019-12-31' },
  ];

  it.each(cases)(
    "'throw' (default): $name fails with file, line 3 and field $field",
    async ({ row, field, value }) => {
      const path = await csv(header + good1 + row + good2);
      const error = await readError(path, { symbol: 'X' });
      expect(error.code).toBe('INVALID_MESSAGE');
      expect(error.message).toContain(`${path}:3`);
      expect(error.message).toContain(`"${field}"`);
      expect(error.details).toMatchObject({ file: path, line: 3, field });
      expect(error.details?.['value']).toBe(value);
    },
  );

  it.each(cases)("'skip': $name is dropped, counted and reported", async ({ row, field }) => {
    const path = await csv(header + good1 + row + good2);
    const skipped: SkippedRow[] = [];
    const source = fromCsvFile(path, {
      symbol: 'X',
      onInvalid: 'skip',
      order: 'skip',
      onSkip: (s) => skipped.push(s),
    });
    const bars: Bar[] = [];
    for await (const chunk of source.chunks()) bars.push(...chunk);
    expect(bars.map((b) => b.ts)).toEqual([D0, Date.UTC(2020, 0, 6)]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ file: path, line: 3, field });
    expect(source.stats).toEqual({ rows: 3, bars: 2, skipped: 1 });
  });

  it("onInvalid: 'skip' alone still throws on out-of-order rows (separate policy)", async () => {
    const path = await csv(`${header + good1}2020-01-01,10,12,9,11,100\n`);
    const error = await readError(path, { symbol: 'X', onInvalid: 'skip' });
    expect(error.details).toMatchObject({ line: 3, field: 'ts' });
  });

  it('fails on a header without a required column', async () => {
    const path = await csv('date,open,high,low,volume\n2020-01-02,10,12,9,100\n');
    const error = await readError(path, { symbol: 'X' });
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.details).toMatchObject({ line: 1, field: 'close' });
  });

  it('requires a symbol when the file has no symbol column', async () => {
    const path = await csv(header + good1);
    const error = await readError(path);
    expect(error.code).toBe('INVALID_ARGUMENT');
  });

  it('fails with INVALID_ARGUMENT on a missing file and on bad options', async () => {
    const error = await readError(join(dir, 'nope.csv'), { symbol: 'X' });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(() => fromCsvFile('x.csv', { symbol: 'X', delimiter: ';;' })).toThrow(/delimiter/);
    expect(() => fromCsvFile('x.csv', { symbol: 'X', priceDecimals: -1 })).toThrow(/priceDecimals/);
    expect(() => fromCsvFile('x.csv', { header: false, columns: { time: 'date' } })).toThrow(
      /header is false/,
    );
  });
});

describe('fromCsvFile: a large file', () => {
  const ROWS = 200_000;
  const START = Date.UTC(2021, 0, 1);
  let path: string;

  beforeAll(async () => {
    path = join(dir, 'large.csv');
    const out = createWriteStream(path);
    out.write('timestamp,open,high,low,close,volume\n');
    let batch = '';
    for (let i = 0; i < ROWS; i++) {
      const price = 100 + (i % 1000) / 100;
      batch += `${new Date(START + i * 60_000).toISOString()},${price},${price + 0.5},${price - 0.5},${price + 0.25},${i % 97}\n`;
      if (batch.length > 1 << 16) {
        out.write(batch);
        batch = '';
      }
    }
    out.end(batch);
    await new Promise<void>((resolve, reject) => out.on('finish', () => resolve()).on('error', reject));
  });

  it('reads 200k rows in chunks with ts order preserved', async () => {
    const source = fromCsvFile(path, { symbol: 'BTCUSDT' });
    let chunks = 0;
    let count = 0;
    let previous = Number.NEGATIVE_INFINITY;
    let last: Bar | undefined;
    for await (const chunk of source.chunks()) {
      chunks++;
      expect(chunk.length).toBeGreaterThan(0);
      for (const bar of chunk) {
        if (bar.ts !== START + count * 60_000 || bar.ts <= previous) {
          throw new Error(`bar ${count} out of place: ts ${bar.ts}`);
        }
        previous = bar.ts;
        count++;
        last = bar;
      }
    }
    expect(count).toBe(ROWS);
    expect(chunks).toBeGreaterThan(5);
    expect(chunks).toBeLessThan(ROWS / 100);
    const i = ROWS - 1;
    const price = 100 + (i % 1000) / 100;
    expect(last).toEqual({
      symbol: 'BTCUSDT',
      ts: START + i * 60_000,
      open: price,
      high: price + 0.5,
      low: price - 0.5,
      close: price + 0.25,
      volume: i % 97,
    });
    expect(source.stats).toEqual({ rows: ROWS, bars: ROWS, skipped: 0 });
  });

  it('stops reading when the consumer breaks early', async () => {
    const source = fromCsvFile(path, { symbol: 'BTCUSDT', highWaterMark: 4096 });
    let seen = 0;
    for await (const _bar of source) {
      if (++seen === 10) break;
    }
    expect(seen).toBe(10);
    expect(source.stats.rows).toBeLessThan(1000);
  });
});
