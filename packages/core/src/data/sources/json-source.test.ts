import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bar } from '../../model/market-data';
import type { SkippedRow } from './bar-checks';
import { fromJsonFile, type JsonBarSourceOptions } from './json-source';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxtrade-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function json(content: unknown): Promise<string> {
  const path = join(dir, `f${counter++}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function readAll(path: string, options: JsonBarSourceOptions = {}): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const chunk of fromJsonFile(path, options).chunks()) bars.push(...chunk);
  return bars;
}

const D0 = Date.UTC(2020, 0, 2);

describe('fromJsonFile', () => {
  it('reads an array of Bars', async () => {
    const bars: Bar[] = [
      { symbol: 'A', ts: D0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 },
      { symbol: 'B', ts: D0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 },
      { symbol: 'A', ts: D0 + 1, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 },
    ];
    expect(await readAll(await json(bars))).toEqual(bars);
  });

  it('reads OHLCV records with a date field, numeric strings and a symbol to assign', async () => {
    const path = await json([
      { Date: '2020-01-02', Open: '10', High: 12, Low: 9, Close: 11, Volume: 100 },
      { Date: '2020-01-03', Open: 11, High: 13, Low: 10, Close: 12, Volume: 200 },
    ]);
    expect(await readAll(path, { symbol: 'SPX' })).toEqual([
      { symbol: 'SPX', ts: D0, open: 10, high: 12, low: 9, close: 11, volume: 100 },
      { symbol: 'SPX', ts: D0 + 86_400_000, open: 11, high: 13, low: 10, close: 12, volume: 200 },
    ]);
  });

  it('maps custom property names, epoch seconds and volume: null', async () => {
    const path = await json([{ t: 1577923200, o: 1, h: 2, l: 1, c: 2 }]);
    const bars = await readAll(path, {
      symbol: 'X',
      columns: { time: 't', volume: null },
      priceDecimals: 0,
    });
    expect(bars).toEqual([{ symbol: 'X', ts: D0, open: 1, high: 2, low: 1, close: 2, volume: 0 }]);
  });

  it('throws with the file and record index of a bad record', async () => {
    const path = await json([
      { date: '2020-01-02', open: 1, high: 2, low: 1, close: 2, volume: 1 },
      { date: '2020-01-03', open: 1, high: 2, low: 1, volume: 1 },
    ]);
    await expect(readAll(path, { symbol: 'X' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      details: { file: path, index: 1, field: 'close' },
    });
  });

  it("skips and reports bad records under 'skip'", async () => {
    const path = await json([
      { date: '2020-01-02', open: 1, high: 2, low: 1, close: 2, volume: 1 },
      'nonsense',
      { date: 'yesterday', open: 1, high: 2, low: 1, close: 2, volume: 1 },
      { date: '2020-01-03', open: 1, high: 0.5, low: 1, close: 2, volume: 1 },
      { date: '2020-01-02', open: 1, high: 2, low: 1, close: 2, volume: 1 },
      { date: '2020-01-06', open: 1, high: 2, low: 1, close: 2, volume: 1 },
    ]);
    const skipped: SkippedRow[] = [];
    const source = fromJsonFile(path, {
      symbol: 'X',
      onInvalid: 'skip',
      order: 'skip',
      onSkip: (s) => skipped.push(s),
    });
    const bars: Bar[] = [];
    for await (const b of source) bars.push(b);
    expect(bars.map((b) => b.ts)).toEqual([D0, Date.UTC(2020, 0, 6)]);
    expect(skipped.map((s) => [s.index, s.field])).toEqual([
      [1, 'row'],
      [2, 'ts'],
      [3, 'high'],
      [4, 'ts'],
    ]);
    expect(source.stats).toEqual({ rows: 6, bars: 2, skipped: 4 });
  });

  it('fails on a file that is not a JSON array', async () => {
    await expect(readAll(await json('{"a":1}'), { symbol: 'X' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    await expect(readAll(await json('[1,'), { symbol: 'X' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    await expect(readAll(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
