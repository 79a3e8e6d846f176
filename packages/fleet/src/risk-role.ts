import {
  AccountBook,
  applyOrderEvent,
  type BusDelivery,
  type BusEnvelope,
  type BusSubscription,
  type Counter,
  calculatePositionSizes,
  contingentIds,
  createOrder,
  EQUITY_GUARD_OWNER,
  EquityWatch,
  type Fill,
  flattenRequests,
  type Gauge,
  isOpen,
  type KillSwitchOptions,
  type KillSwitchTarget,
  killSwitch,
  LateFills,
  type Logger,
  ManualClock,
  type MessageBus,
  type MetricsSink,
  noopLogger,
  noopMetrics,
  type Order,
  type OrderEvent,
  type OrderRequest,
  type PreTradeMarket,
  type PreTradeRule,
  RiskEngine,
  RxtradeError,
  type StateOp,
  type StateStore,
  type StrategyBudgetConfig,
  signalOrderId,
  signalOrderRequest,
  sizingAccountOf,
  subscribeInBatches,
  TradingHolds,
} from '@rxtrade/core';
import { z } from 'zod';
import type { FleetJournal } from './journal';
import {
  type AccountUpdated,
  type AmendOrder,
  type BarsAcknowledged,
  BEFORE_FIRST_BAR,
  type CancelOrder,
  type CloseAtEnd,
  decodeByAccount,
  decodeFleetMessage,
  fleetEnvelope,
  MAX_BATCH,
  type Mark,
  type OrderEventsDelivered,
  type OrderEventsReported,
  type SetTradingState,
  type SignalEmitted,
  type SubmitOrder,
  type WakeAccount,
} from './messages';
import { type FleetPlan, ResolvedPlan } from './plan';
import { batchRuns, groupRuns, idsHash, type Outgoing, publishInOrder } from './publish';
import { riskViewOps } from './risk-views';
import { fleetGroups, fleetTopics, STATEFUL } from './topics';

/** Options of {@link RiskRole}. */
export interface RiskRoleOptions {
  readonly bus: MessageBus;
  readonly plan: FleetPlan | ResolvedPlan;
  /** Pre-trade rules after the trading holds and the instrument grid, as in `createEngine`. */
  readonly rules?: readonly PreTradeRule[];
  /**
   * Cash budgets per strategy id, as in `createEngine`: core's risk engine reserves, draws and
   * releases them per account desk, and denies `STRATEGY_BUDGET_EXCEEDED`. Default: none.
   */
  readonly budgets?: StrategyBudgetConfig;
  /**
   * Where each account's inputs are journaled (`risk:<accountId>`), so an account that moves to this
   * replica (its previous owner died) is rebuilt by replaying them: books, open orders, decisions and
   * refusals. Default: none (memory only).
   */
  readonly journal?: FleetJournal;
  /**
   * Where each account's read model is kept for the gateway (see `RiskViews`): the account, its
   * positions, orders and fills, written in one batch per input before what it caused is sent.
   * Default: none.
   */
  readonly views?: { readonly store: StateStore; readonly prefix: string };
  /**
   * `risk_denials_total{reason}` (orders the risk engine refused, by `DenialReason`) and
   * `risk_trading_state{account}` (0 ACTIVE, 1 REDUCING, 2 HALTED).
   */
  readonly metrics?: MetricsSink;
  readonly logger?: Logger;
}

/** Most read-model writes in one store batch. */
const VIEW_OPS_PER_BATCH = 500;

/**
 * The risk role: core's {@link RiskEngine} over each account's {@link AccountBook}, partitioned by
 * account (`risk.*.<accountId>`, one queue per partition for requests and reports alike, so a fill the
 * order role reported is applied before a strategy's reaction to it is checked). A submit that passes
 * goes on to the order role; one that fails goes back to its strategy as `OrderDenied` with the
 * engine's reason code. Cancels, amendments and bar acknowledgements pass through in order.
 *
 * Contingent orders (a bracket's take-profit and stop-loss, an OCO sibling) are approved with their
 * entry: the risk engine checks the entry, every rule; the order role's emulator then places the
 * exits on the entry's fills without asking again — they are reduce-only, sized by what filled, and
 * must protect the position even while trading is held or this role is down — and reports them as
 * `placed`, and risk books them as submitted orders (open-order counts, REDUCING checks, the kill
 * switch's cancels and the read model all see them). Their ids (`<entry>-tp`, `-sl`, the OCO
 * sibling's) are reserved for the entry's strategy when the entry is approved.
 *
 * A submit from a strategy the plan does not run (the gateway's, an operator's) hears risk's decision
 * from risk: `OrderSubmitted` or `OrderDenied` on `orders.events.<strategyId>`. A client order id is
 * its first submitter's: the same id from another strategy of the account is denied (`INVALID_ORDER`),
 * never mistaken for a redelivery; ids of different accounts never meet (one desk per account).
 *
 * Trading holds (`SetTradingState`) are core's {@link TradingHolds}, one set per account desk: an
 * account's own holds and the fleet-wide ones (each account is sent its copy, in order with its
 * submits). The kill switch is core's {@link killSwitch} over the desk: hold, cancel every open
 * order, and with `flatten` core's `flattenRequests`, each checked by the risk engine under
 * REDUCING, which counts open orders: a second flatten while the first one's orders work is denied
 * `REDUCING_ONLY`, so concurrent kill switches never flip a position. The kill switch's own
 * flattening orders are not canceled by a later kill switch.
 */
