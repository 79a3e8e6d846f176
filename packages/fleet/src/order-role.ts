import {
  type BusDelivery,
  type BusEnvelope,
  type BusSubscription,
  type Clock,
  type ContingentLeg,
  canAmendUp,
  EQUITY_GUARD_OWNER,
  type ExecutionClient,
  hasContingency,
  isBarDriven,
  isReconcilable,
  type Logger,
  type MessageBus,
  noopLogger,
  type Order,
  OrderEmulator,
  type OrderEvent,
  OrderEventSchema,
  OrderManager,
  type OrderOrigin,
  type OrderRequest,
  orderFromRecord,
  orderToRecord,
  Reconciler,
  type ReconcilerOptions,
  RxtradeError,
  SimulatedVenue,
  type SimulatedVenueOptions,
  subscribeInBatches,
  type VenueEvent,
} from '@rxtrade/core';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { z } from 'zod';
import { MatchBarrier } from './barrier';
import { GroupCommit } from './group-commit';
import type { FleetJournal } from './journal';
import { deskHolds, isLiveVenue, reconcilableDesk, VenueGate } from './live-venue';
import {
  type AmendOrder,
  type BarFrame,
  type BarsAcknowledged,
  type CancelOrder,
  type CloseAtEnd,
  decodeByAccount,
  decodeFleetMessage,
  fleetEnvelope,
  type Mark,
  type SubmitOrder,
} from './messages';
import { type FleetPlan, ResolvedPlan } from './plan';
import { type Outgoing, publishInOrder } from './publish';
import { fleetGroups, fleetTopics, STATEFUL } from './topics';

/** Options of {@link OrderRole}. */
export interface OrderRoleOptions {
  readonly bus: MessageBus;
  readonly plan: FleetPlan | ResolvedPlan;
  /** Unique per replica: names the replica's own subscription to the bars. */
  readonly replicaId: string;
  /**
   * The execution client of one account, on that account's clock. Default: a {@link SimulatedVenue}
   * over the plan's instruments (paper trading; a bar-driven venue keeps a backtest's fills).
   */
  readonly execution?: (accountId: string, clock: Clock) => ExecutionClient;
  /**
   * Where each account's inputs are journaled and frames are read back, so an account that moves to
   * this replica (its previous owner died or left) is rebuilt by replaying its journal. Default: none
   * (state in memory only).
   */
  readonly journal?: FleetJournal;
  /** Options of the default simulated venue. */
  readonly venue?: Omit<SimulatedVenueOptions, 'instruments' | 'clock'>;
  /**
   * A live client (not bar-driven) that can be reconciled (`@rxtrade/ccxt`, alone or behind core's
   * resilient client) is reconciled by core's {@link Reconciler} each time an account's desk is
   * created here (first message, restart, take-over), after the desk was rebuilt from its journal and
   * before it takes any command; and again on the reconciler's own triggers (an unknown submit
   * outcome, the venue's breaker closing). While a run is unresolved the desk sends no new order.
   * These are the reconciler's options; `false` turns reconciliation off. Default: core's defaults,
   * with `adoptExternal: 'none'` (orders placed at the venue by hand are reported, not adopted).
   */
  readonly reconciliation?:
    | Omit<ReconcilerOptions, 'engine' | 'client' | 'journal' | 'accountId' | 'logger'>
    | false;
  /**
   * Accounts this replica owns from the start, whose desks are rebuilt (and, with a live venue,
   * reconciled) by {@link OrderRole.start} instead of on their first message: a restarted order
   * service then books what the venue did while it was down (a resting order filled) without waiting
   * for the account's next command. Only for accounts no other replica takes (one order replica, or
   * accounts assigned by hand): the bus does not report which partitions a replica owns yet. Default none.
   */
  readonly takeAtStart?: readonly string[];
  /**
   * As `runBacktest`'s `closeAtEnd`: once every bar of an account was matched and every strategy
   * acknowledged its last, risk flattens each strategy's position at market and the desk matches its
   * working orders once more at each symbol's last close, with room for every order; then the account
   * is finished. Needs a bar-driven venue (the simulated one). Default false.
   */
  readonly closeAtEnd?: boolean;
  readonly logger?: Logger;
}

type Inbound =
  | { readonly kind: 'submit'; readonly command: SubmitOrder }
  | { readonly kind: 'cancel'; readonly command: CancelOrder }
  | { readonly kind: 'amend'; readonly command: AmendOrder }
  | { readonly kind: 'ack'; readonly ack: BarsAcknowledged }
  | { readonly kind: 'close'; readonly command: CloseAtEnd };

const COMMANDS = ['SubmitOrder', 'CancelOrder', 'AmendOrder', 'BarsAcknowledged', 'CloseAtEnd'] as const;

/** The queue of the desk's `CloseAtEnd` (no strategy's): drained after every strategy's queue. */
const CLOSE_QUEUE = '\u0000close';

/** A decoded command as the desk queues it. */
function inbound(decoded: ReturnType<typeof decodeFleetMessage<(typeof COMMANDS)[number]>>): Inbound {
  switch (decoded.type) {
    case 'SubmitOrder':
      return { kind: 'submit', command: decoded.payload };
    case 'CancelOrder':
      return { kind: 'cancel', command: decoded.payload };
    case 'AmendOrder':
      return { kind: 'amend', command: decoded.payload };
    case 'BarsAcknowledged':
      return { kind: 'ack', ack: decoded.payload };
    case 'CloseAtEnd':
      return { kind: 'close', command: decoded.payload };
  }
}

