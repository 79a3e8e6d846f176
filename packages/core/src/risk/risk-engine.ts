import { fromUnits } from '../model/decimal';
import type { Denial } from '../model/denial';
import type { Instrument } from '../model/instrument';
import type { Order } from '../model/order';
import type { Fill } from '../model/order-events';
import type { Clock } from '../ports/clock';
import { OpenOrderIndex } from './open-orders';
import {
  instrumentGridRule,
  type PreTradeAccount,
  type PreTradeContext,
  type PreTradeMarket,
  type PreTradeRule,
  reducesPositionWithOpenOrders,
} from './pre-trade';
import { type BudgetUsage, type StrategyBudgetConfig, StrategyBudgets } from './strategy-budgets';
import { TradingHolds } from './trading-holds';

/** Options of {@link RiskEngine}. */
export interface RiskEngineOptions {
  /** Last prices and instruments, for rules that value orders. */
  readonly market: PreTradeMarket;
  /** Rules run after the trading holds and the instrument grid check, in order. */
  readonly rules?: readonly PreTradeRule[];
  /** The trading holds to obey. Default: a new, empty set on `clock`. */
  readonly holds?: TradingHolds;
  /** Needed when `holds` is not given. */
  readonly clock?: Clock;
  /**
   * Cash budgets per strategy id, in its account's currency (see {@link StrategyBudgets}): checked
   * after the instrument grid and before `rules`, reserved when an order passes. Default: none.
   */
  readonly budgets?: StrategyBudgetConfig;
}

/**
 * Pre-trade risk: decides over one order with the account's books, the account's open orders and
 * the trading holds. A denial is a typed {@link Denial} (a `DenialReason` and the numbers that
 * failed), never an exception. Synchronous, no I/O: everything it reads is in memory.
 *
 * It does not keep the books itself: the caller passes the order's account (an `AccountBook`, or
 * any {@link PreTradeAccount}) and reports every order's new state with {@link track}, so the same
 * part decides inside the engine and in a risk service fed by order events in another process.
 *
 * Order of checks: HALTED holds, REDUCING holds (the order and the account's open orders on its side
 * must not grow the position), the instrument's grid, the strategy's budget, then `rules`. An order
 * that passes them all reserves its share of its strategy's budget; report its fills with
 * {@link fill} (before {@link track}) and its end with {@link track}, which releases the rest.
 *
 * @example
 * const risk = new RiskEngine({ market, rules: [createRiskRule({ defaults: { maxOrderNotional: 10_000 } })], clock });
 * const denial = risk.check(order, instrument, accountBook);
 * if (denial === undefined) risk.track(submittedOrder);
 */
export class RiskEngine {
  /** The holds this engine obeys. Place and release them through it. */
  readonly holds: TradingHolds;
  readonly #rules: readonly PreTradeRule[];
  readonly #market: PreTradeMarket;
  readonly #openOrders = new OpenOrderIndex();
  readonly #budgets: StrategyBudgets | undefined;

  constructor(options: RiskEngineOptions) {
    this.#market = options.market;
    this.#rules = options.rules ?? [];
    this.#budgets = options.budgets === undefined ? undefined : new StrategyBudgets(options.budgets);
    this.holds = options.holds ?? new TradingHolds({ clock: options.clock ?? { now: () => Number.NaN } });
  }

  /** Checks an order (status `initialized`) for `account`: undefined to pass, else why not. */
  check(order: Order, instrument: Instrument, account: PreTradeAccount): Denial | undefined {
    const holds = this.holds;
    const state = holds.state(account.id);
    if (state === 'HALTED') {
      return { reason: 'TRADING_HALTED', message: `TRADING_HALTED: ${holds.reason(account.id)}` };
    }
    const context: PreTradeContext = {
      order,
      instrument,
      positionQty: fromUnits(
        account.positions.get(instrument.id)?.qtyUnits ?? 0,
        instrument.quantityPrecision,
      ),
      lastPrice: this.#market.lastPrice(instrument.id),
      account,
      openOrders: this.#openOrders.forAccount(account.id),
      market: this.#market,
    };
    if (state === 'REDUCING' && !reducesPositionWithOpenOrders(context)) {
      return {
        reason: 'REDUCING_ONLY',
        message: 'REDUCING_ONLY: only orders that reduce the position (open orders included) are allowed',
      };
    }
    const grid = instrumentGridRule(context);
    if (grid) return grid;
    const budgets = this.#budgets;
    const reservation = budgets === undefined ? 0 : budgets.check(context);
    if (typeof reservation !== 'number') return reservation;
    const rules = this.#rules;
    for (let i = 0; i < rules.length; i++) {
      const denial = (rules[i] as PreTradeRule)(context);
      if (denial) return denial;
    }
    budgets?.reserve(order, reservation, { instrument, currencyPrecision: account.currencyPrecision });
    return undefined;
  }

  /** Draws a fill's cost from its order's budget reservation. Call it before {@link track}ing the order. */
  fill(fill: Fill): void {
    this.#budgets?.fill(fill);
  }

  /**
   * Records an order's latest state: open orders are counted by later checks, terminal ones are
   * dropped. Call it when an order opens and when it closes (calls in between are harmless).
   */
  track(order: Order): void {
    this.#openOrders.track(order);
    this.#budgets?.track(order);
  }

  /** Where a strategy's budget stands on `account`; undefined when it has none. */
  budgetUsage(account: PreTradeAccount, strategyId: string): BudgetUsage | undefined {
    return this.#budgets?.usage(account, strategyId);
  }

  /** The budget of a strategy (account currency), or undefined when it has none. */
  budget(strategyId: string): number | undefined {
    return this.#budgets?.budget(strategyId);
  }

  /** An account's open orders by client order id, as last tracked (a live view: do not keep it). */
  openOrders(accountId: string): ReadonlyMap<string, Order> {
    return this.#openOrders.forAccount(accountId);
  }
}
