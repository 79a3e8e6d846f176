import { Subject } from 'rxjs';
import { BoundedFifo } from '../engine/bounded-fifo';
import { RxtradeError } from '../errors';
import { fromUnits, pow10, toUnitsExact } from '../model/decimal';
import { type Instrument, priceToUnits } from '../model/instrument';
import type { Bar, Tick } from '../model/market-data';
import { feeMinorUnits, notionalMinorUnits } from '../model/money';
import type { LiquiditySide, Order } from '../model/order';
import type { OrderEventBase, OrderUpdated } from '../model/order-events';
import {
  checkOrderGrid,
  MAX_NOTIONAL_UNITS,
  type OrderGridOptions,
  type OrderGridReason,
} from '../model/order-grid';
import type { Clock } from '../ports/clock';
import type {
  BarDrivenExecutionClient,
  EventListenerSource,
  OrderAmendment,
  OrderStatusReport,
  SyncExecutionClient,
  VenueEvent,
} from '../ports/execution-client';

/** Slippage applied against the trader on market and stop fills (limit fills never slip past their price). */
export type SlippageModel =
  | { readonly type: 'none' }
  | { readonly type: 'ticks'; readonly ticks: number }
  | { readonly type: 'bps'; readonly bps: number };

/**
 * Why the simulated venue rejects an order (`OrderRejected.reason`): off its instrument's grid
 * (checked here again, whatever the caller checked), an unknown instrument, a post-only limit that
 * would take, or a fill whose notional would leave exact range.
 */
export type SimulatedVenueRejectReason = OrderGridReason | 'UNKNOWN_INSTRUMENT' | 'POST_ONLY_WOULD_TAKE';

export interface SimulatedVenueOptions {
  readonly instruments: Iterable<Instrument>;
  readonly clock: Clock;
  /** Venue name, used in ids. Default `SIM`. */
  readonly venue?: string;
  /** Default none. */
  readonly slippage?: SlippageModel;
  /**
   * Largest share of a bar's volume that orders on that bar may fill, 0 < share ≤ 1. Unset: volume
   * is ignored and orders fill whole. Set: the rest stays working for later bars (partial fills).
   */
  readonly maxVolumeShare?: number;
  /** Decimals of the quote currency's minor unit, for fees. Default 2. */
  readonly currencyPrecision?: number;
  /**
   * Finished orders remembered for `queryOrder` and for ignoring a resent clientOrderId.
   * Default 10,000 (oldest forgotten first), which bounds memory over long backtests.
   */
  readonly rememberFinishedOrders?: number;
}

interface Working {
  order: Order;
  instrument: Instrument;
  remaining: number; // quantity units
  triggered: boolean;
  evaluated: boolean;
  day: number; // UTC day of first evaluation, for DAY orders
  venueOrderId: string;
  status: OrderStatusReport['status'];
  /** The venue-side position this order trades (its account's, in its instrument), looked up once. */
  position: PositionCell;
  /** A trailing stop's moving prices; undefined for every other order. */
  trail: Trail | undefined;
}

/** A venue-side position in quantity units, shared by the orders of one account and instrument. */
interface PositionCell {
  units: number;
}

/** A trailing stop's state, in price units: where it triggers now, and its limit (stop-limit). */
interface Trail {
  trigger: number;
  limit: number;
  /** Distance in price units (trailingAmount), or 0 when it trails by percent. */
  readonly amount: number;
  /** Distance in percent (trailingPercent), or 0 when it trails by amount. */
  readonly percent: number;
  /** A buy stop trails above the price (it follows the lows), a sell stop below (the highs). */
  readonly buy: boolean;
  readonly tickUnits: number;
}

/** Still working: not yet filled, canceled, expired or rejected (no map lookup per bar). */
const isWorking = (w: Working): boolean => w.status === 'accepted' || w.status === 'partiallyFilled';

const DAY_MS = 86_400_000;
/** #matchBar's "no fill on this bar" (prices in units are always positive). */
const NO_MATCH = -1;