/**
 * The order role: core's {@link OrderManager} and an {@link ExecutionClient} per account, fed the
 * commands risk approved (`orders.submit.<accountId>`, partitioned by account) and, for a bar-driven
 * venue, the bars of the account's symbols. Contingent orders (brackets, OTO, OCO) live here, in
 * core's {@link OrderEmulator} per account: the exits are placed on the entry's fills and cancel
 * each other in this process, whatever the strategy's replica does, and are rebuilt with the rest of
 * the account from its journal. It keeps the barrier (see `barrier.ts`): a bar is matched
 * for an account once every strategy feeding it acknowledged the bar before, and a command placed on
 * bar t is applied once bar t was matched. What the venue did goes to risk (`risk.reports.<accountId>`)
 * before it goes back to the strategy that placed the order (`orders.events.<strategyId>`), fills
 * also to `fills.<accountId>`: with the barrier, with the result of the bar the strategy waits for;
 * in live mode, with the commit (a frame matched, a command taken) that produced it.
 */
export class OrderRole {
  readonly #bus: MessageBus;
  readonly #plan: ResolvedPlan;
  readonly #replicaId: string;
  readonly #execution: (accountId: string, clock: Clock) => ExecutionClient;
  readonly #reconciliation: OrderRoleOptions['reconciliation'];
  readonly #takeAtStart: readonly string[];
  readonly #closeAtEnd: boolean;
  readonly #logger: Logger;
  readonly #desks = new Map<string, Promise<AccountDesk>>();
  readonly #journal: FleetJournal | undefined;
  /** Every frame received per symbol, index = frame seq (a desk created later starts from them). */
  readonly #frames = new Map<string, BarFrame[]>();
  readonly #subscriptions: BusSubscription[] = [];
  /** Accounts whose desk failed and was dropped: rebuilt from the journal on the next message. */
  readonly #broken = new Set<string>();
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: OrderRoleOptions) {
    this.#bus = options.bus;
    this.#plan = options.plan instanceof ResolvedPlan ? options.plan : new ResolvedPlan(options.plan);
    this.#replicaId = options.replicaId;
    this.#logger = options.logger ?? noopLogger;
    this.#journal = options.journal;
    this.#reconciliation = options.reconciliation;
    this.#takeAtStart = options.takeAtStart ?? [];
    this.#closeAtEnd = options.closeAtEnd ?? false;
    const instruments = [...this.#plan.instruments.values()];
    this.#execution =
      options.execution ??
      ((_accountId, clock) => new SimulatedVenue({ ...options.venue, instruments, clock }));
  }

  /** Takes the `takeAtStart` accounts, then subscribes to bars and commands. Idempotent. */
  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    // Not awaited: a venue that cannot be reached keeps a desk waiting for reconciliation, not start().
    for (const accountId of this.#takeAtStart) {
      this.#desk(accountId).catch((error: unknown) =>
        this.#logger.warn({ accountId, err: error }, 'account not taken at start; taken on its next message'),
      );
    }
    this.#subscriptions.push(
      await subscribeInBatches(
        this.#bus,
        { pattern: fleetTopics.allBars, handler: (deliveries) => this.#onFrames(deliveries) },
        { group: fleetGroups.orderBars(this.#replicaId), maxBatch: MAX_FRAMES_PER_COMMIT },
      ),
      await subscribeInBatches(
        this.#bus,
        { pattern: fleetTopics.orderInbox, handler: (deliveries) => this.#onCommands(deliveries) },
        { group: fleetGroups.order, maxBatch: MAX_COMMANDS_PER_COMMIT, handOver: STATEFUL },
      ),
    );
  }

  /** Stops consuming (messages in flight finish first) and disconnects every account's client. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.unsubscribe()));
    const desks = await Promise.allSettled(this.#desks.values());
    await Promise.all(desks.map((d) => (d.status === 'fulfilled' ? d.value.close() : undefined)));
  }

  /**
   * Frames the bus delivered together (one symbol's, in order; one when the role keeps up): each is
   * kept, then the desks trading the symbol match what they can and send what that caused once — one
   * journal append and one confirm round trip for the frames that queued up while the previous ones
   * were handled, and none of the waiting when the role is idle (no timer: a frame is handled as soon
   * as it arrives).
   */
  async #onFrames(deliveries: readonly BusDelivery[]): Promise<void> {
    const symbols = new Set<string>();
    const first: string[] = [];
    for (const { message } of deliveries) {
      const { payload: frame } = decodeFleetMessage(message, ['BarFrame']);
      let frames = this.#frames.get(frame.symbol);
      if (frames === undefined) {
        frames = [];
        this.#frames.set(frame.symbol, frames);
        first.push(frame.symbol);
      }
      if (frame.seq > frames.length) {
        // Joined late, or a frame the broker lost (bar frames are transient when journaled): read back.
        if (this.#journal === undefined) {
          throw new RxtradeError({
            code: 'INVALID_MESSAGE',
            message: `bar frame ${frame.seq} of ${frame.symbol} arrived before frame ${frames.length}`,
          });
        }
        frames.push(...(await this.#journal.frames(frame.symbol, frames.length, frame.seq - 1)));
      }
      if (frame.seq === frames.length) {
        frames.push(frame);
        symbols.add(frame.symbol);
      }
    }
    if (symbols.size > 0) {
      const desks = await Promise.all(this.#desks.values());
      await Promise.all(
        desks
          .filter((desk) => [...symbols].some((symbol) => desk.trades(symbol)))
          .map((desk) => this.#guarded(desk, () => desk.catchUp(this.#frames))),
      );
    }
    // A desk dropped after a failure is rebuilt here too: a strategy waiting for its result may send
    // nothing more that would rebuild it. Failing again, the frame is redelivered and tries again.
    for (const accountId of [...this.#broken]) await this.#desk(accountId);
    // After the frame is kept: the desk the wake creates starts from it.
    for (const symbol of first) await this.#wake(symbol);
  }

  /**
   * Commands the bus delivered together (waiting ones, in order): each account's are taken in order,
   * then journaled and answered together — one commit per account per delivery (group commit).
   */
  async #onCommands(deliveries: readonly BusDelivery[]): Promise<void> {
    const byAccount = decodeByAccount(deliveries, [...COMMANDS, 'WakeAccount'], (decoded) =>
      fleetTopics.orderSubmit(decoded.payload.accountId),
    );
    await Promise.all(
      [...byAccount].map(async ([accountId, decoded]) => {
        // A wake only makes sure the account is taken (and rebuilt) here: nothing to apply.
        const received = decoded.flatMap((d) =>
          d.type === 'WakeAccount' ? [] : [{ inbound: inbound(d), message: d.envelope }],
        );
        const desk = await this.#desk(accountId);
        await this.#guarded(desk, () => desk.receive(received));
      }),
    );
  }

  /**
   * At this replica's first frame of a symbol (a replica starts, or restarts after a crash), it wakes
   * the accounts trading the symbol: whichever replica owns an account's partition takes it now —
   * rebuilding it from its journal — rather than at its strategies' next command, which may never come
   * while they are down: the account's working orders (a bracket's exits) keep being matched. Sent at
   * the first frame, not at start, so it reaches the owner once the groups have settled. The wake goes
   * through risk, like every input of the order role's inbox.
   */
  async #wake(symbol: string): Promise<void> {
    const accounts = new Set(
      this.#plan.strategies.filter((s) => s.symbol === symbol).map((s) => s.accountId),
    );
    for (const accountId of accounts) {
      await this.#bus.publish(
        fleetTopics.riskReports(accountId),
        fleetEnvelope(
          'WakeAccount',
          { accountId, replicaId: this.#replicaId },
          { id: `${accountId}:wake:${this.#replicaId}:${symbol}`, ts: 0 },
        ),
        { key: accountId },
      );
    }
  }

  /**
   * Runs work on a desk. If it fails (its journal append or a publish failed: a Redis or broker
   * outage), the desk's memory is ahead of its journal and its outputs may be unsent: it is dropped
   * and rebuilt from the journal by the next message (the failed input is redelivered by the bus; a
   * frame is kept in memory), which sends again what the journal says may be unsent.
   */
  async #guarded(desk: AccountDesk, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const current = this.#desks.get(desk.accountId);
      if (current !== undefined && (await current.catch(() => undefined)) === desk) {
        this.#desks.delete(desk.accountId);
        this.#broken.add(desk.accountId);
        this.#logger.warn(
          { accountId: desk.accountId, err: error },
          'account desk failed; it is rebuilt from its journal',
        );
        desk.discard();
      }
      throw error;
    }
  }

  /** The account's desk, created (and rebuilt from its journal) on its first message here. */
  #desk(accountId: string): Promise<AccountDesk> {
    let desk = this.#desks.get(accountId);
    if (desk === undefined) {
      desk = this.#createDesk(accountId);
      this.#desks.set(accountId, desk);
      desk.then(
        () => this.#broken.delete(accountId),
        () => {
          this.#desks.delete(accountId);
          if (this.#plan.accounts.has(accountId)) this.#broken.add(accountId);
        },
      );
    }
    return desk;
  }

  async #createDesk(accountId: string): Promise<AccountDesk> {
    if (!this.#plan.accounts.has(accountId)) {
      throw new RxtradeError({ code: 'INVALID_MESSAGE', message: `unknown account ${accountId}` });
    }
    // The frames received before the message that creates the desk: a frame that arrives while the
    // desk is built comes after that message (a gateway order fills at the first bar after it), and
    // reaches the desk through `#onFrames` once it is built.
    const received = new Map([...this.#frames].map(([symbol, list]) => [symbol, list.length]));
    this.#logger.info({ accountId }, 'account taken');
    const clock = new DeskClock();
    const logger = this.#logger.child({ accountId });
    const client = this.#execution(accountId, clock);
    if (this.#closeAtEnd && !isBarDriven(client)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `closeAtEnd needs a bar-driven venue; account ${accountId} trades at ${client.venue}`,
      });
    }
    const desk: AccountDesk = new AccountDesk({
      accountId,
      plan: this.#plan,
      clock,
      closeAtEnd: this.#closeAtEnd,
      execution: client,
      gate: isLiveVenue(client) ? new VenueGate(client, logger) : undefined,
      bus: this.#bus,
      journal: this.#journal,
      logger,
      guard: (work): Promise<void> => this.#guarded(desk, work),
    });
    await desk.connect();
    if (this.#journal !== undefined) {
      const batches = await this.#journal.read(`order:${accountId}`, DeskEntrySchema);
      if (batches.length > 0) {
        this.#logger.info({ accountId, batches: batches.length }, 'rebuilding the account from its journal');
        // The frames the journal names that are not in memory (a restart), read in one pass each.
        const needed = new Map<string, number>();
        for (const batch of batches) {
          for (const entry of batch) {
            if (entry.kind === 'frame')
              needed.set(entry.symbol, Math.max(needed.get(entry.symbol) ?? -1, entry.seq));
          }
        }
        const loaded = new Map<string, BarFrame[]>();
        for (const [symbol, last] of needed) {
          const known = this.#frames.get(symbol)?.length ?? 0;
          if (last >= known) loaded.set(symbol, await this.#journal.frames(symbol, known, last));
        }
        await desk.replay(batches, async (symbol, seq) => {
          const known = this.#frames.get(symbol)?.[seq];
          if (known !== undefined) return known;
          const from = (needed.get(symbol) ?? 0) + 1 - (loaded.get(symbol)?.length ?? 0);
          return loaded.get(symbol)?.[seq - from] ?? this.#frame(symbol, seq);
        });
      }
    }
    await desk.catchUp(this.#frames, received);
    await desk.goLive(this.#reconciliation);
    return desk;
  }

  async #frame(symbol: string, seq: number): Promise<BarFrame> {
    const known = this.#frames.get(symbol)?.[seq];
    if (known !== undefined) return known;
    const [loaded] = await (this.#journal as FleetJournal).frames(symbol, seq, seq);
    return loaded as BarFrame;
  }
}

/**
 * An account desk's time: the time of what it is applying now. Unlike a ManualClock it may go back:
 * an account's symbols are matched each at its own pace (a strategy with nothing working runs ahead),
 * and a fill must carry its own bar's time, as in a backtest.
 */
class DeskClock implements Clock {
  #now = 0;
  now(): number {
    return this.#now;
  }
  set(ts: number): void {
    this.#now = ts;
  }
}

/** Most commands the bus hands the role at once (each account's are committed together). */
const MAX_COMMANDS_PER_COMMIT = 200;

/** Most frames of one symbol the bus hands the role at once (matched, then committed together). */
const MAX_FRAMES_PER_COMMIT = 100;

/** Topics of deliveries to strategies (`orders.events.<strategyId>`). */
const EVENTS_PREFIX = fleetTopics.orderEvents('x').slice(0, -1);

/**
 * One input of an account desk, as journaled: a frame it was given, or a message it received; with a
 * live venue also what the venue reported (`venue`, an order it adopted from the venue (`adopt`), and
 * the reconciler's halts (`halt`).
 */
const DeskEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('frame'), symbol: z.string(), seq: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('in'), message: z.unknown() }),
  z.object({ kind: z.literal('venue'), event: OrderEventSchema }),
  z.object({ kind: z.literal('adopt'), order: z.record(z.string(), z.string()) }),
  z.object({ kind: z.literal('halt'), halted: z.boolean() }),
]);
type DeskEntry = z.output<typeof DeskEntrySchema>;

