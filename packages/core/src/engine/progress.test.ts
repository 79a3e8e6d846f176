import { describe, expect, it } from 'vitest';
import { createProgressReporter, type ProgressStream } from './progress';

function fakeStream(isTTY: boolean): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns: 100, writes, write: (chunk: string) => writes.push(chunk) };
}

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 5_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('createProgressReporter on a TTY', () => {
  it('stays silent during the first second', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgressReporter({ total: 1000, stream, now: clock.now });
    for (let i = 1; i <= 99; i++) {
      clock.advance(10);
      progress.update(i);
    }
    expect(stream.writes).toEqual([]);
  });

  it('redraws at most every 100 ms after the first second', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgressReporter({ total: 100_000, stream, now: clock.now });
    // 3 s of updates every 5 ms: 200 updates in the quiet second, 400 after it.
    for (let i = 1; i <= 600; i++) {
      clock.advance(5);
      progress.update(i * 100);
    }
    // From t = 1 s to 3 s at most one draw per 100 ms: 21 draws (1.0, 1.1, …, 3.0).
    expect(stream.writes.length).toBe(21);
    for (const w of stream.writes) expect(w.startsWith('\r')).toBe(true);
  });

  it('shows percent, counts, rate and ETA, then a final line on finish', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgressReporter({ total: 10_000, stream, label: 'spx', now: clock.now });
    clock.advance(2_000);
    progress.update(2_500); // 1,250 bars/s, 7,500 left -> 6 s
    const line = stream.writes.at(-1) ?? '';
    expect(line).toContain('spx [');
    expect(line).toContain(' 25.0%');
    expect(line).toContain('2,500/10,000 bars');
    expect(line).toContain('1,250 bars/s');
    expect(line).toContain('ETA 6.0 s');
    clock.advance(6_000);
    progress.update(10_000);
    progress.finish();
    progress.finish();
    progress.update(5);
    expect(stream.writes.at(-1)).toBe('\n');
    expect(stream.writes.at(-2)).toContain('100.0%');
    expect(stream.writes.at(-2)).toContain('in 8.0 s');
    expect(stream.writes.filter((w) => w === '\n')).toHaveLength(1);
  });

  it('prints nothing at all for a run under a second', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgressReporter({ total: 10, stream, now: clock.now });
    clock.advance(300);
    progress.update(10);
    progress.finish();
    expect(stream.writes).toEqual([]);
  });

  it('works without a total (count and rate only)', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgressReporter({ stream, now: clock.now, unit: 'rows' });
    clock.advance(1_500);
    progress.update(3_000);
    expect(stream.writes.at(-1)).toContain('3,000 rows · 2,000 rows/s');
    expect(stream.writes.at(-1)).not.toContain('%');
  });
});

describe('createProgressReporter elsewhere (not a TTY)', () => {
  it('draws nothing while running and one summary line on finish', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = createProgressReporter({ total: 4_000, stream, now: clock.now });
    for (let i = 1; i <= 200; i++) {
      clock.advance(10);
      progress.update(i * 20);
    }
    expect(stream.writes).toEqual([]);
    progress.finish();
    expect(stream.writes).toEqual(['backtest: 4,000 bars in 2.0 s (2,000 bars/s)\n']);
  });

  it('stays silent for a short run', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = createProgressReporter({ total: 10, stream, now: clock.now });
    clock.advance(999);
    progress.update(10);
    progress.finish();
    expect(stream.writes).toEqual([]);
  });

  it('validates its options', () => {
    expect(() => createProgressReporter({ total: -1 })).toThrow(/total/);
    expect(() => createProgressReporter({ stream: {} as ProgressStream })).toThrow(/stream/);
  });
});
