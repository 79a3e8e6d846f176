import {
  AccountBook,
  applyOrderEvent,
  type BusEnvelope,
  type BusSubscription,
  createOrder,
  type DeliveryContext,
  isOpen,
  type Logger,
  ManualClock,
  type MessageBus,
  noopLogger,
  type Order,
  type OrderEvent,
  type PreTradeRule,
  RiskEngine,
  RxtradeError,
} from '@rxtrade/core';
import { z } from 'zod';
import type { FleetJournal } from './journal';
import {
  type BarsAcknowledged,
  type CancelOrder,
  decodeFleetMessage,
  fleetEnvelope,
  type Mark,
  type OrderEventsReported,
  type SubmitOrder,
} from './messages';
import { type FleetPlan, ResolvedPlan } from './plan';
import { fleetGroups, fleetTopics } from './topics';

/** Options of {@link RiskRole}. */
export interface RiskRoleOptions {
  readonly bus: MessageBus;
  readonly plan: FleetPlan | ResolvedPlan;
  /** Pre-trade rules after the trading holds and the instrument grid, as in `createEngine`. */
  readonly rules?: readonly PreTradeRule[];
  /**
   * Where each account's inputs are journaled (`risk:<accountId>`), so an account that moves to this
   * replica (its previous owner died) is rebuilt by replaying them: books, open orders, decisions and
   * refusals. Default: none (memory only).
   */
  readonly journal?: FleetJournal;
  readonly logger?: Logger;
}

/**
 * The risk role: core's {@link RiskEngine} over each account's {@link AccountBook}, partitioned by
 * account (`risk.*.<accountId>`, one queue per partition for requests and reports alike, so a fill the
 * order role reported is applied before a strategy's reaction to it is checked). A submit that passes
 * goes on to the order role; one that fails goes back to its strategy as `OrderDenied` with the
 * engine's reason code. Cancels and bar acknowledgements pass through in order.
 */
export class RiskRole {
  readonly #bus: MessageBus;
  readonly #plan: ResolvedPlan;
  readonly #rules: readonly PreTradeRule[];
  readonly #logger: Logger;
  readonly #accounts = new Map<string, AccountDesk>();
  readonly #opening = new Map<string, Promise<AccountDesk>>();
  readonly #journal: FleetJournal | undefined;
  readonly #subscriptions: BusSubscription[] = [];
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: RiskRoleOptions) {
    this.#bus = options.bus;
    this.#plan = options.plan instanceof ResolvedPlan ? options.plan : new ResolvedPlan(options.plan);
    this.#rules = options.rules ?? [];
    this.#logger = options.logger ?? noopLogger;
    this.#journal = options.journal;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    this.#subscriptions.push(
      await this.#bus.subscribe(
        fleetTopics.riskInbox,
        (message, context) => this.#onMessage(message, context),
        {
          group: fleetGroups.risk,
        },
      ),
    );
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.unsubscribe()));
  }

  /** An account's state as this replica holds it (undefined when another replica owns the account). */
  account(accountId: string): ReturnType<AccountBook['snapshot']> | undefined {
    return this.#accounts.get(accountId)?.book.snapshot();
  }

  async #onMessage(message: BusEnvelope, context: DeliveryContext): Promise<void> {
    const decoded = decodeFleetMessage(message, RISK_INPUTS);
    const accountId = decoded.payload.accountId;
    const expected =
      decoded.type === 'OrderEventsReported'
        ? fleetTopics.riskReports(accountId)
        : fleetTopics.riskRequests(accountId);
    if (context.topic !== expected) {
      throw new RxtradeError({
        code: 'INVALID_MESSAGE',
        message: `${decoded.type} for account ${accountId} arrived on ${context.topic}`,
      });
    }
    const desk = this.#accounts.get(accountId) ?? (await this.#desk(accountId));
    const outbox = desk.handle(decoded, message);
    // State before publish: the input is journaled, then what it caused is sent.
    await this.#journal?.append(`risk:${accountId}`, [message]);
    await desk.send(outbox);
  }

  /** The account's desk, created (and rebuilt from its journal) on its first message here. */
  #desk(accountId: string): Promise<AccountDesk> {
    let opening = this.#opening.get(accountId);
    if (opening === undefined) {
      opening = this.#open(accountId).catch((error: unknown) => {
        this.#opening.delete(accountId); // the redelivered message tries again
        throw error;
      });
      this.#opening.set(accountId, opening);
    }
    return opening;
  }

  async #open(accountId: string): Promise<AccountDesk> {
    const config = this.#plan.accounts.get(accountId);
    if (config === undefined)
      throw new RxtradeError({ code: 'INVALID_MESSAGE', message: `unknown account ${accountId}` });
    const desk = new AccountDesk({
      book: new AccountBook(config),
      plan: this.#plan,
      rules: this.#rules,
      bus: this.#bus,
      logger: this.#logger,
    });
    this.#logger.info({ accountId }, 'account taken');
    if (this.#journal !== undefined) {
      const entries = (await this.#journal.read(`risk:${accountId}`, z.unknown())).flat();
      if (entries.length > 0) {
        this.#logger.info({ accountId, inputs: entries.length }, 'rebuilding the account from its journal');
        // Each input's outputs were sent before the next was journaled: only the last one's may not
        // have been, and are sent again with the same ids (consumers drop duplicates).
        let outbox: Outgoing[] = [];
        for (const entry of entries) {
          const decoded = decodeFleetMessage(entry, RISK_INPUTS);
          outbox = desk.handle(decoded, decoded.envelope);
        }
        await desk.send(outbox);
      }
    }
    this.#accounts.set(accountId, desk);
    return desk;
  }
}

