import { divRound, fromUnits, mulDivRound, pow10 } from '../model/decimal';
import type { Instrument } from '../model/instrument';
import type { ClosedTrade, Position } from '../model/position';

/** One fill in integer units: signed quantity (+ buy, − sell), price, fee (minor units), time. */
export interface FillUnits {
  readonly signedQtyUnits: number;
  readonly pxUnits: number;
  readonly feeUnits: number;
  readonly ts: number;
}

/**
 * Exact netting accounting for one instrument: integer quantity units and integer minor units of
 * the account currency. A fill moves cash by its notional rounded (half-even) to the minor unit;
 * closing removes a proportional, rounded share of the cost basis; so for every account
 * `cash = initial − fees + realized − Σ cost` holds to the minor unit, whatever the rounding.
 */
export class PositionBook {
  readonly instrument: Instrument;
  readonly accountId: string;
  readonly strategyId: string | undefined;
  /** Signed quantity in quantity units. */
  qtyUnits = 0;
  /** Signed cost basis of the open quantity, minor units (long > 0, short < 0). */
  costUnits = 0;
  realizedUnits = 0;
  feeUnits = 0;
  /** Mark price in price units; 0 before the first mark. */
  markPxUnits = 0;
  /** Signed market value at the mark, minor units. */
  valueUnits = 0;
  /** @internal Cash moved by the last fill applied, minor units (see {@link apply}). */
  lastCashDelta = 0;
  /** @internal Realized PnL of the last fill applied, minor units. */
  lastRealizedDelta = 0;
  tsLast = 0;

  readonly #currencyPrecision: number;
  /** notional(minor) = pxUnits × qtyUnits / #divisor, or × #multiplier when precisions are coarse. */
  readonly #divisor: number;
  readonly #multiplier: number;
  // The open round trip, for closed-trade statistics.
  #tradeEntryTs = 0;
  #tradeEntryNotional = 0;
  #tradeEntryQty = 0;
  #tradeExitNotional = 0;
  #tradeExitQty = 0;
  #tradeRealized = 0;
  #tradeFees = 0;

  constructor(options: {
    instrument: Instrument;
    accountId: string;
    strategyId?: string;
    currencyPrecision: number;
  }) {
    this.instrument = options.instrument;
    this.accountId = options.accountId;
    this.strategyId = options.strategyId;
    this.#currencyPrecision = options.currencyPrecision;
    const shift =
      options.instrument.pricePrecision + options.instrument.quantityPrecision - options.currencyPrecision;
    this.#divisor = shift >= 0 ? pow10(shift) : 1;
    this.#multiplier = shift >= 0 ? 1 : pow10(-shift);
  }

