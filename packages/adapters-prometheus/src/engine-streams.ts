import type { Observable } from 'rxjs';

/**
 * The part of `@rxtrade/core`'s `EngineStreams` that the metrics read, declared structurally: an
 * engine, or anything shaped like one (a service's view of the bus), fits. Every stream is optional;
 * the metrics of a missing stream are simply not maintained.
 */
export interface MetricsEngineStreams {
  readonly bars$?: Observable<{ readonly symbol: string }>;
  readonly orderEvents$?: Observable<MetricsOrderEvent>;
  readonly fills$?: Observable<{ readonly strategyId: string; readonly instrumentId: string }>;
  readonly positions$?: Observable<{
    readonly accountId: string;
    readonly instrumentId: string;
    readonly strategyId: string | undefined;
    readonly quantity: number;
  }>;
  readonly account$?: Observable<{
    readonly accountId: string;
    readonly equity: number;
    readonly initialCash: number;
  }>;
  readonly riskState$?: Observable<{ readonly accountId: string | undefined; readonly state: string }>;
  readonly strategyEvents$?: Observable<{ readonly type: string; readonly strategyId: string }>;
}

/** The order event fields the metrics read: core's `OrderEvent` union fits. */
export interface MetricsOrderEvent {
  readonly type: string;
  readonly clientOrderId: string;
  readonly tsEvent: number;
  readonly reason?: string;
}
