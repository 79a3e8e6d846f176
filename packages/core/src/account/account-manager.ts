import { type Observable, Subject, type Subscription } from 'rxjs';
import { z } from 'zod';
import type { TradingEngine } from '../engine/trading-engine';
import type { TradingState } from '../engine/types';
import { RxtradeError } from '../errors';
import { fromUnits, toUnitsExact } from '../model/decimal';
import type { Instrument } from '../model/instrument';
import type { Order, OrderRequest } from '../model/order';
import type { AccountState, Position } from '../model/position';
import type { Signal } from '../model/signal';
import { reservedCashUnits } from '../risk/cash';
import {
  createEquityGuard,
  type EquityBreach,
  type EquityGuard,
  HaltLimitsSchema,
} from '../risk/equity-guard';
import {
  openSideUnits,
  type PreTradeMarket,
  type PreTradeRule,
  reducesPositionWithOpenOrders,
} from '../risk/pre-trade';
import { createRiskRule, RiskLimitsSchema } from '../risk/rules';
import { type SizingModel, SizingModelSchema, sizePosition } from '../risk/sizing';
import type { AccountBook, AccountConfig } from './account-book';

/** Which signals and orders an account takes. Unset lists allow everything. */
export const CanTradeSchema = z.strictObject({
  /** Instrument ids the account may open positions in. */
  symbols: z.array(z.string().min(1)).optional(),
  /** Strategy ids whose signals and orders the account takes. */
  strategies: z.array(z.string().min(1)).optional(),
});

export type CanTrade = z.input<typeof CanTradeSchema>;

/** One account under management: where it trades, its money, its limits and what it may trade. */
export const ManagedAccountSchema = z.strictObject({
  id: z.string().min(1).max(64),
  /** Broker or venue name, for routing and reports (e.g. `binance`, `ibkr-paper`). Default `SIM`. */
  venue: z.string().min(1).optional(),
  initialCash: z.number().nonnegative(),
  currency: z.string().min(1).max(16).optional(),
  currencyPrecision: z.number().int().min(0).max(8).optional(),
  /** Pre-trade limits (see RiskLimits). Default: none. */
  limits: RiskLimitsSchema.optional(),
  /** Equity limits that halt the account (drawdown, daily loss). Default: none. */
  halts: HaltLimitsSchema.optional(),
  /** What the account may trade. Default: everything. */
  canTrade: CanTradeSchema.optional(),
  /** How signals are sized for this account. Without one the account takes no signals. */
  sizing: SizingModelSchema.optional(),
});

export type ManagedAccount = z.input<typeof ManagedAccountSchema>;

/** Options of {@link AccountManager}. */
export const AccountManagerOptionsSchema = z.strictObject({
  accounts: z.array(ManagedAccountSchema).min(1),
  /** Limits per strategy id, within each account it trades in. */
  strategies: z.record(z.string(), RiskLimitsSchema).optional(),
  /** Equity limits on the sum of all accounts; a breach halts the whole engine. */
  total: HaltLimitsSchema.optional(),
  /** Flatten positions when a halt limit is crossed. Default false (cancel and halt only). */
  flattenOnHalt: z.boolean().optional(),
  /** Resume trading on the next UTC day after a daily-loss halt. Default false. */
  resumeNextDay: z.boolean().optional(),
});

export type AccountManagerOptions = z.input<typeof AccountManagerOptionsSchema> & {
  /**
   * Market inputs for sizing models that need them (`volatilityTarget`: volatility; `fixedRisk`
   * with `atrMultiple`: atr), per symbol, read when a signal is sized.
   */
  readonly marketInputs?: (symbol: string) => { readonly volatility?: number; readonly atr?: number };
};

/** An account as {@link calculatePositionSizes} sees it. */
export interface SizingAccount {
  readonly id: string;
  readonly sizing: SizingModel | undefined;
  readonly equity: number;
  /** Cash a buy may spend after open orders' reservations; undefined for no cash cap (margin). */
  readonly availableCash: number | undefined;
  /** The signalling strategy's position in this account and symbol, open orders included (signed). */
  readonly position: number;
  readonly canTrade?: CanTrade;
  readonly currencyPrecision?: number;
  readonly limits?: {
    readonly maxOrderQuantity?: number | undefined;
    readonly maxOrderNotional?: number | undefined;
    readonly maxPosition?: number | Readonly<Record<string, number>> | undefined;
    readonly allowShort?: boolean | undefined;
  };
}

