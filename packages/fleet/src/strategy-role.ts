import {
  AccountBook,
  type Bar,
  type BusDelivery,
  type BusEnvelope,
  type BusSubscription,
  fromUnits,
  type Logger,
  ManualClock,
  type MessageBus,
  noopLogger,
  type OrderCommandSink,
  RxtradeError,
  type Signal,
  type StateOp,
  type StateStore,
  type StrategyEvent,
  StrategyHost,
  subscribeInBatches,
} from '@rxtrade/core';
import { z } from 'zod';
import { type AckToSend, StrategyBarrier } from './barrier';
import { GroupCommit } from './group-commit';
import type { FleetJournal } from './journal';
import { type BarFrame, BEFORE_FIRST_BAR, decodeFleetMessage, fleetEnvelope, type Mark } from './messages';
import { type FleetPlan, type FleetStrategy, ResolvedPlan } from './plan';
import { batchRuns, publishInOrder, untilDone } from './publish';
import { strategyViewOp } from './risk-views';
import { fleetGroups, fleetTopics, STATEFUL } from './topics';

/** Options of {@link StrategyRole}. */
export interface StrategyRoleOptions {
  readonly bus: MessageBus;
  readonly plan: FleetPlan | ResolvedPlan;
  /** Strategies started, stopped and failed (a failed strategy is stopped and its orders canceled). */
  readonly onStrategyEvent?: (event: StrategyEvent) => void;
  /**
   * Where each strategy's inputs are journaled and frames are read back, so a symbol that moves to
   * this replica is rebuilt by replaying its strategies' journals. Default: none (memory only).
   */
  readonly journal?: FleetJournal;
  /**
   * Where each strategy's status is written for readers (`<prefix>strategy:<strategyId>`, see
   * {@link StrategyView}): running, paused, failed — the gateway lists it and waits on it after a
   * pause or resume. Default: none.
   */
  readonly views?: { readonly store: StateStore; readonly prefix: string };
  readonly logger?: Logger;
}

/**
 * The strategy role: the user's `BaseStrategy` classes in core's {@link StrategyHost}, partitioned by
 * symbol (`bars.<symbol>`, consumer group `fleet-strategy`: N replicas share the symbols). A replica
 * starts a symbol's strategies when the symbol's first frame reaches it. Their orders and cancels go to
 * risk (`risk.requests.<accountId>`); what happens to the orders comes back on `orders.events.<strategyId>`
 * and is delivered through the host, which keeps each strategy's open orders and virtual position.
 * The barrier (see `barrier.ts`) keeps a backtest's order of events. A `SetStrategyRunning` on the
 * same queue pauses or resumes the strategy (core's `StrategyHost.pause/resume`), journaled with its
 * deliveries, so the replica that takes the strategy over next keeps it paused.
 */
export class StrategyRole {
  readonly #bus: MessageBus;
  readonly #plan: ResolvedPlan;
  readonly #logger: Logger;
  readonly #onStrategyEvent: ((event: StrategyEvent) => void) | undefined;
  readonly #journal: FleetJournal | undefined;
  readonly #views: StrategyRoleOptions['views'];
  readonly #symbols = new Map<string, SymbolSeat>();
  readonly #subscriptions: BusSubscription[] = [];
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: StrategyRoleOptions) {
    this.#bus = options.bus;
    this.#plan = options.plan instanceof ResolvedPlan ? options.plan : new ResolvedPlan(options.plan);
    this.#logger = options.logger ?? noopLogger;
    this.#onStrategyEvent = options.onStrategyEvent;
    this.#journal = options.journal;
    this.#views = options.views;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    this.#subscriptions.push(
      await subscribeInBatches(
        this.#bus,
        { pattern: fleetTopics.allBars, handler: (deliveries) => this.#onFrames(deliveries) },
        { group: fleetGroups.strategy, handOver: STATEFUL, maxBatch: MAX_FRAMES_PER_COMMIT },
      ),
    );
  }

  /** Stops consuming, then stops every hosted strategy (`onStop`). Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.unsubscribe()));
    await Promise.all([...this.#symbols.values()].map((seat) => seat.stop()));
  }

  /** Bars run by this replica's strategies, and how many waited for the order role's result (the barrier's cost). */
  stats(): { readonly bars: number; readonly waited: number } {
    let bars = 0;
    let waited = 0;
    for (const seat of this.#symbols.values()) {
      for (const s of seat.strategies) {
        bars += s.stats.bars;
        waited += s.stats.waited;
      }
    }
    return { bars, waited };
  }

  /**
   * Frames the bus delivered together (a symbol's, in order; one when the role keeps up): run in
   * order, and what they caused is journaled and sent together — no timer, so a frame that arrives
   * while the role is idle is run and answered at once, and batches form only under load.
   */
  async #onFrames(deliveries: readonly BusDelivery[]): Promise<void> {
    const bySymbol = new Map<string, BarFrame[]>();
    for (const { message } of deliveries) {
      const { payload: frame } = decodeFleetMessage(message, ['BarFrame']);
      const frames = bySymbol.get(frame.symbol);
      if (frames === undefined) bySymbol.set(frame.symbol, [frame]);
      else frames.push(frame);
    }
    await Promise.all(
      [...bySymbol.values()].map((frames) => this.#seat(frames[0] as BarFrame).onFrames(frames)),
    );
  }

  #seat(frame: BarFrame): SymbolSeat {
    let seat = this.#symbols.get(frame.symbol);
    if (seat === undefined) {
      const strategies = this.#plan.strategies.filter((s) => s.symbol === frame.symbol);
      seat = new SymbolSeat(
        strategies.map(
          (spec) =>
            new HostedStrategy({
              spec,
              plan: this.#plan,
              bus: this.#bus,
              logger: this.#logger,
              onStrategyEvent: this.#onStrategyEvent,
              journal: this.#journal,
              views: this.#views,
            }),
        ),
        this.#journal,
      );
      this.#symbols.set(frame.symbol, seat);
      this.#logger.info({ symbol: frame.symbol, strategies: strategies.length }, 'symbol taken');
    }
    return seat;
  }
}

