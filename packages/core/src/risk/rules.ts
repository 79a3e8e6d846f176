import { z } from 'zod';
import { RxtradeError } from '../errors';
import { fromUnits, pow10, toUnitsExact } from '../model/decimal';
import type { DenialReason } from '../model/denial';
import { type Instrument, priceToUnits } from '../model/instrument';
import { buyCostMinorUnits, notionalMinorUnits } from '../model/money';
import type { Order } from '../model/order';
import { reservedCashUnits } from './cash';
import {
  type Denial,
  openSideUnits,
  type PositionView,
  type PreTradeContext,
  type PreTradeRule,
} from './pre-trade';

const positive = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');
const nonNegative = z.number().refine((n) => Number.isFinite(n) && n >= 0, 'must be a finite number ≥ 0');

/**
 * Pre-trade limits of one scope (an account, or a strategy within the order's account). Every
 * limit is off unless set. Quantities are in instrument units, amounts in the account currency.
 * Position and exposure limits count the worst case of open orders (all open orders of a side
 * filled) and never refuse an order that does not make that worst case larger, so reducing a
 * position is always allowed.
 */
export const RiskLimitsSchema = z.strictObject({
  /** Largest quantity of one order. */
  maxOrderQuantity: positive.optional(),
  /** Largest notional of one order: quantity × (limit price, else trigger, else last price). */
  maxOrderNotional: positive.optional(),
  /** Largest |position| per instrument: one number for every instrument, or per instrument id. */
  maxPosition: z.union([nonNegative, z.record(z.string(), nonNegative)]).optional(),
  /** Largest Σ |position value| over instruments, at the last prices. */
  maxGrossExposure: positive.optional(),
  /** Largest |Σ signed position value| over instruments, at the last prices. */
  maxNetExposure: positive.optional(),
  /** Largest gross exposure / equity. Accounts only. */
  maxLeverage: positive.optional(),
  /** Most open orders at once. */
  maxOpenOrders: z.number().int().nonnegative().optional(),
  /** Token bucket: at most `limit` orders in a burst, refilled at `limit` per `intervalMs` (engine clock). */
  orderRate: z.strictObject({ limit: z.number().int().positive(), intervalMs: positive }).optional(),
  /** Fat-finger band: a limit price may differ from the last price by at most this fraction (0.05 = 5 %). */
  priceBand: positive.optional(),
  /** Cash account: a buy needs cash for its notional and fee, after what open buys reserve. Accounts only. */
  requireCash: z.boolean().optional(),
  /** False refuses sells that could take the position below zero. Default true (the engine allows shorts). */
  allowShort: z.boolean().optional(),
});

/** Limits of one scope; see {@link RiskLimitsSchema}. */
export type RiskLimits = z.input<typeof RiskLimitsSchema>;

/** Options of {@link createRiskRule}. */
export const RiskRuleOptionsSchema = z.strictObject({
  /** Limits for every account without its own entry (merged under an account's own entry). */
  defaults: RiskLimitsSchema.optional(),
  /** Limits per account id. */
  accounts: z.record(z.string(), RiskLimitsSchema).optional(),
  /** Limits per strategy id, applied to that strategy's virtual positions and orders in the order's account. */
  strategies: z.record(z.string(), RiskLimitsSchema).optional(),
});

export type RiskRuleOptions = z.input<typeof RiskRuleOptionsSchema>;

type Limits = z.output<typeof RiskLimitsSchema>;
type Check = (context: PreTradeContext, strategyId: string | undefined) => Denial | undefined;

interface Bucket {
  tokens: number;
  ts: number;
}

interface CompiledScope {
  readonly label: string;
  readonly checks: readonly Check[];
  readonly rate: { readonly limit: number; readonly intervalMs: number } | undefined;
  readonly buckets: Map<string, Bucket>;
}

const EMPTY_POSITIONS: ReadonlyMap<string, PositionView> = new Map();

