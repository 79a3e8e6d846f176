import { describe, expect, it } from 'vitest';
import { ManualClock } from '../ports/clock';
import { createEquityGuard } from './equity-guard';
import { killSwitch } from './kill-switch';
import { DAY, riskHarness, T0 } from './test-support';
import { type TradingHoldChange, TradingHolds } from './trading-holds';

describe('TradingHolds', () => {
  it('derives the state from every hold; each owner releases only its own', () => {
    const holds = new TradingHolds({ clock: new ManualClock(T0) });
    const changes: TradingHoldChange[] = [];
    holds.onChange((c) => changes.push(c));
    expect(holds.state('a')).toBe('ACTIVE');
    holds.place({ owner: 'guard', accountId: 'a', state: 'REDUCING', reason: 'drawdown' });
    holds.place({ owner: 'operator', state: 'HALTED', reason: 'outage' });
    expect(holds.state('a')).toBe('HALTED');
    expect(holds.state('b')).toBe('HALTED');
    expect(holds.reason('a')).toBe('outage');
    expect(holds.release({ owner: 'guard' })).toBe(false); // it holds account a, not the engine
    expect(holds.release({ owner: 'guard', accountId: 'never held' })).toBe(false);
    expect(holds.release({ owner: 'operator', reason: 'back' })).toBe(true);
    expect(holds.state('a')).toBe('REDUCING');
    expect(holds.state('b')).toBe('ACTIVE');
    expect(holds.reason('a')).toBe('drawdown');
    expect(holds.list()).toEqual([
      { owner: 'guard', accountId: 'a', state: 'REDUCING', reason: 'drawdown', since: T0 },
    ]);
    expect(changes.map((c) => [c.accountId, c.state, c.reason])).toEqual([
      ['a', 'REDUCING', 'drawdown'],
      [undefined, 'HALTED', 'outage'],
      [undefined, 'ACTIVE', 'back'],
    ]);
  });

  it('keeps the stricter hold’s reason when a milder one is placed or released beside it', () => {
    const holds = new TradingHolds({ clock: new ManualClock(T0) });
    holds.place({ owner: 'reconciler', state: 'HALTED', reason: 'RECONCILING' });
    holds.place({ owner: 'guard', state: 'REDUCING', reason: 'drawdown' });
    expect(holds.scopes()[0]).toMatchObject({ state: 'HALTED', reason: 'RECONCILING' });
    holds.release({ owner: 'reconciler', reason: 'RECONCILED' });
    expect(holds.scopes()[0]).toMatchObject({ state: 'REDUCING', reason: 'drawdown' });
  });

  it('refuses ACTIVE as a hold: releasing is how trading resumes', () => {
    const holds = new TradingHolds({ clock: new ManualClock(T0) });
    expect(() => holds.place({ owner: 'x', state: 'ACTIVE' as 'HALTED', reason: 'r' })).toThrow(
      /REDUCING or HALTED/,
    );
    let code: unknown;
    try {
      holds.place({ owner: 'x', state: 'ACTIVE' as 'HALTED', reason: 'r' });
    } catch (error) {
      code = (error as { code?: unknown }).code;
    }
    expect(code).toBe('INVALID_ARGUMENT');
  });

  it('lets the strictest hold set the state and, among equals, the latest placed give the reason', () => {
    const clock = new ManualClock(T0);
    const holds = new TradingHolds({ clock });
    holds.place({ owner: 'guard', state: 'REDUCING', reason: 'drawdown' });
    holds.place({ owner: 'operator', state: 'HALTED', reason: 'outage' });
    holds.place({ owner: 'desk', state: 'REDUCING', reason: 'end of day' });
    expect(holds.state()).toBe('HALTED');
    expect(holds.reason()).toBe('outage');
    holds.release({ owner: 'operator' });
    expect(holds.reason()).toBe('end of day');
    // Placed again, the guard's hold is the latest of the two.
    holds.place({ owner: 'guard', state: 'REDUCING', reason: 'drawdown again' });
    expect(holds.reason()).toBe('drawdown again');
    expect(holds.list().map((h) => h.owner)).toEqual(['desk', 'guard']);
  });

  it('reports a release without a reason as released by its owner, and keeps that reason once free', () => {
    const clock = new ManualClock(T0);
    const holds = new TradingHolds({ clock });
    // Before any hold: the engine-wide scope, active since the holds were made.
    expect(holds.reason()).toBe('initial');
    expect(holds.scopes()).toEqual([
      { accountId: undefined, state: 'ACTIVE', reason: 'initial', tsEvent: T0 },
    ]);
    const changes: TradingHoldChange[] = [];
    holds.onChange((c) => changes.push(c));
    holds.place({ owner: 'ops', state: 'HALTED', reason: 'outage' });
    clock.advance(1_000);
    holds.release({ owner: 'ops' });
    expect(changes.at(-1)).toEqual({
      accountId: undefined,
      state: 'ACTIVE',
      reason: 'released by ops',
      tsEvent: T0 + 1_000,
    });
    expect(holds.reason()).toBe('released by ops');
    expect(holds.scopes()).toEqual([
      { accountId: undefined, state: 'ACTIVE', reason: 'released by ops', tsEvent: T0 + 1_000 },
    ]);
  });

  it("gives an account's own reason on a tie with the engine-wide state, the engine's once the account is free", () => {
    const holds = new TradingHolds({ clock: new ManualClock(T0) });
    holds.place({ owner: 'guard', accountId: 'a', state: 'REDUCING', reason: 'drawdown of a' });
    holds.place({ owner: 'desk', state: 'REDUCING', reason: 'end of day' });
    expect(holds.state('a')).toBe('REDUCING');
    expect(holds.reason('a')).toBe('drawdown of a');
    expect(holds.reason('b')).toBe('end of day');
    holds.release({ owner: 'guard', accountId: 'a', reason: 'recovered' });
    expect(holds.reason('a')).toBe('end of day');
    holds.release({ owner: 'desk', reason: 'next day' });
    expect(holds.state('a')).toBe('ACTIVE');
    expect(holds.reason('a')).toBe('next day');
  });

  it('stops calling a listener once removed, and only that one', () => {
    const holds = new TradingHolds({ clock: new ManualClock(T0) });
    const first: string[] = [];
    const second: string[] = [];
    const removeFirst = holds.onChange((c) => first.push(c.reason));
    holds.onChange((c) => second.push(c.reason));
    holds.place({ owner: 'ops', state: 'HALTED', reason: 'one' });
    removeFirst();
    holds.place({ owner: 'ops', state: 'HALTED', reason: 'two' });
    expect(first).toEqual(['one']);
    expect(second).toEqual(['one', 'two']);
  });
});

