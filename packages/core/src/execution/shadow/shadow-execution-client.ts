import type { Observable, Subscription } from 'rxjs';
import { defineInstrument, type Instrument, type InstrumentSpec } from '../../model/instrument';
import type { Bar } from '../../model/market-data';
import { type Order, snapshotOrder } from '../../model/order';
import { type Clock, systemClock } from '../../ports/clock';
import {
  type BarDrivenExecutionClient,
  type ExecutionClient,
  isBarDriven,
  isSyncExecution,
  type OrderAmendment,
  type VenueEvent,
} from '../../ports/execution-client';
import type { Logger } from '../../ports/logger';
import { SimulatedVenue, type SimulatedVenueOptions } from '../simulated-venue';
import type { ReconcilableExecutionClient } from '../venue-reports';
import { ShadowLedger } from './shadow-ledger';
import type { ShadowOrderReport, ShadowReport } from './shadow-report';

/** Options of {@link ShadowExecutionClient}. */
export interface ShadowExecutionOptions {
  /** The venue that really trades: a broker connector (live, testnet), or a paper venue. */
  readonly real: ExecutionClient;
  /** The instruments orders may trade (the simulated venue's, and their grids and quote currencies). */
  readonly instruments: Iterable<Instrument | InstrumentSpec>;
  /**
   * The simulated venue's settings: the assumptions of the backtest to compare with (slippage,
   * `maxVolumeShare`, currency precision). Default: a backtest's defaults (no slippage, fills whole).
   */
  readonly venue?: Omit<SimulatedVenueOptions, 'instruments' | 'clock'>;
  /** Stamps the document (`report().ts`). Default: the system clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A clock that is where it is told, back in time too: bars of several symbols come each at its own pace. */
class BarClock implements Clock {
  #now = 0;
  now(): number {
    return this.#now;
  }
  set(ts: number): void {
    this.#now = ts;
  }
}

/**
 * A shadow venue: an {@link ExecutionClient} that sends every order to the real client *and* to a
 * {@link SimulatedVenue} fed the same bars, and explains how they differ. The engine (or the fleet's
 * order role) trades through it as through the real client: its `events$` are the real client's,
 * untouched; the simulated venue's events go only to the comparison. The engine feeds it bars
 * (`processBar`, as for any bar-driven client); a bar-driven real client (paper) gets them first.
 *
 * Per order, once both venues are done with it, {@link reports$} emits a {@link ShadowOrderReport}:
 * simulated vs real fill price, time, quantity, fees, missed or extra fills, and the P&L difference
 * split into slippage, latency, fees, partial, missed and extra fills (exact decimal strings that
 * sum to the total). {@link report} returns the whole document; `renderShadowReport` draws it.
 *
 * `disconnect()` ends the comparison: orders still working are reported as they stand and
 * `reports$` completes.
 *
 * What reconciliation needs (`queryOrder`, `openOrders`, `fills`, `balances`, `positions`, `track`)
 * is the real client's, present when it has it, so a live client stays reconcilable behind a shadow.
 * Native OCO (`submitOco`) is not offered: the engine then emulates OCO pairs, and both venues get
 * the same two orders.
 *
 * @example
 * const shadow = new ShadowExecutionClient({ real: connector.execution, instruments });
 * const engine = createEngine({ instruments, execution: shadow, strategies: [strategy] });
 * shadow.reports$.subscribe((r) => console.log(r.clientOrderId, r.outcome, r.attribution.total));
 * // …
 * await engine.stop();
 * writeFileSync('shadow.json', JSON.stringify(shadow.report(), null, 2));
 */
export class ShadowExecutionClient implements BarDrivenExecutionClient {
  readonly venue: string;
  /** Hot, no replay: the real client's events, as they are. */
  readonly events$: Observable<VenueEvent>;
  /** Hot, no replay: one report per order as it settles; completes on `disconnect()`. */
  readonly reports$: Observable<ShadowOrderReport>;
  /** The simulated venue beside the real one (read it; orders reach it through this client). */
  readonly simulated: SimulatedVenue;
  /**
   * The client that really trades (read it; orders reach it through this client). The fleet's order
   * role looks at it to tell a live venue, whose calls it journals first, from a bar-driven one.
   */
  readonly real: ExecutionClient;
  readonly #real: ExecutionClient;
  readonly #realBars: BarDrivenExecutionClient | undefined;
  readonly #clock = new BarClock();
  readonly #ledger: ShadowLedger;
  readonly #instruments = new Map<string, Instrument>();
  #subscription: Subscription | undefined;
  #removeListener: (() => void) | undefined;

