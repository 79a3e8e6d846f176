import { Subject } from 'rxjs';
import { pow10, toUnitsExact } from '../../model/decimal';
import type { Instrument } from '../../model/instrument';
import type { Bar } from '../../model/market-data';
import { applyOrderEvent, isOpen, type Order } from '../../model/order';
import type { Fill } from '../../model/order-events';
import type { Clock } from '../../ports/clock';
import type { VenueEvent } from '../../ports/execution-client';
import { type Logger, noopLogger } from '../../ports/logger';
import { type Attribution, type AttributionLeg, attribute, sumAttributions } from './attribution';
import {
  formatAmount,
  formatAttribution,
  SHADOW_OUTCOMES,
  type ShadowOrderReport,
  type ShadowOutcome,
  type ShadowReport,
  type ShadowSideReport,
} from './shadow-report';

/** Most decimals a fill price, quantity or fee is read at beyond the instrument's own. */
const EXTRA_DECIMALS = 6;

/** Decimals `value` needs (at most `max`). */
function decimalsOf(value: number, max: number): number {
  for (let d = 0; d < max; d++) if (!Number.isNaN(toUnitsExact(value, d))) return d;
  return max;
}

/** `value` in units of 10^-precision (exact when it has at most that many decimals). */
const units = (value: number, precision: number): number => Math.round(value * pow10(precision));

/** One venue's view of one order: its state (through core's order reducer), fills and reject reason. */
interface Side {
  order: Order;
  readonly fills: Fill[];
  /** Per fill, the time that places it among the bars: the bar a bar-driven venue matched it on, else its tsEvent. */
  readonly at: number[];
  reason: string | undefined;
}

interface Entry {
  readonly order: Order;
  readonly instrument: Instrument;
  readonly simulated: Side;
  readonly real: Side;
}

/** A bar's time and open, per instrument, to place fills in the market's time. */
interface Windows {
  readonly ts: number[];
  readonly open: number[];
  /** Absolute index of ts[0] (older bars are dropped once no order needs them). */
  base: number;
  close: number;
  closeTs: number;
}

/** A fill placed in its bar. */
interface PlacedFill {
  readonly fill: Fill;
  readonly window: number;
  readonly windowOpen: number;
}

/** A settled order: what its report and attribution are built from, at any mark. */
interface Settled {
  readonly entry: Entry;
  readonly simulated: readonly PlacedFill[];
  readonly real: readonly PlacedFill[];
}

const sideOf = (order: Order): Side => ({ order, fills: [], at: [], reason: undefined });

/**
 * @internal The bookkeeping of a shadow venue: the orders sent, what each venue reported for them,
 * the bars, and the reports built from them. Plain synchronous code; {@link ShadowExecutionClient}
 * feeds it.
 */
export class ShadowLedger {
  readonly #instruments: ReadonlyMap<string, Instrument>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #venues: { readonly real: string; readonly simulated: string };
  readonly #pending = new Map<string, Entry>();
  readonly #settled: Settled[] = [];
  /** Client order ids of the settled orders, to tell a late fill from an event of an order never sent here. */
  readonly #settledIds = new Set<string>();
  readonly #windows = new Map<string, Windows>();
  readonly #reports = new Subject<ShadowOrderReport>();
  /** Hot, no replay: one report per order, as it settles. Completes on {@link finish}. */
  readonly reports$ = this.#reports.asObservable();
  #finished = false;
  /** The bar a bar-driven real venue is matching now (see {@link matching}). */
  #matching: number | undefined;

  constructor(options: {
    instruments: ReadonlyMap<string, Instrument>;
    clock: Clock;
    venues: { real: string; simulated: string };
    logger?: Logger;
  }) {
    this.#instruments = options.instruments;
    this.#clock = options.clock;
    this.#venues = options.venues;
    this.#logger = options.logger ?? noopLogger;
  }

