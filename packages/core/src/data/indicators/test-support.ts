import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import { mulberry32 } from '../../strategy/param-space';
import type { IndicatorVolumeBar, StreamingIndicator } from './types';

/**
 * Test-only helpers shared by the indicator tests (not exported from the barrel): the S&P 500 fixture,
 * tolerant comparisons and a seeded random walk.
 */

/** Relative tolerance of every reference comparison. */
export const REL_TOL = 1e-9;

/** The S&P 500 daily bars 2000-2020 from vega-datasets, as columns and as bar objects. */
export interface Sp500 {
  readonly length: number;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly bars: readonly IndicatorVolumeBar[];
}

const CSV = 'node_modules/vega-datasets/data/sp500-2000.csv';

function findCsv(): string {
  const fromModule = new URL(
    '../../../../../node_modules/vega-datasets/data/sp500-2000.csv',
    import.meta.url,
  );
  if (existsSync(fromModule)) return fileURLToPath(fromModule);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, CSV);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${CSV} above ${process.cwd()}`);
  }
}

let cached: Sp500 | undefined;

/** Loads (once) and parses `sp500-2000.csv`: date,open,high,low,close,adjclose,volume. */
export function loadSp500(): Sp500 {
  if (cached) return cached;
  const lines = readFileSync(findCsv(), 'utf8').trim().split(/\r?\n/);
  const header = lines[0]?.split(',') ?? [];
  expect(header).toEqual(['date', 'open', 'high', 'low', 'close', 'adjclose', 'volume']);
  const n = lines.length - 1;
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const bars: IndicatorVolumeBar[] = [];
  for (let i = 0; i < n; i++) {
    const f = (lines[i + 1] as string).split(',').map(Number);
    open[i] = f[1] as number;
    high[i] = f[2] as number;
    low[i] = f[3] as number;
    close[i] = f[4] as number;
    volume[i] = f[6] as number;
    bars.push({
      high: high[i] as number,
      low: low[i] as number,
      close: close[i] as number,
      volume: volume[i] as number,
    });
  }
  cached = { length: n, open, high, low, close, volume, bars };
  return cached;
}

/** True when `a` and `b` agree to {@link REL_TOL} relative to `max(|b|, scale)` (both NaN also counts as equal). */
export function close(a: number, b: number, scale = 0): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(b), scale);
}

/**
 * Asserts `actual[i] ≈ expected(i)` for every index in `[from, actual.length)`, reporting the first mismatch
 * with its index. Returns the number of compared points so tests can assert that the comparison ran.
 */
export function expectSeriesClose(
  actual: ArrayLike<number>,
  expected: (i: number) => number,
  options: { from: number; scale?: (i: number) => number },
): number {
  let compared = 0;
  for (let i = options.from; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected(i);
    if (!close(a, e, options.scale?.(i) ?? 0)) {
      expect.fail(`index ${i}: got ${a}, expected ${e} (rel err ${Math.abs(a - e) / Math.abs(e)})`);
    }
    compared++;
  }
  return compared;
}

/** Deterministic PRNG (core's mulberry32) so failures reproduce. */
export const rng: (seed: number) => () => number = mulberry32;

/** A positive random walk of `n` closes starting at 100 (multiplicative steps of about ±1%). */
export function randomWalk(n: number, seed = 1): Float64Array {
  const next = rng(seed);
  const out = new Float64Array(n);
  let p = 100;
  for (let i = 0; i < n; i++) {
    p *= 1 + (next() - 0.5) * 0.02;
    out[i] = p;
  }
  return out;
}

/** Random-walk bars (high ≥ max(open, close), low ≤ min(open, close)) with random volume. */
export function randomBars(n: number, seed = 1): IndicatorVolumeBar[] {
  const next = rng(seed);
  const bars: IndicatorVolumeBar[] = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const c = prev * (1 + (next() - 0.5) * 0.02);
    const high = Math.max(prev, c) * (1 + next() * 0.005);
    const low = Math.min(prev, c) * (1 - next() * 0.005);
    bars.push({ high, low, close: c, volume: Math.floor(next() * 1e6) });
    prev = c;
  }
  return bars;
}

/** Runs `update` over `inputs` and collects the outputs (the streaming side of streaming == batch). */
export function stream<T>(update: (input: T) => number, inputs: ArrayLike<T>): Float64Array {
  const out = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) out[i] = update(inputs[i] as T);
  return out;
}

/** Asserts that `fn` throws an RxtradeError with code INVALID_ARGUMENT. */
export function expectInvalidArgument(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isRxtradeError(caught), `expected an RxtradeError, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe('INVALID_ARGUMENT');
}