/** The strategies of one symbol at this replica, and the next frame expected. */
class SymbolSeat {
  readonly strategies: readonly HostedStrategy[];
  readonly #journal: FleetJournal | undefined;
  #nextSeq = 0;
  #started: Promise<void> | undefined;

  constructor(strategies: readonly HostedStrategy[], journal: FleetJournal | undefined) {
    this.strategies = strategies;
    this.#journal = journal;
  }

  /** Runs frames of the symbol in order (a redelivered one is skipped, a missing one read back first). */
  async onFrames(frames: readonly BarFrame[]): Promise<void> {
    this.#started ??= this.#start((frames[0] as BarFrame).symbol).catch((error: unknown) => {
      this.#started = undefined; // the redelivered frame tries again
      throw error;
    });
    await this.#started;
    const run: BarFrame[] = [];
    for (const frame of frames) {
      if (frame.seq < this.#nextSeq) continue; // redelivered
      if (frame.seq > this.#nextSeq) {
        if (this.#journal === undefined) {
          throw new RxtradeError({
            code: 'INVALID_MESSAGE',
            message: `bar frame ${frame.seq} of ${frame.symbol} arrived before frame ${this.#nextSeq}`,
          });
        }
        // Frames this replica never received (it took the symbol over, or the broker lost a transient
        // frame): run them from the store first.
        run.push(...(await this.#journal.frames(frame.symbol, this.#nextSeq, frame.seq - 1)));
      }
      run.push(frame);
      this.#nextSeq = frame.seq + 1;
    }
    if (run.length === 0) return;
    // Each strategy runs the frames on its own: one waiting for its results does not hold the others.
    await Promise.all(
      this.strategies.map(async (s) => {
        for (const frame of run) await s.runFrame(frame);
        await s.sent();
      }),
    );
  }

  /** Starts (or rebuilds) every strategy of the symbol; the next frame is the first one some has not run. */
  async #start(symbol: string): Promise<void> {
    const journal = this.#journal;
    const frameOf = async (seq: number): Promise<BarFrame> =>
      (await (journal as FleetJournal).frames(symbol, seq, seq))[0] as BarFrame;
    const done = await Promise.all(this.strategies.map((s) => s.start(frameOf)));
    this.#nextSeq = done.length === 0 ? 0 : Math.min(...done);
  }

  async stop(): Promise<void> {
    await Promise.all(this.strategies.map((s) => s.stop()));
  }
}