/**
 * A simulated venue (paper broker). The fill model, applied per bar in submission order:
 *
 * - Orders submitted while bar N is processed are first matched against bar N+1 (no look-ahead).
 * - Intrabar path: open → low → high → close when close ≥ open, else open → high → low → close.
 * - Market: fills at the open (taker), plus slippage.
 * - Limit: fills at the open if the open is at or through the limit (taker on its first bar, maker
 *   after), else at the limit if the path reaches it (maker). Post-only limits that would fill at
 *   their first open are rejected (`POST_ONLY_WOULD_TAKE`).
 * - Stop: triggers when the path reaches the trigger; fills at the trigger, or at the open when
 *   the bar gaps through it (taker), plus slippage.
 * - Stop-limit: triggers like a stop, then works as a limit on the rest of the path.
 * - Trailing stop (a stop or stop-limit with `trailingAmount` or `trailingPercent`): walks the path
 *   point by point. A point at or through the trigger triggers it (at the open: fills at the open;
 *   later: at the trigger); any other point moves the trigger (and a stop-limit's limit, by the same
 *   amount) toward the price, to the point's distance, and never back. Percent distances round
 *   away from the price, to the tick. Once triggered it works like a plain stop or stop-limit.
 * - Partial fills: with `maxVolumeShare`, all orders on a bar share at most that part of its volume.
 * - IOC fills what it can on its first bar and cancels the rest; FOK fills whole on its first bar or
 *   is canceled; DAY expires at the first bar of a later UTC day than its first bar; GTD expires at
 *   the first bar that opens at or after its `expireTime`; GTC works until canceled.
 * - Amendments (`modifyOrderSync`) apply at once: the rest of the order works at the new quantity
 *   and prices from the next bar (a trailing stop's amended trigger restarts its trail there). Reduce-only fills never increase the position at this venue; the excess is canceled.
 * - Fees: maker/taker rate of the instrument × notional, rounded half-even to the minor unit once.
 *
 * On ticks (`processTick`), market orders fill at the ask (buy) or bid (sell), else the last price.
 */
export class SimulatedVenue implements BarDrivenExecutionClient, SyncExecutionClient, EventListenerSource {
  readonly venue: string;
  readonly #events = new Subject<VenueEvent>();
  /** Hot, no replay: venue events, emitted synchronously while the venue is called. */
  readonly events$ = this.#events.asObservable();
  /** Plain listeners (the engine's): called before `events$`, without RxJS's per-event layers. */
  #listeners: readonly ((event: VenueEvent) => void)[] = [];
  readonly #instruments = new Map<string, Instrument>();
  readonly #clock: Clock;
  readonly #slippage: SlippageModel;
  readonly #maxVolumeShare: number | undefined;
  readonly #currencyPrecision: number;
  /** The grid check's options, built once: the venue checks every order it is sent. */
  readonly #gridOptions: OrderGridOptions;
  readonly #working = new Map<string, Working[]>();
  readonly #byId = new Map<string, Working>();
  /** Venue-side positions by account, then instrument: two lookups per order, none per fill. */
  readonly #positions = new Map<string, Map<string, PositionCell>>();
  /** Finished orders, most recent last, for queries and resend detection (bounded). */
  readonly #finished = new Map<string, Working>();
  readonly #finishedOrder: BoundedFifo<string>;
  readonly #rememberNone: boolean;
  #orderSeq = 0;
  #tradeSeq = 0;