export class RiskRole {
  readonly #bus: MessageBus;
  readonly #plan: ResolvedPlan;
  readonly #rules: readonly PreTradeRule[];
  readonly #budgets: StrategyBudgetConfig | undefined;
  readonly #logger: Logger;
  readonly #accounts = new Map<string, AccountDesk>();
  readonly #opening = new Map<string, Promise<AccountDesk>>();
  readonly #journal: FleetJournal | undefined;
  readonly #views: { readonly store: StateStore; readonly prefix: string } | undefined;
  readonly #meters: DeskMeters;
  readonly #subscriptions: BusSubscription[] = [];
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: RiskRoleOptions) {
    this.#bus = options.bus;
    this.#plan = options.plan instanceof ResolvedPlan ? options.plan : new ResolvedPlan(options.plan);
    // The plan's managed accounts bring their rules (canTrade, limits), as `manager.engineOptions()` does.
    this.#rules = [...(this.#plan.manager?.rules() ?? []), ...(options.rules ?? [])];
    this.#budgets = options.budgets;
    this.#logger = options.logger ?? noopLogger;
    this.#journal = options.journal;
    this.#views = options.views;
    const metrics = options.metrics ?? noopMetrics;
    this.#meters = {
      denials: metrics.counter('risk_denials_total', {
        help: 'Orders the risk engine refused, by reason',
        labelNames: ['reason'],
      }),
      state: metrics.gauge('risk_trading_state', {
        help: 'Trading state in force per account: 0 ACTIVE, 1 REDUCING, 2 HALTED',
        labelNames: ['account'],
      }),
    };
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    this.#subscriptions.push(
      await subscribeInBatches(
        this.#bus,
        { pattern: fleetTopics.riskInbox, handler: (deliveries) => this.#onMessages(deliveries) },
        { group: fleetGroups.risk, maxBatch: MAX_INPUTS_PER_COMMIT, handOver: STATEFUL },
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

  /**
   * What the bus delivered together (waiting inputs, in order): each account's inputs are applied one
   * by one, then journaled, written to the read model and answered together — one commit per account
   * per delivery, however many inputs queued up while the previous commit ran (group commit).
   */
  async #onMessages(deliveries: readonly BusDelivery[]): Promise<void> {
    const byAccount = decodeByAccount(deliveries, RISK_INPUTS, (decoded) =>
      decoded.type === 'OrderEventsReported' || decoded.type === 'WakeAccount'
        ? fleetTopics.riskReports(decoded.payload.accountId)
        : fleetTopics.riskRequests(decoded.payload.accountId),
    );
    // Accounts are independent desks: their commits run side by side.
    await Promise.all([...byAccount].map(([accountId, inputs]) => this.#commit(accountId, inputs)));
  }

  async #commit(accountId: string, inputs: readonly RiskInput[]): Promise<void> {
    const desk = this.#accounts.get(accountId) ?? (await this.#desk(accountId));
    const { outbox, views } = desk.handleAll(inputs);
    try {
      // State before publish: the inputs are journaled and the read model written, then what they caused is sent.
      const journaled = this.#journal?.appendOp(
        `risk:${accountId}`,
        inputs.map((input) => input.envelope),
      );
      await this.#persist(views, journaled);
      await desk.send(outbox);
    } catch (error) {
      // The desk has applied inputs whose journal entry, read-model writes or messages may be lost (a
      // paused Redis times out with the outcome unknown). Kept, it would take their redelivery for a
      // duplicate and never write or send them: a fill booked but missing from the read model, an
      // order listed open for ever. Dropped, the redelivered input rebuilds it from the journal, which
      // writes the last batch's read model again and resends its messages (same ids).
      if (this.#accounts.get(accountId) === desk) {
        this.#accounts.delete(accountId);
        this.#opening.delete(accountId);
        this.#logger.warn({ accountId, err: error }, 'account desk failed; it is rebuilt from its journal');
      }
      throw error;
    }
  }

  /**
   * Writes the journal record (when there is one), then the read model. On one store (as the services
   * run) the record goes in one batch with the first read-model writes: one round trip, not two.
   */
  async #persist(ops: readonly StateOp[], journaled?: StateOp): Promise<void> {
    const views = this.#views;
    let rest = views === undefined ? [] : ops;
    const journal = this.#journal;
    if (journaled !== undefined && journal !== undefined) {
      const along = views?.store === journal.store ? rest.slice(0, VIEW_OPS_PER_BATCH - 1) : [];
      await journal.store.apply({ ops: [journaled, ...along] });
      rest = rest.slice(along.length);
    }
    for (let i = 0; i < rest.length; i += VIEW_OPS_PER_BATCH)
      await views?.store.apply({ ops: rest.slice(i, i + VIEW_OPS_PER_BATCH) });
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
      managed: this.#plan.manager?.accounts.find((a) => a.id === accountId),
      plan: this.#plan,
      rules: this.#rules,
      budgets: this.#budgets,
      bus: this.#bus,
      logger: this.#logger,
      viewPrefix: this.#views?.prefix,
      meters: this.#meters,
    });
    this.#logger.info({ accountId }, 'account taken');
    if (this.#journal !== undefined) {
      const batches = await this.#journal.read(`risk:${accountId}`, z.unknown());
      if (batches.length > 0) {
        this.#logger.info(
          { accountId, inputs: batches.reduce((n, b) => n + b.length, 0) },
          'rebuilding the account from its journal',
        );
        // Each batch's outputs were sent before the next batch was journaled: only the last one's may
        // not have been, and are sent again with the same ids (consumers drop duplicates).
        let last: Handled = { outbox: [], views: [] };
        for (const batch of batches) {
          last = desk.handleAll(batch.map((entry) => decodeFleetMessage(entry, RISK_INPUTS)));
        }
        const { outbox, views } = last;
        // The read model may lag the journal by the last batch: written again, with the whole account.
        await this.#persist([...views, ...desk.fullView()]);
        await desk.send(outbox);
      }
    }
    this.#accounts.set(accountId, desk);
    return desk;
  }
}

const ORDER_SUBMIT_PREFIX = fleetTopics.orderSubmit('_').slice(0, -1);
/** Risk's forwards to the order role (one account's approved submits, cancels, acknowledgements) travel in batches. */
const isOrderInbox = (topic: string): boolean => topic.startsWith(ORDER_SUBMIT_PREFIX);

/** Most inputs the bus hands the role at once (each account's are committed together). */
const MAX_INPUTS_PER_COMMIT = 200;

