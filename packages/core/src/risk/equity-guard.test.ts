import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import type { Order } from '../model/order';
import type { ExecutionClient, VenueEvent } from '../ports/execution-client';
import { createEquityGuard, type EquityBreach, EquityWatch } from './equity-guard';
import { DAY, MIN, riskHarness } from './test-support';

const twoAccounts = {
  accounts: [
    { id: 'acc', initialCash: 100_000 },
    { id: 'other', initialCash: 100_000 },
  ],
};

describe('EquityGuard: automatic halts', () => {
  it('halts an account on its daily loss (marks included), while another account keeps trading', async () => {
    const h = await riskHarness(twoAccounts);
    const guard = createEquityGuard(h.engine, { accounts: { acc: { maxDailyLoss: 500 } } });
    const breaches: EquityBreach[] = [];
    guard.breaches$.subscribe((b) => breaches.push(b));
    h.tick(100);
    h.send({ accountId: 'acc', quantity: 100 });
    h.send({ accountId: 'other', quantity: 100 });
    h.tick(100); // both fill at 100, fee 10: equity 99,990
    const resting = h.send({ accountId: 'acc', type: 'limit', price: 80 });
    h.tick(95.1); // 89,990 + 9,510 = 99,500: a loss of 500, not more
    expect(breaches).toEqual([]);
    h.tick(95.09); // 99,499: a loss of 501 > 500
    expect(breaches).toEqual([
      {
        type: 'EquityBreach',
        accountId: 'acc',
        reason: 'MAX_DAILY_LOSS',
        message: 'MAX_DAILY_LOSS: 501 > 500 (day start 100,000) (account acc)',
        equity: 99_499,
        reference: 100_000,
        tsEvent: expect.any(Number),
      },
    ]);
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(h.engine.order(resting.clientOrderId)?.status).toBe('canceled');
    expect(h.states.at(-1)).toMatchObject({
      accountId: 'acc',
      state: 'HALTED',
      reason: breaches[0]?.message,
    });
    expect(h.send({ accountId: 'acc', quantity: 1 }).status).toBe('denied');
    expect(h.send({ accountId: 'other', quantity: 1 }).status).toBe('accepted');
    expect(guard.status('acc')).toMatchObject({ equity: 99_499, peak: 100_000, halted: 'MAX_DAILY_LOSS' });
    guard.close();
  });

  it('measures the day from the previous day’s last equity, and resumes next UTC day when asked', async () => {
    const h = await riskHarness();
    createEquityGuard(h.engine, { accounts: { acc: { maxDailyLossPct: 0.01 } }, resumeNextDay: true });
    h.tick(100, DAY);
    h.send({ quantity: 500 });
    h.tick(100, DAY); // fill at 100, fee 50: equity 99,950
    h.tick(99, DAY); // 99,450: −0.5 % on the day
    expect(h.engine.tradingState('acc')).toBe('ACTIVE');
    h.tick(97, DAY); // 98,450 vs the day start 99,450: −1.006 %
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(h.states.at(-1)?.reason).toBe('MAX_DAILY_LOSS: 1.0055 % > 1 % (day start 99,450) (account acc)');
    h.tick(97, DAY); // a new UTC day
    expect(h.engine.tradingState('acc')).toBe('ACTIVE');
    expect(h.states.at(-1)?.reason).toBe('new UTC day: daily loss limit of account acc reset');
  });

  it('a daily-loss halt holds across days by default', async () => {
    const h = await riskHarness();
    createEquityGuard(h.engine, { accounts: { acc: { maxDailyLoss: 100 } } });
    h.tick(100, DAY);
    h.send({ quantity: 100 });
    h.tick(100, DAY);
    h.tick(98, DAY);
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    h.tick(98, DAY);
    h.tick(98, DAY);
    expect(h.engine.tradingState('acc')).toBe('HALTED');
  });

  it('halts on drawdown from the running peak and flattens when configured', async () => {
    const h = await riskHarness();
    const guard = createEquityGuard(h.engine, { accounts: { acc: { maxDrawdown: 0.05 } }, flatten: true });
    h.tick(100);
    h.send({ quantity: 1_000 });
    h.tick(100); // fee 100: equity 99,900
    h.tick(110); // 109,900: the peak
    h.tick(104.41); // 104,310: 5.0864 % below the peak
    expect(guard.status('acc')?.halted).toBe('MAX_DRAWDOWN');
    expect(h.states.at(-1)).toMatchObject({ state: 'HALTED' });
    expect(h.states.at(-1)?.reason).toBe(
      'MAX_DRAWDOWN: 5.0864 % > 5 % (peak 109,900, equity 104,310) (account acc)',
    );
    h.tick(104); // the flattening order fills
    expect(h.engine.positions('acc')[0]?.quantity).toBe(0);
  });

  it('watches all accounts together: a breach of the sum halts the whole engine', async () => {
    const h = await riskHarness(twoAccounts);
    createEquityGuard(h.engine, { total: { maxDailyLoss: 1_000 } });
    h.tick(100);
    h.send({ accountId: 'acc', quantity: 100 });
    h.send({ accountId: 'other', quantity: 100 });
    h.tick(100); // each: equity 99,990 (fees 10)
    h.tick(95.1); // each loses 500: total loss 1,000 — not more
    expect(h.engine.tradingState()).toBe('ACTIVE');
    // Accounts are marked one after the other: the sum crosses the limit as soon as the first
    // account is marked at 95.09 (a loss of 501 + 500), before the second is.
    h.tick(95.09);
    expect(h.engine.tradingState()).toBe('HALTED');
    expect(h.states.at(-1)).toMatchObject({ accountId: undefined, state: 'HALTED' });
    expect(h.states.at(-1)?.reason).toBe('MAX_DAILY_LOSS: 1,001 > 1,000 (day start 200,000) (all accounts)');
  });

  it('evaluates fills too: a fee alone can cross the limit', async () => {
    const h = await riskHarness();
    createEquityGuard(h.engine, { accounts: { acc: { maxDailyLoss: 5 } } });
    h.tick(100);
    h.send({ quantity: 100 }); // fee 10
    h.clock.advance(MIN);
    (h.engine.execution as unknown as { processBar(b: unknown): void }).processBar({
      symbol: 'SPX',
      ts: h.now(),
      open: 100,
      high: 100,
      low: 100,
      close: 100,
      volume: 1e6,
    });
    expect(h.engine.tradingState('acc')).toBe('HALTED');
  });

  it('close() unregisters it; bad options are INVALID_CONFIG', async () => {
    const h = await riskHarness();
    const guard = createEquityGuard(h.engine, { accounts: { acc: { maxDailyLoss: 1 } } });
    guard.close();
    guard.close();
    h.tick(100);
    h.send({ quantity: 100 });
    h.tick(90);
    expect(h.engine.tradingState('acc')).toBe('ACTIVE');
    const error = (() => {
      try {
        createEquityGuard(h.engine, { accounts: { acc: { maxDrawdown: 2 } } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isRxtradeError(error) && error.code).toBe('INVALID_CONFIG');
  });
});

/** A live venue driven by hand: orders and cancels are recorded; the test says what the venue did. */
class HandVenue implements ExecutionClient {
  readonly venue = 'HAND';
  readonly #events = new Subject<VenueEvent>();
  readonly events$ = this.#events.asObservable();
  readonly submitted: Order[] = [];
  readonly cancels: string[] = [];
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.submitted.push(order);
  }
  async cancelOrder(order: Order): Promise<void> {
    this.cancels.push(order.clientOrderId);
  }
  fill(order: Order, at: { px: number; ts: number }): void {
    const ids = {
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: at.ts,
      venueOrderId: `V-${order.clientOrderId}`,
    };
    this.#events.next({ type: 'OrderAccepted', ...ids });
    this.#events.next({
      type: 'OrderFilled',
      ...ids,
      tradeId: `T-${order.clientOrderId}`,
      side: order.side,
      lastQty: order.quantity,
      lastPx: at.px,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'taker',
    });
  }
}

describe('EquityGuard on an asynchronous venue', () => {
  it('an order that fills before the breach’s cancel lands is flattened after: the account ends flat', async () => {
    const venue = new HandVenue();
    const h = await riskHarness({ execution: venue });
    const guard = createEquityGuard(h.engine, { accounts: { acc: { maxDailyLoss: 500 } }, flatten: true });
    h.tick(100);
    const held = h.send({ quantity: 100 });
    venue.fill(held, { px: 100, ts: h.now() });
    const working = h.send({ quantity: 10 });
    h.tick(94); // a loss of 600: the guard cancels the working buy and sells the 100 held
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(venue.cancels).toEqual([working.clientOrderId]);
    const sells = () => venue.submitted.filter((o) => o.side === 'sell');
    expect(sells().map((o) => [o.quantity, o.reduceOnly])).toEqual([[100, true]]);
    // The venue filled the buy before the cancel reached it: 110 held, 100 of it being closed.
    venue.fill(working, { px: 94, ts: h.now() });
    expect(sells().map((o) => [o.quantity, o.reduceOnly, o.strategyId])).toEqual([
      [100, true, held.strategyId],
      [10, true, working.strategyId],
    ]);
    for (const o of sells()) venue.fill(o, { px: 94, ts: h.now() });
    expect(h.engine.positions('acc')[0]?.quantity).toBe(0);
    guard.close();
  });
});

describe('EquityWatch: one scope’s limits as plain state', () => {
  const D = Date.UTC(2024, 0, 1);
  const DAY_MS = 86_400_000;

  it('says which limit an update crosses, latches it, and measures the day from the previous day’s last equity', () => {
    const watch = new EquityWatch(
      { maxDailyLoss: 1_000, maxDrawdown: 0.2 },
      { accountId: 'a', precision: 2, equityUnits: 10_000_000, ts: D },
    );
    expect(watch.update(10_050_000, D + 1)).toEqual({ breach: undefined, released: false });
    // Next day: the day starts at 100,500; 99,450 is a loss of 1,050.
    const { breach } = watch.update(9_945_000, D + DAY_MS);
    expect(breach).toMatchObject({
      type: 'EquityBreach',
      accountId: 'a',
      reason: 'MAX_DAILY_LOSS',
      equity: 99_450,
      reference: 100_500,
      tsEvent: D + DAY_MS,
    });
    expect(breach?.message).toBe('MAX_DAILY_LOSS: 1,050 > 1,000 (day start 100,500) (account a)');
    // Latched: a deeper loss the same day is not a second breach.
    expect(watch.update(9_000_000, D + DAY_MS + 1).breach).toBeUndefined();
    expect(watch.status()).toEqual({
      accountId: 'a',
      equity: 90_000,
      peak: 100_500,
      dayStart: 100_500,
      halted: 'MAX_DAILY_LOSS',
    });
  });

  it('releases a daily-loss latch on a new UTC day only with resumeNextDay; drawdown stays latched', () => {
    const at = { accountId: undefined, precision: 2, equityUnits: 10_000_000, ts: D };
    const resuming = new EquityWatch({ maxDailyLoss: 100 }, { ...at, resumeNextDay: true });
    const holding = new EquityWatch({ maxDailyLoss: 100 }, at);
    for (const w of [resuming, holding])
      expect(w.update(9_980_000, D + 1).breach?.reason).toBe('MAX_DAILY_LOSS');
    expect(resuming.update(9_980_000, D + DAY_MS)).toEqual({ breach: undefined, released: true });
    expect(holding.update(9_980_000, D + DAY_MS)).toEqual({ breach: undefined, released: false });
    expect(resuming.label).toBe('all accounts');
    const drawdown = new EquityWatch({ maxDrawdown: 0.1 }, { ...at, resumeNextDay: true });
    expect(drawdown.update(8_900_000, D + 1).breach?.message).toBe(
      'MAX_DRAWDOWN: 11 % > 10 % (peak 100,000, equity 89,000) (all accounts)',
    );
    expect(drawdown.update(8_900_000, D + DAY_MS).released).toBe(false);
    drawdown.rearm();
    expect(drawdown.update(8_900_000, D + DAY_MS + 1).breach).toBeUndefined();
  });

  it('refuses limits that are not limits with INVALID_CONFIG; a whole fraction and a cent are limits', () => {
    const at = { accountId: 'a', precision: 2, equityUnits: 1, ts: 0 };
    for (const limits of [
      { maxDrawdown: 2 },
      { maxDrawdown: 0 },
      { maxDailyLossPct: 0 },
      { maxDailyLoss: 0 },
      { maxDailyLoss: -5 },
      { maxDailyLoss: Number.POSITIVE_INFINITY },
    ]) {
      let error: unknown;
      try {
        new EquityWatch(limits, at);
      } catch (e) {
        error = e;
      }
      expect(isRxtradeError(error) && error.code, JSON.stringify(limits)).toBe('INVALID_CONFIG');
    }
    expect(
      () => new EquityWatch({ maxDrawdown: 1, maxDailyLossPct: 1, maxDailyLoss: 0.01 }, at),
    ).not.toThrow();
  });

  it('crosses a limit only past it; the first limit crossed is the one reported; the day is the UTC day', () => {
    const at = { accountId: 'a', precision: 2, equityUnits: 10_000_000, ts: D + 3_600_000 };
    // Exactly at the limit is not past it.
    const drawdown = new EquityWatch({ maxDrawdown: 0.1 }, at);
    expect(drawdown.update(9_000_000, D + 7_200_000).breach).toBeUndefined();
    expect(drawdown.update(8_999_999, D + 7_200_001).breach).toMatchObject({
      reference: 100_000,
      equity: 89_999.99,
    });
    const daily = new EquityWatch({ maxDailyLoss: 1_000 }, at);
    expect(daily.update(9_900_000, D + 7_200_000).breach).toBeUndefined();
    // Later the same UTC day: the day still starts at 100,000 (the watch's start), so 1,000.01 is past it.
    expect(daily.update(9_899_999, D + DAY_MS - 1).breach?.reference).toBe(100_000);
    // Both crossed by one update: the drawdown is reported, once.
    const both = new EquityWatch({ maxDrawdown: 0.05, maxDailyLoss: 1_000, maxDailyLossPct: 0.01 }, at);
    const crossed = both.update(9_000_000, D + 7_200_000);
    expect(crossed.breach?.reason).toBe('MAX_DRAWDOWN');
    expect(both.update(8_000_000, D + 7_200_001).breach).toBeUndefined();
    // The percentage on its own.
    const pct = new EquityWatch({ maxDailyLossPct: 0.01 }, at);
    expect(pct.update(9_900_000, D + 7_200_000).breach).toBeUndefined();
    expect(pct.update(9_899_000, D + 7_200_001).breach?.message).toBe(
      'MAX_DAILY_LOSS: 1.01 % > 1 % (day start 100,000) (account a)',
    );
  });
});