/**
 * Asserts that `batch` and `stream` both throw an INVALID_ARGUMENT with the same message: a batch column loop that
 * checks its input after the loop must report the row the streaming class would have rejected first.
 */
export function expectSameRejection(batch: () => unknown, stream: () => unknown): void {
  expectInvalidArgument(batch);
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  expect(message(batch)).toBe(message(stream));
}

/** One indicator under the uniform-API contract. */
export interface ContractCase<T, I extends StreamingIndicator<T>> {
  /** Builds a fresh instance. */
  readonly make: () => I;
  /** Inputs, longer than the warm-up. */
  readonly inputs: ArrayLike<T>;
  /** The batch function's main output over `inputs`. */
  readonly batch: () => Float64Array;
  /** The warm-up documented for these parameters. */
  readonly warmup: number;
  /** Inputs that must be rejected with INVALID_ARGUMENT. */
  readonly bad: readonly T[];
  /** Secondary outputs read after each update, compared in the reset and rejection tests. */
  readonly extras?: (ind: I) => number[];
}

function trace<T, I extends StreamingIndicator<T>>(c: ContractCase<T, I>, ind: I, from = 0): number[][] {
  const rows: number[][] = [];
  for (let i = from; i < c.inputs.length; i++) {
    const main = ind.update(c.inputs[i] as T);
    rows.push([main, ind.value, ...(c.extras?.(ind) ?? [])]);
  }
  return rows;
}

function expectSameRows(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number[];
    const e = expected[i] as number[];
    for (let j = 0; j < e.length; j++) {
      if (!Object.is(a[j], e[j])) expect.fail(`row ${i} column ${j}: got ${a[j]}, expected ${e[j]}`);
    }
  }
}

/**
 * The tests every indicator must pass: documented warm-up boundary, isReady/value semantics, streaming ==
 * batch bit for bit, reset() == fresh instance, and rejected inputs leave the state untouched.
 */
export function itHonoursTheIndicatorContract<T, I extends StreamingIndicator<T>>(
  c: ContractCase<T, I>,
): void {
  it('reports and honours its warm-up (isReady, value, NaN prefix)', () => {
    const ind = c.make();
    expect(ind.warmup).toBe(c.warmup);
    expect(ind.isReady).toBe(false);
    expect(ind.value).toBeNaN();
    for (let i = 0; i < c.inputs.length; i++) {
      const out = ind.update(c.inputs[i] as T);
      if (i < c.warmup) {
        expect(out, `output ${i}`).toBeNaN();
        expect(ind.isReady, `isReady after ${i + 1} inputs`).toBe(false);
        expect(ind.value).toBeNaN();
      } else {
        expect(Number.isFinite(out), `output ${i} should be finite, got ${out}`).toBe(true);
        expect(ind.isReady).toBe(true);
        expect(Object.is(ind.value, out)).toBe(true);
        for (const x of c.extras?.(ind) ?? [])
          expect(Number.isFinite(x), `extra output at ${i}: ${x}`).toBe(true);
      }
    }
  });

  it('streaming equals batch bit for bit', () => {
    const ind = c.make();
    const streamed = stream((x: T) => ind.update(x), c.inputs);
    const batched = c.batch();
    expect(batched).toBeInstanceOf(Float64Array);
    expect(batched.length).toBe(c.inputs.length);
    for (let i = 0; i < streamed.length; i++) {
      if (!Object.is(streamed[i], batched[i]))
        expect.fail(`index ${i}: stream ${streamed[i]} batch ${batched[i]}`);
    }
  });

  it('reset() returns to the just-constructed state', () => {
    const fresh = trace(c, c.make());
    const ind = c.make();
    for (let i = 0; i < c.inputs.length; i += 2) ind.update(c.inputs[i] as T);
    ind.reset();
    expect(ind.isReady).toBe(false);
    expect(ind.value).toBeNaN();
    expectSameRows(trace(c, ind), fresh);
  });

  it('rejects invalid inputs with INVALID_ARGUMENT and leaves the state unchanged', () => {
    const fresh = trace(c, c.make());
    const ind = c.make();
    const rows: number[][] = [];
    for (let i = 0; i < c.inputs.length; i++) {
      if (i === 1 || i === c.warmup + 1) {
        for (const bad of c.bad) expectInvalidArgument(() => ind.update(bad));
      }
      const main = ind.update(c.inputs[i] as T);
      rows.push([main, ind.value, ...(c.extras?.(ind) ?? [])]);
    }
    expectSameRows(rows, fresh);
  });
}