  constructor(options: SimulatedVenueOptions) {
    this.venue = options.venue ?? 'SIM';
    for (const instrument of options.instruments) this.#instruments.set(instrument.id, instrument);
    this.#clock = options.clock;
    this.#slippage = options.slippage ?? { type: 'none' };
    const share = options.maxVolumeShare;
    if (share !== undefined && !(share > 0 && share <= 1)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `maxVolumeShare must be in (0, 1], got ${share}`,
      });
    }
    this.#maxVolumeShare = share;
    this.#currencyPrecision = options.currencyPrecision ?? 2;
    this.#gridOptions = { currencyPrecision: this.#currencyPrecision };
    this.#finishedOrder = new BoundedFifo(options.rememberFinishedOrders ?? 10_000);
    this.#rememberNone = options.rememberFinishedOrders === 0;
  }

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {}

  /** Adds an instrument after construction (paper trading discovers them from a connector). */
  addInstrument(instrument: Instrument): void {
    this.#instruments.set(instrument.id, instrument);
  }

  async submitOrder(order: Order): Promise<void> {
    this.submitOrderSync(order);
  }

  /** The synchronous form the backtest engine calls (see {@link SyncExecutionClient}). */
  submitOrderSync(order: Order): void {
    const instrument = this.#instruments.get(order.instrumentId);
    if (!instrument) {
      this.#emitRejected(order, 'UNKNOWN_INSTRUMENT', `${order.instrumentId} is not traded at ${this.venue}`);
      return;
    }
    if (this.#byId.has(order.clientOrderId) || this.#finished.has(order.clientOrderId)) {
      // Idempotent on clientOrderId: a resend of a known order is ignored, not duplicated.
      return;
    }
    // Never trust the caller: one order off the grid (0.5 of a whole share) would otherwise work
    // with a NaN quantity and share its NaN with every order matched on the same bar.
    const problem = checkOrderGrid(instrument, order, this.#gridOptions);
    if (problem) {
      this.#emitRejected(order, problem.reason, problem.message);
      return;
    }
    const remaining = toUnitsExact(order.leavesQty, instrument.quantityPrecision);
    const venueOrderId = `${this.venue}-${++this.#orderSeq}`;
    const working: Working = {
      order,
      instrument,
      remaining,
      triggered: false,
      evaluated: false,
      day: 0,
      venueOrderId,
      status: 'accepted',
      position: this.#positionCell(order.accountId, order.instrumentId),
      trail: trailOf(order, instrument),
    };
    this.#byId.set(order.clientOrderId, working);
    let list = this.#working.get(order.instrumentId);
    if (!list) {
      list = [];
      this.#working.set(order.instrumentId, list);
    }
    list.push(working);
    this.#emit({
      type: 'OrderAccepted',
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: this.#clock.now(),
      venueOrderId,
    });
  }

  async cancelOrder(order: Order): Promise<void> {
    this.cancelOrderSync(order);
  }

  cancelOrderSync(order: Order): void {
    const working = this.#byId.get(order.clientOrderId);
    if (!working) {
      this.#emit({ type: 'OrderCancelRejected', ...this.#base(order), reason: 'ORDER_NOT_WORKING' });
      return;
    }
    this.#remove(working);
    this.#report(working, 'canceled');
    this.#emitPlain('OrderCanceled', order);
  }

  async modifyOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    this.modifyOrderSync(order, amendment);
  }

  modifyOrderSync(order: Order, amendment: OrderAmendment): void {
    const w = this.#byId.get(order.clientOrderId);
    if (!w) {
      this.#emit({ type: 'OrderModifyRejected', ...this.#base(order), reason: 'ORDER_NOT_WORKING' });
      return;
    }
    const current = w.order;
    const qp = w.instrument.quantityPrecision;
    const quantity = amendment.quantity ?? current.quantity;
    const filledUnits = toUnitsExact(current.quantity, qp) - w.remaining;
    const amended: Order = {
      ...current,
      quantity,
      leavesQty: quantity,
      price: amendment.price ?? current.price,
      triggerPrice: amendment.triggerPrice ?? current.triggerPrice,
    };
    const reject = (reason: string): void =>
      this.#emit({ type: 'OrderModifyRejected', ...this.#base(order), reason });
    if (
      (amendment.price !== undefined && current.price === undefined) ||
      (amendment.triggerPrice !== undefined && current.triggerPrice === undefined)
    ) {
      reject('INVALID_AMENDMENT');
      return;
    }
    const problem = checkOrderGrid(w.instrument, amended, this.#gridOptions);
    if (problem) {
      reject(problem.reason);
      return;
    }
    const totalUnits = toUnitsExact(quantity, qp);
    if (!(totalUnits > filledUnits)) {
      reject('QUANTITY_NOT_ABOVE_FILLED');
      return;
    }
    w.order = amended;
    w.remaining = totalUnits - filledUnits;
    if (w.trail !== undefined) w.trail = trailOf(amended, w.instrument);
    const event: OrderUpdated = { type: 'OrderUpdated', ...this.#base(order), quantity };
    this.#emit(
      amendment.price === undefined && amendment.triggerPrice === undefined
        ? event
        : { ...event, price: amended.price, triggerPrice: amended.triggerPrice },
    );
  }

  async queryOrder(clientOrderId: string): Promise<OrderStatusReport | undefined> {
    const w = this.#byId.get(clientOrderId) ?? this.#finished.get(clientOrderId);
    return w && this.#toReport(w);
  }

  async openOrders(): Promise<readonly OrderStatusReport[]> {
    return [...this.#byId.values()].map((w) => this.#toReport(w));
  }

  /** Orders still working at this venue. */
  get workingCount(): number {
    return this.#byId.size;
  }

  /** Adds a synchronous listener for every event (see `EventListenerSource`); returns its remover. */
  addEventListener(listener: (event: VenueEvent) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  #emit(event: VenueEvent): void {
    // A listener added or removed while emitting takes effect from the next event (copy on write).
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as (event: VenueEvent) => void)(event);
    if (this.#events.observed) this.#events.next(event);
  }

  processBar(bar: Bar): void {
    if (this.#byId.size === 0) return;
    const list = this.#working.get(bar.symbol);
    if (list === undefined || list.length === 0) return;
    const day = Math.floor(bar.ts / DAY_MS);
    let volumeLeft = this.#volumeCap((list[0] as Working).instrument, bar.volume);
    // Orders submitted by reactions to these fills wait for the next bar: work on a snapshot (no
    // copy in the common case of a single working order).
    if (list.length === 1) {
      this.#barDay = day;
      this.#processOnBar(list[0] as Working, bar, volumeLeft);
      return;
    }
    this.#barDay = day;
    for (const w of list.slice()) volumeLeft -= this.#processOnBar(w, bar, volumeLeft);
  }

  /** Expires or matches one working order on a bar; returns the quantity units filled. */
  #processOnBar(w: Working, bar: Bar, volumeLeft: number): number {
    const day = this.#barDay;
    if (!isWorking(w)) return 0;
    const first = !w.evaluated;
    if (first) {
      w.evaluated = true;
      w.day = day;
    } else if (w.order.timeInForce === 'DAY' && day > w.day) {
      this.#expire(w);
      return 0;
    }
    if (w.order.timeInForce === 'GTD' && bar.ts >= (w.order.expireTime as number)) {
      this.#expire(w);
      return 0;
    }
    const px = this.#matchBar(w, bar, first);
    // `!(px > 0)`, not `=== NO_MATCH`: a bar with a NaN or non-positive price matches nothing.
    if (!(px > 0)) {
      if (first && (w.order.timeInForce === 'IOC' || w.order.timeInForce === 'FOK')) this.#cancelRest(w);
      return 0;
    }
    return this.#fill(w, { px, volumeLeft, first });
  }

  /** Matches working orders against one trade/quote. */
  processTick(tick: Tick): void {
    const list = this.#working.get(tick.symbol);
    if (list === undefined || list.length === 0) return;
    for (const w of list.slice()) {
      if (!isWorking(w)) continue;
      const first = !w.evaluated;
      w.evaluated = true;
      const o = w.order;
      const buy = o.side === 'buy';
      const quote = buy ? (tick.ask ?? tick.price) : (tick.bid ?? tick.price);
      const bar = {
        symbol: tick.symbol,
        ts: tick.ts,
        open: quote,
        high: quote,
        low: quote,
        close: quote,
        volume: tick.size,
      };
      const px = this.#matchBar(w, bar, first);
      if (!(px > 0)) {
        if (first && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK')) this.#cancelRest(w);
        continue;
      }
      this.#fill(w, { px, volumeLeft: this.#volumeCap(w.instrument, tick.size), first });
    }
  }

  #volumeCap(instrument: Instrument, volume: number): number {
    if (this.#maxVolumeShare === undefined) return Number.POSITIVE_INFINITY;
    const raw = volume * this.#maxVolumeShare * pow10(instrument.quantityPrecision);
    // Shave float noise first: 100 × 0.29 is 28.999999999999996, and the cap is 29.
    const units = Math.floor(raw + Math.abs(raw) * 1e-12);
    return units - (units % instrument.lotUnits);
  }

  /** UTC day of the bar being processed. */
  #barDay = 0;

  /** Liquidity side of the price #matchBar returned last (avoids allocating a result object per match). */
  #liquidity: LiquiditySide = 'taker';

  /** The fill price in price units, or NO_MATCH when the order does not trade on this bar. */
  #matchBar(w: Working, bar: Bar, first: boolean): number {
    const o = w.order;
    const buy = o.side === 'buy';
    const instrument = w.instrument;
    switch (o.type) {
      case 'market':
        this.#liquidity = 'taker';
        return this.#slip(priceToUnits(instrument, bar.open), buy, instrument);
      case 'limit': {
        const limit = priceToUnits(instrument, o.price as number);
        const open = priceToUnits(instrument, bar.open);
        if (buy ? open <= limit : open >= limit) {
          if (first && o.postOnly) {
            this.#rejectPostOnly(w);
            return NO_MATCH;
          }
          this.#liquidity = first ? 'taker' : 'maker';
          return open;
        }
        const reached = buy
          ? priceToUnits(instrument, bar.low) <= limit
          : priceToUnits(instrument, bar.high) >= limit;
        this.#liquidity = 'maker';
        return reached ? limit : NO_MATCH;
      }
      case 'stop': {
        if (w.trail !== undefined && !w.triggered) return this.#matchTrailingStop(w, w.trail, bar);
        const trigger = priceToUnits(instrument, o.triggerPrice as number);
        const open = priceToUnits(instrument, bar.open);
        this.#liquidity = 'taker';
        // Triggered on an earlier bar (the fill was cut short by volume): the rest is a market order.
        if (w.triggered || (buy ? open >= trigger : open <= trigger)) {
          w.triggered = true;
          return this.#slip(open, buy, instrument);
        }
        const reached = buy
          ? priceToUnits(instrument, bar.high) >= trigger
          : priceToUnits(instrument, bar.low) <= trigger;
        if (!reached) return NO_MATCH;
        w.triggered = true;
        return this.#slip(trigger, buy, instrument);
      }
      case 'stopLimit':
        return this.#matchStopLimit(w, bar);
    }
  }

  #matchStopLimit(w: Working, bar: Bar): number {
    const o = w.order;
    const buy = o.side === 'buy';
    const instrument = w.instrument;
    const trail = w.trail;
    const path =
      bar.close >= bar.open
        ? [bar.open, bar.low, bar.high, bar.close]
        : [bar.open, bar.high, bar.low, bar.close];
    let start = 0;
    let from = priceToUnits(instrument, path[0] as number);
    if (!w.triggered) {
      const index = this.#walkToTrigger(w, path);
      if (index < 0) return NO_MATCH;
      const triggeredAt = index === 0 ? from : this.#triggeredAt;
      start = index;
      w.triggered = true;
      this.#emitPlain('OrderTriggered', o);
      const limit = trail === undefined ? priceToUnits(instrument, o.price as number) : trail.limit;
      if (buy ? triggeredAt <= limit : triggeredAt >= limit) {
        this.#liquidity = 'taker';
        return triggeredAt;
      }
      from = triggeredAt;
    } else {
      // Already triggered on an earlier bar: a resting limit.
      const limit = trail === undefined ? priceToUnits(instrument, o.price as number) : trail.limit;
      if (buy ? from <= limit : from >= limit) {
        this.#liquidity = 'maker';
        return from;
      }
    }
    const limit = trail === undefined ? priceToUnits(instrument, o.price as number) : trail.limit;
    for (let i = start + 1; i < path.length; i++) {
      const to = priceToUnits(instrument, path[i] as number);
      if (buy ? Math.min(from, to) <= limit : Math.max(from, to) >= limit) {
        this.#liquidity = 'maker';
        return limit;
      }
      from = to;
    }
    return NO_MATCH;
  }

  /** The trigger price (units) #walkToTrigger found, when it is not the open. */
  #triggeredAt = 0;

  /**
   * Walks a bar's path until a stop's trigger is reached, ratcheting a trailing stop on the way;
   * returns the index of the point that reached it (0: the open gapped through), or -1.
   */
  #walkToTrigger(w: Working, path: readonly number[]): number {
    const buy = w.order.side === 'buy';
    const instrument = w.instrument;
    const trail = w.trail;
    for (let i = 0; i < path.length; i++) {
      const px = priceToUnits(instrument, path[i] as number);
      const trigger =
        trail === undefined ? priceToUnits(instrument, w.order.triggerPrice as number) : trail.trigger;
      if (buy ? px >= trigger : px <= trigger) {
        this.#triggeredAt = trigger;
        return i;
      }
      if (trail !== undefined) ratchet(trail, px);
    }
    return -1;
  }

  /** An untriggered trailing stop on one bar: the fill price in units, or NO_MATCH. */
  #matchTrailingStop(w: Working, trail: Trail, bar: Bar): number {
    const path =
      bar.close >= bar.open
        ? [bar.open, bar.low, bar.high, bar.close]
        : [bar.open, bar.high, bar.low, bar.close];
    const index = this.#walkToTrigger(w, path);
    if (index < 0) return NO_MATCH;
    w.triggered = true;
    this.#liquidity = 'taker';
    const buy = w.order.side === 'buy';
    const at = index === 0 ? priceToUnits(w.instrument, bar.open) : trail.trigger;
    return this.#slip(at, buy, w.instrument);
  }

  #slip(pxUnits: number, buy: boolean, instrument: Instrument): number {
    const s = this.#slippage;
    switch (s.type) {
      case 'none':
        return pxUnits;
      case 'ticks':
        return pxUnits + (buy ? 1 : -1) * s.ticks * instrument.tickUnits;
      case 'bps': {
        const raw = (pxUnits * (buy ? 10_000 + s.bps : 10_000 - s.bps)) / 10_000;
        const ticks = buy
          ? Math.ceil(raw / instrument.tickUnits - 1e-9)
          : Math.floor(raw / instrument.tickUnits + 1e-9);
        return Math.max(instrument.tickUnits, ticks * instrument.tickUnits);
      }
    }
  }

  /** Fills as much as volume, FOK and reduce-only allow; returns the quantity units used. */
  #fill(w: Working, at: { px: number; volumeLeft: number; first: boolean }): number {
    const { px, volumeLeft, first } = at;
    const o = w.order;
    const tif = o.timeInForce;
    let qty = Math.min(w.remaining, volumeLeft);
    const position = w.position.units;
    const sign = o.side === 'buy' ? 1 : -1;
    if (o.reduceOnly) {
      const reducible = Math.sign(position) === -sign ? Math.abs(position) : 0;
      qty = Math.min(qty, reducible);
    }
    if (tif === 'FOK' && qty < w.remaining) {
      this.#cancelRest(w);
      return 0;
    }
    // `!(qty > 0)`: a bar with a NaN volume fills nothing.
    if (!(qty > 0)) {
      if (o.reduceOnly || (first && tif === 'IOC')) this.#cancelRest(w);
      return 0;
    }
    const instrument = w.instrument;
    if (!this.#notionalInRange(instrument, px, qty)) {
      this.#refuseOutOfRange(w, px, qty);
      return 0;
    }
    const liquiditySide = this.#liquidity;
    const feeUnits = feeMinorUnits(
      instrument,
      {
        pxUnits: px,
        qtyUnits: qty,
        rateUnits: liquiditySide === 'maker' ? instrument.makerFeeUnits : instrument.takerFeeUnits,
      },
      this.#currencyPrecision,
    );
    w.remaining -= qty;
    w.position.units = position + sign * qty;
    const done = w.remaining === 0;
    if (done) this.#remove(w);
    this.#report(w, done ? 'filled' : 'partiallyFilled');
    this.#emit({
      type: 'OrderFilled',
      clientOrderId: o.clientOrderId,
      accountId: o.accountId,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      tsEvent: this.#clock.now(),
      venueOrderId: w.venueOrderId,
      tradeId: `${this.venue}-T${++this.#tradeSeq}`,
      side: o.side,
      lastQty: fromUnits(qty, instrument.quantityPrecision),
      lastPx: fromUnits(px, instrument.pricePrecision),
      fee: fromUnits(feeUnits, this.#currencyPrecision),
      feeCurrency: instrument.quoteCurrency,
      liquiditySide,
    });
    // IOC never rests; a reduce-only order has nothing left to reduce once the position is flat.
    if (!done && (tif === 'IOC' || (o.reduceOnly && position + sign * qty === 0))) this.#cancelRest(w);
    return qty;
  }

  /** True when the fill's notional stays within {@link MAX_NOTIONAL_UNITS} (a market order priced at fill time). */
  #notionalInRange(instrument: Instrument, px: number, qty: number): boolean {
    // The common case without BigInt: a product within 2^49 units bounds the notional already.
    const product = px * qty;
    if (
      product <= MAX_NOTIONAL_UNITS &&
      instrument.pricePrecision + instrument.quantityPrecision >= this.#currencyPrecision
    ) {
      return true;
    }
    if (!Number.isSafeInteger(px) || !Number.isSafeInteger(qty)) return false;
    try {
      return (
        Math.abs(notionalMinorUnits(instrument, { pxUnits: px, qtyUnits: qty }, this.#currencyPrecision)) <=
        MAX_NOTIONAL_UNITS
      );
    } catch {
      return false;
    }
  }

  /**
   * An order whose fill would leave exact range: rejected before its first fill (and before a
   * stop-limit's trigger, after which a rejection is no legal transition), else its rest canceled.
   */
  #refuseOutOfRange(w: Working, px: number, qty: number): void {
    if (w.status === 'accepted' && !(w.triggered && w.order.type === 'stopLimit')) {
      this.#remove(w);
      this.#report(w, 'rejected');
      const instrument = w.instrument;
      this.#emitRejected(
        w.order,
        'AMOUNT_OUT_OF_RANGE',
        `AMOUNT_OUT_OF_RANGE: ${fromUnits(qty, instrument.quantityPrecision)} at ${fromUnits(px, instrument.pricePrecision)} is too large to hold exactly`,
      );
    } else this.#cancelRest(w);
  }

  #cancelRest(w: Working): void {
    if (!isWorking(w)) return;
    this.#remove(w);
    this.#report(w, 'canceled');
    this.#emitPlain('OrderCanceled', w.order);
  }

  #expire(w: Working): void {
    this.#remove(w);
    this.#report(w, 'expired');
    this.#emitPlain('OrderExpired', w.order);
  }

  #rejectPostOnly(w: Working): void {
    this.#remove(w);
    this.#report(w, 'rejected');
    this.#emitRejected(w.order, 'POST_ONLY_WOULD_TAKE', 'post-only limit order would have taken liquidity');
  }

  #emitRejected(order: Order, reason: SimulatedVenueRejectReason, message: string): void {
    this.#emit({ type: 'OrderRejected', ...this.#base(order), reason, message });
  }

  #positionCell(accountId: string, instrumentId: string): PositionCell {
    let byInstrument = this.#positions.get(accountId);
    if (byInstrument === undefined) {
      byInstrument = new Map();
      this.#positions.set(accountId, byInstrument);
    }
    let cell = byInstrument.get(instrumentId);
    if (cell === undefined) {
      cell = { units: 0 };
      byInstrument.set(instrumentId, cell);
    }
    return cell;
  }

  #remove(w: Working): void {
    this.#byId.delete(w.order.clientOrderId);
    const list = this.#working.get(w.order.instrumentId);
    if (list === undefined) return;
    const index = list.indexOf(w);
    if (index < 0) return;
    // Shift the later orders down by hand: splice would allocate an array of the removed one.
    for (let i = index + 1; i < list.length; i++) list[i - 1] = list[i] as Working;
    list.pop();
  }

  #report(w: Working, status: OrderStatusReport['status']): void {
    w.status = status;
    if (status === 'partiallyFilled' || this.#rememberNone) return;
    this.#finished.set(w.order.clientOrderId, w);
    const forgotten = this.#finishedOrder.push(w.order.clientOrderId);
    if (forgotten !== undefined) this.#finished.delete(forgotten);
  }

  #toReport(w: Working): OrderStatusReport {
    const qp = w.instrument.quantityPrecision;
    return {
      clientOrderId: w.order.clientOrderId,
      venueOrderId: w.venueOrderId,
      instrumentId: w.order.instrumentId,
      status: w.status,
      quantity: w.order.quantity,
      filledQty: fromUnits(toUnitsExact(w.order.quantity, qp) - w.remaining, qp),
    };
  }

  /**
   * An event with no field beyond the base ones, built field by field (no spread of {@link #base}):
   * cancels, expiries and triggers happen on most bars of an order-heavy backtest.
   */
  #emitPlain(type: 'OrderCanceled' | 'OrderExpired' | 'OrderTriggered', order: Order): void {
    this.#emit({
      type,
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: this.#clock.now(),
    });
  }

  #base(order: Order): OrderEventBase {
    return {
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: this.#clock.now(),
    };
  }
}

