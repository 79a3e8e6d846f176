import type {
  AccountState,
  Instrument,
  Order,
  OrderRequest,
  Position,
  RiskStateChanged,
} from '@rxtrade/core';
import type { Observable } from 'rxjs';

/** One event on the gateway's live stream (SSE), already scoped to the caller's accounts. */
export type LiveEvent =
  | { readonly type: 'fill'; readonly accountId: string; readonly data: unknown }
  | { readonly type: 'position'; readonly accountId: string; readonly data: Position }
  | { readonly type: 'equity'; readonly accountId: string; readonly data: AccountState }
  | { readonly type: 'risk'; readonly accountId: string | undefined; readonly data: RiskStateChanged };

/** A strategy as the gateway lists it. */
export interface StrategyInfo {
  readonly id: string;
  readonly status: 'running' | 'stopped' | 'failed';
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
  listPositions(accountId: string): Promise<readonly Position[]>;
  listOrders(accountId: string, options: { openOnly: boolean }): Promise<readonly Order[]>;
  /** Submits through risk; resolves with the order as it is after risk (maybe `denied`). */
  submitOrder(accountId: string, request: OrderRequest): Promise<Order>;
  /** False when the order is unknown to that account or no longer open. */
  cancelOrder(accountId: string, clientOrderId: string): Promise<boolean>;
  listStrategies(): Promise<readonly StrategyInfo[]>;
  setStrategyRunning(strategyId: string, running: boolean): Promise<boolean>;
  riskState(): Promise<readonly RiskStateChanged[]>;
  /** Halts, cancels every open order and optionally flattens. */
  killSwitch(options: { reason: string; flatten: boolean }): Promise<void>;
  /** Hot: live fills, positions, equity and risk changes of the given accounts (risk changes of all). */
  live$(accountIds: readonly string[]): Observable<LiveEvent>;
  /** Readiness: true only when every connection the backend needs is up. */
  health(): Promise<{ readonly ok: boolean; readonly checks: Readonly<Record<string, boolean>> }>;
}
