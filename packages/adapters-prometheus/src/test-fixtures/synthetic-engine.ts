import type {
  AccountState,
  Bar,
  ClosedTrade,
  Fill,
  OrderEvent,
  Position,
  RiskStateChanged,
  StrategyEvent,
} from '@rxtrade/core';
import { type Observable, Subject } from 'rxjs';

/** Subjects shaped like core's EngineStreams, and a scripted run with known metric values. */
export function createSyntheticEngine() {
  const subjects = {
    bars$: new Subject<Bar>(),
    orderEvents$: new Subject<OrderEvent>(),
    fills$: new Subject<Fill>(),
    positions$: new Subject<Position>(),
    account$: new Subject<AccountState>(),
    closedTrades$: new Subject<ClosedTrade>(),
    riskState$: new Subject<RiskStateChanged>(),
    strategyEvents$: new Subject<StrategyEvent>(),
  };
  const engine: {
    readonly [K in keyof typeof subjects]: Observable<Parameters<(typeof subjects)[K]['next']>[0]>;
  } = subjects;

  const base = (clientOrderId: string, tsEvent: number) => ({
    clientOrderId,
    accountId: 'ACC1',
    strategyId: 'sma',
    instrumentId: 'SPX',
    tsEvent,
  });
  const fill = (clientOrderId: string, tradeId: string, tsEvent: number): Fill => ({
    ...base(clientOrderId, tsEvent),
    type: 'OrderFilled',
    venueOrderId: `V-${clientOrderId}`,
    tradeId,
    side: 'buy',
    lastQty: 10,
    lastPx: 100,
    fee: 1,
    feeCurrency: 'USD',
    liquiditySide: 'taker',
  });

  /**
   * Emits: 3 bars; strategy started; O-1 submitted at t=1000, accepted at t=1250 (0.25 s), filled twice;
   * O-2 denied (MAX_NOTIONAL_EXCEEDED); O-3 submitted at 2000, rejected at 2100 (0.1 s, VENUE_BUSY);
   * position ACC1/SPX = 20 (and a per-strategy virtual one that must be ignored); account equity
   * 10,250 on 10,000 initial; risk REDUCING engine-wide and HALTED for ACC1; one strategy failure.
   */
  const run = () => {
    for (const [i, close] of [100, 101, 102].entries()) {
      subjects.bars$.next({
        symbol: 'SPX',
        ts: i * 86_400_000,
        open: close,
        high: close,
        low: close,
        close,
        volume: 1,
      });
    }
    subjects.strategyEvents$.next({ type: 'StrategyStarted', strategyId: 'sma', tsEvent: 900 });
    subjects.orderEvents$.next({ ...base('O-1', 1000), type: 'OrderSubmitted' });
    subjects.orderEvents$.next({ ...base('O-1', 1250), type: 'OrderAccepted', venueOrderId: 'V-O-1' });
    for (const [tradeId, ts] of [
      ['T-1', 1300],
      ['T-2', 1400],
    ] as const) {
      const f = fill('O-1', tradeId, ts);
      subjects.orderEvents$.next(f);
      subjects.fills$.next(f);
    }
    subjects.orderEvents$.next({
      ...base('O-2', 1500),
      type: 'OrderDenied',
      reason: 'MAX_NOTIONAL_EXCEEDED',
      message: 'too big',
    });
    subjects.orderEvents$.next({ ...base('O-3', 2000), type: 'OrderSubmitted' });
    subjects.orderEvents$.next({
      ...base('O-3', 2100),
      type: 'OrderRejected',
      reason: 'VENUE_BUSY',
      message: 'busy',
    });
    const position: Position = {
      accountId: 'ACC1',
      instrumentId: 'SPX',
      strategyId: undefined,
      quantity: 20,
      avgPx: 100,
      markPx: 102,
      marketValue: 2040,
      realizedPnl: 0,
      unrealizedPnl: 40,
      feesPaid: 2,
      tsLast: 1400,
    };
    subjects.positions$.next(position);
    subjects.positions$.next({ ...position, strategyId: 'sma', quantity: 999 });
    subjects.account$.next({
      accountId: 'ACC1',
      currency: 'USD',
      initialCash: 10_000,
      cash: 8_000,
      equity: 10_250,
      realizedPnl: 212,
      unrealizedPnl: 40,
      feesPaid: 2,
      tsLast: 1400,
    });
    subjects.riskState$.next({
      type: 'RiskStateChanged',
      accountId: undefined,
      state: 'REDUCING',
      reason: 'x',
      tsEvent: 1,
    });
    subjects.riskState$.next({
      type: 'RiskStateChanged',
      accountId: 'ACC1',
      state: 'HALTED',
      reason: 'x',
      tsEvent: 2,
    });
    subjects.strategyEvents$.next({
      type: 'StrategyFailed',
      strategyId: 'sma',
      error: new Error('boom'),
      message: 'boom',
      hook: 'onBar',
      tsEvent: 3,
    });
  };

  return { subjects, engine, run };
}
