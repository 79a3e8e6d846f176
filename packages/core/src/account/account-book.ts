import { RxtradeError } from '../errors';
import { formatUnits, fromUnits, toUnitsExact } from '../model/decimal';
import { type Instrument, priceToUnits } from '../model/instrument';
import type { Fill } from '../model/order-events';
import type { AccountState, ClosedTrade } from '../model/position';
import { type FillUnits, feeToMinorUnits, PositionBook } from './position-book';

/** How an account starts. */
export interface AccountConfig {
  readonly id: string;
  /** Starting cash in `currency`. */
  readonly initialCash: number;
  /** Default `USD`. */
  readonly currency?: string;
  /** Decimals of the currency's minor unit. Default 2. */
  readonly currencyPrecision?: number;
}

/** A fill in a position book's integer units: quantity and price on the instrument's grid, fee in minor units. */
export function fillUnits(fill: Fill, instrument: Instrument, currencyPrecision: number): FillUnits {
  const qtyUnits = toUnitsExact(fill.lastQty, instrument.quantityPrecision);
  return {
    signedQtyUnits: fill.side === 'buy' ? qtyUnits : -qtyUnits,
    pxUnits: priceToUnits(instrument, fill.lastPx),
    feeUnits: feeToMinorUnits(fill.fee, currencyPrecision),
    ts: fill.tsEvent,
  };
}

/** The result of applying a fill to an account. */
/** A round trip made by fills of several strategies. */
const MIXED = '\u0000mixed';

export interface FillOutcome {
  readonly book: PositionBook;
  readonly closed: ClosedTrade | undefined;
  /** The round trip the fill ended on its strategy's own virtual book, if any. */
  readonly strategyClosed: ClosedTrade | undefined;
}

/**
 * One cash account: exact cash, fees and PnL in integer minor units, and a netting position per
 * instrument. Synchronous and allocation-light: the backtest loop calls it on every bar.
 */
export class AccountBook {
  readonly id: string;
  readonly currency: string;
  readonly currencyPrecision: number;
  readonly initialCashUnits: number;
  // A number from the start (see ManualClock): cash changes on every fill.
  cashUnits = 0;
  feeUnits = 0;
  realizedUnits = 0;
  /** Σ market value of open positions, minor units; kept incrementally. */
  valueUnits = 0;
  tsLast = 0;
  readonly positions = new Map<string, PositionBook>();
  /** Per-strategy virtual books: strategyId → instrumentId → book. */
  readonly strategyPositions = new Map<string, Map<string, PositionBook>>();
  /** Every strategy book of an instrument, for marking without iterator allocation on each bar. */
  readonly #strategyBooksByInstrument = new Map<string, PositionBook[]>();
  /**
   * The strategy of each open round trip on the net book (by instrument), or MIXED when fills of
   * several strategies made it: a closed trade names its strategy only when it had one.
   */
  readonly #tradeOwner = new Map<string, string | undefined>();
  // The books of the instrument marked last: a single-symbol run marks without a Map lookup.
  #markId: string | undefined;
  #markBook: PositionBook | undefined;
  #markStrategyBooks: PositionBook[] | undefined;
  /** Instruments with a non-zero net position. */
  openPositions = 0;