const fmt = (n: number, digits = 12): string => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = (fraction: number): string => `${fmt(fraction * 100, 4)} %`;

function deny(reason: DenialReason, detail: string, label: string): Denial {
  return { reason, message: `${reason}: ${detail} (${label})` };
}

/** Price an order is valued at: its limit, else its trigger, else the last price (NaN if none). */
export function referencePrice(context: Pick<PreTradeContext, 'order' | 'lastPrice'>): number {
  return context.order.price ?? context.order.triggerPrice ?? context.lastPrice;
}

function positionsOf(
  context: PreTradeContext,
  strategyId: string | undefined,
): ReadonlyMap<string, PositionView> {
  if (strategyId === undefined) return context.account.positions;
  return context.account.strategyPositions.get(strategyId) ?? EMPTY_POSITIONS;
}

function* openOrdersOf(context: PreTradeContext, strategyId: string | undefined): Iterable<Order> {
  for (const order of context.openOrders.values()) {
    if (strategyId === undefined || order.strategyId === strategyId) yield order;
  }
}

const qtyUnits = (order: Order, quantity: number): number => toUnitsExact(quantity, order.quantityPrecision);

type Valuer = (instrument: Instrument, price: number, units: number) => number;

/** Signed notional in minor units of `units` quantity units at `price`, in a currency of `currencyPrecision`. */
const valuer =
  (currencyPrecision: number): Valuer =>
  (instrument, price, units) => {
    const v = notionalMinorUnits(
      instrument,
      { pxUnits: priceToUnits(instrument, price), qtyUnits: Math.abs(units) },
      currencyPrecision,
    );
    return units < 0 ? -v : v;
  };

/** Position and open buys/sells of one instrument in a scope, quantity units. */
interface Exposure {
  readonly instrument: Instrument;
  position: number;
  buys: number;
  sells: number;
}

function exposures(context: PreTradeContext, strategyId: string | undefined): Map<string, Exposure> {
  const out = new Map<string, Exposure>();
  for (const [id, book] of positionsOf(context, strategyId)) {
    if (book.qtyUnits !== 0)
      out.set(id, { instrument: book.instrument, position: book.qtyUnits, buys: 0, sells: 0 });
  }
  for (const order of openOrdersOf(context, strategyId)) {
    let e = out.get(order.instrumentId);
    if (e === undefined) {
      e = { instrument: context.market.instrument(order.instrumentId), position: 0, buys: 0, sells: 0 };
      out.set(order.instrumentId, e);
    }
    if (order.side === 'buy') e.buys += qtyUnits(order, order.leavesQty);
    else e.sells += qtyUnits(order, order.leavesQty);
  }
  return out;
}

/** The price an instrument's exposure is valued at: its last price, else its last mark, else NaN. */
function exposurePrice(context: PreTradeContext, instrument: Instrument): number {
  const last = context.market.lastPrice(instrument.id);
  if (!Number.isNaN(last)) return last;
  const mark = context.account.positions.get(instrument.id)?.markPxUnits ?? 0;
  if (mark !== 0) return fromUnits(mark, instrument.pricePrecision);
  return instrument.id === context.instrument.id ? referencePrice(context) : Number.NaN;
}