/** Non-finite numbers every scalar indicator must reject. */
export const BAD_NUMBERS: readonly number[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Bars with one non-finite field each. */
export const BAD_BARS: readonly IndicatorVolumeBar[] = [
  { high: Number.NaN, low: 1, close: 1, volume: 1 },
  { high: 2, low: Number.POSITIVE_INFINITY, close: 1, volume: 1 },
  { high: 2, low: 1, close: Number.NEGATIVE_INFINITY, volume: 1 },
];

/**
 * A hostile series for drift tests: a level around 1000 cycling every 3000 values through volatile (σ 5),
 * calm (σ 0.002), perfectly flat and very volatile (σ 50) regimes, with a spike a million times the level
 * every 4999 values. Calm windows right after volatile ones or spikes are where running sums break.
 */
export function regimeSeries(n: number, seed = 5): Float64Array {
  const next = rng(seed);
  const sigmas = [5, 0.002, 0, 50];
  const out = new Float64Array(n);
  let level = 1000;
  for (let i = 0; i < n; i++) {
    const sigma = sigmas[Math.floor(i / 3000) % sigmas.length] as number;
    level += (next() - 0.5) * 3.4 * sigma;
    if (level < 100) level = 200 - level; // keep it positive and away from zero
    out[i] = i % 4999 === 4998 ? level * 1e6 : level;
  }
  return out;
}

/** Fresh two-pass mean and population standard deviation of `values[end - period + 1 .. end]`. */
export function freshMoments(
  values: ArrayLike<number>,
  end: number,
  period: number,
): { mean: number; sd: number } {
  let s = 0;
  for (let j = end - period + 1; j <= end; j++) s += values[j] as number;
  const mean = s / period;
  let q = 0;
  for (let j = end - period + 1; j <= end; j++) {
    const d = (values[j] as number) - mean;
    q += d * d;
  }
  return { mean, sd: Math.sqrt(q / period) };
}

/**
 * Aligns a reference output that omits the warm-up (technicalindicators' `calculate`, @ixjb94/indicators) with an
 * index-aligned series of `n` outputs: `aligned(i)` is the reference value for input `i` (NaN before it starts).
 */
export function alignEnd(reference: ArrayLike<number>, n: number): (i: number) => number {
  const offset = n - reference.length;
  return (i) => (i < offset ? Number.NaN : (reference[i - offset] as number));
}

/**
 * Runs a trading-signals indicator over `inputs` and returns `pick(result)` per input, NaN while it is not stable
 * (or returns null).
 */
export function tsSeries<T, R>(
  ind: { update(input: T, replace?: boolean): R | null | undefined; readonly isStable: boolean },
  inputs: ArrayLike<T>,
  pick: (result: R) => number = (r) => r as unknown as number,
): Float64Array {
  const out = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const r = ind.update(inputs[i] as T, false);
    out[i] = ind.isStable && r !== null && r !== undefined ? pick(r) : Number.NaN;
  }
  return out;
}

/** Asserts that `make(p)` and `batch(p)` throw INVALID_ARGUMENT for each bad period. */
export function expectBadPeriods(
  periods: readonly number[],
  make: (p: number) => unknown,
  batch: (p: number) => unknown,
): void {
  for (const p of periods) {
    expectInvalidArgument(() => make(p));
    expectInvalidArgument(() => batch(p));
  }
}