const RISK_INPUTS = ['SubmitOrder', 'CancelOrder', 'BarsAcknowledged', 'OrderEventsReported'] as const;
type RiskInput = ReturnType<typeof decodeFleetMessage<(typeof RISK_INPUTS)[number]>>;

/** A message a desk's input caused, sent once the input is journaled. */
interface Outgoing {
  readonly topic: string;
  readonly envelope: BusEnvelope;
  readonly key?: string;
}

/** Submits and reports remembered per account for redelivery (oldest forgotten first). */
const REMEMBERED = 100_000;

/** One account at the risk role: its books, open orders and risk engine. */
class AccountDesk {
  readonly book: AccountBook;
  readonly #plan: ResolvedPlan;
  readonly #bus: MessageBus;
  readonly #logger: Logger;
  readonly #clock = new ManualClock(0);
  readonly #risk: RiskEngine;
  readonly #lastPrices = new Map<string, number>();
  /** Orders risk has seen and not yet seen close, as core's state machine moves them. */
  readonly #orders = new Map<string, Order>();
  /** Submits decided, by client order id: a redelivered submit gets the same answer. */
  readonly #decided = new Map<string, OrderEvent | undefined>();
  readonly #reports = new Set<string>();
  /** Orders that never reached the market, by reason: risk's denials and the venue's rejections. */
  readonly #refusals = new Map<string, { count: number; first: OrderEvent }>();
  #fills = 0;
  #finished = false;