/** Worst-case gross and net exposure (minor units) of a scope, before and after the order. */
function projectedExposure(
  context: PreTradeContext,
  strategyId: string | undefined,
): { gross: number; grossAfter: number; net: number; netAfter: number } | Denial {
  const all = exposures(context, strategyId);
  const { order, instrument } = context;
  const value = valuer(context.account.currencyPrecision);
  let mine = all.get(instrument.id);
  if (mine === undefined) {
    mine = { instrument, position: 0, buys: 0, sells: 0 };
    all.set(instrument.id, mine);
  }
  let gross = 0;
  let upper = 0;
  let lower = 0;
  let grossAfter = 0;
  let upperAfter = 0;
  let lowerAfter = 0;
  const q = qtyUnits(order, order.quantity);
  for (const e of all.values()) {
    const price = exposurePrice(context, e.instrument);
    if (Number.isNaN(price)) {
      return { reason: 'PRICE_UNKNOWN', message: `PRICE_UNKNOWN: no price to value ${e.instrument.id} at` };
    }
    const long = value(e.instrument, price, e.position + e.buys);
    const short = value(e.instrument, price, e.position - e.sells);
    gross += Math.max(Math.abs(long), Math.abs(short));
    upper += long;
    lower += short;
    if (e === mine) {
      const longAfter = order.side === 'buy' ? value(e.instrument, price, e.position + e.buys + q) : long;
      const shortAfter = order.side === 'sell' ? value(e.instrument, price, e.position - e.sells - q) : short;
      grossAfter += Math.max(Math.abs(longAfter), Math.abs(shortAfter));
      upperAfter += longAfter;
      lowerAfter += shortAfter;
    } else {
      grossAfter += Math.max(Math.abs(long), Math.abs(short));
      upperAfter += long;
      lowerAfter += short;
    }
  }
  return {
    gross,
    grossAfter,
    net: Math.max(Math.abs(upper), Math.abs(lower)),
    netAfter: Math.max(Math.abs(upperAfter), Math.abs(lowerAfter)),
  };
}

const isDenial = (value: object): value is Denial => 'reason' in value;

/** Money limit in minor units (rounded to the nearest minor unit). */
const limitUnits = (limit: number, currencyPrecision: number): number =>
  Math.round(limit * pow10(currencyPrecision));