describe('trading holds in the engine', () => {
  it('a next-day resume of the equity guard does not lift an operator’s later halt', async () => {
    const h = await riskHarness();
    createEquityGuard(h.engine, { accounts: { acc: { maxDailyLossPct: 0.01 } }, resumeNextDay: true });
    h.tick(100, DAY);
    h.send({ quantity: 500 });
    h.tick(100, DAY); // fill at 100
    h.tick(97, DAY); // −3 % on the day: the guard halts the account
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    h.engine.setTradingState('HALTED', { reason: 'operator: venue outage', accountId: 'acc' });
    h.tick(97, DAY); // a new UTC day: the guard lifts its own hold
    expect(h.engine.holds.list().map((hold) => hold.owner)).toEqual(['operator']);
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(h.send({ quantity: 1 })).toMatchObject({ status: 'denied' });
    expect(h.events.at(-1)).toMatchObject({
      reason: 'TRADING_HALTED',
      message: 'TRADING_HALTED: operator: venue outage',
    });
    h.engine.setTradingState('ACTIVE', { reason: 'operator: resume', accountId: 'acc' });
    expect(h.engine.tradingState('acc')).toBe('ACTIVE');
  });

  it('a kill switch’s hold is its owner’s: another owner’s release leaves it', async () => {
    const h = await riskHarness();
    h.tick(100);
    killSwitch(h.engine, { reason: 'desk', owner: 'desk-switch' });
    expect(h.engine.holds.release({ owner: 'kill-switch' })).toBe(false);
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(h.engine.holds.release({ owner: 'desk-switch', reason: 'desk: resume' })).toBe(true);
    expect(h.engine.tradingState('acc')).toBe('ACTIVE');
    expect(h.states.at(-1)).toMatchObject({ accountId: undefined, state: 'ACTIVE', reason: 'desk: resume' });
  });
});
