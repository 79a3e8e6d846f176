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