function compile(limits: Limits, label: string, forStrategy: boolean): CompiledScope {
  if (forStrategy && (limits.requireCash || limits.maxLeverage !== undefined)) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `${label}: requireCash and maxLeverage apply to accounts, not strategies`,
    });
  }
  const checks: Check[] = [];
  const {
    maxOrderQuantity,
    maxOrderNotional,
    maxPosition,
    maxGrossExposure,
    maxNetExposure,
    maxLeverage,
    maxOpenOrders,
    priceBand,
  } = limits;

  if (maxOrderQuantity !== undefined) {
    checks.push(({ order }) =>
      order.quantity > maxOrderQuantity
        ? deny('MAX_ORDER_QUANTITY_EXCEEDED', `${fmt(order.quantity)} > ${fmt(maxOrderQuantity)}`, label)
        : undefined,
    );
  }

  if (priceBand !== undefined) {
    checks.push(({ order, lastPrice }) => {
      if (order.price === undefined || Number.isNaN(lastPrice) || lastPrice <= 0) return undefined;
      const off = Math.abs(order.price - lastPrice) / lastPrice;
      return off > priceBand
        ? deny(
            'PRICE_BAND_EXCEEDED',
            `limit ${fmt(order.price)} is ${pct(off)} from the last price ${fmt(lastPrice)} > ${pct(priceBand)}`,
            label,
          )
        : undefined;
    });
  }

  if (maxOrderNotional !== undefined) {
    checks.push((context) => {
      const price = referencePrice(context);
      if (Number.isNaN(price)) {
        return deny('PRICE_UNKNOWN', 'no last price to value a market order at', label);
      }
      const cp = context.account.currencyPrecision;
      const notional = valuer(cp)(context.instrument, price, qtyUnits(context.order, context.order.quantity));
      const max = limitUnits(maxOrderNotional, cp);
      return notional > max
        ? deny('MAX_NOTIONAL_EXCEEDED', `${fmt(fromUnits(notional, cp))} > ${fmt(maxOrderNotional)}`, label)
        : undefined;
    });
  }

  if (maxOpenOrders !== undefined) {
    checks.push((context, strategyId) => {
      let open = 0;
      for (const _ of openOrdersOf(context, strategyId)) open++;
      return open + 1 > maxOpenOrders
        ? deny('MAX_OPEN_ORDERS_EXCEEDED', `${open + 1} > ${maxOpenOrders}`, label)
        : undefined;
    });
  }

  if (maxPosition !== undefined || limits.allowShort === false) {
    const allowShort = limits.allowShort !== false;
    checks.push((context, strategyId) => {
      const { order, instrument } = context;
      const max = typeof maxPosition === 'number' ? maxPosition : maxPosition?.[instrument.id];
      const position = positionsOf(context, strategyId).get(instrument.id)?.qtyUnits ?? 0;
      const pending = openSideUnits(openOrdersOf(context, strategyId), {
        instrumentId: instrument.id,
        side: order.side,
      });
      const q = qtyUnits(order, order.quantity);
      const before = order.side === 'buy' ? position + pending : position - pending;
      const after = order.side === 'buy' ? before + q : before - q;
      const qp = instrument.quantityPrecision;
      if (!allowShort && order.side === 'sell' && after < 0) {
        return deny('SHORT_NOT_ALLOWED', `the position could go to ${fmt(fromUnits(after, qp))}`, label);
      }
      if (max === undefined || Math.abs(after) <= Math.abs(before)) return undefined;
      const maxUnits = Math.round(max * pow10(qp));
      return Math.abs(after) > maxUnits
        ? deny(
            'MAX_POSITION_EXCEEDED',
            `|${fmt(fromUnits(after, qp))}| > ${fmt(max)} ${instrument.id}`,
            label,
          )
        : undefined;
    });
  }

  if (maxGrossExposure !== undefined || maxNetExposure !== undefined || maxLeverage !== undefined) {
    checks.push((context, strategyId) => {
      const projection = projectedExposure(context, strategyId);
      if (isDenial(projection)) return projection;
      const cp = context.account.currencyPrecision;
      const money = (units: number): string => fmt(fromUnits(units, cp));
      const { gross, grossAfter, net, netAfter } = projection;
      if (
        maxGrossExposure !== undefined &&
        grossAfter > gross &&
        grossAfter > limitUnits(maxGrossExposure, cp)
      ) {
        return deny('MAX_GROSS_EXPOSURE_EXCEEDED', `${money(grossAfter)} > ${fmt(maxGrossExposure)}`, label);
      }
      if (maxNetExposure !== undefined && netAfter > net && netAfter > limitUnits(maxNetExposure, cp)) {
        return deny('MAX_NET_EXPOSURE_EXCEEDED', `${money(netAfter)} > ${fmt(maxNetExposure)}`, label);
      }
      if (maxLeverage !== undefined && grossAfter > gross) {
        const equity = context.account.equityUnits;
        if (equity <= 0 || grossAfter > equity * maxLeverage) {
          const leverage = equity <= 0 ? Number.POSITIVE_INFINITY : grossAfter / equity;
          return deny('MAX_LEVERAGE_EXCEEDED', `${fmt(leverage, 4)} > ${fmt(maxLeverage)}`, label);
        }
      }
      return undefined;
    });
  }

  if (limits.requireCash) {
    checks.push((context) => {
      const { order, instrument } = context;
      if (order.side !== 'buy') return undefined;
      const price = referencePrice(context);
      if (Number.isNaN(price))
        return deny('PRICE_UNKNOWN', 'no last price to value a market order at', label);
      const cp = context.account.currencyPrecision;
      const required = buyCostMinorUnits(
        instrument,
        { pxUnits: priceToUnits(instrument, price), qtyUnits: qtyUnits(order, order.quantity) },
        cp,
      );
      const available =
        context.account.cashUnits - reservedCashUnits(context.openOrders.values(), context.market, cp);
      return required > available
        ? deny(
            'INSUFFICIENT_CASH',
            `${fmt(fromUnits(required, cp))} > ${fmt(fromUnits(available, cp))} available`,
            label,
          )
        : undefined;
    });
  }

  return { label, checks, rate: limits.orderRate, buckets: new Map() };
}