/** The trailing state of a trailing stop or stop-limit, from its (grid-checked) prices. */
function trailOf(order: Order, instrument: Instrument): Trail | undefined {
  const amount = order.trailingAmount;
  const percent = order.trailingPercent;
  if (amount === undefined && percent === undefined) return undefined;
  const trigger = priceToUnits(instrument, order.triggerPrice as number);
  return {
    trigger,
    limit: order.price === undefined ? 0 : priceToUnits(instrument, order.price),
    amount: amount === undefined ? 0 : priceToUnits(instrument, amount),
    percent: percent ?? 0,
    buy: order.side === 'buy',
    tickUnits: instrument.tickUnits,
  };
}

/**
 * Moves a trailing stop toward a price it did not trigger at: to `px` less its distance (sell) or
 * plus it (buy), if that is nearer the price than where it is; never away. The limit moves with it.
 */
function ratchet(trail: Trail, px: number): void {
  const { buy, tickUnits } = trail;
  let next: number;
  if (trail.percent === 0) next = buy ? px + trail.amount : px - trail.amount;
  else {
    // Away from the price to the tick, with float noise shaved first (100.00 × 0.98 is 97.99999…).
    const raw = (px * (buy ? 100 + trail.percent : 100 - trail.percent)) / 100 / tickUnits;
    next = (buy ? Math.ceil(raw - 1e-9) : Math.floor(raw + 1e-9)) * tickUnits;
  }
  if (buy ? next < trail.trigger : next > trail.trigger) {
    trail.limit += next - trail.trigger;
    trail.trigger = next;
  }
}