  /** An order sent to both venues. Call before either venue hears of it. */
  submitted(order: Order): void {
    if (this.#finished || this.#pending.has(order.clientOrderId)) return;
    const instrument = this.#instruments.get(order.instrumentId);
    if (instrument === undefined) {
      this.#logger.warn({ clientOrderId: order.clientOrderId }, 'shadow: order for an unknown instrument');
      return;
    }
    let start = { ...order, tradeIds: [] as string[] } as Order;
    if (start.status === 'initialized') {
      start = applyOrderEvent(start, { type: 'OrderSubmitted', ...baseOf(order, order.tsInit) });
    }
    this.#pending.set(order.clientOrderId, {
      order: start,
      instrument,
      simulated: sideOf(start),
      real: sideOf(start),
    });
  }

  /** An event of the simulated venue. */
  simulatedEvent(event: VenueEvent): void {
    this.#apply('simulated', event);
  }

  /** An event of the real venue. */
  realEvent(event: VenueEvent): void {
    this.#apply('real', event);
    // A real fill after the last bar waits for the next one; anything else may settle now.
    const entry = this.#pending.get(event.clientOrderId);
    if (entry !== undefined) this.#trySettle(entry);
  }

  /** A bar, before the simulated venue matches it: it opens a window of market time. */
  bar(bar: Bar): void {
    let w = this.#windows.get(bar.symbol);
    if (w === undefined) {
      w = { ts: [], open: [], base: 0, close: bar.close, closeTs: bar.ts };
      this.#windows.set(bar.symbol, w);
    }
    const last = w.ts.length === 0 ? Number.NEGATIVE_INFINITY : (w.ts[w.ts.length - 1] as number);
    if (bar.ts > last) {
      w.ts.push(bar.ts);
      w.open.push(bar.open);
    } else if (bar.ts === last) w.open[w.open.length - 1] = bar.open;
    if (bar.ts >= w.closeTs) {
      w.close = bar.close;
      w.closeTs = bar.ts;
    }
  }

  /**
   * Marks the real venue's fills until the next call as made on the bar at `ts` (a bar-driven real
   * venue, e.g. paper trading, stamps them with its clock, which may be the wall clock, not the bar).
   * `undefined` ends it.
   */
  matching(ts: number | undefined): void {
    this.#matching = ts;
  }

  /** Settles what can be settled (call after the simulated venue matched a bar). */
  settle(): void {
    for (const entry of [...this.#pending.values()]) this.#trySettle(entry);
    this.#prune();
  }

  /** Settles every order as it stands, emits their reports and completes {@link reports$}. Idempotent. */
  finish(): void {
    if (this.#finished) return;
    for (const entry of [...this.#pending.values()]) this.#settle(entry);
    this.#finished = true;
    this.#reports.complete();
  }

  /** The document: every settled order, marked at each instrument's last close. */
  report(): ShadowReport {
    const orders: ShadowOrderReport[] = [];
    const byCurrency = new Map<string, Attribution[]>();
    const outcomes = Object.fromEntries(SHADOW_OUTCOMES.map((o) => [o, 0])) as Record<ShadowOutcome, number>;
    for (const settled of this.#settled) {
      const { report, attribution } = this.#build(settled);
      orders.push(report);
      outcomes[report.outcome]++;
      const list = byCurrency.get(report.currency) ?? [];
      list.push(attribution);
      byCurrency.set(report.currency, list);
    }
    const totals: Record<string, ReturnType<typeof formatAttribution>> = {};
    for (const [currency, list] of byCurrency) totals[currency] = formatAttribution(sumAttributions(list));
    return {
      v: 1,
      venues: { ...this.#venues },
      ts: this.#clock.now(),
      orders,
      pending: this.#pending.size,
      outcomes,
      totals,
    };
  }

  #apply(which: 'simulated' | 'real', event: VenueEvent): void {
    const entry = this.#pending.get(event.clientOrderId);
    if (entry === undefined) {
      if (event.type === 'OrderFilled' && this.#settledIds.has(event.clientOrderId)) {
        this.#logger.warn(
          { clientOrderId: event.clientOrderId, venue: which },
          'shadow: fill after the order was reported, not counted',
        );
      }
      return;
    }
    const side = entry[which];
    try {
      side.order = applyOrderEvent(side.order, event);
    } catch (error) {
      // A duplicate fill, or an event the order's state machine refuses: the order manager logs those too.
      this.#logger.debug({ err: error, venue: which, event }, 'shadow: event not applied');
      return;
    }
    if (event.type === 'OrderFilled') {
      side.fills.push(event);
      side.at.push(which === 'real' && this.#matching !== undefined ? this.#matching : event.tsEvent);
    } else if (event.type === 'OrderRejected') side.reason = event.reason;
  }

  #trySettle(entry: Entry): void {
    if (isOpen(entry.simulated.order) || isOpen(entry.real.order)) return;
    // Latency is measured in bars: wait until the bar after the last real fill has opened.
    const w = this.#windows.get(entry.order.instrumentId);
    const lastReal = Math.max(...entry.real.at);
    if (entry.real.fills.length > 0 && (w === undefined || lastReal >= (w.ts[w.ts.length - 1] ?? 0))) return;
    this.#settle(entry);
  }

  #settle(entry: Entry): void {
    this.#pending.delete(entry.order.clientOrderId);
    const w = this.#windows.get(entry.order.instrumentId);
    const placer =
      (side: Side) =>
      (fill: Fill, k: number): PlacedFill => {
        if (w === undefined || w.ts.length === 0) return { fill, window: 0, windowOpen: fill.lastPx };
        const i = Math.max(0, lastAtOrBefore(w.ts, side.at[k] as number));
        return { fill, window: w.base + i, windowOpen: w.open[i] as number };
      };
    const settled: Settled = {
      entry,
      simulated: entry.simulated.fills.map(placer(entry.simulated)),
      real: entry.real.fills.map(placer(entry.real)),
    };
    this.#settled.push(settled);
    this.#settledIds.add(entry.order.clientOrderId);
    this.#reports.next(this.#build(settled).report);
  }

  /** Drops bars no pending order can fall in any more (each instrument keeps its last bar). */
  #prune(): void {
    for (const [symbol, w] of this.#windows) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const entry of this.#pending.values()) {
        if (entry.order.instrumentId === symbol) oldest = Math.min(oldest, entry.order.tsInit);
      }
      const keepFrom = Math.min(Math.max(0, lastAtOrBefore(w.ts, oldest)), w.ts.length - 1);
      if (keepFrom > 0) {
        w.ts.splice(0, keepFrom);
        w.open.splice(0, keepFrom);
        w.base += keepFrom;
      }
    }
  }

  #build(settled: Settled): { report: ShadowOrderReport; attribution: Attribution } {
    const { entry } = settled;
    const { instrument, order } = entry;
    const w = this.#windows.get(order.instrumentId);
    const allFills = [...settled.simulated, ...settled.real];
    const mark = w === undefined ? (allFills[0]?.fill.lastPx ?? 0) : w.close;
    const markTs = w === undefined ? (allFills[0]?.fill.tsEvent ?? 0) : w.closeTs;
    // Read every price and quantity at a precision that holds it exactly (fills off the grid included).
    const pp = instrument.pricePrecision;
    const qp = instrument.quantityPrecision;
    const priceScale = Math.max(
      pp,
      decimalsOf(mark, pp + EXTRA_DECIMALS),
      ...allFills.map((p) =>
        Math.max(
          decimalsOf(p.fill.lastPx, pp + EXTRA_DECIMALS),
          decimalsOf(p.windowOpen, pp + EXTRA_DECIMALS),
        ),
      ),
    );
    const qtyScale = Math.max(qp, ...allFills.map((p) => decimalsOf(p.fill.lastQty, qp + EXTRA_DECIMALS)));
    const currency = instrument.quoteCurrency;
    const fees = (fills: readonly PlacedFill[]) => fills.filter((p) => p.fill.feeCurrency === currency);
    const feeScale = Math.max(2, ...fees(allFills).map((p) => decimalsOf(p.fill.fee, 12)));
    const feeSum = (fills: readonly PlacedFill[]): bigint =>
      fees(fills).reduce((n, p) => n + BigInt(units(p.fill.fee, feeScale)), 0n);
    const legs = (fills: readonly PlacedFill[]): AttributionLeg[] =>
      fills.map((p) => ({
        qty: units(p.fill.lastQty, qtyScale),
        px: units(p.fill.lastPx, priceScale),
        taker: p.fill.liquiditySide === 'taker',
        window: p.window,
        windowOpen: units(p.windowOpen, priceScale),
      }));
    const simulatedFees = feeSum(settled.simulated);
    const realFees = feeSum(settled.real);
    const attribution = attribute({
      side: order.side,
      pricePrecision: priceScale,
      quantityPrecision: qtyScale,
      simulated: legs(settled.simulated),
      real: legs(settled.real),
      simulatedFees,
      realFees,
      feeScale,
      mark: units(mark, priceScale),
    });
    const sim = sideReport(entry.simulated, formatAmount(simulatedFees, feeScale), currency);
    const real = sideReport(entry.real, formatAmount(realFees, feeScale), currency);
    const both = sim.avgPx !== null && real.avgPx !== null;
    const report: ShadowOrderReport = {
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      ...(order.price === undefined ? {} : { price: order.price }),
      ...(order.triggerPrice === undefined ? {} : { triggerPrice: order.triggerPrice }),
      tsInit: order.tsInit,
      outcome: outcomeOf(entry),
      simulated: sim,
      real,
      delayMs: both ? (real.firstFillTs as number) - (sim.firstFillTs as number) : null,
      priceDiffBps: both
        ? ((order.side === 'buy' ? 1 : -1) * ((real.avgPx as number) - (sim.avgPx as number)) * 10_000) /
            (sim.avgPx as number) +
          0 // not -0: the document is JSON
        : null,
      currency,
      mark: { px: mark, ts: markTs },
      attribution: formatAttribution(attribution),
    };
    return { report, attribution };
  }
}