function runChecks(
  scope: CompiledScope,
  context: PreTradeContext,
  strategyId: string | undefined,
): Denial | undefined {
  const checks = scope.checks;
  for (let i = 0; i < checks.length; i++) {
    const denial = (checks[i] as Check)(context, strategyId);
    if (denial) return denial;
  }
  return undefined;
}

/** Refills a bucket to `now` and returns it (created full). */
function bucket(scope: CompiledScope, key: string, now: number): Bucket {
  const rate = scope.rate as { limit: number; intervalMs: number };
  let b = scope.buckets.get(key);
  if (b === undefined) {
    b = { tokens: rate.limit, ts: now };
    scope.buckets.set(key, b);
  } else if (now > b.ts) {
    b.tokens = Math.min(rate.limit, b.tokens + ((now - b.ts) * rate.limit) / rate.intervalMs);
    b.ts = now;
  }
  return b;
}

function rateDenial(scope: CompiledScope, b: Bucket): Denial {
  const rate = scope.rate as { limit: number; intervalMs: number };
  const waitMs = Math.ceil(((1 - b.tokens) * rate.intervalMs) / rate.limit);
  return deny(
    'ORDER_RATE_EXCEEDED',
    `more than ${rate.limit} orders per ${fmt(rate.intervalMs)} ms (next in ${fmt(waitMs)} ms)`,
    scope.label,
  );
}

/**
 * Builds one pre-trade rule from per-account and per-strategy limits. Pass it in the engine's
 * `rules`. An order is checked against its account's limits (or `defaults`), then against its
 * strategy's; the order-rate buckets are drawn last, and only when every other check passed, so
 * a denied order does not use up the rate. Denials carry the numbers that failed:
 * `MAX_NOTIONAL_EXCEEDED: 12,400 > 10,000 (account main)`.
 *
 * @example
 * const engine = createEngine({
 *   instruments: [spx],
 *   rules: [createRiskRule({ defaults: { maxOrderNotional: 10_000, orderRate: { limit: 5, intervalMs: 1_000 } } })],
 * });
 */
export function createRiskRule(options: RiskRuleOptions): PreTradeRule {
  const parsed = RiskRuleOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid risk limits: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const { defaults, accounts = {}, strategies = {} } = parsed.data;
  // Accounts without their own entry get `defaults`, compiled on first use so denials name the account.
  const accountScopes = new Map<string, CompiledScope | undefined>();
  const accountScope = (accountId: string): CompiledScope | undefined => {
    if (accountScopes.has(accountId)) return accountScopes.get(accountId);
    const scope = defaults ? compile(defaults, `account ${accountId}`, false) : undefined;
    accountScopes.set(accountId, scope);
    return scope;
  };
  for (const [id, limits] of Object.entries(accounts)) {
    accountScopes.set(id, compile({ ...defaults, ...limits }, `account ${id}`, false));
  }
  const strategyScopes = new Map<string, CompiledScope>();
  for (const [id, limits] of Object.entries(strategies)) {
    strategyScopes.set(id, compile(limits, `strategy ${id}`, true));
  }
  return (context) => {
    const { order } = context;
    const account = accountScope(order.accountId);
    const strategyScope = strategyScopes.get(order.strategyId);
    if (account) {
      const denial = runChecks(account, context, undefined);
      if (denial) return denial;
    }
    if (strategyScope) {
      const denial = runChecks(strategyScope, context, order.strategyId);
      if (denial) return denial;
    }
    const now = order.tsInit;
    const accountBucket = account?.rate ? bucket(account, order.accountId, now) : undefined;
    if (accountBucket && accountBucket.tokens < 1) return rateDenial(account as CompiledScope, accountBucket);
    const strategyBucket = strategyScope?.rate ? bucket(strategyScope, order.accountId, now) : undefined;
    if (strategyBucket && strategyBucket.tokens < 1)
      return rateDenial(strategyScope as CompiledScope, strategyBucket);
    if (accountBucket) accountBucket.tokens -= 1;
    if (strategyBucket) strategyBucket.tokens -= 1;
    return undefined;
  };
}