/** One strategy instance: its host, clock, barrier, and the commands it has yet to send. */
class HostedStrategy {
  readonly #spec: FleetStrategy;
  readonly #bus: MessageBus;
  readonly #logger: Logger;
  readonly #clock = new ManualClock(0);
  readonly #host: StrategyHost;
  readonly #barrier: StrategyBarrier;
  #outbox: { topic: string; key: string; envelope: BusEnvelope }[] = [];
  readonly #commits = new GroupCommit(() => this.#commit());
  #stopping = false;
  #commanded = false;
  #mark: Mark | undefined;
  #seq = 0;
  /** Signals sent (names their messages: the same on a rebuild). */
  #signals = 0;
  /** Accounts whose order role waits for this strategy's bars: its own, and those taking its signals. */
  readonly #fed: readonly string[];
  /** Bars run, and how many of them waited for the order role's result first. */
  readonly stats = { bars: 0, waited: 0 };
  #wake: (() => void) | undefined;
  /** Ids of deliveries handled (bounded, oldest forgotten first). */
  readonly #delivered = new Set<string>();
  readonly #journal: FleetJournal | undefined;
  /** Inputs since the last journal append. */
  #entries: StrategyEntry[] = [];
  #replaying = false;
  /** The last bar run: frame seq and index in it. */
  #ran = { seq: -1, i: -1 };
  #subscription: BusSubscription | undefined;
  /**
   * The strategy's account as core's {@link AccountBook}, fed with the fills the order role delivers
   * and marked with each bar before `onBar`, as the engine does: undefined when other strategies
   * trade the account too (their fills never reach this replica).
   */
  readonly #account: AccountBook | undefined;
  /** The account is shared and followed: its book takes the delivery's `accountFills`, not `events`. */
  readonly #follows: boolean;
  readonly #plan: ResolvedPlan;
  readonly #views: StrategyRoleOptions['views'];
  /** Status writes since the last commit (the latest wins). */
  #viewOps: StateOp[] = [];