const RISK_INPUTS = [
  'SubmitOrder',
  'SignalEmitted',
  'CancelOrder',
  'AmendOrder',
  'BarsAcknowledged',
  'OrderEventsReported',
  'SetTradingState',
  'WakeAccount',
] as const;
type RiskInput = ReturnType<typeof decodeFleetMessage<(typeof RISK_INPUTS)[number]>>;

/** The role's meters, shared by its desks. */
interface DeskMeters {
  readonly denials: Counter;
  readonly state: Gauge;
}

const STATE_LEVEL = { ACTIVE: 0, REDUCING: 1, HALTED: 2 } as const;

/** What one input caused: messages to send and read-model writes. */
interface Handled {
  readonly outbox: readonly Outgoing[];
  readonly views: readonly StateOp[];
}

/** Submits and reports remembered per account for redelivery (oldest forgotten first). */
const REMEMBERED = 100_000;

/** One account at the risk role: its books, open orders, trading holds and risk engine. */
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
  /**
   * Submits decided, by client order id: its strategy, and the denial (a redelivery gets the same
   * answer); `contingentOf`: the id is a contingent order of that entry, placed by the order role only.
   */
  readonly #decided = new Map<
    string,
    { strategyId: string; denied: OrderEvent | undefined; contingentOf?: string }
  >();
  readonly #reports = new Set<string>();
  /** Orders that never reached the market, by reason: risk's denials and the venue's rejections. */
  readonly #refusals = new Map<string, { count: number; first: OrderEvent }>();
  /** The same per strategy: strategy id → reason → count. */
  readonly #strategyRefusals = new Map<string, Map<string, number>>();
  /** The kill switch's flattening orders still open: a later kill switch leaves them working. */
  readonly #flattening = new Set<string>();
  /** Orders a kill switch canceled that may still fill first (core's flattenLateFill). */
  readonly #late = new LateFills();
  readonly #viewPrefix: string | undefined;
  readonly #meters: DeskMeters;
  #fills = 0;
  #finished = false;
  /** A `closing` report was answered (the account flattened, `CloseAtEnd` sent). */
  #closed = false;
  /** The last `<strategyId>-<n>` id each strategy of the plan used: its host's sequence. */
  readonly #orderSeqs = new Map<string, number>();
  #flattenSeq = 0;
  #stateSeq = 0;
  #updateSeq = 0;
  #cancelSeq = 0;
  /** The input being handled (its ids and time name what it causes). */
  #received: BusEnvelope | undefined;
  #outbox: Outgoing[] = [];
  readonly #dirtyOrders = new Map<string, { order: Order; open: boolean }>();
  readonly #dirtyPositions = new Set<string>();
  #newFills: Fill[] = [];
  /** The account as the plan's account manager has it (sizing, limits, halts), if it is managed. */
  readonly #managed: ManagedConfig | undefined;
  /** The account's halt limits (core's EquityWatch), watched after every fill and bar. */
  readonly #watch: EquityWatch | undefined;
  readonly #flattenOnHalt: boolean;
  /** The order role waits for this desk's acknowledgement of each bar (the guard watched it). */
  readonly #gate: boolean;
  #gateOpened = false;
  /** Per symbol, the last bar the order role matched for the account (its reports' marks). */
  readonly #matched = new Map<string, number>();
  /** Per strategy, its inputs held behind one whose bar is not matched here yet, in order. */
  readonly #held = new Map<string, RiskInput[]>();
  /** Held inputs whose bar risk already told the order role to match. */
  readonly #assumed = new WeakSet<RiskInput>();
  /** Orders each strategy's signals became here (numbers {@link signalOrderId}). */
  readonly #routed = new Map<string, number>();
  /** Signals sized (redeliveries are not sized twice). */
  readonly #signals = new Set<string>();
  readonly #market: PreTradeMarket;

  constructor(options: {
    book: AccountBook;
    managed: ManagedConfig | undefined;
    plan: ResolvedPlan;
    rules: readonly PreTradeRule[];
    budgets: StrategyBudgetConfig | undefined;
    bus: MessageBus;
    logger: Logger;
    viewPrefix: string | undefined;
    meters: DeskMeters;
  }) {
    const { book, plan, rules, budgets, bus, logger } = options;
    this.#meters = options.meters;
    this.book = book;
    this.#plan = plan;
    this.#bus = bus;
    this.#viewPrefix = options.viewPrefix;
    this.#logger = logger.child({ accountId: book.id });
    this.#managed = options.managed;
    const settings = plan.manager?.settings;
    this.#flattenOnHalt = settings?.flattenOnHalt ?? false;
    const halts = options.managed?.halts;
    this.#watch =
      halts === undefined
        ? undefined
        : new EquityWatch(halts, {
            accountId: book.id,
            precision: book.currencyPrecision,
            equityUnits: book.equityUnits,
            ts: 0,
            resumeNextDay: settings?.resumeNextDay ?? false,
          });
    this.#gate = this.#watch !== undefined && plan.mode === 'barrier';
    this.#market = {
      lastPrice: (id) => this.#lastPrices.get(id) ?? Number.NaN,
      instrument: (id) => plan.instrument(id),
    };
    const holds = new TradingHolds({ clock: this.#clock });
    holds.onChange(() => this.#stateChanged());
    this.#risk = new RiskEngine({
      market: this.#market,
      rules,
      holds,
      ...(budgets === undefined ? {} : { budgets }),
    });
  }

  /** Applies inputs one by one (no I/O); returns all they cause, in order. */
  handleAll(inputs: readonly RiskInput[]): Handled {
    if (inputs.length === 1) return this.handle(inputs[0] as RiskInput, (inputs[0] as RiskInput).envelope);
    const outbox: Outgoing[] = [];
    const views: StateOp[] = [];
    for (const input of inputs) {
      const handled = this.handle(input, input.envelope);
      outbox.push(...handled.outbox);
      views.push(...handled.views);
    }
    return { outbox, views };
  }

  /** Applies one input to the books (no I/O); returns what it causes, to send once it is journaled. */
  handle(input: RiskInput, received: BusEnvelope): Handled {
    this.#outbox = [];
    this.#received = received;
    this.#openGate(received);
    this.#take(input);
    this.#received = received;
    this.#accountUpdated(received);
    return { outbox: this.#outbox, views: this.#viewOps() };
  }

  /**
   * An input goes through now, or waits behind its strategy's input that waits for its bar: a signal
   * is sized from the books as its bar left them, and on an account whose equity is watched every
   * command is checked once its bar was matched and watched (a strategy that ran ahead of a halt is
   * refused as in the engine); what the strategy sent after it follows it, in order.
   */
  #take(input: RiskInput): void {
    const strategyId = strategyOf(input);
    if (strategyId !== undefined) {
      const held = this.#held.get(strategyId);
      if (held !== undefined) {
        held.push(input);
        return;
      }
      if (this.#early(input)) {
        this.#held.set(strategyId, [input]);
        this.#assumeThrough(input);
        return;
      }
    }
    this.#dispatch(input, input.envelope);
  }

  /** Inputs held behind inputs whose bar is now matched, in each strategy's order. */
  #release(): void {
    for (const [strategyId, held] of this.#held) {
      while (held.length > 0) {
        const head = held[0] as RiskInput;
        if (this.#early(head)) {
          this.#assumeThrough(head);
          break;
        }
        held.shift();
        this.#dispatch(head, head.envelope);
      }
      if (held.length === 0) this.#held.delete(strategyId);
    }
  }

  /** The bar an input waits for: a signal's always, a command's on an account whose equity is watched. */
  #barOf(input: RiskInput): Mark | undefined {
    if (input.type === 'SignalEmitted') return input.payload.mark;
    if (!this.#gate) return undefined;
    if (input.type === 'SubmitOrder' || input.type === 'CancelOrder' || input.type === 'AmendOrder')
      return input.payload.mark;
    return undefined;
  }

  /** True while the order role has not matched the input's bar for the account. */
  #early(input: RiskInput): boolean {
    const mark = this.#barOf(input);
    return mark !== undefined && (this.#matched.get(mark.symbol) ?? Number.NEGATIVE_INFINITY) < mark.ts;
  }

  /**
   * A held input's strategy has run every bar before the input's (its acknowledgements wait behind
   * it): the order role may match up to that bar, whose report releases it.
   */
  #assumeThrough(input: RiskInput): void {
    const mark = this.#barOf(input);
    const strategyId = strategyOf(input);
    if (mark === undefined || strategyId === undefined || this.#assumed.has(input)) return;
    this.#assumed.add(input);
    const ack: BarsAcknowledged = {
      accountId: this.book.id,
      strategyId,
      symbol: mark.symbol,
      through: Math.max(BEFORE_FIRST_BAR, mark.ts - 1),
      waits: false,
      final: false,
    };
    this.#forward('BarsAcknowledged', ack, {
      ...input.envelope,
      id: `${this.book.id}:held-ack:${strategyId}:${mark.ts}`,
    });
  }

  #dispatch(input: RiskInput, received: BusEnvelope): void {
    this.#received = received;
    switch (input.type) {
      case 'SubmitOrder':
        this.#submit(input.payload, received);
        break;
      case 'SignalEmitted':
        this.#signal(input.payload, received);
        break;
      case 'CancelOrder':
        this.#forward('CancelOrder', input.payload, received);
        break;
      case 'AmendOrder':
        this.#forward('AmendOrder', input.payload, received);
        break;
      case 'WakeAccount':
        this.#forward('WakeAccount', input.payload, received);
        break;
      case 'BarsAcknowledged':
        this.#forward('BarsAcknowledged', input.payload, received);
        break;
      case 'OrderEventsReported':
        this.#report(input.payload, received);
        break;
      case 'SetTradingState':
        this.#setTradingState(input.payload);
        break;
    }
  }

  /**
   * An account with equity halts holds the order role's matching back until it has watched each bar:
   * its first input acknowledges "before the first bar" for every symbol of the account.
   */
  #openGate(received: BusEnvelope): void {
    if (!this.#gate || this.#gateOpened) return;
    this.#gateOpened = true;
    for (const symbol of this.#plan.symbolsOf(this.book.id))
      this.#guardAck(symbol, BEFORE_FIRST_BAR, received);
  }

  #guardAck(symbol: string, through: number, received: BusEnvelope): void {
    const ack: BarsAcknowledged = {
      accountId: this.book.id,
      strategyId: EQUITY_GUARD_OWNER,
      symbol,
      through,
      waits: false,
      final: false,
    };
    this.#forward('BarsAcknowledged', ack, {
      ...received,
      id: `${this.book.id}:ack:${EQUITY_GUARD_OWNER}:${symbol}:${through}`,
    });
  }

  /**
   * A signal sized for this account as the engine's `AccountManager` sizes it (core's
   * `sizingAccountOf` and `calculatePositionSizes`), from the books as its bar left them; the market
   * order it becomes goes through the usual check, named `<strategyId>@<accountId>-<n>`.
   */
  #signal(emitted: SignalEmitted, received: BusEnvelope): void {
    if (this.#signals.has(received.id)) return;
    this.#signals.add(received.id);
    if (this.#signals.size > REMEMBERED) this.#signals.delete(this.#signals.values().next().value as string);
    const managed = this.#managed;
    const { mark } = emitted;
    const signal = { ...emitted.signal, stopDistance: emitted.signal.stopDistance };
    const instrument = this.#plan.instruments.get(signal.symbol);
    const price = this.#lastPrices.get(signal.symbol) ?? Number.NaN;
    if (managed === undefined || instrument === undefined || !(price > 0)) {
      this.#logger.warn(
        { strategyId: signal.strategyId, symbol: signal.symbol },
        managed === undefined
          ? 'signal for an account that takes none: ignored'
          : 'signal without a price: ignored',
      );
      return;
    }
    const account = sizingAccountOf(managed, {
      book: this.book,
      openOrders: this.#orders.values(),
      strategyId: signal.strategyId,
      instrument,
      market: this.#market,
    });
    const [size] = calculatePositionSizes(signal, [account], { instrument, price });
    const request = size && signalOrderRequest(signal, size);
    if (request === undefined) {
      this.#logger.debug(
        { strategyId: signal.strategyId, direction: signal.direction, reason: size?.reason },
        'signal: nothing to trade',
      );
      return;
    }
    const n = (this.#routed.get(signal.strategyId) ?? 0) + 1;
    this.#routed.set(signal.strategyId, n);
    const clientOrderId = signalOrderId(signal.strategyId, this.book.id, n);
    this.#submit(
      {
        accountId: this.book.id,
        strategyId: signal.strategyId,
        clientOrderId,
        request: { ...request, clientOrderId },
        tsInit: signal.tsEvent,
        mark,
      },
      { ...received, id: `${this.book.id}:submit:${clientOrderId}` },
    );
  }

  /**
   * With a read model, live readers hear of books changed by fills at once (`AccountUpdated` on
   * `risk.state`). Marks alone do not send one: they change with every bar, and the read model has them.
   */
  #accountUpdated(received: BusEnvelope): void {
    if (this.#viewPrefix === undefined || this.#newFills.length === 0) return;
    const positions: AccountUpdated['positions'][number][] = [];
    for (const id of this.#dirtyPositions) {
      const position = this.book.positions.get(id);
      if (position !== undefined) positions.push({ ...position.snapshot() });
    }
    this.#outbox.push({
      topic: fleetTopics.riskState,
      envelope: fleetEnvelope(
        'AccountUpdated',
        { account: this.book.snapshot(), positions },
        {
          id: `${this.book.id}:account:${++this.#updateSeq}`,
          ts: received.ts,
          correlationId: received.correlationId,
        },
      ),
      key: this.book.id,
    });
  }

  send(outbox: readonly Outgoing[]): Promise<void> {
    return publishInOrder(this.#bus, batchRuns(this.#mergeReplies(groupRuns(outbox)), isOrderInbox));
  }

  /**
   * Consecutive decisions for one sender outside the plan (the gateway) as one `OrderEventsDelivered`
   * carrying all their events: its answers are per request and never deduplicated, so one message may
   * answer many. A plan strategy's stay one per message (it deduplicates redeliveries by message id).
   */
  #mergeReplies(outbox: readonly Outgoing[]): Outgoing[] {
    // Risk's own decisions: `strategyId` and `events`, nothing else.
    const isReply = (o: Outgoing): boolean =>
      o.envelope.type === 'OrderEventsDelivered' && Object.keys(o.envelope.payload as object).length === 2;
    const out: Outgoing[] = [];
    for (let i = 0; i < outbox.length; ) {
      const first = outbox[i] as Outgoing;
      let end = i + 1;
      const { strategyId } = first.envelope.payload as { strategyId: string };
      if (isReply(first) && !this.#inPlan(strategyId)) {
        while (
          end < outbox.length &&
          end - i < MAX_BATCH &&
          (outbox[end] as Outgoing).topic === first.topic &&
          (outbox[end] as Outgoing).key === first.key &&
          isReply(outbox[end] as Outgoing)
        )
          end++;
      }
      if (end - i === 1) out.push(first);
      else {
        const replies = outbox.slice(i, end).map((o) => o.envelope);
        const events = replies.flatMap((e) => (e.payload as OrderEventsDelivered).events);
        out.push({
          ...first,
          envelope: fleetEnvelope(
            'OrderEventsDelivered',
            { strategyId, events },
            {
              id: `${this.book.id}:decided:${replies.length}:${idsHash(replies)}`,
              ts: (replies[replies.length - 1] as BusEnvelope).ts,
              correlationId: first.envelope.correlationId,
            },
          ),
        });
      }
      i = end;
    }
    return out;
  }

  /** The whole read model of the account (after a rebuild): account, positions, open orders. */
  fullView(): StateOp[] {
    for (const id of this.book.positions.keys()) this.#dirtyPositions.add(id);
    for (const order of this.#orders.values())
      this.#dirtyOrders.set(order.clientOrderId, { order, open: true });
    return this.#viewOps();
  }

  #viewOps(): StateOp[] {
    const prefix = this.#viewPrefix;
    if (prefix === undefined) return [];
    const ops: StateOp[] = [];
    for (const { order, open } of this.#dirtyOrders.values())
      ops.push(...riskViewOps.order(prefix, order, open));
    for (const id of this.#dirtyPositions) {
      const position = this.book.positions.get(id);
      if (position !== undefined) ops.push(riskViewOps.position(prefix, position.snapshot()));
    }
    for (const fill of this.#newFills) ops.push(riskViewOps.fill(prefix, fill));
    const holds = this.#risk.holds;
    ops.push(
      riskViewOps.account(prefix, {
        account: this.book.snapshot(),
        tradingState: holds.state(this.book.id),
        reason: holds.reason(this.book.id),
      }),
    );
    this.#dirtyOrders.clear();
    this.#dirtyPositions.clear();
    this.#newFills = [];
    return ops;
  }

  /** Decides over one submit and queues what follows; returns the order as it is after risk. */
  #submit(command: SubmitOrder, received: BusEnvelope): Order | undefined {
    if (command.mark) this.#mark(command.mark);
    this.#clock.set(command.tsInit);
    const known = this.#decided.get(command.clientOrderId);
    const claimed =
      known?.contingentOf !== undefined
        ? `client order id ${command.clientOrderId} is a contingent order of ${known.contingentOf}`
        : known !== undefined && known.strategyId !== command.strategyId
          ? `client order id ${command.clientOrderId} is already used on account ${command.accountId}`
          : !this.#plan.instruments.has(command.request.instrumentId)
            ? `instrument ${command.request.instrumentId} is not one of the fleet's`
            : this.#reserved(command);
    if (claimed !== undefined) {
      // Another strategy's id: refused, never taken for a redelivery of that strategy's order, and
      // nothing is recorded under it. So is an order on an instrument the plan does not have (the
      // gateway's; a strategy trades its plan's).
      this.#deliver(
        {
          type: 'OrderDenied',
          clientOrderId: command.clientOrderId,
          accountId: command.accountId,
          strategyId: command.strategyId,
          instrumentId: command.request.instrumentId,
          tsEvent: command.tsInit,
          reason: 'INVALID_ORDER',
          message: claimed,
        },
        this.#replyId(command, received),
        received,
      );
      return undefined;
    }
    let denied = known?.denied;
    let decided: Order | undefined;
    if (known === undefined) {
      const instrument = this.#plan.instrument(command.request.instrumentId);
      const order = createOrder(command.request, {
        clientOrderId: command.clientOrderId,
        accountId: command.accountId,
        strategyId: command.strategyId,
        quantityPrecision: instrument.quantityPrecision,
        ts: command.tsInit,
      });
      // A contingent order's ids must be free: the order role places them on the entry's fills.
      const taken = contingentIds(command.clientOrderId, command.request).find((id) => this.#decided.has(id));
      const denial =
        taken !== undefined
          ? ({
              reason: 'INVALID_ORDER',
              message: `client order id ${taken} (a contingent order of ${command.clientOrderId}) is already used on account ${command.accountId}`,
            } as const)
          : this.#risk.check(order, instrument, this.book);
      if (denial === undefined) {
        decided = applyOrderEvent(order, { ...base(order), type: 'OrderSubmitted', tsEvent: command.tsInit });
        this.#orders.set(order.clientOrderId, decided);
        this.#risk.track(decided);
      } else {
        denied = {
          ...base(order),
          type: 'OrderDenied',
          tsEvent: command.tsInit,
          reason: denial.reason,
          message: denial.message,
        };
        decided = applyOrderEvent(order, denied);
        this.#logger.info({ clientOrderId: order.clientOrderId, reason: denial.reason }, 'order denied');
        this.#meters.denials.add(1, { reason: denial.reason });
        this.#refused(denied);
      }
      this.#dirtyOrders.set(decided.clientOrderId, { order: decided, open: denied === undefined });
      this.#decided.set(command.clientOrderId, { strategyId: command.strategyId, denied });
      this.#countOrderId(command);
      if (denied === undefined) {
        for (const id of contingentIds(command.clientOrderId, command.request)) {
          this.#decided.set(id, {
            strategyId: command.strategyId,
            denied: undefined,
            contingentOf: command.clientOrderId,
          });
        }
      }
      if (this.#decided.size > REMEMBERED) this.#decided.delete(this.#decided.keys().next().value as string);
    }
    if (denied !== undefined) {
      this.#deliver(denied, this.#replyId(command, received), received);
      return decided;
    }
    if (!this.#inPlan(command.strategyId)) {
      // Not a strategy of the plan (the gateway's): it hears the decision from risk.
      this.#deliver(
        {
          type: 'OrderSubmitted',
          clientOrderId: command.clientOrderId,
          accountId: command.accountId,
          strategyId: command.strategyId,
          instrumentId: command.request.instrumentId,
          tsEvent: command.tsInit,
        },
        this.#replyId(command, received),
        received,
      );
    }
    this.#forward('SubmitOrder', command, received);
    return decided;
  }

  /**
   * Why a sender from outside the plan may not use this id: it has the shape of the ids the plan's
   * strategies of the account generate (`<strategyId>-<n>`), so it could take one of theirs first.
   */
  #reserved(command: SubmitOrder): string | undefined {
    if (this.#inPlan(command.strategyId)) return undefined;
    const id = command.clientOrderId;
    const owner = this.#plan.strategies.find(
      (s) =>
        (s.accountId === command.accountId && id.startsWith(`${s.id}-`)) ||
        id.startsWith(`${s.id}@${command.accountId}-`),
    );
    return owner === undefined
      ? undefined
      : `client order id ${command.clientOrderId} is in strategy ${owner.id}'s id space`;
  }

  /** Follows a plan strategy's own id sequence (`<strategyId>-<n>`, as its host numbers its orders). */
  #countOrderId(command: SubmitOrder): void {
    // Per order: digits read in place (no string built, no regex).
    const { clientOrderId: id, strategyId } = command;
    const start = strategyId.length + 1;
    if (id.length <= start || id.length > start + 15 || id.charCodeAt(start - 1) !== 45 /* - */) return;
    if (!id.startsWith(strategyId)) return;
    let n = 0;
    for (let i = start; i < id.length; i++) {
      const digit = id.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return;
      n = n * 10 + digit;
    }
    if (n > (this.#orderSeqs.get(strategyId) ?? 0)) this.#orderSeqs.set(strategyId, n);
  }

  /**
   * Close at end: every strategy's position on the account is flattened at market, through the same
   * check as every submit, under the id its host would give its next order (`<strategyId>-<n+1>`, as
   * `runBacktest`'s `closeAtEnd` does through the engine); then the order role is told to match once
   * more at the last closes. Core's `flattenRequests` by strategy, in the books' order.
   */
  #closeAtEnd(received: BusEnvelope): void {
    this.#closed = true;
    for (const request of flattenRequests(this.book, { by: 'strategy' })) {
      const strategyId = request.strategyId as string;
      const clientOrderId = this.#inPlan(strategyId)
        ? `${strategyId}-${(this.#orderSeqs.get(strategyId) ?? 0) + 1}`
        : `${strategyId}-flat-${++this.#flattenSeq}`;
      const command: SubmitOrder = {
        accountId: this.book.id,
        strategyId,
        clientOrderId,
        request,
        tsInit: received.ts,
      };
      this.#submit(command, { ...received, id: `${this.book.id}:submit:${clientOrderId}` });
    }
    const close: CloseAtEnd = { accountId: this.book.id };
    this.#forward('CloseAtEnd', close, { ...received, id: `${this.book.id}:close-at-end` });
  }

  #inPlan(strategyId: string): boolean {
    return this.#plan.strategies.some((s) => s.id === strategyId);
  }

  /**
   * The id of risk's answer to a submit: per order for the plan's strategies (a redelivered submit
   * gets the same answer, dropped as a duplicate); per request for others, so a gateway asking again
   * about the same order hears the answer again.
   */
  #replyId(command: SubmitOrder, received: BusEnvelope): string {
    return this.#inPlan(command.strategyId)
      ? `${command.accountId}:denied:${command.clientOrderId}`
      : `${command.accountId}:decided:${received.id}`;
  }

  /** Sends one event to the strategy that placed the order; `id` is the message's. */
  #deliver(event: OrderEvent, id: string, received: BusEnvelope): void {
    const strategyId = event.strategyId;
    this.#outbox.push({
      topic: fleetTopics.orderEvents(strategyId),
      envelope: fleetEnvelope(
        'OrderEventsDelivered',
        { strategyId, events: [event] },
        { id, ts: received.ts, correlationId: received.correlationId },
      ),
      key: strategyId,
    });
  }

  #forward(
    type: 'SubmitOrder' | 'CancelOrder' | 'AmendOrder' | 'BarsAcknowledged' | 'WakeAccount' | 'CloseAtEnd',
    payload: SubmitOrder | CancelOrder | AmendOrder | BarsAcknowledged | WakeAccount | CloseAtEnd,
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

  /** Holds, resume and the kill switch: core's TradingHolds and killSwitch over this account. */
  #setTradingState(command: SetTradingState): void {
    const holds = this.#risk.holds;
    const accountId = command.scope === 'fleet' ? undefined : this.book.id;
    if (command.state === 'ACTIVE') {
      holds.releaseAll({ accountId, reason: command.reason });
      return;
    }
    if (!command.killSwitch) {
      holds.place({ owner: command.owner, state: command.state, reason: command.reason, accountId });
      return;
    }
    this.#kill({
      reason: command.reason,
      flatten: command.flatten,
      owner: command.owner,
      ...(accountId === undefined ? {} : { accountId }),
    });
  }

  /** Core's kill switch over the desk: hold, cancel every open order, and maybe flatten. */
  #kill(options: KillSwitchOptions): void {
    const target = this.#killTarget();
    const result = killSwitch(target, options);
    this.#late.watch(target, result, options);
    this.#logger.warn(
      {
        owner: options.owner,
        reason: options.reason,
        canceled: result.canceled,
        flatten: result.flattenOrders.map((o) => `${o.clientOrderId}:${o.status}`),
      },
      'kill switch',
    );
  }

  /**
   * The account's equity after a fill or a bar's close, as the engine's equity guard watches it: a
   * crossed limit halts the account with core's kill switch (flattening with `flattenOnHalt`); a new
   * UTC day lifts a daily-loss halt with `resumeNextDay`.
   */
  #watchEquity(ts: number): void {
    const watch = this.#watch;
    if (watch === undefined) return;
    this.#clock.set(ts);
    const { breach, released } = watch.update(this.book.equityUnits, ts);
    if (released) {
      this.#risk.holds.release({
        owner: EQUITY_GUARD_OWNER,
        accountId: this.book.id,
        reason: `new UTC day: daily loss limit of ${watch.label} reset`,
      });
    }
    if (breach === undefined) return;
    // Logged by the kill switch with the breach's message as its reason.
    this.#kill({
      reason: breach.message,
      owner: EQUITY_GUARD_OWNER,
      flatten: this.#flattenOnHalt,
      accountId: this.book.id,
    });
  }

  /** The desk as core's kill switch drives it: cancels and flattening orders go to the order role. */
  #killTarget(): KillSwitchTarget {
    const received = this.#received as BusEnvelope;
    return {
      holds: this.#risk.holds,
      openOrders: () => [...this.#orders.values()],
      cancel: (clientOrderId) => {
        const order = this.#orders.get(clientOrderId);
        // A kill switch's own flattening orders are left working by a later one.
        if (order === undefined || this.#flattening.has(clientOrderId)) return false;
        // As the engine's cancel does at once: the flatten's REDUCING check no longer counts the order
        // (a bracket's exits, a resting sell, would else make the flatten look like it grows the position).
        this.#risk.track({ ...order, status: 'pendingCancel' });
        this.#forward(
          'CancelOrder',
          { accountId: this.book.id, strategyId: order.strategyId, clientOrderId, ts: this.#clock.now() },
          { ...received, id: `${this.book.id}:kill-cancel:${++this.#cancelSeq}` },
        );
        return true;
      },
      submit: (request) => this.#flatten(request, received),
      accountBook: () => this.book,
      accounts: () => [this.book.snapshot()],
    };
  }

  /** One of the kill switch's flattening orders, through the same check as every submit. */
  #flatten(request: OrderRequest, received: BusEnvelope): Order {
    const clientOrderId = `flatten:${++this.#flattenSeq}`;
    const command: SubmitOrder = {
      accountId: this.book.id,
      strategyId: request.strategyId ?? 'kill-switch',
      clientOrderId,
      request: { ...request, clientOrderId },
      tsInit: this.#clock.now(),
    };
    const order = this.#submit(command, {
      ...received,
      id: `${this.book.id}:submit:${clientOrderId}`,
    }) as Order;
    if (isOpen(order)) this.#flattening.add(clientOrderId);
    return order;
  }

  #stateChanged(): void {
    const received = this.#received;
    if (received === undefined) return;
    const holds = this.#risk.holds;
    this.#meters.state.set(STATE_LEVEL[holds.state(this.book.id)], { account: this.book.id });
    this.#outbox.push({
      topic: fleetTopics.riskState,
      envelope: fleetEnvelope(
        'TradingStateChanged',
        {
          accountId: this.book.id,
          state: holds.state(this.book.id),
          reason: holds.reason(this.book.id),
          tsEvent: this.#clock.now(),
        },
        {
          id: `${this.book.id}:state:${++this.#stateSeq}`,
          ts: received.ts,
          correlationId: received.correlationId,
        },
      ),
      key: this.book.id,
    });
  }

  #report(report: OrderEventsReported, received: BusEnvelope): void {
    // A redelivered report (its handler failed after applying it) is applied once.
    if (!this.#reports.has(received.id)) {
      const placed = new Map(report.placed?.map((p) => [p.clientOrderId, p]));
      for (const event of report.events) {
        const order = placed.get(event.clientOrderId);
        if (order !== undefined && event.type === 'OrderSubmitted') this.#placedByOrderRole(order);
        this.#apply(event);
        if (event.type === 'OrderFilled') this.#watchEquity(event.tsEvent);
      }
      for (const mark of report.marks) {
        this.#mark(mark);
        if ((this.#matched.get(mark.symbol) ?? Number.NEGATIVE_INFINITY) < mark.ts) {
          this.#matched.set(mark.symbol, mark.ts);
          this.#watchEquity(mark.ts);
        }
      }
      this.#reports.add(received.id);
      if (this.#reports.size > REMEMBERED)
        this.#reports.delete(this.#reports.values().next().value as string);
      if (this.#held.size > 0) this.#release();
      this.#received = received;
      if (this.#gate) for (const mark of report.marks) this.#guardAck(mark.symbol, mark.ts, received);
    }
    if (report.closing === true && !this.#closed) this.#closeAtEnd(received);
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
          strategies: this.#plan.strategies
            .filter((s) => s.accountId === this.book.id)
            .map((s) => ({
              strategyId: s.id,
              refusals: Object.fromEntries(this.#strategyRefusals.get(s.id) ?? []),
              budget: this.#risk.budgetUsage(this.book, s.id) ?? null,
            })),
        },
        { id: `${this.book.id}:finished`, ts: received.ts, correlationId: received.correlationId },
      ),
    });
  }

  /** A contingent order the order role placed (approved with its entry): booked as submitted. */
  #placedByOrderRole(placed: SubmitOrder): void {
    if (this.#orders.has(placed.clientOrderId)) return;
    const instrument = this.#plan.instrument(placed.request.instrumentId);
    const order = createOrder(placed.request, {
      clientOrderId: placed.clientOrderId,
      accountId: placed.accountId,
      strategyId: placed.strategyId,
      quantityPrecision: instrument.quantityPrecision,
      ts: placed.tsInit,
    });
    const submitted = applyOrderEvent(order, {
      ...base(order),
      type: 'OrderSubmitted',
      tsEvent: placed.tsInit,
    });
    this.#orders.set(submitted.clientOrderId, submitted);
    this.#risk.track(submitted);
    this.#dirtyOrders.set(submitted.clientOrderId, { order: submitted, open: true });
    if (!this.#decided.has(placed.clientOrderId)) {
      // A later round of exits (`-tp2`): its id is reserved from now on.
      this.#decided.set(placed.clientOrderId, {
        strategyId: placed.strategyId,
        denied: undefined,
        contingentOf: 'an entry of the account',
      });
    }
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
      // A fill draws on its order's budget reservation before the order's end releases the rest.
      if (event.type === 'OrderFilled') this.#risk.fill(event);
      this.#risk.track(next);
      const open = isOpen(next);
      if (open) this.#orders.set(next.clientOrderId, next);
      else {
        this.#orders.delete(next.clientOrderId);
        this.#flattening.delete(next.clientOrderId);
      }
      this.#dirtyOrders.set(next.clientOrderId, { order: next, open });
    }
    if (event.type === 'OrderFilled') {
      this.book.applyFill(event, this.#plan.instrument(event.instrumentId));
      this.#fills++;
      this.#dirtyPositions.add(event.instrumentId);
      if (this.#viewPrefix !== undefined) this.#newFills.push(event);
    } else if (event.type === 'OrderRejected') this.#refused(event);
    if (this.#late.size > 0) this.#lateFill(event);
  }

  /** A kill switch canceled the order, but the venue filled it first: what it opened is closed too. */
  #lateFill(event: OrderEvent): void {
    const orders = this.#late.apply(() => this.#killTarget(), event, this.#orders.has(event.clientOrderId));
    if (orders.length === 0) return;
    this.#logger.warn(
      {
        clientOrderId: event.clientOrderId,
        instrumentId: event.instrumentId,
        flatten: orders.map((o) => `${o.clientOrderId}:${o.status}`),
      },
      'kill switch: an order filled before its cancel; flattened again',
    );
  }

  #refused(event: OrderEvent & { reason: string }): void {
    const known = this.#refusals.get(event.reason);
    if (known) known.count++;
    else this.#refusals.set(event.reason, { count: 1, first: event });
    let mine = this.#strategyRefusals.get(event.strategyId);
    if (mine === undefined) {
      mine = new Map();
      this.#strategyRefusals.set(event.strategyId, mine);
    }
    mine.set(event.reason, (mine.get(event.reason) ?? 0) + 1);
  }

  #mark(mark: Mark): void {
    this.#lastPrices.set(mark.symbol, mark.price);
    this.book.mark(this.#plan.instrument(mark.symbol), mark.price, mark.ts);
    if (this.book.positions.has(mark.symbol)) this.#dirtyPositions.add(mark.symbol);
  }
}

/** A managed account's configuration, as the plan's account manager validated it. */
type ManagedConfig = NonNullable<ResolvedPlan['manager']>['accounts'][number];

/** The strategy whose order of inputs an input belongs to (undefined for reports and holds). */
function strategyOf(input: RiskInput): string | undefined {
  switch (input.type) {
    case 'SubmitOrder':
    case 'CancelOrder':
    case 'AmendOrder':
    case 'BarsAcknowledged':
      return input.payload.strategyId;
    case 'SignalEmitted':
      return input.payload.signal.strategyId;
    default:
      return undefined;
  }
}

const base = (order: Order) => ({
  clientOrderId: order.clientOrderId,
  accountId: order.accountId,
  strategyId: order.strategyId,
  instrumentId: order.instrumentId,
});