/** Market facts for sizing one signal. */
export interface SizingMarket {
  readonly instrument: Instrument;
  /** Expected fill price: the last price. */
  readonly price: number;
  readonly volatility?: number;
  readonly atr?: number;
}

/** What to do in one account for one signal. `quantity` 0 means nothing; `reason` says why. */
export interface PositionSize {
  readonly accountId: string;
  readonly side: 'buy' | 'sell' | undefined;
  /** Order quantity (closing the old position and opening the new one). */
  readonly quantity: number;
  /** The position the order aims at (signed). */
  readonly target: number;
  /** Why nothing (or less) is traded: NOT_PERMITTED, NO_SIZING_MODEL, ALREADY_LONG, SIZED_ZERO, SIZING_FAILED, … */
  readonly reason: string | undefined;
}

/** True when `canTrade` allows `strategyId` to trade `symbol`. */
export function canTrade(rules: CanTrade | undefined, on: { symbol: string; strategyId: string }): boolean {
  if (rules?.symbols && !rules.symbols.includes(on.symbol)) return false;
  if (rules?.strategies && !rules.strategies.includes(on.strategyId)) return false;
  return true;
}

function sizeOne(signal: Signal, account: SizingAccount, market: SizingMarket): PositionSize {
  const { instrument, price } = market;
  const none = (reason: string, target = account.position): PositionSize => ({
    accountId: account.id,
    side: undefined,
    quantity: 0,
    target,
    reason,
  });
  if (!canTrade(account.canTrade, { symbol: signal.symbol, strategyId: signal.strategyId })) {
    return none('NOT_PERMITTED');
  }
  const position = account.position;
  const want = signal.direction === 'long' ? 1 : signal.direction === 'short' ? -1 : 0;
  if (want !== 0 && Math.sign(position) === want) return none(want > 0 ? 'ALREADY_LONG' : 'ALREADY_SHORT');
  const qp = instrument.quantityPrecision;
  const close = Math.abs(position);
  let open = 0;
  let reason: string | undefined;
  if (want < 0 && account.limits?.allowShort === false) reason = 'SHORT_NOT_ALLOWED';
  else if (want !== 0 && account.sizing === undefined) reason = 'NO_SIZING_MODEL';
  else if (want !== 0 && account.sizing !== undefined) {
    const limits = account.limits ?? {};
    const maxPosition =
      typeof limits.maxPosition === 'number' ? limits.maxPosition : limits.maxPosition?.[instrument.id];
    const maxQuantity = Math.min(
      maxPosition ?? Number.POSITIVE_INFINITY,
      limits.maxOrderQuantity === undefined ? Number.POSITIVE_INFINITY : limits.maxOrderQuantity - close,
    );
    const closeCost = want > 0 && position < 0 ? close * price * (1 + Math.max(instrument.takerFee, 0)) : 0;
    const maxNotional =
      limits.maxOrderNotional === undefined ? undefined : limits.maxOrderNotional - close * price;
    if (maxQuantity <= 0 || (maxNotional !== undefined && maxNotional <= 0)) reason = 'LIMIT_REACHED';
    else {
      try {
        open = sizePosition(account.sizing, {
          instrument,
          price,
          equity: account.equity,
          side: want > 0 ? 'buy' : 'sell',
          strength: signal.strength,
          ...(account.availableCash === undefined
            ? {}
            : { availableCash: account.availableCash - closeCost }),
          ...(signal.stopDistance === undefined ? {} : { stopDistance: signal.stopDistance }),
          ...(market.atr === undefined ? {} : { atr: market.atr }),
          ...(market.volatility === undefined ? {} : { volatility: market.volatility }),
          ...(Number.isFinite(maxQuantity) ? { maxQuantity } : {}),
          ...(maxNotional === undefined ? {} : { maxNotional }),
          ...(account.currencyPrecision === undefined
            ? {}
            : { currencyPrecision: account.currencyPrecision }),
        });
      } catch (error) {
        reason = `SIZING_FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (open === 0 && reason === undefined) reason = 'SIZED_ZERO';
    }
  }
  const target = want * open;
  // Exact: quantity units, so 0.1 + 0.2 closes and opens exactly.
  const deltaUnits = toUnitsExact(target, qp) - toUnitsExact(position, qp);
  if (deltaUnits === 0) return none(reason ?? 'NOTHING_TO_DO', target);
  return {
    accountId: account.id,
    side: deltaUnits > 0 ? 'buy' : 'sell',
    quantity: fromUnits(Math.abs(deltaUnits), qp),
    target,
    reason,
  };
}

/**
 * Sizes one signal for many accounts, each by its own sizing model, equity, cash and limits.
 * A `long` signal makes the strategy's position in each account long (closing a short first);
 * `short` the opposite; `flat` closes it. A strategy already positioned in the signal's
 * direction is left alone (no re-sizing). Pure: it reads only its arguments.
 *
 * @example
 * calculatePositionSizes(signal, [
 *   { id: 'a', sizing: { type: 'fixedFraction', fraction: 0.1 }, equity: 100_000, availableCash: 100_000, position: 0 },
 * ], { instrument: spx, price: 250 }); // [{ accountId: 'a', side: 'buy', quantity: 40, target: 40, … }]
 */
export function calculatePositionSizes(
  signal: Signal,
  accounts: readonly SizingAccount[],
  market: SizingMarket,
): PositionSize[] {
  return accounts.map((account) => sizeOne(signal, account, market));
}

/**
 * An account as sizing sees it, from its book and the open orders: equity, cash net of what the cash
 * rule holds back for open buys, and the signalling strategy's position in the symbol once its open
 * orders fill. What {@link AccountManager} sizes with, and the fleet's risk role for its account.
 */
export function sizingAccountOf(
  config: z.output<typeof ManagedAccountSchema>,
  at: {
    readonly book: AccountBook;
    readonly openOrders: Iterable<Order>;
    readonly strategyId: string;
    readonly instrument: Instrument;
    readonly market: PreTradeMarket;
  },
): SizingAccount {
  const { book, instrument, strategyId } = at;
  const symbol = instrument.id;
  const qp = instrument.quantityPrecision;
  const cp = book.currencyPrecision;
  let positionUnits = book.strategyPositions.get(strategyId)?.get(symbol)?.qtyUnits ?? 0;
  const accountOpen: Order[] = [];
  for (const o of at.openOrders) if (o.accountId === book.id) accountOpen.push(o);
  // The strategy's position once its open orders in the symbol fill.
  const strategyOpen = accountOpen.filter((o) => o.strategyId === strategyId);
  positionUnits +=
    openSideUnits(strategyOpen, { instrumentId: symbol, side: 'buy' }) -
    openSideUnits(strategyOpen, { instrumentId: symbol, side: 'sell' });
  // What the cash rule holds back for the account's open buys.
  const reservedUnits = reservedCashUnits(accountOpen, at.market, cp);
  const limits = config.limits;
  return {
    id: book.id,
    sizing: config.sizing,
    equity: fromUnits(book.equityUnits, cp),
    availableCash: fromUnits(book.cashUnits - reservedUnits, cp),
    position: fromUnits(positionUnits, qp),
    currencyPrecision: cp,
    ...(config.canTrade ? { canTrade: config.canTrade } : {}),
    ...(limits ? { limits } : {}),
  };
}

/** The market order a sized signal becomes in its account, or undefined when there is nothing to trade. */
export function signalOrderRequest(signal: Signal, size: PositionSize): OrderRequest | undefined {
  if (size.side === undefined || !(size.quantity > 0)) return undefined;
  return {
    instrumentId: signal.symbol,
    accountId: size.accountId,
    strategyId: signal.strategyId,
    side: size.side,
    quantity: size.quantity,
    type: 'market',
  };
}

/**
 * The client order id of the `n`th order a strategy's signals became in an account:
 * `<strategyId>@<accountId>-<n>`. Counted per strategy and account, so the engine and the fleet's
 * risk role (which holds one account) name the same order alike.
 */
export function signalOrderId(strategyId: string, accountId: string, n: number): string {
  return `${strategyId}@${accountId}-${n}`;
}

/** One routed signal in one account: the size and the order it became (maybe `denied`). */
export interface RoutingDecision {
  readonly signal: Signal;
  readonly size: PositionSize;
  readonly order: Order | undefined;
}

/** An account's state as the manager reports it. */
export interface ManagedAccountStatus {
  readonly id: string;
  readonly venue: string;
  readonly tradingState: TradingState;
  readonly state: AccountState;
  readonly positions: readonly Position[];
}

/**
 * Many accounts, each with a broker/venue name, cash, positions, pre-trade limits, halt limits,
 * what it may trade and how signals are sized for it. It configures an engine (`engineOptions()`:
 * the accounts and their risk rules) and, once attached, routes every strategy `signal()` to the
 * accounts allowed to take it, sized per account and submitted through the same pre-trade risk
 * path as any order (a halted account's orders are denied and reported like any other).
 *
 * Orders are booked to the signalling strategy in each account, so its virtual position per
 * account is its own: `engine.strategyPositions(strategyId)`.
 *
 * @example
 * const manager = new AccountManager({ accounts: [
 *   { id: 'a', initialCash: 100_000, sizing: { type: 'fixedFraction', fraction: 0.5 }, halts: { maxDailyLoss: 2_000 } },
 *   { id: 'b', initialCash: 50_000, venue: 'paper', sizing: { type: 'fixedQuantity', quantity: 5 }, canTrade: { symbols: ['SPX'] } },
 * ] });
 * const engine = createEngine({ instruments: [spx], strategies: [new MySignals()], ...manager.engineOptions() });
 * manager.attach(engine);
 */
export class AccountManager {
  readonly accounts: readonly z.output<typeof ManagedAccountSchema>[];
  readonly #options: z.output<typeof AccountManagerOptionsSchema>;
  readonly #marketInputs: AccountManagerOptions['marketInputs'];
  readonly #byId = new Map<string, z.output<typeof ManagedAccountSchema>>();
  #engine: TradingEngine | undefined;
  #subscription: Subscription | undefined;
  #guard: EquityGuard | undefined;
  /** Orders routed per strategy and account: the last number of {@link signalOrderId}. */
  readonly #routed = new Map<string, number>();
  readonly #decisions = new Subject<RoutingDecision>();
  /** Hot, no replay: every routed signal per account, after its order was submitted (or not). */
  readonly decisions$: Observable<RoutingDecision> = this.#decisions.asObservable();
  /** Hot, no replay: halt-limit breaches (from the equity guard installed by `attach`). */
  readonly breaches$: Observable<EquityBreach>;
  readonly #breaches = new Subject<EquityBreach>();

  constructor(options: AccountManagerOptions) {
    const { marketInputs, ...rest } = options;
    const parsed = AccountManagerOptionsSchema.safeParse(rest);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid accounts: ${z.prettifyError(parsed.error)}`,
        cause: parsed.error,
      });
    }
    this.#options = parsed.data;
    this.#marketInputs = marketInputs;
    this.accounts = parsed.data.accounts;
    for (const account of this.accounts) {
      if (this.#byId.has(account.id)) {
        throw new RxtradeError({ code: 'INVALID_CONFIG', message: `account ${account.id} is defined twice` });
      }
      this.#byId.set(account.id, account);
    }
    this.breaches$ = this.#breaches.asObservable();
  }

  /** Engine accounts (id, cash, currency) for `createEngine({ accounts })`. */
  engineAccounts(): AccountConfig[] {
    return this.accounts.map((a) => ({
      id: a.id,
      initialCash: a.initialCash,
      ...(a.currency === undefined ? {} : { currency: a.currency }),
      ...(a.currencyPrecision === undefined ? {} : { currencyPrecision: a.currencyPrecision }),
    }));
  }

  /**
   * Pre-trade rules: `canTrade` (an account refuses orders for symbols and strategies it may not
   * trade with NOT_PERMITTED, except orders that only reduce a position) and every account's and
   * strategy's limits.
   */
  rules(): PreTradeRule[] {
    const permissions = new Map(this.accounts.map((a) => [a.id, a.canTrade]));
    const permissionRule: PreTradeRule = (context) => {
      const { order } = context;
      const rules = permissions.get(order.accountId);
      if (
        rules === undefined ||
        canTrade(rules, { symbol: order.instrumentId, strategyId: order.strategyId })
      ) {
        return undefined;
      }
      if (reducesPositionWithOpenOrders(context)) return undefined;
      return {
        reason: 'NOT_PERMITTED',
        message: `NOT_PERMITTED: account ${order.accountId} does not trade ${order.instrumentId} for strategy ${order.strategyId}`,
      };
    };
    const accounts: Record<string, z.output<typeof RiskLimitsSchema>> = {};
    for (const a of this.accounts) if (a.limits) accounts[a.id] = a.limits;
    const strategies = this.#options.strategies;
    const hasLimits = Object.keys(accounts).length > 0 || (strategies && Object.keys(strategies).length > 0);
    return hasLimits
      ? [permissionRule, createRiskRule({ accounts, ...(strategies ? { strategies } : {}) })]
      : [permissionRule];
  }

  /** `{ accounts, rules }` to spread into `createEngine` / `runBacktest` options. */
  engineOptions(): { accounts: AccountConfig[]; rules: PreTradeRule[] } {
    return { accounts: this.engineAccounts(), rules: this.rules() };
  }

  /** True when the account may trade `symbol` for `strategyId`. */
  canTrade(accountId: string, on: { symbol: string; strategyId: string }): boolean {
    return canTrade(this.#account(accountId).canTrade, on);
  }

  #account(id: string): z.output<typeof ManagedAccountSchema> {
    const account = this.#byId.get(id);
    if (!account) throw new RxtradeError({ code: 'UNKNOWN_ACCOUNT', message: `unknown account ${id}` });
    return account;
  }

  /**
   * Sizes a signal for the given accounts (default: all) from the attached engine's state: equity,
   * cash net of open buys, the strategy's position (open orders included), the last price.
   */
  calculatePositionSizes(signal: Signal, accountIds?: readonly string[]): PositionSize[] {
    const engine = this.#attached();
    const instrument = engine.instrument(signal.symbol);
    const price = engine.lastPrice(signal.symbol);
    const ids = accountIds ?? this.accounts.map((a) => a.id);
    if (!(price > 0)) {
      return ids.map((id) => ({
        accountId: id,
        side: undefined,
        quantity: 0,
        target: 0,
        reason: 'PRICE_UNKNOWN',
      }));
    }
    const open = engine.openOrders();
    const inputs = this.#marketInputs?.(signal.symbol);
    const accounts = ids.map((id) =>
      sizingAccountOf(this.#account(id), {
        book: engine.accountBook(id),
        openOrders: open,
        strategyId: signal.strategyId,
        instrument,
        market: engine,
      }),
    );
    return calculatePositionSizes(signal, accounts, {
      instrument,
      price,
      ...(inputs?.volatility === undefined ? {} : { volatility: inputs.volatility }),
      ...(inputs?.atr === undefined ? {} : { atr: inputs.atr }),
    });
  }

  /**
   * Starts routing the engine's signals to the accounts, and installs the equity guard for the
   * configured halt limits. Call before `engine.start()`. Returns the manager; `close()` stops both.
   */
  attach(engine: TradingEngine): this {
    if (this.#engine) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: 'the account manager is already attached',
      });
    }
    for (const account of this.accounts) engine.accountBook(account.id);
    this.#engine = engine;
    const accounts: Record<string, z.output<typeof HaltLimitsSchema>> = {};
    for (const a of this.accounts) if (a.halts) accounts[a.id] = a.halts;
    const total = this.#options.total;
    if (Object.keys(accounts).length > 0 || total) {
      this.#guard = createEquityGuard(engine, {
        accounts,
        ...(total ? { total } : {}),
        ...(this.#options.flattenOnHalt === undefined ? {} : { flatten: this.#options.flattenOnHalt }),
        ...(this.#options.resumeNextDay === undefined ? {} : { resumeNextDay: this.#options.resumeNextDay }),
      });
      this.#guard.breaches$.subscribe((b) => this.#breaches.next(b));
    }
    this.#subscription = engine.signals$.subscribe((signal) => this.#route(signal));
    return this;
  }

  #attached(): TradingEngine {
    if (!this.#engine) throw new RxtradeError({ code: 'NOT_STARTED', message: 'attach(engine) first' });
    return this.#engine;
  }

  #route(signal: Signal): void {
    const engine = this.#attached();
    for (const size of this.calculatePositionSizes(signal)) {
      const request = signalOrderRequest(signal, size);
      let order: Order | undefined;
      if (request !== undefined) {
        const key = `${signal.strategyId}\u0000${size.accountId}`;
        const n = (this.#routed.get(key) ?? 0) + 1;
        this.#routed.set(key, n);
        order = engine.submit({
          ...request,
          clientOrderId: signalOrderId(signal.strategyId, size.accountId, n),
        });
      }
      this.#decisions.next({ signal, size, order });
    }
  }

  /** Every account's venue, trading state, balances and positions (needs an attached engine). */
  status(): ManagedAccountStatus[] {
    const engine = this.#attached();
    return this.accounts.map((a) => ({
      id: a.id,
      venue: a.venue ?? 'SIM',
      tradingState: engine.tradingState(a.id),
      state: engine.account(a.id),
      positions: engine.positions(a.id),
    }));
  }

  /** The manager's options besides the accounts, as validated (halt handling, per-strategy limits). */
  get settings(): Omit<z.output<typeof AccountManagerOptionsSchema>, 'accounts'> {
    const { accounts: _accounts, ...rest } = this.#options;
    return rest;
  }

  /** The equity guard installed by `attach`, if any halt limit is configured. */
  get guard(): EquityGuard | undefined {
    return this.#guard;
  }

  /** Stops routing and the equity guard; completes the streams. Idempotent. */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#guard?.close();
    this.#guard = undefined;
    this.#decisions.complete();
    this.#breaches.complete();
  }
}
