import {
  type Bar,
  type ExecutionClient,
  isBarDriven,
  type Logger,
  type Order,
  type OrderAmendment,
  type OrderManager,
  type OrderRequest,
  type ReconcilableEngine,
  ShadowExecutionClient,
  submitOutcome,
  systemClock,
  TradingHolds,
  type VenueEvent,
} from '@rxtrade/core';
import { NEVER, type Observable } from 'rxjs';
import type { ResolvedPlan } from './plan';

/**
 * True for a client the order role must treat as a live venue (gate its calls, take its events as
 * journaled inputs, reconcile it): one that is not bar-driven, or a shadow venue around one — a
 * {@link ShadowExecutionClient} takes bars for its simulated side, but what trades is its real client.
 */
export function isLiveVenue(client: ExecutionClient): boolean {
  return !isBarDriven(client instanceof ShadowExecutionClient ? client.real : client);
}

/**
 * Stands between an account desk's {@link OrderManager} and a live execution client (one that is not
 * bar-driven: `@rxtrade/ccxt` behind the resilient client, say), so that what the journal says and
 * what the venue was asked agree after a crash:
 *
 * - **journal before send**: a submit or cancel the desk decides is held until the batch of inputs
 *   that caused it is in the journal ({@link VenueGate.take}); a crash before that leaves the input
 *   unacknowledged, redelivered and decided again, never a venue order the journal does not know;
 * - **no resend on replay**: while the desk rebuilds itself from its journal ({@link replaying}),
 *   calls are dropped: the venue was asked once already, and reconciliation settles what came of it
 *   (a submit that never left is resolved by core's reconciler as `NOT_FOUND_AT_VENUE`);
 * - the venue's events do not reach the order manager through here (`events$` is silent): the desk
 *   takes them from the client itself, as inputs it journals, so a replay applies them in the same
 *   order again;
 * - a live client that also takes bars (a {@link ShadowExecutionClient} around it: its simulated side
 *   matches on them) gets each bar the desk matched through the same queue, after the calls decided
 *   before it: the simulated venue then sees an order before the next bar, as in a backtest, though
 *   the real call leaves only once journaled.
 */
export class VenueGate implements ExecutionClient {
  readonly venue: string;
  readonly events$: Observable<VenueEvent> = NEVER;
  readonly inner: ExecutionClient;
  /** True while the desk replays its journal: calls are not made. */
  replaying = false;
  /** The inner client's, when it holds native OCO pairs (`@rxtrade/ccxt` on Binance). */
  readonly supportsOco?: (legs: readonly [OrderRequest, OrderRequest]) => boolean;
  /** The inner client's native OCO, held like a submit until its journal batch is written. */
  readonly submitOco?: (orders: readonly [Order, Order]) => Promise<void>;
  /** The inner client's amendment (an emulated OCO's sibling shrinking), held like a cancel. */
  readonly modifyOrder?: (order: Order, amendment: OrderAmendment) => Promise<void>;
  readonly amendsUp?: boolean;
  /** Present when the inner client takes bars: queued with the calls (see the class doc). */
  readonly processBar?: (bar: Bar) => void;
  readonly #logger: Logger;
  #held: (() => Promise<void>)[] = [];

  constructor(inner: ExecutionClient, logger: Logger) {
    this.inner = inner;
    this.venue = inner.venue;
    this.#logger = logger;
    const { submitOco, supportsOco } = inner;
    if (submitOco !== undefined && supportsOco !== undefined) {
      this.supportsOco = (legs) => supportsOco.call(inner, legs);
      this.submitOco = (orders) => this.#submit(orders[0], () => submitOco.call(inner, orders));
    }
    if (inner.amendsUp !== undefined) this.amendsUp = inner.amendsUp;
    const { modifyOrder } = inner;
    if (modifyOrder !== undefined) {
      this.modifyOrder = (order, amendment) => {
        this.#hold(() =>
          modifyOrder.call(inner, order, amendment).catch((error: unknown) => {
            this.#logger.error({ err: error, clientOrderId: order.clientOrderId }, 'amend request failed');
          }),
        );
        return Promise.resolve();
      };
    }
    if (isBarDriven(inner)) {
      this.processBar = (bar) =>
        this.#hold(() => {
          inner.processBar(bar);
          return Promise.resolve();
        });
    }
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  disconnect(): Promise<void> {
    this.#held = [];
    return this.inner.disconnect();
  }

  submitOrder(order: Order): Promise<void> {
    return this.#submit(order, () => this.inner.submitOrder(order));
  }

  #submit(order: Order, call: () => Promise<void>): Promise<void> {
    this.#hold(() =>
      call().catch((error: unknown) => {
        this.#logger.error(
          { err: error, clientOrderId: order.clientOrderId },
          submitOutcome(error) === 'NOT_SENT'
            ? 'order submission refused before sending'
            : 'order submission failed; outcome unknown until reconciled',
        );
      }),
    );
    return Promise.resolve();
  }

  cancelOrder(order: Order): Promise<void> {
    this.#hold(() =>
      this.inner.cancelOrder(order).catch((error: unknown) => {
        this.#logger.error({ err: error, clientOrderId: order.clientOrderId }, 'cancel request failed');
      }),
    );
    return Promise.resolve();
  }

  /**
   * Takes the calls held so far — those the batch being journaled decided — and returns what makes
   * them, in the order they were decided, resolving once the venue answered each (failures are
   * logged: their outcome is the reconciler's). The desk takes them when it hands the batch to the
   * journal and makes them only once the append is written: a later batch's calls, held while this
   * one's append is in flight, stay held until their own append is written. The desk acknowledges
   * its inputs only then, so a desk that dies leaves at most the calls of its last batch with an
   * unknown outcome, not a backlog queued behind the venue's rate limit.
   */
  take(): () => Promise<void> {
    const calls = this.#held;
    this.#held = [];
    return async () => {
      await Promise.all(calls.map((call) => call()));
    };
  }

  #hold(call: () => Promise<void>): void {
    if (!this.replaying) this.#held.push(call);
  }
}

/** What an account desk lends core's reconciler: its orders, and how it applies what the venue says. */
export interface DeskForReconciler {
  readonly accountId: string;
  readonly orders: OrderManager;
  readonly plan: ResolvedPlan;
  /** Applies a venue event as a journaled input of the desk. */
  applyVenueEvent(event: VenueEvent): void;
  /** Makes an order the venue reports known to the desk, as a journaled input. */
  adoptOrder(order: Order): boolean;
}

/**
 * The desk as core's {@link ReconcilableEngine}: orders, out-of-band venue events, and trading holds
 * on the wall clock (the desk's own clock follows the bars). It keeps no positions (the risk role
 * does, from the fills this desk reports), so the reconciler compares orders and fills, not balances.
 */
export function reconcilableDesk(desk: DeskForReconciler, holds: TradingHolds): ReconcilableEngine {
  const instruments = [...desk.plan.instruments.values()];
  return {
    clock: systemClock,
    holds,
    running: true,
    start: () => Promise.resolve(),
    order: (id) => desk.orders.order(id),
    openOrders: () => desk.orders.openOrders(),
    applyVenueEvent: (event) => desk.applyVenueEvent(event),
    adoptOrder: (order) => desk.adoptOrder(order),
    instruments,
    accounts: () => [],
  };
}

/** A fresh set of holds for a desk's reconciler (see {@link reconcilableDesk}). */
export function deskHolds(): TradingHolds {
  return new TradingHolds({ clock: systemClock });
}
