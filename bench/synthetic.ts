import type { Bar } from '@rxtrade/core';
import { mulberry32 } from '@rxtrade/core/testing';

/** Core's seeded PRNG (mulberry32), so every benchmark run sees the same data. */
export const prng: (seed: number) => () => number = mulberry32;

/**
 * `count` one-minute bars of a seeded random walk, prices on a 4-decimal grid (on a 2-decimal
 * grid the two SMAs of the crossover tie exactly a few times per million bars).
 */
export function syntheticBars(
  count: number,
  options: { seed?: number; symbol?: string; start?: number } = {},
): Bar[] {
  const random = prng(options.seed ?? 42);
  const symbol = options.symbol ?? 'SYN';
  const start = options.start ?? Date.UTC(2020, 0, 1);
  const bars: Bar[] = new Array(count);
  let price = 100;
  const round = (x: number): number => Math.round(x * 10_000) / 10_000;
  for (let i = 0; i < count; i++) {
    const open = round(price);
    const close = round(Math.max(1, open * (1 + (random() - 0.5) * 0.002)));
    const high = round(Math.max(open, close) * (1 + random() * 0.0005));
    const low = round(Math.min(open, close) * (1 - random() * 0.0005));
    bars[i] = {
      symbol,
      ts: start + i * 60_000,
      open,
      high,
      low,
      close,
      volume: 1000 + Math.floor(random() * 9000),
    };
    price = close;
  }
  return bars;
}

/** Best of `runs` timings of `fn` after one warm-up, in ms, plus its last return value. */
export function best<TResult>(runs: number, fn: () => TResult): { ms: number; result: TResult } {
  let result = fn();
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, result };
}

export async function bestAsync<TResult>(
  runs: number,
  fn: () => Promise<TResult>,
): Promise<{ ms: number; result: TResult }> {
  let result = await fn();
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, result };
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmtRate = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
