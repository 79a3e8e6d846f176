import { z } from 'zod';
import { feeToMinorUnits } from '../account/position-book';
import { RxtradeError } from '../errors';
import { fromUnits, pow10, toUnitsExact } from '../model/decimal';
import type { Denial } from '../model/denial';
import { type Instrument, priceToUnits } from '../model/instrument';
import { buyCostMinorUnits, notionalMinorUnits } from '../model/money';
import { isOpen, type Order } from '../model/order';
import type { Fill } from '../model/order-events';
import { openSideUnits, type PreTradeAccount, type PreTradeContext } from './pre-trade';

/**
 * Cash budgets per strategy id, in the currency of the account the strategy trades in (each account
 * a strategy trades in holds one budget of this size for it). A finite amount > 0.
 */
export const StrategyBudgetsSchema = z.record(
  z.string().min(1),
  z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0'),
);

/** Budgets per strategy id; see {@link StrategyBudgetsSchema}. */
export type StrategyBudgetConfig = z.input<typeof StrategyBudgetsSchema>;

/** Where a strategy's budget stands on one account, in the account currency. */
export interface BudgetUsage {
  readonly strategyId: string;
  readonly accountId: string;
  readonly budget: number;
  /** Σ |cost basis| of its open positions + its fees − its realised PnL (see {@link strategyUsedUnits}). */
  readonly used: number;
  /** What its open orders hold back. */
  readonly reserved: number;
  /** budget − used − reserved: the most the next order may need. Negative once over budget. */
  readonly available: number;
}

/** One open order's reservation: what is left of it, minor units. */
interface Reservation {
  readonly key: string;
  readonly instrument: Instrument;
  readonly currencyPrecision: number;
  remaining: number;
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 12 });

/**
 * Cash the strategy's virtual books on `account` have taken, minor units: Σ |cost basis| of its open
 * positions (long and short alike) + every fee it paid − its realised PnL. A position's cost comes
 * back when it closes, together with what it realised; fees never come back.
 */
export function strategyUsedUnits(account: PreTradeAccount, strategyId: string): number {
  const books = account.strategyPositions.get(strategyId);
  if (books === undefined) return 0;
  let used = 0;
  for (const book of books.values()) used += Math.abs(book.costUnits) + book.feeUnits - book.realizedUnits;
  return used;
}

/**
 * The cash budgets of strategies on their accounts: the ledger of reservations behind the risk
 * engine's `STRATEGY_BUDGET_EXCEEDED` check (docs/concepts/strategy-budgets.md).
 *
 * - **Reserve on submit.** An order that passes every check reserves the worst case of the part of it
 *   that opens or extends the strategy's position (position and its open orders on the same side
 *   counted as filled first): notional at its limit price, else trigger price, else last price, plus
 *   the fee at the larger of the maker and taker rates, rounded up. An order that only reduces
 *   reserves nothing.
 * - **Convert on fill.** A fill draws its cost (notional at the fill price + fee) from the order's
 *   reservation, at most what is left: the cash moves from "reserved" to "used" (the virtual books).
 * - **Release on close.** When the order is canceled, rejected, expired or filled, what is left of its
 *   reservation is released: draws + release = reservation, exactly.
 *
 * An order passes when its reservation ≤ budget − used − reserved.
 */
export class StrategyBudgets {
  readonly #budgets: ReadonlyMap<string, number>;
  readonly #orders = new Map<string, Reservation>();
  /** Σ remaining reservations per account and strategy. */
  readonly #reserved = new Map<string, number>();