/** One account at the order role: its order manager and client, barriers, and what goes out next. */
class AccountDesk {
  readonly accountId: string;
  readonly #plan: ResolvedPlan;
  readonly #clock: DeskClock;
  readonly #orders: OrderManager;
  /** The account's brackets and OCO groups (core's order emulator), acting through `#orders`. */
  readonly #emulator: OrderEmulator;
  readonly #bus: MessageBus;
  readonly #logger: Logger;
  readonly #barriers = new Map<string, MatchBarrier>();
  /** The plan's strategies trading this account (the barriers deliver their events). */
  readonly #feeders = new Set<string>();
  readonly #queues = new Map<string, Inbound[]>();
  /** Events per strategy not yet delivered to it. */
  readonly #outbox = new Map<string, OrderEvent[]>();
  /** Strategies of the account that follow all its fills, and the fills each has yet to get. */
  readonly #accountFills = new Map<string, OrderEvent[]>();
  /** Orders the emulator placed, per strategy, not yet delivered to it. */
  readonly #placed = new Map<string, SubmitOrder[]>();
  #reportEvents: OrderEvent[] = [];
  #reportPlaced: SubmitOrder[] = [];
  readonly #marks = new Map<string, Mark>();
  #marksChanged = false;
  /**
   * One report per bar matched (an account with equity halts): risk watches the equity after each
   * bar's fills and close, as the engine's guard does, and acknowledges the bar before the next.
   */
  readonly #reportEachBar: boolean;
  /**
   * Marks go to risk with every pump that matched a bar (an account taking signals): risk sizes a
   * signal once its bar is matched, and holds the strategy's later inputs until then.
   */
  readonly #reportMarks: boolean;
  #outgoing: Outgoing[] = [];
  readonly #commits = new GroupCommit(() => this.#commit());
  #seq = 0;
  #finished = false;
  /** Close at end: `asked` once the closing report went to risk, `closed` once matched at the last closes. */
  readonly #closeAtEnd: boolean;
  #closing: 'no' | 'asked' | 'closed' = 'no';
  readonly #journal: FleetJournal | undefined;
  /** Inputs since the last journal append. */
  #entries: DeskEntry[] = [];
  #replaying = false;
  /** Frames given to the barriers, per symbol. */
  readonly #seen = new Map<string, number>();
  /** A live venue's gate (see {@link VenueGate}); undefined for a bar-driven one. */
  readonly #gate: VenueGate | undefined;
  readonly #guard: (work: () => Promise<void>) => Promise<void>;
  #venueEvents: Subscription | undefined;
  #reconciler: Reconciler | undefined;
  /** Set by the reconciler while it runs or has something unresolved: no new order goes out. */
  #halted = false;
  /** The client order id of the submit being applied, while it goes out as a native OCO. */
  #applying: string | undefined;

