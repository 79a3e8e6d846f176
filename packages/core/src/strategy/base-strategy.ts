import type { z } from 'zod';
import { RxtradeError } from '../errors';
import type { Instrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { Order, OrderRequest } from '../model/order';
import type { Fill, OrderEvent } from '../model/order-events';
import type { AccountState } from '../model/position';
import type { Signal } from '../model/signal';
import type { Clock } from '../ports/clock';
import type { OrderAmendment } from '../ports/execution-client';
import type { Logger } from '../ports/logger';
import { activeIndicatorCache, type IndicatorCache, indicatorKey } from './indicator-cache';
import { type BarIndicator, type PriceSource, priceOf, type ValueIndicator } from './price-source';
import { ResampledBars, type ResampleStrategyOptions } from './resampled-bars';
import { parseStrategyParams } from './strategy-params';

/** What a running strategy can reach. The engine provides it; tests may provide their own. */
export interface StrategyContext {
  readonly strategyId: string;
  readonly accountId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  submit(request: OrderRequest): Order;
  cancel(clientOrderId: string): boolean;
  /** Amends one of the strategy's open orders; false when it is not open (or cannot be amended here). */
  amend?(clientOrderId: string, amendment: OrderAmendment): boolean;
  /** This strategy's own (virtual) position in a symbol, signed. */
  positionQty(symbol: string): number;
  /** The account's net position in a symbol, across strategies. */
  accountPositionQty(symbol: string): number;
  account(): AccountState;
  instrument(symbol: string): Instrument;
  /** This strategy's open orders, optionally for one symbol. */
  openOrders(symbol?: string): readonly Order[];
  /**
   * The client order ids of this strategy's open orders, optionally for one symbol: what
   * `cancelAll` needs, without a copy of each order. Optional; `openOrders` is used without it.
   */
  openOrderIds?(symbol?: string): readonly string[];
  signal(
    signal: Omit<Signal, 'strategyId' | 'tsEvent' | 'strength' | 'stopDistance'> & Partial<Signal>,
  ): void;
}

/** Options every strategy accepts. */
export interface StrategyOptions<TParams> {
  /**
   * Unique within an engine, 1 to 64 characters (it keys the strategy's own positions and is stamped on
   * its orders). Default: the class name, or `Strategy` for an anonymous class.
   */
  readonly id?: string;
  /** Symbols whose bars reach `onBar`. Default: every symbol. */
  readonly symbols?: readonly string[];
  /** Account the strategy's orders go to. Default: the engine's first account. */
  readonly accountId?: string;
  /**
   * Parameters, validated by the class's `paramsSchema` (defaults applied). A name the schema does not
   * declare is refused with `INVALID_CONFIG` (a misspelt one would otherwise run with the default),
   * unless the schema takes any key on purpose (`z.looseObject`, `.catchall()`).
   */
  readonly params?: Partial<TParams>;
}

export type { PriceSource } from './price-source';

/** @internal An indicator the runner updates before onBar. */
export interface TrackedIndicator {
  readonly symbol: string | undefined;
  readonly update: (bar: Bar) => void;
}

type OrderOptions = Omit<OrderRequest, 'instrumentId' | 'side' | 'quantity' | 'type'> & {
  readonly symbol?: string;
  readonly type?: OrderRequest['type'];
};

const NO_OPTIONS: OrderOptions = Object.freeze({});

/**
 * Subclass this to write a strategy. Override `onBar` (and any other hook); call `buy`, `sell`,
 * `submit`, `cancel`, `close`; read `position()`, `account`. Declare typed parameters with a zod
 * schema in `static paramsSchema`.
 *
 * @example
 * const params = z.object({ fast: z.number().int().default(10), slow: z.number().int().default(30) });
 * class SmaCross extends BaseStrategy<z.output<typeof params>> {
 *   static override paramsSchema = params;
 *   fast = this.track(new Sma(this.params.fast));
 *   slow = this.track(new Sma(this.params.slow));
 *   override onBar() {
 *     if (this.fast.value > this.slow.value && this.position() === 0) this.buy(10);
 *     else if (this.fast.value < this.slow.value && this.position() > 0) this.close();
 *   }
 * }
 */
export abstract class BaseStrategy<TParams extends object = Record<string, never>> {
  /** Zod schema of the parameters; `params` is its parsed output. */
  static paramsSchema: z.ZodType | undefined = undefined;

  readonly id: string;
  readonly symbols: readonly string[] | undefined;
  readonly accountId: string | undefined;
  readonly params: TParams;
  /** @internal */
  readonly tracked: TrackedIndicator[] = [];
  #context: StrategyContext | undefined;
  #symbol: string | undefined;
  /** Indicators shared with the other variants of a one-pass run (see runVariants); none otherwise. */
  readonly #cache: IndicatorCache | undefined = activeIndicatorCache();

  constructor(options: StrategyOptions<TParams> = {}) {
    const schema = (new.target as unknown as { paramsSchema: z.ZodType | undefined }).paramsSchema;
    const id = options.id ?? (new.target.name || 'Strategy');
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
      // An empty id would book the strategy's fills to no virtual position: position() would stay 0.
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `strategy id must be 1 to 64 characters, got ${JSON.stringify(id)}`,
      });
    }
    this.id = id;
    this.symbols = options.symbols;
    this.accountId = options.accountId;
    this.#symbol = options.symbols?.length === 1 ? options.symbols[0] : undefined;
    if (schema) {
      this.params = parseStrategyParams(schema, options.params ?? {}, this.id) as TParams;
    } else {
      this.params = (options.params ?? {}) as TParams;
    }
  }

  /** Called once when the engine starts, before the first bar. */
  onStart(): void {}
  /** Called for every bar of the strategy's symbols, after tracked indicators were updated. */
  abstract onBar(bar: Bar): void;
  /** Called for each of this strategy's fills, after the account was updated. */
  onFill(_fill: Fill): void {}
  /** Called for every event of this strategy's orders (fills included). */
  onOrderEvent(_event: OrderEvent): void {}
  /** Called once when the engine stops (not when the strategy failed). */
  onStop(): void {}

  /** @internal Called by the engine. */
  attach(context: StrategyContext): void {
    this.#context = context;
  }

  /** @internal The runner sets the symbol of the bar being processed. */
  setCurrentSymbol(symbol: string): void {
    this.#symbol = symbol;
  }

  protected get context(): StrategyContext {
    if (!this.#context) {
      throw new RxtradeError({
        code: 'NOT_STARTED',
        message: `strategy ${this.id} is not attached to an engine`,
      });
    }
    return this.#context;
  }

  /** Time now, by the engine's clock (the bar's time in a backtest). */
  protected now(): number {
    return this.context.clock.now();
  }

  /**
   * Registers an indicator that the engine updates with each bar before `onBar`. Value indicators
   * get `source` of the bar (default close); pass `{ bar: true }` for indicators that take a bar.
   */
  protected track<TIndicator extends ValueIndicator>(
    indicator: TIndicator,
    options?: { source?: PriceSource; symbol?: string },
  ): TIndicator {
    const source = options?.source ?? 'close';
    // The close (the default) is read directly: one closure call per indicator and bar, not two.
    const get = source === 'close' ? undefined : priceOf(source);
    this.tracked.push({
      symbol: options?.symbol,
      update: get ? (bar) => void indicator.update(get(bar)) : (bar) => void indicator.update(bar.close),
    });
    return indicator;
  }

  /**
   * Builds and tracks a value indicator fed each bar's close: `this.indicator(Sma, 20)` is
   * `this.track(new Sma(20))`, except that variants of this strategy run in one pass
   * ({@link runVariants}) share it — one instance per class and arguments, updated once per bar —
   * instead of each computing the same numbers. Arguments should be plain data (numbers, strings,
   * plain objects); anything else keeps the indicator private to this strategy.
   */
  protected indicator<TIndicator extends ValueIndicator, TArgs extends unknown[]>(
    kind: new (...args: TArgs) => TIndicator,
    ...args: TArgs
  ): TIndicator {
    const create = () => new kind(...args);
    const cache = this.#cache;
    if (cache === undefined) return this.track(create());
    const key = indicatorKey(kind, args, { source: 'close', symbol: undefined });
    const shared = cache.share(key, create, (indicator, bar) => void indicator.update(bar.close));
    this.tracked.push({ symbol: undefined, update: shared.update });
    return shared.indicator;
  }

  /** {@link indicator} for an indicator fed whole bars (ATR, Stochastic, …): `this.barIndicator(Atr, 14)`. */
  protected barIndicator<TIndicator extends BarIndicator, TArgs extends unknown[]>(
    kind: new (...args: TArgs) => TIndicator,
    ...args: TArgs
  ): TIndicator {
    const create = () => new kind(...args);
    const cache = this.#cache;
    if (cache === undefined) return this.trackBar(create());
    const key = indicatorKey(kind, args, { source: 'bar', symbol: undefined });
    const shared = cache.share(key, create, (indicator, bar) => void indicator.update(bar));
    this.tracked.push({ symbol: undefined, update: shared.update });
    return shared.indicator;
  }

  /** Registers a bar-based indicator (ATR, Stochastic, VWAP, …) updated before `onBar`. */
  protected trackBar<TIndicator extends BarIndicator>(
    indicator: TIndicator,
    options?: { symbol?: string },
  ): TIndicator {
    this.tracked.push({ symbol: options?.symbol, update: (bar) => void indicator.update(bar) });
    return indicator;
  }

  /**
   * Declares a longer timeframe resampled from this strategy's bars (say, hours from minutes), whose
   * completed bars and the indicators tracked on them (`resampled.track(...)`) the engine keeps up to
   * date before `onBar`, in a backtest, paper or live run and in the fleet alike. Only completed bars
   * are delivered, so there is no look-ahead; see {@link ResampledBars} for when a bar completes.
   *
   * @example
   * hourly = this.resample('1h', { inputTimeframe: '1m' });
   * hourlyRsi = this.hourly.track(new Rsi(14));
   */
  protected resample(timeframe: string, options: ResampleStrategyOptions = {}): ResampledBars {
    const symbol = options.symbol;
    if (symbol !== undefined && this.symbols !== undefined && !this.symbols.includes(symbol)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `strategy ${this.id}: resample('${timeframe}') of ${symbol}, which is not one of its symbols (${this.symbols.join(', ')})`,
      });
    }
    const single = this.symbols?.length === 1 ? this.symbols[0] : undefined;
    const resampled = new ResampledBars(timeframe, options, single);
    this.tracked.push({ symbol: undefined, update: (bar) => resampled.push(bar) });
    return resampled;
  }

  #resolveSymbol(symbol: string | undefined): string {
    const resolved = symbol ?? this.#symbol;
    if (resolved === undefined) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `strategy ${this.id}: say which symbol (it trades several)`,
      });
    }
    return resolved;
  }

  /** Buys `quantity` (a market order unless `price`/`triggerPrice`/`type` say otherwise). */
  protected buy(quantity: number, options: OrderOptions = NO_OPTIONS): Order {
    return this.#order('buy', quantity, options);
  }

  /** Sells `quantity`. */
  protected sell(quantity: number, options: OrderOptions = NO_OPTIONS): Order {
    return this.#order('sell', quantity, options);
  }

  #order(side: 'buy' | 'sell', quantity: number, o: OrderOptions): Order {
    if (o === NO_OPTIONS) {
      // A plain market order: the shape close() sends too (no 13 undefined fields to allocate and read).
      return this.context.submit({
        instrumentId: this.#resolveSymbol(undefined),
        side,
        quantity,
        type: 'market',
      });
    }
    const type: OrderRequest['type'] =
      o.type ??
      (o.price !== undefined && o.triggerPrice !== undefined
        ? 'stopLimit'
        : o.price !== undefined
          ? 'limit'
          : o.triggerPrice !== undefined
            ? 'stop'
            : 'market');
    // Built field by field (no spread): this runs on every order of a backtest.
    const request: OrderRequest = {
      instrumentId: this.#resolveSymbol(o.symbol),
      side,
      quantity,
      type,
      price: o.price,
      triggerPrice: o.triggerPrice,
      timeInForce: o.timeInForce,
      reduceOnly: o.reduceOnly,
      postOnly: o.postOnly,
      clientOrderId: o.clientOrderId,
      accountId: o.accountId,
    };
    if (
      o.expireTime === undefined &&
      o.trailingAmount === undefined &&
      o.trailingPercent === undefined &&
      o.takeProfit === undefined &&
      o.stopLoss === undefined &&
      o.oco === undefined
    ) {
      return this.context.submit(request);
    }
    // The contingent and trailing options (a few orders): the common request keeps its smaller shape.
    return this.context.submit({
      ...request,
      expireTime: o.expireTime,
      trailingAmount: o.trailingAmount,
      trailingPercent: o.trailingPercent,
      takeProfit: o.takeProfit,
      stopLoss: o.stopLoss,
      oco: o.oco,
    });
  }

  /** Submits any order request through risk and execution. */
  protected submit(request: OrderRequest): Order {
    return this.context.submit(request);
  }

  protected cancel(clientOrderId: string): boolean {
    return this.context.cancel(clientOrderId);
  }

  /**
   * Amends an open order's quantity (the whole order's, filled part included) or prices. The outcome
   * arrives in `onOrderEvent`: `OrderUpdated`, or `OrderModifyRejected` with the reason.
   */
  protected amend(clientOrderId: string, amendment: OrderAmendment): boolean {
    return this.context.amend?.(clientOrderId, amendment) ?? false;
  }

  /** Cancels this strategy's open orders (for one symbol, or all). */
  protected cancelAll(symbol?: string): number {
    let count = 0;
    const context = this.context;
    if (context.openOrderIds !== undefined) {
      // Ids taken before the first cancel: an order sent in reaction to a cancel is not canceled too.
      const ids = context.openOrderIds(symbol);
      for (let i = 0; i < ids.length; i++) if (context.cancel(ids[i] as string)) count++;
      return count;
    }
    for (const order of context.openOrders(symbol)) if (context.cancel(order.clientOrderId)) count++;
    return count;
  }

  /** Flattens this strategy's own position in a symbol with a market order. */
  protected close(symbol?: string): Order | undefined {
    const resolved = this.#resolveSymbol(symbol);
    const qty = this.context.positionQty(resolved);
    if (qty === 0) return undefined;
    return this.context.submit({
      instrumentId: resolved,
      side: qty > 0 ? 'sell' : 'buy',
      quantity: Math.abs(qty),
      type: 'market',
    });
  }

  /** This strategy's own position in a symbol (signed). */
  protected position(symbol?: string): number {
    return this.context.positionQty(this.#resolveSymbol(symbol));
  }

  /** The account's state (cash, equity, PnL). */
  protected get account(): AccountState {
    return this.context.account();
  }

  /** Publishes a sizeless signal for the risk/account layer to size per account. */
  protected signal(
    direction: Signal['direction'],
    options: { symbol?: string; strength?: number; stopDistance?: number } = {},
  ): void {
    this.context.signal({
      symbol: this.#resolveSymbol(options.symbol),
      direction,
      strength: options.strength ?? 1,
      stopDistance: options.stopDistance,
    });
  }
}