  constructor(options: {
    book: AccountBook;
    plan: ResolvedPlan;
    rules: readonly PreTradeRule[];
    bus: MessageBus;
    logger: Logger;
  }) {
    const { book, plan, rules, bus, logger } = options;
    this.book = book;
    this.#plan = plan;
    this.#bus = bus;
    this.#logger = logger.child({ accountId: book.id });
    this.#risk = new RiskEngine({
      market: {
        lastPrice: (id) => this.#lastPrices.get(id) ?? Number.NaN,
        instrument: (id) => plan.instrument(id),
      },
      rules,
      clock: this.#clock,
    });
  }

  #outbox: Outgoing[] = [];

  /** Applies one input to the books (no I/O); returns what it causes, to send once it is journaled. */
  handle(input: RiskInput, received: BusEnvelope): Outgoing[] {
    this.#outbox = [];
    switch (input.type) {
      case 'SubmitOrder':
        this.#submit(input.payload, received);
        break;
      case 'CancelOrder':
        this.#forward('CancelOrder', input.payload, received);
        break;
      case 'BarsAcknowledged':
        this.#forward('BarsAcknowledged', input.payload, received);
        break;
      case 'OrderEventsReported':
        this.#report(input.payload, received);
        break;
    }
    return this.#outbox;
  }

  async send(outbox: readonly Outgoing[]): Promise<void> {
    for (const out of outbox)
      await this.#bus.publish(out.topic, out.envelope, out.key === undefined ? undefined : { key: out.key });
  }

  #submit(command: SubmitOrder, received: BusEnvelope): void {
    if (command.mark) this.#mark(command.mark);
    this.#clock.set(command.tsInit);
    let denied = this.#decided.get(command.clientOrderId);
    if (!this.#decided.has(command.clientOrderId)) {
      const instrument = this.#plan.instrument(command.request.instrumentId);
      const order = createOrder(command.request, {
        clientOrderId: command.clientOrderId,
        accountId: command.accountId,
        strategyId: command.strategyId,
        quantityPrecision: instrument.quantityPrecision,
        ts: command.tsInit,
      });
      const denial = this.#risk.check(order, instrument, this.book);
      if (denial === undefined) {
        const submitted = applyOrderEvent(order, {
          ...base(order),
          type: 'OrderSubmitted',
          tsEvent: command.tsInit,
        });
        this.#orders.set(order.clientOrderId, submitted);
        this.#risk.track(submitted);
      } else {
        denied = {
          ...base(order),
          type: 'OrderDenied',
          tsEvent: command.tsInit,
          reason: denial.reason,
          message: denial.message,
        };
        this.#logger.info({ clientOrderId: order.clientOrderId, reason: denial.reason }, 'order denied');
        this.#refused(denied);
      }
      this.#decided.set(command.clientOrderId, denied);
      if (this.#decided.size > REMEMBERED) this.#decided.delete(this.#decided.keys().next().value as string);
    }
    if (denied !== undefined) {
      this.#outbox.push({
        topic: fleetTopics.orderEvents(command.strategyId),
        envelope: fleetEnvelope(
          'OrderEventsDelivered',
          { strategyId: command.strategyId, events: [denied] },
          {
            id: `${command.accountId}:denied:${command.clientOrderId}`,
            ts: received.ts,
            correlationId: received.correlationId,
          },
        ),
        key: command.strategyId,
      });
      return;
    }
    this.#forward('SubmitOrder', command, received);
  }

  #forward(
    type: 'SubmitOrder' | 'CancelOrder' | 'BarsAcknowledged',
    payload: SubmitOrder | CancelOrder | BarsAcknowledged,
    received: BusEnvelope,
  ): void {
    this.#outbox.push({
      topic: fleetTopics.orderSubmit(this.book.id),
      envelope: fleetEnvelope(type, payload as never, {
        id: received.id,
        ts: received.ts,
        correlationId: received.correlationId,
      }),
      key: this.book.id,
    });
  }

  #report(report: OrderEventsReported, received: BusEnvelope): void {
    // A redelivered report (its handler failed after applying it) is applied once.
    if (!this.#reports.has(received.id)) {
      for (const event of report.events) this.#apply(event);
      for (const mark of report.marks) this.#mark(mark);
      this.#reports.add(received.id);
      if (this.#reports.size > REMEMBERED)
        this.#reports.delete(this.#reports.values().next().value as string);
    }
    if (!report.final || this.#finished) return;
    this.#finished = true;
    this.#outbox.push({
      topic: fleetTopics.status,
      envelope: fleetEnvelope(
        'AccountFinished',
        {
          accountId: this.book.id,
          fills: this.#fills,
          refusals: [...this.#refusals].map(([reason, r]) => ({ reason, count: r.count, first: r.first })),
          account: this.book.snapshot(),
        },
        { id: `${this.book.id}:finished`, ts: received.ts, correlationId: received.correlationId },
      ),
    });
  }

  #apply(event: OrderEvent): void {
    const order = this.#orders.get(event.clientOrderId);
    if (order !== undefined && event.type !== 'OrderSubmitted') {
      let next: Order;
      try {
        next = applyOrderEvent(order, event);
      } catch (error) {
        // Core's state machine refuses a fill whose tradeId it has applied: booked once.
        if (error instanceof RxtradeError && error.code === 'DUPLICATE_FILL') return;
        throw error;
      }
      this.#risk.track(next);
      if (isOpen(next)) this.#orders.set(next.clientOrderId, next);
      else this.#orders.delete(next.clientOrderId);
    }
    if (event.type === 'OrderFilled') {
      this.book.applyFill(event, this.#plan.instrument(event.instrumentId));
      this.#fills++;
    } else if (event.type === 'OrderRejected') this.#refused(event);
  }

  #refused(event: OrderEvent & { reason: string }): void {
    const known = this.#refusals.get(event.reason);
    if (known) known.count++;
    else this.#refusals.set(event.reason, { count: 1, first: event });
  }

  #mark(mark: Mark): void {
    this.#lastPrices.set(mark.symbol, mark.price);
    this.book.mark(this.#plan.instrument(mark.symbol), mark.price, mark.ts);
  }
}

const base = (order: Order) => ({
  clientOrderId: order.clientOrderId,
  accountId: order.accountId,
  strategyId: order.strategyId,
  instrumentId: order.instrumentId,
});
