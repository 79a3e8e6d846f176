import { randomBytes, randomUUID } from 'node:crypto';
import {
  type BusEnvelope,
  type BusSubscription,
  childOrderId,
  type MessageBus,
  type OrderAmendment,
  type OrderDenied,
  type OrderRequest,
  type OrderSubmitted,
  RxtradeError,
} from '@rxtrade/core';
import { decodeFleetMessage, fleetEnvelope, MAX_BATCH, type SetTradingState } from './messages';
import { batchRuns, publishInOrder } from './publish';
import { fleetTopics } from './topics';

/** Options of {@link FleetGatewayClient}. */
export interface FleetGatewayClientOptions {
  readonly bus: MessageBus;
  /**
   * The strategy id the client's orders carry (not a strategy of the plan, so risk answers it
   * itself). Default `gateway`.
   */
  readonly strategyId?: string;
  /** How long a submit waits for risk's decision before `TIMEOUT`. Default 5 s. */
  readonly timeoutMs?: number;
  /** Time stamped on commands (`tsInit`). Default: the wall clock. */
  readonly now?: () => number;
}

/** Risk's decision over a submit: the order went on to the order role, or it was denied with a reason. */
export type OrderDecision = OrderSubmitted | OrderDenied;

/** A trading-state command as an operator gives it (see `SetTradingState`). */
export type TradingStateCommand = Omit<SetTradingState, 'accountId'>;

/**
 * An entry into the fleet from outside its strategies (the gateway, an operator's tool): orders go
 * to the risk role of their account as `SubmitOrder` on `risk.requests.<accountId>` — core's
 * `OrderRequest`, every type and option intact — and the answer is risk's decision, read from the
 * client's own event topic (`orders.events.<strategyId>`, a private subscription: every gateway
 * replica hears every answer and keeps those it waits for). Cancels, amendments and trading-state commands go
 * the same way, in order with the account's other inputs.
 *
 * One message per account is in flight at a time: what callers send while it is being confirmed
 * goes next, together, as one `Batch` (risk applies its messages one by one, in order). A lone request
 * goes at once; under load each broker message and confirm carries several requests.
 */
export class FleetGatewayClient {
  readonly strategyId: string;
  readonly #bus: MessageBus;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #waiting = new Map<string, ((decision: OrderDecision) => void)[]>();
  readonly #outboxes = new Map<string, Outbox>();
  #subscription: BusSubscription | undefined;