/** Index of the last element ≤ t in an ascending array, or -1. */
function lastAtOrBefore(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function outcomeOf(entry: Entry): ShadowOutcome {
  const sim = entry.simulated.order.filledQty;
  const real = entry.real.order.filledQty;
  if (sim === 0) return real === 0 ? 'unfilled' : 'extra';
  if (real === 0) return 'missed';
  return sim === real ? 'matched' : 'partial';
}

function sideReport(side: Side, fees: string, currency: string): ShadowSideReport {
  const { order, fills } = side;
  const other: Record<string, number> = {};
  for (const f of fills)
    if (f.feeCurrency !== currency) other[f.feeCurrency] = (other[f.feeCurrency] ?? 0) + f.fee;
  return {
    status: order.status,
    filledQty: order.filledQty,
    avgPx: fills.length === 0 ? null : order.avgPx,
    firstFillTs: fills.length === 0 ? null : Math.min(...fills.map((f) => f.tsEvent)),
    lastFillTs: fills.length === 0 ? null : Math.max(...fills.map((f) => f.tsEvent)),
    fills: fills.length,
    fees,
    ...(Object.keys(other).length === 0 ? {} : { otherFees: other }),
    ...(side.reason === undefined ? {} : { reason: side.reason }),
  };
}

function baseOf(order: Order, ts: number) {
  return {
    clientOrderId: order.clientOrderId,
    accountId: order.accountId,
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    tsEvent: ts,
  };
}