  /** Notional of |qtyUnits| at pxUnits, in minor units, rounded half-even. */
  notional(pxUnits: number, qtyUnits: number): number {
    return this.#multiplier === 1
      ? mulDivRound(pxUnits, qtyUnits, this.#divisor)
      : pxUnits * qtyUnits * this.#multiplier;
  }

  /**
   * Applies one fill (signed quantity: + buy, − sell). Returns the change in cash, minor units,
   * and the closed trade if this fill ended a round trip.
   */
  applyFill(fill: FillUnits): {
    cashDelta: number;
    realizedDelta: number;
    closed: ClosedTrade | undefined;
  } {
    const closed = this.apply(fill, true);
    return { cashDelta: this.lastCashDelta, realizedDelta: this.lastRealizedDelta, closed };
  }

  /**
   * @internal {@link applyFill} for the accounts' hot path, without a result object: the deltas are
   * left in `lastCashDelta` and `lastRealizedDelta`, and with `describeTrade` false a closed trade is
   * not built (a strategy's virtual book when nobody reads its trades). A closed trade names
   * `tradeStrategyId` (default: the book's strategy; an account's net book passes the strategy that
   * made the round trip, when one did).
   */
  apply(
    fill: FillUnits,
    describeTrade: boolean,
    tradeStrategyId: string | undefined = this.strategyId,
  ): ClosedTrade | undefined {
    const { signedQtyUnits: f, pxUnits, feeUnits, ts } = fill;
    const q = this.qtyUnits;
    const absF = Math.abs(f);
    const notional = this.notional(pxUnits, absF);
    let realizedDelta = 0;
    let closed: ClosedTrade | undefined;
    if (q === 0) this.#startTrade(ts);
    const reduces = q !== 0 && Math.sign(q) !== Math.sign(f);
    if (reduces) {
      const absQ = Math.abs(q);
      const closedQty = Math.min(absF, absQ);
      const removedCost = closedQty === absQ ? this.costUnits : mulDivRound(this.costUnits, closedQty, absQ);
      const closingNotional = closedQty === absF ? notional : mulDivRound(notional, closedQty, absF);
      realizedDelta = Math.sign(q) * closingNotional - removedCost;
      this.costUnits -= removedCost;
      this.#tradeExitNotional += closingNotional;
      this.#tradeExitQty += closedQty;
      this.#tradeRealized += realizedDelta;
      const openingQty = absF - closedQty;
      if (openingQty > 0) {
        // The fill flips the position: the rest opens a new trade in the other direction.
        const openingNotional = notional - closingNotional;
        this.#tradeFees += mulDivRound(feeUnits, closedQty, absF);
        if (describeTrade) closed = this.#closeTrade(ts, Math.sign(q), tradeStrategyId);
        this.#startTrade(ts);
        this.#tradeFees += feeUnits - mulDivRound(feeUnits, closedQty, absF);
        this.costUnits += Math.sign(f) * openingNotional;
        this.#tradeEntryNotional += openingNotional;
        this.#tradeEntryQty += openingQty;
      } else {
        this.#tradeFees += feeUnits;
        if (q + f === 0 && describeTrade) closed = this.#closeTrade(ts, Math.sign(q), tradeStrategyId);
      }
    } else {
      this.costUnits += Math.sign(f) * notional;
      this.#tradeEntryNotional += notional;
      this.#tradeEntryQty += absF;
      this.#tradeFees += feeUnits;
    }
    this.qtyUnits = q + f;
    this.realizedUnits += realizedDelta;
    this.feeUnits += feeUnits;
    this.tsLast = ts;
    if (this.markPxUnits === 0) this.markPxUnits = pxUnits;
    this.#revalue();
    // Buying spends cash, selling receives it; fees always cost.
    this.lastCashDelta = -Math.sign(f) * notional - feeUnits;
    this.lastRealizedDelta = realizedDelta;
    return closed;
  }

  /** Marks the position at a new price (price units). Returns the change in market value, minor units. */
  mark(pxUnits: number, ts: number): number {
    this.markPxUnits = pxUnits;
    if (ts > this.tsLast) this.tsLast = ts;
    const before = this.valueUnits;
    this.#revalue();
    return this.valueUnits - before;
  }

  /**
   * Sets the mark without revaluing (strategy books: their value is only read in snapshots, so it
   * is computed then, not on every bar).
   */
  setMark(pxUnits: number, ts: number): void {
    this.markPxUnits = pxUnits;
    if (ts > this.tsLast) this.tsLast = ts;
  }

  #revalue(): void {
    const q = this.qtyUnits;
    this.valueUnits = q === 0 ? 0 : Math.sign(q) * this.notional(this.markPxUnits, Math.abs(q));
  }