  constructor(budgets: StrategyBudgetConfig) {
    const parsed = StrategyBudgetsSchema.safeParse(budgets);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid strategy budgets: ${z.prettifyError(parsed.error)}`,
        cause: parsed.error,
      });
    }
    this.#budgets = new Map(Object.entries(parsed.data));
  }

  /** The strategy's budget in currency, or undefined when it has none. */
  budget(strategyId: string): number | undefined {
    return this.#budgets.get(strategyId);
  }

  /**
   * What the order would reserve (minor units), or why it may not: `STRATEGY_BUDGET_EXCEEDED`, or
   * `PRICE_UNKNOWN` for an opening market order before its instrument's first price. Changes
   * nothing: the risk engine reserves with {@link reserve} once every check has passed.
   */
  check(context: PreTradeContext): number | Denial {
    const { order, instrument, account } = context;
    const budget = this.#budgets.get(order.strategyId);
    if (budget === undefined) return 0;
    const opening = openingUnits(context);
    if (opening === 0) return 0;
    const price = order.price ?? order.triggerPrice ?? context.lastPrice;
    const label = `strategy ${order.strategyId}`;
    if (Number.isNaN(price)) {
      return {
        reason: 'PRICE_UNKNOWN',
        message: `PRICE_UNKNOWN: no last price to value a market order at (${label})`,
      };
    }
    const cp = account.currencyPrecision;
    const need = buyCostMinorUnits(
      instrument,
      { pxUnits: priceToUnits(instrument, price), qtyUnits: opening },
      cp,
    );
    const budgetUnits = Math.round(budget * pow10(cp));
    const available =
      budgetUnits -
      strategyUsedUnits(account, order.strategyId) -
      this.reservedUnits(account.id, order.strategyId);
    return need > available
      ? {
          reason: 'STRATEGY_BUDGET_EXCEEDED',
          message: `STRATEGY_BUDGET_EXCEEDED: needs ${fmt(fromUnits(need, cp))} > ${fmt(fromUnits(available, cp))} available of ${fmt(budget)} (${label})`,
        }
      : need;
  }

  /** Holds `units` (from {@link check}) for an order that passed. Nothing for 0 units. */
  reserve(
    order: Order,
    units: number,
    at: { readonly instrument: Instrument; readonly currencyPrecision: number },
  ): void {
    // Stryker disable next-line ConditionalExpression: an entry of 0 units holds nothing either way; this only saves a Map entry
    if (units === 0) return;
    const { instrument, currencyPrecision } = at;
    const key = keyOf(order.accountId, order.strategyId);
    this.#orders.set(order.clientOrderId, { key, instrument, currencyPrecision, remaining: units });
    this.#add(key, units);
  }

  /** Draws a fill's cost from its order's reservation (call before tracking the order's new state). */
  fill(fill: Fill): void {
    const held = this.#orders.get(fill.clientOrderId);
    if (held === undefined) return;
    const { instrument, currencyPrecision } = held;
    const cost =
      notionalMinorUnits(
        instrument,
        {
          pxUnits: priceToUnits(instrument, fill.lastPx),
          qtyUnits: toUnitsExact(fill.lastQty, instrument.quantityPrecision),
        },
        currencyPrecision,
      ) + feeToMinorUnits(fill.fee, currencyPrecision);
    const drawn = Math.min(cost, held.remaining);
    held.remaining -= drawn;
    this.#add(held.key, -drawn);
  }

  /** Releases what is left of a closed order's reservation; an open order keeps it. */
  track(order: Order): void {
    if (isOpen(order)) return;
    const held = this.#orders.get(order.clientOrderId);
    if (held === undefined) return;
    this.#orders.delete(order.clientOrderId);
    this.#add(held.key, -held.remaining);
  }

  /** What the strategy's open orders on the account hold back, minor units. */
  reservedUnits(accountId: string, strategyId: string): number {
    return this.#reserved.get(keyOf(accountId, strategyId)) ?? 0;
  }

  /** What is left of one order's reservation, minor units (0 when it holds none). */
  orderReservedUnits(clientOrderId: string): number {
    return this.#orders.get(clientOrderId)?.remaining ?? 0;
  }

  /** Where the strategy's budget stands on `account`; undefined when it has no budget. */
  usage(account: PreTradeAccount, strategyId: string): BudgetUsage | undefined {
    const budget = this.#budgets.get(strategyId);
    if (budget === undefined) return undefined;
    const cp = account.currencyPrecision;
    const used = strategyUsedUnits(account, strategyId);
    const reserved = this.reservedUnits(account.id, strategyId);
    const budgetUnits = Math.round(budget * pow10(cp));
    return {
      strategyId,
      accountId: account.id,
      budget,
      used: fromUnits(used, cp),
      reserved: fromUnits(reserved, cp),
      available: fromUnits(budgetUnits - used - reserved, cp),
    };
  }

  #add(key: string, units: number): void {
    this.#reserved.set(key, (this.#reserved.get(key) ?? 0) + units);
  }
}

const keyOf = (accountId: string, strategyId: string): string => `${accountId}\u0000${strategyId}`;

/**
 * Quantity units of `order` that could open or extend its strategy's position beyond zero in the
 * order's direction, if the strategy's open orders on the same side filled first.
 */
export function openingUnits(context: PreTradeContext): number {
  const { order, instrument, account } = context;
  const position = account.strategyPositions.get(order.strategyId)?.get(instrument.id)?.qtyUnits ?? 0;
  const pending = openSideUnits(sameStrategy(context.openOrders.values(), order.strategyId), {
    instrumentId: instrument.id,
    side: order.side,
  });
  const q = toUnitsExact(order.quantity, order.quantityPrecision);
  // Signed in the order's direction: + extends, − is the other way.
  const before = (order.side === 'buy' ? position : -position) + pending;
  return Math.max(0, before + q) - Math.max(0, before);
}

function* sameStrategy(orders: Iterable<Order>, strategyId: string): Iterable<Order> {
  for (const order of orders) if (order.strategyId === strategyId) yield order;
}
