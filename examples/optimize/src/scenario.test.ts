import { describe, expect, it } from 'vitest';
import { formatTop, optimizeSma, refineSma } from './scenario';

describe('example: optimising the SMA crossover on the S&P 500', () => {
  it('ranks the grid by Sharpe in worker threads and prints the top rows', async () => {
    const progress: number[] = [];
    const result = await optimizeSma({
      space: { fast: [5, 10, 20], slow: [30, 50, 100] },
      workers: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(result.rows).toHaveLength(9);
    expect(progress.at(-1)).toBe(9);
    const scores = result.rows.map((r) => r.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // The demo's own parameters (10/30) are in the table with the demo's known result.
    const demo = result.rows.find((r) => r.params['fast'] === 10 && r.params['slow'] === 30);
    expect(demo?.statistics?.endEquity).toBe(104_237.98);
    const table = formatTop(result, 3).split('\n');
    expect(table).toHaveLength(4);
    expect(table[1]).toMatch(/^\s+1\s+\d+\s+\d+\s+-?\d+\.\d\d/);
  });

  it('refines a coarse grid around its best on the same workers: the fine best is at least as good', async () => {
    const { coarse, fine } = await refineSma({
      coarse: { fast: [5, 10, 20], slow: [30, 60, 100] },
      radius: 2,
      workers: 2,
    });
    expect(coarse.rows).toHaveLength(9);
    const c = coarse.best?.params as Record<string, number>;
    // The fine grid holds the coarse best, so its best scores at least as high.
    const again = fine.rows.find(
      (row) => row.params['fast'] === c['fast'] && row.params['slow'] === c['slow'],
    );
    expect(again?.score).toBe(coarse.best?.score);
    expect(fine.best?.score as number).toBeGreaterThanOrEqual(coarse.best?.score as number);
    expect(fine.workers).toBe(2);
  });
});