  /** Present when the real client can amend orders. */
  readonly modifyOrder?: (order: Order, amendment: OrderAmendment) => Promise<void>;
  /** The real client's (see `ExecutionClient.amendsUp`): a bracket's exits follow what the real venue can do. */
  readonly amendsUp?: boolean;
  /** Present when the real client has it. */
  readonly queryOrder?: ReconcilableExecutionClient['queryOrder'];
  /** Present when the real client has it. */
  readonly openOrders?: ReconcilableExecutionClient['openOrders'];
  /** Present when the real client has it: reconciliation reads the real venue, as without a shadow. */
  readonly fills?: ReconcilableExecutionClient['fills'];
  readonly balances?: ReconcilableExecutionClient['balances'];
  readonly positions?: ReconcilableExecutionClient['positions'];
  readonly track?: ReconcilableExecutionClient['track'];
  /** Present when the real client takes orders synchronously (a paper venue): keeps the engine's fast path. */
  readonly submitOrderSync?: (order: Order) => void;
  readonly cancelOrderSync?: (order: Order) => void;

  constructor(options: ShadowExecutionOptions) {
    const real = options.real;
    this.real = real;
    this.#real = real;
    this.venue = real.venue;
    this.events$ = real.events$;
    this.#realBars = isBarDriven(real) ? real : undefined;
    for (const i of options.instruments) {
      const instrument = 'tickUnits' in i ? i : defineInstrument(i);
      this.#instruments.set(instrument.id, instrument);
    }
    this.simulated = new SimulatedVenue({
      ...options.venue,
      venue: options.venue?.venue ?? 'SHADOW',
      instruments: this.#instruments.values(),
      clock: this.#clock,
    });
    this.#ledger = new ShadowLedger({
      instruments: this.#instruments,
      clock: options.clock ?? systemClock,
      venues: { real: real.venue, simulated: this.simulated.venue },
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.reports$ = this.#ledger.reports$;
    if (real.modifyOrder !== undefined) {
      const modify = real.modifyOrder.bind(real);
      this.modifyOrder = async (order, amendment) => {
        this.simulated.modifyOrderSync(order, amendment);
        await modify(order, amendment);
      };
    }
    if (real.amendsUp !== undefined) this.amendsUp = real.amendsUp;
    if (real.queryOrder !== undefined) this.queryOrder = real.queryOrder.bind(real);
    if (real.openOrders !== undefined) this.openOrders = real.openOrders.bind(real);
    const venue = real as Partial<ReconcilableExecutionClient>;
    if (venue.fills !== undefined) this.fills = venue.fills.bind(real);
    if (venue.balances !== undefined) this.balances = venue.balances.bind(real);
    if (venue.positions !== undefined) this.positions = venue.positions.bind(real);
    if (venue.track !== undefined) this.track = venue.track.bind(real);
    if (isSyncExecution(real)) {
      this.submitOrderSync = (order) => {
        this.#shadow(order);
        real.submitOrderSync(order);
      };
      this.cancelOrderSync = (order) => {
        this.simulated.cancelOrderSync(order);
        real.cancelOrderSync(order);
      };
    }
  }

  /** Adds an instrument after construction (a connector discovered it). */
  addInstrument(instrument: Instrument): void {
    this.#instruments.set(instrument.id, instrument);
    this.simulated.addInstrument(instrument);
  }

  async connect(): Promise<void> {
    if (this.#subscription === undefined) {
      this.#subscription = this.#real.events$.subscribe((event) => this.#ledger.realEvent(event));
      this.#removeListener = this.simulated.addEventListener((event) => this.#ledger.simulatedEvent(event));
    }
    await this.#real.connect();
  }

  /** Disconnects the real client and ends the comparison (see the class doc). Idempotent. */
  async disconnect(): Promise<void> {
    try {
      await this.#real.disconnect();
    } finally {
      this.#subscription?.unsubscribe();
      this.#removeListener?.();
      this.#ledger.finish();
    }
  }

  async submitOrder(order: Order): Promise<void> {
    this.#shadow(order);
    await this.#real.submitOrder(order);
  }

  async cancelOrder(order: Order): Promise<void> {
    this.simulated.cancelOrderSync(order);
    await this.#real.cancelOrder(order);
  }

  /** Hands the bar to a bar-driven real client, then to the simulated venue, then settles what it can. */
  processBar(bar: Bar): void {
    this.#ledger.bar(bar);
    if (this.#realBars !== undefined) {
      this.#ledger.matching(bar.ts);
      try {
        this.#realBars.processBar(bar);
      } finally {
        this.#ledger.matching(undefined);
      }
    }
    this.#clock.set(bar.ts);
    this.simulated.processBar(bar);
    this.#ledger.settle();
  }

  /** The document so far: every settled order, marked at each instrument's last close. */
  report(): ShadowReport {
    return this.#ledger.report();
  }

  #shadow(order: Order): void {
    // The simulated venue keeps what it is given: a copy, as the caller's record changes with real fills.
    const copy = snapshotOrder(order);
    this.#ledger.submitted(copy);
    this.simulated.submitOrderSync(copy);
  }
}