  constructor(options: {
    spec: FleetStrategy;
    plan: ResolvedPlan;
    bus: MessageBus;
    logger: Logger;
    onStrategyEvent: ((event: StrategyEvent) => void) | undefined;
    journal: FleetJournal | undefined;
    views: StrategyRoleOptions['views'];
  }) {
    const { spec, plan, bus, logger, onStrategyEvent } = options;
    this.#journal = options.journal;
    this.#views = options.views;
    this.#spec = spec;
    this.#bus = bus;
    this.#logger = logger.child({ strategyId: spec.id });
    // Following a shared account: every bar's result before the next bar, with every fill of the account.
    this.#barrier = new StrategyBarrier(plan.mode, { everyBar: spec.followAccount === true });
    this.#plan = plan;
    const config = plan.accounts.get(spec.accountId);
    const alone = plan.strategies.every((s) => s.accountId !== spec.accountId || s.id === spec.id);
    this.#account =
      config !== undefined && (alone || spec.followAccount === true) ? new AccountBook(config) : undefined;
    this.#follows = spec.followAccount === true && !alone;
    const sink: OrderCommandSink = {
      submit: (request, origin) => {
        this.#command(
          origin.accountId,
          fleetEnvelope(
            'SubmitOrder',
            {
              accountId: origin.accountId,
              strategyId: origin.strategyId,
              clientOrderId: origin.clientOrderId,
              request,
              tsInit: this.#clock.now(),
              ...(this.#mark ? { mark: this.#mark } : {}),
            },
            { id: `${origin.accountId}:submit:${origin.clientOrderId}`, ts: this.#clock.now() },
          ),
        );
        return undefined;
      },
      cancel: (clientOrderId, strategyId) => {
        this.#command(
          spec.accountId,
          fleetEnvelope(
            'CancelOrder',
            {
              accountId: spec.accountId,
              strategyId,
              clientOrderId,
              ts: this.#clock.now(),
              ...(this.#mark ? { mark: this.#mark } : {}),
            },
            { id: `${spec.accountId}:cancel:${clientOrderId}:${++this.#seq}`, ts: this.#clock.now() },
          ),
        );
        return true;
      },
      signal: (signal) => this.#signal(signal),
      amend: (clientOrderId, amendment, strategyId) => {
        this.#command(
          spec.accountId,
          fleetEnvelope(
            'AmendOrder',
            {
              accountId: spec.accountId,
              strategyId,
              clientOrderId,
              amendment,
              ts: this.#clock.now(),
              ...(this.#mark ? { mark: this.#mark } : {}),
            },
            { id: `${spec.accountId}:amend:${clientOrderId}:${++this.#seq}`, ts: this.#clock.now() },
          ),
        );
        return true;
      },
    };
    this.#host = new StrategyHost({
      instruments: plan.instruments.values(),
      sink,
      clock: this.#clock,
      logger: this.#logger,
      defaultAccountId: spec.accountId,
      accounts: {
        account: (accountId) => this.#accountBook(accountId).snapshot(),
        positionQty: (accountId, instrumentId) => {
          const book = this.#accountBook(accountId).positions.get(instrumentId);
          return book ? fromUnits(book.qtyUnits, book.instrument.quantityPrecision) : 0;
        },
      },
      onStrategyEvent: (event) => {
        onStrategyEvent?.(event);
        this.#statusChanged(event);
      },
    });
    this.#fed = plan.accountsFed(spec);
    this.#host.add(plan.build(spec));
  }

  /**
   * A sizeless signal goes to every account that takes the strategy's signals, with the bar it was
   * given on: each account's risk role sizes it once that bar is matched there.
   */
  #signal(signal: Signal): void {
    const takers = this.#plan.signalAccounts(this.#spec.id);
    const mark = this.#mark;
    if (takers.length === 0 || mark === undefined || signal.symbol !== mark.symbol) {
      if (!this.#replaying)
        this.#logger.warn(
          { symbol: signal.symbol, direction: signal.direction },
          takers.length === 0
            ? "signal dropped: no account of the plan takes this strategy's signals (give one a sizing model)"
            : 'signal dropped: a fleet strategy signals on its own symbol, from onBar',
        );
      return;
    }
    const n = ++this.#signals;
    for (const accountId of takers) {
      this.#outbox.push({
        topic: fleetTopics.riskRequests(accountId),
        key: accountId,
        envelope: fleetEnvelope(
          'SignalEmitted',
          {
            accountId,
            signal: {
              strategyId: signal.strategyId,
              symbol: signal.symbol,
              direction: signal.direction,
              strength: signal.strength,
              ...(signal.stopDistance === undefined ? {} : { stopDistance: signal.stopDistance }),
              tsEvent: signal.tsEvent,
            },
            mark,
          },
          { id: `${accountId}:signal:${signal.strategyId}:${n}`, ts: this.#clock.now() },
        ),
      });
    }
  }

  /** The strategy's account book; a shared account's state is not known here. */
  #accountBook(accountId: string): AccountBook {
    if (this.#account === undefined || accountId !== this.#spec.accountId) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `account ${accountId}: in the fleet, a strategy's account() needs an account that strategy trades alone, or followAccount: true in the plan (${this.#spec.id})`,
      });
    }
    return this.#account;
  }

  /**
   * Runs `onStart`, rebuilds the strategy from its journal if it has one (replaying its bars and
   * deliveries, sending nothing), then subscribes to its events. Resolves to the first frame it has
   * not finished.
   */
  async start(frameOf: (seq: number) => Promise<BarFrame>): Promise<number> {
    const batches = this.#journal
      ? await this.#journal.read(`strategy:${this.#spec.id}`, StrategyEntrySchema)
      : [];
    this.#replaying = batches.length > 0;
    this.#host.start();
    this.#send(this.#barrier.afterBar(BEFORE_FIRST_BAR, this.#state(false)));
    let next = 0;
    if (this.#replaying) {
      this.#logger.info({ batches: batches.length }, 'rebuilding the strategy from its journal');
      const frames = new Map<number, BarFrame>();
      for (const batch of batches) {
        // Only the last batch's outputs may not have been sent: each earlier one was, before the next was journaled.
        this.#outbox = [];
        for (const entry of batch) {
          if (entry.kind === 'bar') {
            let frame = frames.get(entry.seq);
            if (frame === undefined) {
              frame = await frameOf(entry.seq);
              frames.clear();
              frames.set(entry.seq, frame);
            }
            this.#runBar(frame, entry.i);
          } else if (entry.kind === 'delivery') this.#handle(entry.message);
          else {
            this.#send(this.#barrier.flush());
            next = entry.seq + 1;
          }
        }
      }
      this.#replaying = false;
    }
    this.#subscription = await this.#bus.subscribe(
      fleetTopics.orderEvents(this.#spec.id),
      (message) => this.#onEvents(message),
      { group: fleetGroups.strategyEvents(this.#spec.id), handOver: STATEFUL },
    );
    await this.#flush();
    return next;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#host.stop();
    await this.#commits.settled();
  }

  /** Runs a frame's bars through the strategy, waiting for the order role's results where the barrier says so. */
  async runFrame(frame: BarFrame): Promise<void> {
    const bars = frame.bars;
    for (let i = 0; i < bars.length; i++) {
      // Run before this replica took the symbol over (rebuilt from the journal).
      if (frame.seq < this.#ran.seq || (frame.seq === this.#ran.seq && i <= this.#ran.i)) continue;
      const bar = bars[i] as Bar;
      if (!this.#barrier.canRun(bar)) this.stats.waited++;
      while (!this.#barrier.canRun(bar)) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
      this.#runBar(frame, i);
      this.stats.bars++;
      if (this.#outbox.length > 0) {
        const sent = this.#flush();
        // About to wait for the order role's answer: the command must be out (a failed publish throws
        // here rather than leave the strategy waiting for an answer that cannot come).
        if (this.#barrier.waiting) await sent;
      }
    }
    this.#send(this.#barrier.flush());
    this.#entries.push({ kind: 'frameDone', seq: frame.seq });
    this.#flush();
  }

  /**
   * Resolves once everything the strategy has run so far is journaled and sent (rejects if that
   * failed): the frames it ran may then be acknowledged to the bus.
   */
  sent(): Promise<void> {
    return this.#commits.settled();
  }

  #runBar(frame: BarFrame, i: number): void {
    const bar = frame.bars[i] as Bar;
    this.#clock.set(bar.ts);
    this.#mark = { symbol: bar.symbol, ts: bar.ts, price: bar.close };
    // As the engine: the bar's fills were applied (delivered before), then the account is marked with its close.
    this.#account?.mark(this.#plan.instrument(bar.symbol), bar.close, bar.ts);
    this.#host.onBar(bar);
    this.#ran = { seq: frame.seq, i };
    if (!this.#replaying) this.#entries.push({ kind: 'bar', seq: frame.seq, i });
    this.#send(this.#barrier.afterBar(bar.ts, this.#state(frame.last && i === frame.bars.length - 1)));
  }

  async #onEvents(message: BusEnvelope): Promise<void> {
    this.#handle(message);
    await this.#flush();
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * A strategy event's status for readers: written with the next commit. A replica's own stop says
   * nothing of the strategy (the next replica runs it on), so it is not written.
   */
  #statusChanged(event: StrategyEvent): void {
    if (this.#views === undefined || event.type === 'StrategyStopped') return;
    const status = event.type === 'StrategyFailed' ? 'failed' : this.#host.status(this.#spec.id);
    if (status === undefined) return;
    this.#viewOps = [
      strategyViewOp(this.#views.prefix, { strategyId: this.#spec.id, status, tsEvent: event.tsEvent }),
    ];
  }

  /** Hands a delivery's events to the strategy, or pauses or resumes it (once per message id). */
  #handle(message: unknown): void {
    const decoded = decodeFleetMessage(message, ['OrderEventsDelivered', 'SetStrategyRunning']);
    const { payload, envelope } = decoded;
    if (payload.strategyId !== this.#spec.id) {
      throw new RxtradeError({
        code: 'INVALID_MESSAGE',
        message: `${decoded.type} of ${payload.strategyId} reached ${this.#spec.id}`,
      });
    }
    // At-least-once: a delivery seen before is not handed to the strategy again.
    if (this.#delivered.has(envelope.id)) return;
    this.#delivered.add(envelope.id);
    if (this.#delivered.size > 100_000)
      this.#delivered.delete(this.#delivered.values().next().value as string);
    if (decoded.type === 'SetStrategyRunning') {
      const status = decoded.payload.running
        ? this.#host.resume(this.#spec.id)
        : this.#host.pause(this.#spec.id);
      if (!this.#replaying)
        this.#logger.info({ status, running: decoded.payload.running }, 'strategy paused or resumed');
      if (!this.#replaying) this.#entries.push({ kind: 'delivery', message: envelope });
      return;
    }
    const delivery = decoded.payload;
    if (delivery.matched) {
      // Fills of bar t are handled at bar t's time, before onBar(t), as in a backtest.
      this.#clock.set(delivery.matched.ts);
      this.#mark = delivery.matched;
    }
    // Orders the order role placed for the strategy (a bracket's exits): followed from their first event.
    const placed = delivery.placed && new Map(delivery.placed.map((p) => [p.clientOrderId, p]));
    // A strategy that follows a shared account books every fill of it; one alone books its own.
    for (const fill of delivery.accountFills ?? [])
      if (fill.type === 'OrderFilled')
        this.#account?.applyFill(fill, this.#plan.instrument(fill.instrumentId));
    for (const event of delivery.events) {
      const order = placed?.get(event.clientOrderId);
      if (order !== undefined && event.type === 'OrderSubmitted') this.#host.follow(order.request, order);
      if (event.type === 'OrderFilled' && !this.#follows)
        this.#account?.applyFill(event, this.#plan.instrument(event.instrumentId));
      this.#host.deliver(event);
    }
    if (delivery.matched) this.#barrier.matched(delivery.matched.ts);
    if (!this.#replaying) this.#entries.push({ kind: 'delivery', message: envelope });
  }

  #state(last: boolean): { commanded: boolean; working: boolean; last: boolean } {
    const state = { commanded: this.#commanded, working: this.#host.openOrderCount(this.#spec.id) > 0, last };
    this.#commanded = false;
    return state;
  }

  #command(accountId: string, envelope: BusEnvelope): void {
    this.#commanded = true;
    this.#outbox.push({ topic: fleetTopics.riskRequests(accountId), key: accountId, envelope });
  }

  /** An acknowledgement to every account whose order role waits for this strategy's bars. */
  #send(ack: AckToSend | undefined): void {
    if (ack === undefined) return;
    const { id: strategyId, symbol } = this.#spec;
    for (const accountId of this.#fed) {
      this.#outbox.push({
        topic: fleetTopics.riskRequests(accountId),
        key: accountId,
        envelope: fleetEnvelope(
          'BarsAcknowledged',
          { accountId, strategyId, symbol, ...ack },
          {
            id: `${accountId}:ack:${strategyId}:${ack.through}:${ack.waits ? 'w' : 'r'}`,
            ts: this.#clock.now(),
          },
        ),
      });
    }
  }

  /**
   * Asks for the inputs handled so far to be journaled (state before publish) and what they caused
   * published in order (commands before the acknowledgement that follows them); only then does the bus
   * hear the inputs were handled. Inputs handled while a commit runs go out together in the next one.
   */
  #flush(): Promise<void> {
    if (this.#replaying) return Promise.resolve();
    if (
      this.#outbox.length === 0 &&
      this.#viewOps.length === 0 &&
      (this.#entries.length === 0 || this.#journal === undefined)
    )
      return this.#commits.settled();
    return this.#commits.request();
  }

  /**
   * One commit, repeated until it goes through while the failure is transient (a journal write or a
   * publish that timed out, a connection gone): the strategy has run the bars, so dropping what they
   * caused would strand it — the frames' redelivery finds them run — and it waits meanwhile. Repeating
   * is safe: the journal record is written again under its own key, the messages again with their ids
   * (consumers drop duplicates).
   */
  async #commit(): Promise<void> {
    const batch = batchRuns(this.#outbox, isRiskRequests);
    const journal = this.#journal;
    const record = journal?.appendOp(`strategy:${this.#spec.id}`, this.#entries);
    const views = this.#views;
    const viewOps = this.#viewOps;
    this.#outbox = [];
    this.#entries = [];
    this.#viewOps = [];
    // The status goes with the journal record when both live in one store (one write).
    const along = views !== undefined && views.store === journal?.store ? viewOps : [];
    await untilDone(
      async () => {
        const ops = record === undefined ? along : [record, ...along];
        if (ops.length > 0) await journal?.store.apply({ ops });
        if (viewOps.length > 0 && along.length === 0) await views?.store.apply({ ops: viewOps });
        await publishInOrder(this.#bus, batch);
      },
      (error, attempt, delayMs) => {
        if (this.#stopping) throw error; // a stopping replica leaves the work to the next owner
        this.#logger.warn({ err: error, attempt, delayMs }, 'strategy commit failed; trying again');
      },
    );
  }
}

/** Most frames of one symbol the bus hands the role at once (run, then committed together). */
const MAX_FRAMES_PER_COMMIT = 100;

const RISK_REQUESTS_PREFIX = fleetTopics.riskRequests('_').slice(0, -1);
/** A strategy's commands and acknowledgements to risk travel in batches (risk unbatches them). */
const isRiskRequests = (topic: string): boolean => topic.startsWith(RISK_REQUESTS_PREFIX);

/** One input of a strategy, as journaled: a bar it ran, a delivery it handled, a frame it finished. */
const StrategyEntrySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('bar'),
    seq: z.number().int().nonnegative(),
    i: z.number().int().nonnegative(),
  }),
  z.object({ kind: z.literal('delivery'), message: z.unknown() }),
  z.object({ kind: z.literal('frameDone'), seq: z.number().int().nonnegative() }),
]);
type StrategyEntry = z.output<typeof StrategyEntrySchema>;
