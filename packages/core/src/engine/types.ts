import type { Observable } from 'rxjs';
import type { Bar } from '../model/market-data';
import type { Order, OrderRequest } from '../model/order';
import type { Fill, OrderEvent } from '../model/order-events';
import type { AccountState, ClosedTrade, Position } from '../model/position';

/** Trading state of the risk engine. ACTIVE: all orders; REDUCING: only orders that shrink |position|; HALTED: only cancels. */
export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** Emitted when the trading state changes (by hand, by the kill switch or by a rule). */
export interface RiskStateChanged {
  readonly type: 'RiskStateChanged';
  /** Undefined for the engine-wide state; set for one account's state. */
  readonly accountId: string | undefined;
  readonly state: TradingState;
  readonly reason: string;
  readonly tsEvent: number;
}

/**
 * A strategy's life-cycle event. `StrategyFailed` carries the error that stopped it;
 * `StrategyPaused`/`StrategyResumed` follow `pauseStrategy`/`resumeStrategy`.
 */
export type StrategyEvent =
  | { readonly type: 'StrategyStarted'; readonly strategyId: string; readonly tsEvent: number }
  | { readonly type: 'StrategyStopped'; readonly strategyId: string; readonly tsEvent: number }
  | { readonly type: 'StrategyPaused'; readonly strategyId: string; readonly tsEvent: number }
  | { readonly type: 'StrategyResumed'; readonly strategyId: string; readonly tsEvent: number }
  | {
      readonly type: 'StrategyFailed';
      readonly strategyId: string;
      readonly error: unknown;
      readonly message: string;
      /** The hook that threw: `onBar`, `onFill`, … */
      readonly hook: string;
      readonly tsEvent: number;
    };

/**
 * Where a hosted strategy stands: `pending` before the host starts, `running`, `paused` (bars do not
 * reach its `onBar`; see `StrategyHost.pause`), `stopped` (the host stopped, or the strategy failed
 * under the `stop` policy: it never runs again).
 */
export type StrategyStatus = 'pending' | 'running' | 'paused' | 'stopped';

/**
 * The engine's public streams. Event streams are hot and do not replay; state streams are hot and
 * replay the latest value of each key to a new subscriber, then every change.
 */
export interface EngineStreams {
  /** Hot, no replay: every bar the engine processes, after venues and accounts saw it. */
  readonly bars$: Observable<Bar>;
  /** Hot, no replay: every order event, after it was applied to the order and the account. */
  readonly orderEvents$: Observable<OrderEvent>;
  /** Hot, no replay: every fill (the `OrderFilled` events), after it was applied. */
  readonly fills$: Observable<Fill>;
  /** Hot, replays the latest snapshot of every position, then each change (fills, and marks while observed). */
  readonly positions$: Observable<Position>;
  /** Hot, replays the latest state of every account, then each change (fills, and marks while observed). */
  readonly account$: Observable<AccountState>;
  /** Hot, no replay: every completed round trip. */
  readonly closedTrades$: Observable<ClosedTrade>;
  /** Hot, replays the latest engine-wide state (and each account's, if set), then each change. */
  readonly riskState$: Observable<RiskStateChanged>;
  /** Hot, no replay: strategies started, stopped, failed. */
  readonly strategyEvents$: Observable<StrategyEvent>;
}

/** What strategies and API clients can do. */
export interface EngineCommands {
  /** Validates, risk-checks and routes an order. Returns the order as it is after that (maybe `denied`). */
  submit(request: OrderRequest): Order;
  /** Requests a cancel. Returns false when the order is unknown or no longer open. */
  cancel(clientOrderId: string): boolean;
}
