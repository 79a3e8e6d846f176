import type { Bar } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { MatchBarrier, StrategyBarrier } from './barrier';
import { BEFORE_FIRST_BAR } from './messages';

const bar = (ts: number): Bar => ({ symbol: 'X', ts, open: 1, high: 1, low: 1, close: 1, volume: 1 });
const quiet = { commanded: false, working: false, last: false };

describe('StrategyBarrier', () => {
  it('runs ahead without orders and acknowledges once per frame', () => {
    const gate = new StrategyBarrier();
    expect(gate.afterBar(BEFORE_FIRST_BAR, quiet)).toBeUndefined();
    for (const ts of [1, 2, 3]) {
      expect(gate.canRun(bar(ts))).toBe(true);
      expect(gate.afterBar(ts, quiet)).toBeUndefined();
    }
    expect(gate.flush()).toEqual({ through: 3, waits: false, final: false });
    expect(gate.flush()).toBeUndefined();
  });

  it('after a command waits for the next bar’s result, then runs it', () => {
    const gate = new StrategyBarrier();
    expect(gate.afterBar(1, { ...quiet, commanded: true })).toEqual({
      through: 1,
      waits: true,
      final: false,
    });
    expect(gate.canRun(bar(2))).toBe(false);
    gate.matched(2);
    expect(gate.canRun(bar(2))).toBe(true);
    // Orders still working: keep waiting bar by bar.
    expect(gate.afterBar(2, { ...quiet, working: true })).toEqual({ through: 2, waits: true, final: false });
    expect(gate.canRun(bar(3))).toBe(false);
    gate.matched(3);
    expect(gate.afterBar(3, quiet)).toBeUndefined();
    expect(gate.canRun(bar(4))).toBe(true);
  });

  it('in live mode never waits, and acknowledges only the last bar', () => {
    const gate = new StrategyBarrier('live');
    expect(gate.afterBar(1, { ...quiet, commanded: true })).toBeUndefined();
    expect(gate.canRun(bar(2))).toBe(true);
    expect(gate.afterBar(2, { ...quiet, working: true })).toBeUndefined();
    expect(gate.flush()).toBeUndefined();
    expect(gate.afterBar(3, { ...quiet, last: true })).toEqual({ through: 3, waits: false, final: true });
  });

  it('acknowledges the last bar as final, once', () => {
    const gate = new StrategyBarrier();
    expect(gate.afterBar(5, { ...quiet, commanded: true, last: true })).toEqual({
      through: 5,
      waits: false,
      final: true,
    });
    expect(gate.flush()).toBeUndefined();
  });
});

describe('MatchBarrier', () => {
  it('matches a bar only after every feeder acknowledged the bar before', () => {
    const gate = new MatchBarrier(['a', 'b']);
    gate.addBars([bar(1), bar(2), bar(3)], true);
    expect(gate.next()).toBeUndefined();
    gate.acknowledge({ strategyId: 'a', through: BEFORE_FIRST_BAR, waits: false, final: false });
    expect(gate.next()).toBeUndefined();
    gate.acknowledge({ strategyId: 'b', through: 2, waits: false, final: false });
    expect(gate.next()).toEqual({ bar: bar(1), notify: [] });
    expect(gate.next()).toBeUndefined();
    gate.acknowledge({ strategyId: 'a', through: 1, waits: true, final: false });
    expect(gate.next()).toEqual({ bar: bar(2), notify: ['a'] });
    expect(gate.matchedThrough).toBe(2);
    expect(gate.next()).toBeUndefined();
    gate.acknowledge({ strategyId: 'a', through: 3, waits: false, final: true });
    expect(gate.next()?.bar).toEqual(bar(3));
    expect(gate.finished).toBe(false);
    gate.acknowledge({ strategyId: 'b', through: 3, waits: false, final: true });
    expect(gate.finished).toBe(true);
  });

  it('ignores acknowledgements older than one it has, and bars it already holds', () => {
    const gate = new MatchBarrier(['a']);
    gate.acknowledge({ strategyId: 'a', through: 2, waits: true, final: false });
    gate.acknowledge({ strategyId: 'a', through: 1, waits: false, final: false });
    gate.addBars([bar(1), bar(2)], false);
    gate.addBars([bar(2), bar(3)], false);
    expect([gate.next(), gate.next(), gate.next()].map((r) => r?.bar.ts)).toEqual([1, 2, 3]);
    expect(gate.next()).toBeUndefined();
  });

  it('in live mode matches every bar as it comes', () => {
    const gate = new MatchBarrier(['a'], 'live');
    gate.addBars([bar(1), bar(2)], false);
    expect([gate.next()?.bar.ts, gate.next()?.bar.ts]).toEqual([1, 2]);
  });
});