  constructor(options: FleetGatewayClientOptions) {
    this.#bus = options.bus;
    this.strategyId = options.strategyId ?? 'gateway';
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** Subscribes to the decisions. Idempotent. */
  async start(): Promise<void> {
    this.#subscription ??= await this.#bus.subscribe(fleetTopics.orderEvents(this.strategyId), (message) => {
      const { payload } = decodeFleetMessage(message, ['OrderEventsDelivered']);
      for (const event of payload.events) {
        if (event.type !== 'OrderSubmitted' && event.type !== 'OrderDenied') continue;
        const key = waitKey(event.accountId, event.clientOrderId);
        const waiters = this.#waiting.get(key);
        if (waiters === undefined) continue;
        this.#waiting.delete(key);
        for (const resolve of waiters) resolve(event);
      }
    });
  }

  /** Stops listening; pending submits end with `CLOSED`. Idempotent. */
  async stop(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.unsubscribe();
  }

  /**
   * Sends an order to risk and resolves with its decision. The same client order id asked again is
   * the same order (risk answers with its first decision). Rejects with `TIMEOUT` when no decision
   * came in time: the order may still have been decided, so ask again with the same id.
   */
  async submit(accountId: string, request: OrderRequest): Promise<OrderDecision> {
    if (this.#subscription === undefined)
      throw new RxtradeError({ code: 'NOT_STARTED', message: 'FleetGatewayClient.start() first' });
    const clientOrderId = request.clientOrderId ?? generatedId(this.strategyId);
    const key = waitKey(accountId, clientOrderId);
    const decided = new Promise<OrderDecision>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.#waiting.get(key)?.filter((w) => w !== done);
        if (list && list.length > 0) this.#waiting.set(key, list);
        else this.#waiting.delete(key);
        reject(
          new RxtradeError({ code: 'TIMEOUT', message: `no risk decision for ${clientOrderId} in time` }),
        );
      }, this.#timeoutMs);
      const done = (decision: OrderDecision): void => {
        clearTimeout(timer);
        resolve(decision);
      };
      this.#waiting.set(key, [...(this.#waiting.get(key) ?? []), done]);
    });
    const ts = this.#now();
    try {
      await this.#send(
        accountId,
        fleetEnvelope(
          'SubmitOrder',
          {
            accountId,
            strategyId: this.strategyId,
            clientOrderId,
            request: { ...request, accountId, strategyId: this.strategyId, clientOrderId },
            tsInit: ts,
          },
          // Unique per request: a second ask is a new message, answered again.
          { id: requestId(accountId), ts },
        ),
      );
    } catch (error) {
      this.#waiting.delete(key);
      throw error;
    }
    return decided;
  }

  /**
   * Sends `envelope` to the account's risk requests once the account's message in flight is
   * confirmed, with whatever else was sent meanwhile (one `Batch`); resolves when it is confirmed.
   */
  #send(accountId: string, envelope: BusEnvelope): Promise<void> {
    let outbox = this.#outboxes.get(accountId);
    if (outbox === undefined) {
      outbox = { queued: [], sending: false };
      this.#outboxes.set(accountId, outbox);
    }
    const sent = new Promise<void>((resolve, reject) => outbox.queued.push({ envelope, resolve, reject }));
    if (!outbox.sending) void this.#drain(accountId, outbox);
    return sent;
  }

  async #drain(accountId: string, outbox: Outbox): Promise<void> {
    outbox.sending = true;
    const topic = fleetTopics.riskRequests(accountId);
    while (outbox.queued.length > 0) {
      const items = outbox.queued.splice(0, MAX_BATCH);
      try {
        await publishInOrder(
          this.#bus,
          batchRuns(
            items.map(({ envelope }) => ({ topic, envelope, key: accountId })),
            () => true,
          ),
        );
        for (const item of items) item.resolve();
      } catch (error) {
        for (const item of items) item.reject(error);
      }
    }
    outbox.sending = false;
    this.#outboxes.delete(accountId);
  }

  /** Asks the order role to cancel one of the account's orders (placed by `strategyId`). */
  async cancel(
    accountId: string,
    clientOrderId: string,
    strategyId: string = this.strategyId,
  ): Promise<void> {
    const ts = this.#now();
    await this.#send(
      accountId,
      fleetEnvelope(
        'CancelOrder',
        { accountId, strategyId, clientOrderId, ts },
        { id: requestId(accountId), ts },
      ),
    );
  }

  /**
   * Asks the order role to amend one of the account's working orders (placed by `strategyId`): its
   * whole quantity and the prices its type has. The outcome is the order's `OrderUpdated` or
   * `OrderModifyRejected`.
   */
  async amend(
    accountId: string,
    clientOrderId: string,
    change: { readonly amendment: OrderAmendment; readonly strategyId?: string },
  ): Promise<void> {
    const { amendment, strategyId = this.strategyId } = change;
    const ts = this.#now();
    await this.#send(
      accountId,
      fleetEnvelope(
        'AmendOrder',
        { accountId, strategyId, clientOrderId, amendment, ts },
        { id: requestId(accountId), ts },
      ),
    );
  }

  /** Sends a trading-state command to each account (`scope: 'fleet'`: send it to every account). */
  async setTradingState(accountIds: readonly string[], command: TradingStateCommand): Promise<void> {
    const ts = this.#now();
    const correlationId = randomUUID();
    await Promise.all(
      accountIds.map((accountId) =>
        this.#send(
          accountId,
          fleetEnvelope(
            'SetTradingState',
            { ...command, accountId },
            { id: requestId(accountId), ts, correlationId },
          ),
        ),
      ),
    );
  }
}

/** An account's messages waiting for the one in flight to be confirmed. */
interface Outbox {
  queued: { envelope: BusEnvelope; resolve: () => void; reject: (error: unknown) => void }[];
  sending: boolean;
}

const waitKey = (accountId: string, clientOrderId: string): string => `${accountId}\u0000${clientOrderId}`;

/** A request's message id: unique, and short enough that risk's answer id (`<account>:decided:<id>`) fits an envelope. */
const requestId = (accountId: string): string => `${accountId}:r:${randomUUID()}`;

/**
 * A client order id for an order sent without one: `{strategyId}-{20 random characters}` (120 bits),
 * fitted into 36 characters by core's {@link childOrderId} when the strategy id is long — the limit a
 * venue puts on client order ids (Binance `newClientOrderId`, `VENUE_CLIENT_ORDER_ID`), so the order
 * reaches a ccxt venue under its own id. Unique without coordination; each account is its own desk
 * (and its own venue account), so the same id on two accounts is two orders.
 */
function generatedId(strategyId: string): string {
  return childOrderId(strategyId, randomBytes(15).toString('base64url'));
}