  constructor(options: {
    accountId: string;
    plan: ResolvedPlan;
    clock: DeskClock;
    closeAtEnd: boolean;
    execution: ExecutionClient;
    gate: VenueGate | undefined;
    bus: MessageBus;
    journal: FleetJournal | undefined;
    logger: Logger;
    /** Runs the desk's own work (venue events) as the role runs a message's: a failure drops the desk. */
    guard: (work: () => Promise<void>) => Promise<void>;
  }) {
    this.accountId = options.accountId;
    this.#closeAtEnd = options.closeAtEnd;
    this.#gate = options.gate;
    this.#guard = options.guard;
    this.#journal = options.journal;
    this.#plan = options.plan;
    this.#clock = options.clock;
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#orders = new OrderManager({
      execution: options.gate ?? options.execution,
      clock: options.clock,
      logger: options.logger,
      // Terminal orders are kept for lookup so a redelivered submit is recognised, not sent twice.
      onEvent: (event, order) => this.#onEvent(event, order),
    });
    this.#emulator = new OrderEmulator({
      submit: (request, origin) => this.#place(request, origin),
      cancel: (clientOrderId) => this.#orders.cancel(clientOrderId),
      amend: (clientOrderId, amendment) => this.#orders.amend(clientOrderId, amendment),
      order: (clientOrderId) => this.#orders.get(clientOrderId),
      submitOco: (legs) => this.#placeOco(legs),
      amendsUp: canAmendUp(this.#orders.execution),
    });
    for (const s of this.#plan.strategies) if (s.accountId === this.accountId) this.#feeders.add(s.id);
    for (const id of this.#plan.followers(this.accountId)) this.#accountFills.set(id, []);
    // An account with equity halts: risk watches each bar's equity before the next bar is matched.
    this.#reportEachBar = this.#plan.guarded(this.accountId) && this.#plan.mode === 'barrier';
    this.#reportMarks = this.#plan.takesSignals(this.accountId);
    const gates = this.#reportEachBar ? [EQUITY_GUARD_OWNER] : [];
    for (const symbol of this.#plan.symbolsOf(this.accountId)) {
      this.#barriers.set(
        symbol,
        new MatchBarrier(this.#plan.feeders(this.accountId, symbol), this.#plan.mode, gates),
      );
    }
  }

  async connect(): Promise<void> {
    await this.#orders.connect();
  }

  async close(): Promise<void> {
    this.#stopLive();
    await this.#commits.settled();
    await this.#orders.disconnect();
  }

  /** Drops a failed desk: disconnects its client without waiting for its (failed) publishes. */
  discard(): void {
    this.#stopLive();
    this.#orders.disconnect().catch(() => undefined);
  }

  /**
   * With a live venue, once the desk is rebuilt: takes the venue's events as inputs from now on and,
   * for a client that can be reconciled, reconciles the desk's orders with the venue (core's
   * {@link Reconciler}); resolves once a run settled everything, so no command is applied before.
   */
  async goLive(options: OrderRoleOptions['reconciliation']): Promise<void> {
    const client = this.#gate?.inner;
    if (client === undefined) return;
    this.#venueEvents = client.events$.subscribe((event) => {
      this.#guard(() => this.applyVenueEvent(event)).catch((error: unknown) =>
        this.#logger.error({ err: error, event }, 'venue event not journaled; reconciliation settles it'),
      );
    });
    if (options === false || !isReconcilable(client)) return;
    const holds = deskHolds();
    holds.onChange(() => {
      const halted = holds.state() === 'HALTED';
      if (halted === this.#halted) return;
      this.#entries.push({ kind: 'halt', halted });
      this.#halted = halted;
      this.#guard(() => this.#pump()).catch(() => undefined);
    });
    const reconciler = new Reconciler({
      adoptExternal: 'none',
      ...options,
      engine: reconcilableDesk(
        {
          accountId: this.accountId,
          orders: this.#orders,
          plan: this.#plan,
          applyVenueEvent: (event) => {
            this.#guard(() => this.applyVenueEvent(event)).catch(() => undefined);
          },
          adoptOrder: (order) => {
            this.#entries.push({ kind: 'adopt', order: orderToRecord(order) });
            return this.#orders.adopt(order);
          },
        },
        holds,
      ),
      client,
      accountId: this.accountId,
      logger: this.#logger,
    });
    this.#reconciler = reconciler;
    const first = await reconciler.start();
    if (first.status !== 'ok') {
      this.#logger.warn(
        { unresolved: first.unresolved },
        'account not reconciled with the venue; its commands wait until it is',
      );
      await firstValueFrom(reconciler.status$.pipe(filter((status) => status === 'ok')));
    }
  }

  /** Applies what the live venue reported, as an input journaled before what it causes is sent. */
  applyVenueEvent(event: VenueEvent): Promise<void> {
    this.#entries.push({ kind: 'venue', event });
    this.#orders.applyVenueEvent(event);
    return this.#pump();
  }

  #stopLive(): void {
    this.#venueEvents?.unsubscribe();
    this.#venueEvents = undefined;
    this.#reconciler?.stop();
    this.#reconciler = undefined;
  }

  /**
   * Whether the desk matches the symbol's bars: every instrument of the plan whose bars the data role
   * publishes, not only those the account's strategies trade — an order from outside the plan (the
   * gateway's) on another instrument is matched on that instrument's bars, as in a backtest.
   */
  trades(symbol: string): boolean {
    return this.#plan.instruments.has(symbol);
  }

  /** Gives the barriers every frame of the desk's symbols they have not had yet (up to `upTo`'s count). */
  catchUp(
    frames: ReadonlyMap<string, readonly BarFrame[]>,
    upTo?: ReadonlyMap<string, number>,
  ): Promise<void> {
    for (const [symbol, list] of frames) {
      const end = upTo === undefined ? list.length : (upTo.get(symbol) ?? 0);
      for (let seq = this.#seen.get(symbol) ?? 0; seq < end; seq++) this.#addFrame(list[seq] as BarFrame);
    }
    return this.#pump();
  }

  /** Takes commands in order (one delivery's: a batch's are journaled and answered together). */
  receive(received: readonly { readonly inbound: Inbound; readonly message: BusEnvelope }[]): Promise<void> {
    for (const { inbound, message } of received) {
      if (!this.#replaying) this.#entries.push({ kind: 'in', message });
      this.#enqueue(inbound);
    }
    return this.#pump();
  }

  /**
   * Rebuilds the desk by applying its journaled inputs again, in order. Only the last batch's outputs
   * are sent (again): every earlier batch was sent before the next one was journaled.
   */
  async replay(
    batches: readonly (readonly DeskEntry[])[],
    frameOf: (symbol: string, seq: number) => Promise<BarFrame>,
  ): Promise<void> {
    this.#replaying = true;
    if (this.#gate) this.#gate.replaying = true;
    try {
      for (const batch of batches) {
        this.#outgoing = [];
        for (const entry of batch) {
          if (entry.kind === 'frame') this.#addFrame(await frameOf(entry.symbol, entry.seq));
          else if (entry.kind === 'venue') this.#orders.applyVenueEvent(entry.event as VenueEvent);
          else if (entry.kind === 'adopt') this.#orders.adopt(orderFromRecord(entry.order));
          else if (entry.kind === 'halt') this.#halted = entry.halted;
          else this.#enqueue(inbound(decodeFleetMessage(entry.message, COMMANDS)));
          await this.#pump();
        }
      }
    } finally {
      this.#replaying = false;
      if (this.#gate) this.#gate.replaying = false;
    }
    // What the replay produced is sent again (same ids): a commit journals nothing new (a replay
    // gathers no entries, and the gate held no call), it sends.
    await this.#commits.request();
  }

  #addFrame(frame: BarFrame): void {
    const barrier = this.#barriers.get(frame.symbol) ?? this.#watch(frame.symbol);
    if (barrier === undefined || frame.seq !== (this.#seen.get(frame.symbol) ?? 0)) return;
    this.#seen.set(frame.symbol, frame.seq + 1);
    barrier.addBars(frame.bars, frame.last);
    if (!this.#replaying) this.#entries.push({ kind: 'frame', symbol: frame.symbol, seq: frame.seq });
  }

  /**
   * A barrier for an instrument none of the account's strategies trades, made at its first frame
   * (live and in a replay alike): nobody feeds it, so its bars are matched as they come.
   */
  #watch(symbol: string): MatchBarrier | undefined {
    if (!this.trades(symbol)) return undefined;
    const barrier = new MatchBarrier([], this.#plan.mode);
    this.#barriers.set(symbol, barrier);
    return barrier;
  }

  #enqueue(inbound: Inbound): void {
    const strategyId =
      inbound.kind === 'ack'
        ? inbound.ack.strategyId
        : inbound.kind === 'close'
          ? CLOSE_QUEUE
          : inbound.command.strategyId;
    let queue = this.#queues.get(strategyId);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(strategyId, queue);
    }
    queue.push(inbound);
  }

  /** Applies whatever can be applied now, in protocol order, then publishes what that produced. */
  #pump(): Promise<void> {
    for (let progress = true; progress; ) {
      progress = this.#drainQueues();
      const ready = this.#nextReady();
      if (ready !== undefined) {
        this.#match(ready.symbol);
        progress = true;
      }
    }
    this.#flushUnwaited();
    this.#finishIfDone();
    // A replay rebuilds state; its outputs are kept for `replay` to decide what to send again.
    if (this.#replaying) return Promise.resolve();
    return this.#commits.request();
  }

  /**
   * State before publish: the inputs gathered since the last commit are journaled, then what they
   * caused is sent (in order across commits: one at a time per account), and only then does the bus
   * hear they were handled. Pumps made while a commit runs go out together in the next one.
   */
  async #commit(): Promise<void> {
    const batch = this.#outgoing;
    const entries = this.#entries;
    this.#outgoing = [];
    this.#entries = [];
    // The venue calls these inputs decided, taken with them: a later pump's, held while this append is
    // in flight, wait for their own append (the next commit takes them).
    const release = this.#gate?.take();
    await this.#journal?.append(`order:${this.accountId}`, entries);
    // Journal before send: a live venue is asked only once the inputs that decided it are kept.
    await Promise.all([release?.(), this.#send(batch)]);
  }

  /**
   * Sends in order, one confirm round trip for the batch, except that a report to risk is confirmed
   * before a delivery to a strategy is written: the strategy's reaction goes to risk's queue from
   * another connection, and must find the report there before it.
   */
  #send(batch: readonly Outgoing[]): Promise<void> {
    const reports = fleetTopics.riskReports(this.accountId);
    return publishInOrder(
      this.#bus,
      batch,
      (out, sent) => out.topic.startsWith(EVENTS_PREFIX) && sent.some((s) => s.topic === reports),
    );
  }

  /** Each strategy's commands and acknowledgements in its own order; a command waits for its bar. */
  #drainQueues(): boolean {
    let progress = false;
    for (const [strategyId, queue] of this.#queues) {
      while (queue.length > 0) {
        const head = queue[0] as Inbound;
        if (head.kind === 'ack') {
          this.#barriers.get(head.ack.symbol)?.acknowledge(head.ack);
        } else if (head.kind === 'close') {
          // After the flattening orders risk sent before it, whatever queue they are in.
          if (!this.#onlyQueue(CLOSE_QUEUE)) break;
          this.#closeAtLastPrices();
        } else {
          // The reconciler has not settled the account with the venue: no new order goes out yet.
          if (this.#halted && head.kind === 'submit') break;
          const mark = head.command.mark;
          const barrier = mark && this.#barriers.get(mark.symbol);
          if (mark && barrier && barrier.matchedThrough < mark.ts) {
            // Placed on a bar not matched yet: the strategy has run every bar before it.
            barrier.assumeThrough(strategyId, mark.ts - 1);
            break;
          }
          this.#apply(head);
        }
        queue.shift();
        progress = true;
      }
    }
    return progress;
  }

  /** True when no queue but `key`'s holds anything. */
  #onlyQueue(key: string): boolean {
    for (const [k, queue] of this.#queues) if (k !== key && queue.length > 0) return false;
    return true;
  }

  /**
   * Close at end: one more bar at each of the desk's symbols' last close (open = high = low = close),
   * with room for every order, straight to the venue as `runBacktest`'s `closeAtEnd` does: the
   * flattening market orders fill there, and any working order the close reaches.
   */
  #closeAtLastPrices(): void {
    if (this.#closing === 'closed') return;
    this.#closing = 'closed';
    for (const symbol of this.#barriers.keys()) {
      const mark = this.#marks.get(symbol);
      if (mark === undefined) continue;
      this.#clock.set(mark.ts);
      const price = mark.price;
      this.#orders.processBar({
        symbol,
        ts: mark.ts,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: Number.MAX_SAFE_INTEGER,
      });
    }
  }

  #apply(inbound: Inbound): void {
    if (inbound.kind === 'submit') {
      const command = inbound.command;
      if (this.#orders.has(command.clientOrderId)) return; // redelivered
      this.#clock.set(command.tsInit);
      const instrument = this.#plan.instrument(command.request.instrumentId);
      const origin = {
        clientOrderId: command.clientOrderId,
        strategyId: command.strategyId,
        accountId: command.accountId,
      };
      // An OCO pair the venue holds itself goes out as one (the sibling reported as placed).
      if (command.request.oco !== undefined) {
        this.#applying = command.clientOrderId;
        const native = this.#emulator.submitNativeOco(command.request, origin);
        this.#applying = undefined;
        if (native !== undefined) return;
      }
      const order = this.#orders.create(command.request, origin, instrument.quantityPrecision);
      this.#orders.send(order);
      if (hasContingency(command.request)) this.#emulator.register(order, command.request);
    } else if (inbound.kind === 'cancel') {
      this.#clock.set(inbound.command.ts);
      if (!this.#orders.cancel(inbound.command.clientOrderId)) {
        this.#logger.debug(
          { clientOrderId: inbound.command.clientOrderId },
          'cancel of an order not open ignored',
        );
      }
    } else if (inbound.kind === 'amend') {
      this.#clock.set(inbound.command.ts);
      if (!this.#orders.amend(inbound.command.clientOrderId, inbound.command.amendment)) {
        this.#logger.debug(
          { clientOrderId: inbound.command.clientOrderId },
          'amendment of an order not open ignored',
        );
      }
    }
  }

  /**
   * A contingent order the emulator places (a bracket's exit, an OCO sibling): sent like a submit
   * risk approved — risk approved it with its entry — and reported as placed, so risk books it and
   * the strategy follows it.
   */
  #place(request: OrderRequest, origin: OrderOrigin): Order {
    const instrument = this.#plan.instrument(request.instrumentId);
    const order = this.#orders.create(request, origin, instrument.quantityPrecision);
    this.#reportPlacing(request, origin);
    this.#orders.send(order);
    return this.#orders.get(order.clientOrderId) ?? order;
  }

  /**
   * Two orders as one native OCO, when the venue holds this pair itself (`@rxtrade/ccxt` on Binance;
   * never the simulated venue): a bracket's exits once its entry filled, or an OCO request and its
   * sibling. Approved by risk as the rest of contingent orders; each is reported placed except the
   * OCO request's own order, which risk decided. Undefined, with nothing done, when the venue cannot.
   */
  #placeOco(legs: readonly [ContingentLeg, ContingentLeg]): readonly [Order, Order] | undefined {
    const client = this.#orders.execution;
    if (client.submitOco === undefined || client.supportsOco?.([legs[0].request, legs[1].request]) !== true)
      return undefined;
    const [a, b] = legs.map(({ request, origin }) => {
      const order = this.#orders.create(
        request,
        origin,
        this.#plan.instrument(request.instrumentId).quantityPrecision,
      );
      if (!this.#decided(origin)) this.#reportPlacing(request, origin);
      return order;
    }) as [Order, Order];
    this.#orders.sendOco(a, b);
    return [this.#orders.get(a.clientOrderId) ?? a, this.#orders.get(b.clientOrderId) ?? b];
  }

  /** True for the order of the command being applied (risk decided it), false for what it places. */
  #decided(origin: OrderOrigin): boolean {
    return this.#applying === origin.clientOrderId;
  }

  #reportPlacing(request: OrderRequest, origin: OrderOrigin): void {
    const placed: SubmitOrder = {
      accountId: origin.accountId,
      strategyId: origin.strategyId,
      clientOrderId: origin.clientOrderId,
      request,
      tsInit: this.#clock.now(),
    };
    let list = this.#placed.get(origin.strategyId);
    if (list === undefined) {
      list = [];
      this.#placed.set(origin.strategyId, list);
    }
    list.push(placed);
    this.#reportPlaced.push(placed);
  }

  /** The symbol whose next bar may be matched now, earliest bar first. */
  #nextReady(): { symbol: string } | undefined {
    let best: { symbol: string; ts: number } | undefined;
    for (const [symbol, barrier] of this.#barriers) {
      const bar = barrier.peek();
      if (bar !== undefined && (best === undefined || bar.ts < best.ts)) best = { symbol, ts: bar.ts };
    }
    return best;
  }

  #match(symbol: string): void {
    const ready = (this.#barriers.get(symbol) as MatchBarrier).next();
    if (ready === undefined) return;
    const bar = ready.bar;
    this.#clock.set(bar.ts);
    this.#orders.processBar(bar);
    this.#marks.set(symbol, { symbol, ts: bar.ts, price: bar.close });
    this.#marksChanged = true;
    if (this.#reportEachBar) this.#report(false);
    for (const strategyId of ready.notify)
      this.#deliver(strategyId, { symbol, ts: bar.ts, price: bar.close });
  }

  #onEvent(event: OrderEvent, order: Order): void {
    let box = this.#outbox.get(event.strategyId);
    if (box === undefined) {
      box = [];
      this.#outbox.set(event.strategyId, box);
    }
    box.push(event);
    this.#reportEvents.push(event);
    if (event.type === 'OrderFilled') {
      for (const fills of this.#accountFills.values()) fills.push(event);
      this.#outgoing.push({
        topic: fleetTopics.fills(this.accountId),
        key: this.accountId,
        envelope: fleetEnvelope('OrderFilled', event, {
          id: `${this.accountId}:fill:${event.tradeId}`,
          ts: event.tsEvent,
        }),
      });
    }
    // After the event is on its way, as in the engine: what the emulator does next comes after it.
    if (this.#emulator.size !== 0) this.#emulator.onEvent(event, order);
  }

  /** Risk hears what happened before the strategy does, so the strategy's reaction is checked against it. */
  #report(final: boolean, closing = false): void {
    if (this.#reportEvents.length === 0 && !this.#marksChanged && !final && !closing) return;
    const id = `${this.accountId}:report:${++this.#seq}`;
    this.#outgoing.push({
      topic: fleetTopics.riskReports(this.accountId),
      key: this.accountId,
      envelope: fleetEnvelope(
        'OrderEventsReported',
        {
          accountId: this.accountId,
          events: this.#reportEvents,
          ...(this.#reportPlaced.length > 0 ? { placed: this.#reportPlaced } : {}),
          marks: [...this.#marks.values()],
          final,
          ...(closing ? { closing } : {}),
        },
        { id, ts: this.#clock.now() },
      ),
    });
    this.#reportEvents = [];
    this.#reportPlaced = [];
    this.#marksChanged = false;
  }

  #deliver(strategyId: string, matched: Mark | undefined): void {
    const events = this.#outbox.get(strategyId) ?? [];
    const accountFills = this.#accountFills.get(strategyId);
    const followed = accountFills !== undefined && accountFills.length > 0;
    if (events.length === 0 && matched === undefined && !followed) return;
    if (followed) this.#accountFills.set(strategyId, []);
    const placed = this.#placed.get(strategyId);
    this.#outbox.delete(strategyId);
    this.#placed.delete(strategyId);
    this.#report(false);
    const id = `${this.accountId}:${strategyId}:events:${++this.#seq}`;
    this.#outgoing.push({
      topic: fleetTopics.orderEvents(strategyId),
      key: strategyId,
      envelope: fleetEnvelope(
        'OrderEventsDelivered',
        {
          strategyId,
          events,
          ...(placed ? { placed } : {}),
          ...(matched ? { matched } : {}),
          ...(followed ? { accountFills } : {}),
        },
        { id, ts: this.#clock.now() },
      ),
    });
  }

  /**
   * What no barrier will deliver: events of orders from outside the plan's strategies of this account
   * (the gateway's) go to their sender now, and fills reach risk now, not at some strategy's next
   * bar (when the filled order's strategy is not waiting for it). In live mode no strategy waits for a
   * result, so every strategy's events go out with the commit that made them.
   */
  #flushUnwaited(): void {
    const live = this.#plan.mode === 'live';
    for (const strategyId of [...this.#outbox.keys()])
      if (live || !this.#feeders.has(strategyId)) this.#deliver(strategyId, undefined);
    if ((this.#reportMarks && this.#marksChanged) || this.#reportEvents.some((e) => e.type === 'OrderFilled'))
      this.#report(false);
  }

  #finishIfDone(): void {
    if (this.#finished) return;
    for (const barrier of this.#barriers.values()) if (!barrier.finished) return;
    for (const queue of this.#queues.values()) if (queue.length > 0) return;
    if (this.#closeAtEnd && this.#closing !== 'closed') {
      if (this.#closing === 'no') {
        // Risk flattens the account once it has every report before this one, then sends CloseAtEnd.
        this.#closing = 'asked';
        for (const strategyId of [...this.#outbox.keys()]) this.#deliver(strategyId, undefined);
        this.#report(false, true);
      }
      return;
    }
    this.#finished = true;
    for (const strategyId of [...this.#outbox.keys()]) this.#deliver(strategyId, undefined);
    this.#report(true);
  }
}
