import type {
  AccountState,
  Denial,
  Fill,
  Instrument,
  Order,
  OrderRequest,
  Position,
  RiskStateChanged,
  StrategyStatus,
  TradingState,
} from '@rxtrade/core';
import type { Observable } from 'rxjs';

/** One event on the gateway's live stream (SSE), already scoped to the caller's accounts. */
export type LiveEvent =
  | { readonly type: 'fill'; readonly accountId: string; readonly data: unknown }
  | { readonly type: 'position'; readonly accountId: string; readonly data: Position }
  | { readonly type: 'equity'; readonly accountId: string; readonly data: AccountState }
  | { readonly type: 'risk'; readonly accountId: string | undefined; readonly data: RiskStateChanged };

/** Which page of a list: the `cursor` of the previous page (none for the first), at most `limit` items. */
export interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
}

/** One page of a list; `cursor` continues it, undefined at the end. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor: string | undefined;
}

/**
 * A strategy as the gateway lists it. `status`: core's {@link StrategyStatus} (`paused`: bars no
 * longer reach its `onBar`, its working orders go on), or `failed` when it threw and was stopped.
 */
export interface StrategyInfo {
  readonly id: string;
  readonly status: StrategyStatus | 'failed';
  readonly symbols: readonly string[];
}

/**
 * Everything the gateway's HTTP app needs from the rest of the system. The fleet implements it over
 * RabbitMQ and Redis; tests implement it in process over a TradingEngine. The HTTP app does
 * authentication, authorisation, validation and rate limiting; the backend trusts its arguments.
 */
export interface GatewayBackend {
  listAccounts(): Promise<readonly AccountState[]>;
  getAccount(accountId: string): Promise<AccountState | undefined>;
  /** The instrument an order names (its tick grid), or undefined when it is not traded here. */
  instrument(instrumentId: string): Promise<Instrument | undefined>;
  /** Whether the account exists: the cheap check on the order routes (no positions, no marks). */
  hasAccount(accountId: string): Promise<boolean>;
  listPositions(accountId: string, page?: PageRequest): Promise<Page<Position>>;
  listOrders(accountId: string, options: { readonly openOnly: boolean } & PageRequest): Promise<Page<Order>>;
  /** The account's fills, oldest first. */
  listFills(accountId: string, page?: PageRequest): Promise<Page<Fill>>;
  /**
   * The account's recent equity, oldest first (what the dashboard's chart shows at login, before the
   * live stream adds to it); bounded, see {@link EquityHistory}.
   */
  equityHistory(accountId: string): Promise<readonly EquityPoint[]>;
  /**
   * Submits through risk; resolves with the order as it is after risk: accepted, or `denied` with
   * the risk engine's reason (`denial`).
   */
  submitOrder(
    accountId: string,
    request: OrderRequest,
  ): Promise<{ order: Order; denial?: Denial | undefined }>;
  /** False when the order is unknown to that account or no longer open. */
  cancelOrder(accountId: string, clientOrderId: string): Promise<boolean>;
  listStrategies(): Promise<readonly StrategyInfo[]>;
  /**
   * Pauses (`running` false) or resumes a strategy (core's `pauseStrategy`/`resumeStrategy`) and
   * resolves with it as it is after the call: a strategy that has stopped or failed stays so.
   * Undefined when the strategy is unknown. Absent where strategies cannot be paused one by one;
   * the gateway then answers 501.
   */
  setStrategyRunning?(strategyId: string, running: boolean): Promise<StrategyInfo | undefined>;
  riskState(): Promise<readonly RiskStateChanged[]>;
  /** Halts, cancels every open order and optionally flattens. */
  killSwitch(options: { reason: string; flatten: boolean }): Promise<void>;
  /**
   * An operator's hold: `HALTED` or `REDUCING` for one account or all (`accountId` undefined);
   * `ACTIVE` lifts every hold of that scope.
   */
  setTradingState(
    state: TradingState,
    scope: { readonly accountId: string | undefined; readonly reason: string },
  ): Promise<void>;
  /** Hot: live fills, positions, equity and risk changes of the given accounts (risk changes of all). */
  live$(accountIds: readonly string[]): Observable<LiveEvent>;
  /** Readiness: true only when every connection the backend needs is up. */
  health(): Promise<{ readonly ok: boolean; readonly checks: Readonly<Record<string, boolean>> }>;
}

/** One sample of an account's equity. */
export interface EquityPoint {
  /** Epoch ms of the account update (its `tsLast`). */
  readonly ts: number;
  readonly equity: number;
}

/**
 * The last `max` equity samples of each account, fed with every account update a backend sees. A
 * sample with the same `ts` as the previous one replaces it (several fills on one bar are one point).
 */
export class EquityHistory {
  readonly #max: number;
  readonly #points = new Map<string, EquityPoint[]>();

  constructor(max = 500) {
    this.#max = max;
  }

  record(account: AccountState): void {
    let list = this.#points.get(account.accountId);
    if (list === undefined) {
      list = [];
      this.#points.set(account.accountId, list);
    }
    const point = { ts: account.tsLast, equity: account.equity };
    if (list.length > 0 && (list.at(-1) as EquityPoint).ts === point.ts) list[list.length - 1] = point;
    else list.push(point);
    if (list.length > this.#max) list.shift();
  }

  list(accountId: string): readonly EquityPoint[] {
    return [...(this.#points.get(accountId) ?? [])];
  }
}