  #startTrade(ts: number): void {
    this.#tradeEntryTs = ts;
    this.#tradeEntryNotional = 0;
    this.#tradeEntryQty = 0;
    this.#tradeExitNotional = 0;
    this.#tradeExitQty = 0;
    this.#tradeRealized = 0;
    this.#tradeFees = 0;
  }

  #closeTrade(ts: number, direction: number, strategyId: string | undefined): ClosedTrade {
    const cp = this.#currencyPrecision;
    const qp = this.instrument.quantityPrecision;
    const pnlUnits = this.#tradeRealized - this.#tradeFees;
    return {
      accountId: this.accountId,
      strategyId,
      symbol: this.instrument.id,
      side: direction > 0 ? 'long' : 'short',
      entryTs: this.#tradeEntryTs,
      exitTs: ts,
      entryPx: this.#averagePx(this.#tradeEntryNotional, this.#tradeEntryQty),
      exitPx: this.#averagePx(this.#tradeExitNotional, this.#tradeExitQty),
      quantity: fromUnits(this.#tradeEntryQty, qp),
      pnl: fromUnits(pnlUnits, cp),
      fees: fromUnits(this.#tradeFees, cp),
      returnPct: this.#tradeEntryNotional === 0 ? 0 : pnlUnits / this.#tradeEntryNotional,
    };
  }

  /**
   * The price `notional` (minor units) paid for `qtyUnits`, to 15 significant digits (see
   * {@link withoutFloatNoise}). Usually that price is on the tick grid — one fill, or fills at one
   * price — and integer maths finds it exactly, without formatting a number per closed trade.
   */
  #averagePx(notional: number, qtyUnits: number): number {
    const pp = this.instrument.pricePrecision;
    const quotient =
      fromUnits(notional, this.#currencyPrecision) / fromUnits(qtyUnits, this.instrument.quantityPrecision);
    // Stryker disable next-line ArithmeticOperator: equivalent — a wrong price in units fails the exactness test below, so the price takes withoutFloatNoise, which gives the same value
    const pxUnits = Math.round(quotient * pow10(pp));
    // On the grid when pxUnits × qtyUnits is exactly the notional (scaled); below 10^15 units the
    // decimal has at most 15 digits, so it is what withoutFloatNoise would give: its nearest double.
    // Stryker disable next-line ArithmeticOperator: equivalent — a wrong product only keeps prices off the fast path, and withoutFloatNoise gives them the same value (the mutants that let a wrong price through are killed)
    const scaled = pxUnits * qtyUnits * this.#multiplier;
    // Stryker disable next-line ArithmeticOperator,BlockStatement,ConditionalExpression,EqualityOperator: equivalent — as above: without the early return (or at exactly 10^15 units, one significant digit) every price takes withoutFloatNoise, which gives the same value
    if (Math.abs(pxUnits) < 1e15 && Number.isSafeInteger(scaled) && scaled === notional * this.#divisor) {
      return fromUnits(pxUnits, pp);
    }
    return withoutFloatNoise(quotient);
  }

  /** Unrealized PnL, minor units. */
  get unrealizedUnits(): number {
    this.#revalue();
    return this.valueUnits - this.costUnits;
  }

  snapshot(): Position {
    this.#revalue();
    const cp = this.#currencyPrecision;
    const { pricePrecision: pp, quantityPrecision: qp } = this.instrument;
    const q = this.qtyUnits;
    // avgPx = |cost| / |qty| in price terms; a display value, not used for accounting.
    // Stryker disable next-line ConditionalExpression: equivalent — a flat book holds no cost, and 0 / 0 averages to NaN as well
    const avgPx = q === 0 ? Number.NaN : this.#averagePx(Math.abs(this.costUnits), Math.abs(q));
    return {
      accountId: this.accountId,
      instrumentId: this.instrument.id,
      strategyId: this.strategyId,
      quantity: fromUnits(q, qp),
      avgPx,
      markPx: this.markPxUnits === 0 ? Number.NaN : fromUnits(this.markPxUnits, pp),
      marketValue: fromUnits(this.valueUnits, cp),
      realizedPnl: fromUnits(this.realizedUnits, cp),
      unrealizedPnl: fromUnits(this.unrealizedUnits, cp),
      feesPaid: fromUnits(this.feeUnits, cp),
      tsLast: this.tsLast,
    };
  }
}

/**
 * An average price to 15 significant digits: a quotient of exact amounts carries binary noise in its
 * last bits (1441.6100000000001 for one fill at 1441.61), which 15 digits drop; an average of several
 * fills keeps its real decimals (1441.615).
 */
export function withoutFloatNoise(price: number): number {
  return Number(price.toPrecision(15));
}

/** Rounds a fee reported as a number to minor units, half-even. */
export function feeToMinorUnits(fee: number, currencyPrecision: number): number {
  const scaled = fee * pow10(currencyPrecision);
  const nearest = Math.round(scaled);
  if (Math.abs(scaled - nearest) < 1e-6) return nearest;
  // Off-grid fee (e.g. a venue reporting 8 decimals): round half-even at the next digits.
  return divRound(Math.round(scaled * 1e6), 1e6);
}