  constructor(config: AccountConfig) {
    const precision = config.currencyPrecision ?? 2;
    const cash = toUnitsExact(config.initialCash, precision);
    if (!Number.isFinite(cash) || cash < 0) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `account ${config.id}: initialCash ${config.initialCash} must be ≥ 0 with at most ${precision} decimals`,
      });
    }
    this.id = config.id;
    this.currency = config.currency ?? 'USD';
    this.currencyPrecision = precision;
    this.initialCashUnits = cash;
    this.cashUnits = cash;
  }

  /** The account's net position book for an instrument (created flat on first use). */
  book(instrument: Instrument): PositionBook {
    let book = this.positions.get(instrument.id);
    if (!book) {
      book = new PositionBook({ instrument, accountId: this.id, currencyPrecision: this.currencyPrecision });
      this.positions.set(instrument.id, book);
      this.#markId = undefined;
    }
    return book;
  }

  /** A strategy's virtual position book on this account. */
  strategyBook(strategyId: string, instrument: Instrument): PositionBook {
    let books = this.strategyPositions.get(strategyId);
    if (!books) {
      books = new Map();
      this.strategyPositions.set(strategyId, books);
    }
    let book = books.get(instrument.id);
    if (!book) {
      book = new PositionBook({
        instrument,
        accountId: this.id,
        strategyId,
        currencyPrecision: this.currencyPrecision,
      });
      books.set(instrument.id, book);
      const list = this.#strategyBooksByInstrument.get(instrument.id) ?? [];
      list.push(book);
      this.#strategyBooksByInstrument.set(instrument.id, list);
      this.#markId = undefined;
    }
    return book;
  }

  /**
   * Applies a fill to the account's net book and to the strategy's virtual book. With
   * `describeStrategyTrade` false, a round trip the fill ends on the strategy's book is not built
   * (`strategyClosed` is undefined): the engine asks for it only when someone records it.
   */
  applyFill(fill: Fill, instrument: Instrument, describeStrategyTrade = true): FillOutcome {
    if (instrument.quoteCurrency !== this.currency) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `account ${this.id} holds ${this.currency}; ${instrument.id} is quoted in ${instrument.quoteCurrency}`,
      });
    }
    const input = fillUnits(fill, instrument, this.currencyPrecision);
    const book = this.book(instrument);
    const valueBefore = book.valueUnits;
    const wasOpen = book.qtyUnits !== 0;
    const owner = wasOpen ? this.#tradeOwner.get(instrument.id) : fill.strategyId;
    const tradeOwner = owner === fill.strategyId ? owner : MIXED;
    const closed = book.apply(input, true, tradeOwner === MIXED ? undefined : tradeOwner);
    // After a flip the open remainder is a new round trip, opened by this fill.
    if (book.qtyUnits !== 0) this.#tradeOwner.set(instrument.id, closed ? fill.strategyId : tradeOwner);
    this.cashUnits += book.lastCashDelta;
    this.realizedUnits += book.lastRealizedDelta;
    this.feeUnits += input.feeUnits;
    this.valueUnits += book.valueUnits - valueBefore;
    this.openPositions += (book.qtyUnits !== 0 ? 1 : 0) - (wasOpen ? 1 : 0);
    this.tsLast = fill.tsEvent;
    let strategyClosed: ClosedTrade | undefined;
    if (fill.strategyId) {
      const virtual = this.strategyBook(fill.strategyId, instrument);
      strategyClosed = virtual.apply(input, describeStrategyTrade);
      virtual.setMark(book.markPxUnits, fill.tsEvent);
    }
    return { book, closed, strategyClosed };
  }

  /** Marks an instrument at `price` (snapped to tick). Cheap when nothing is held. */
  mark(instrument: Instrument, price: number, ts: number): void {
    this.tsLast = ts;
    const id = instrument.id;
    if (id !== this.#markId) {
      this.#markId = id;
      this.#markBook = this.positions.get(id);
      this.#markStrategyBooks = this.#strategyBooksByInstrument.get(id);
    }
    const book = this.#markBook;
    if (!book) return;
    const px = priceToUnits(instrument, price);
    this.valueUnits += book.mark(px, ts);
    const strategyBooks = this.#markStrategyBooks;
    if (strategyBooks !== undefined)
      for (let i = 0; i < strategyBooks.length; i++) strategyBooks[i]?.setMark(px, ts);
  }

  get equityUnits(): number {
    return this.cashUnits + this.valueUnits;
  }

  get unrealizedUnits(): number {
    let total = 0;
    for (const book of this.positions.values()) total += book.unrealizedUnits;
    return total;
  }

  snapshot(): AccountState {
    const p = this.currencyPrecision;
    return {
      accountId: this.id,
      currency: this.currency,
      initialCash: fromUnits(this.initialCashUnits, p),
      cash: fromUnits(this.cashUnits, p),
      equity: fromUnits(this.equityUnits, p),
      realizedPnl: fromUnits(this.realizedUnits, p),
      unrealizedPnl: fromUnits(this.unrealizedUnits, p),
      feesPaid: fromUnits(this.feeUnits, p),
      tsLast: this.tsLast,
    };
  }

  /** Cash as an exact decimal string (for reports and stores). */
  cashString(): string {
    return formatUnits(this.cashUnits, this.currencyPrecision);
  }
}
