import { fromUnits, toUnitsExact } from '../model/decimal';
import { isOpen, type Order, type OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import type { ExecutionClient, OrderAmendment } from '../ports/execution-client';
import type { OrderOrigin } from './order-manager';

/** What the emulator does to orders: the engine's (or an order service's) own submit, cancel and amend. */
export interface ContingentOrderSink {
  /** Submits a child order through risk and execution; returns it as it stands after that. */
  submit(request: OrderRequest, origin: OrderOrigin): Order;
  cancel(clientOrderId: string): boolean;
  amend(clientOrderId: string, amendment: OrderAmendment): boolean;
  /** The order as it stands now, or undefined when unknown. */
  order(clientOrderId: string): Order | undefined;
  /**
   * Optional: places two orders as one native OCO at the venue, each through risk (a denial of either
   * denies both), and returns them as they stand after that; or returns undefined, having done
   * nothing, when the venue cannot hold this pair. Without it every pair is emulated.
   */
  submitOco?(legs: readonly [ContingentLeg, ContingentLeg]): readonly [Order, Order] | undefined;
  /**
   * False when the venue cannot raise a working order's quantity (see {@link canAmendUp}): a
   * bracket's exits are then placed once its entry stopped filling — filled whole, or ended after a
   * part — for everything it filled, instead of on its first fill and amended up by each later one
   * (an amendment such a venue refuses, leaving the exits covering the first fill only). Default true.
   */
  readonly amendsUp?: boolean;
}

/** Whether `client` can raise a working order's quantity: it amends (`modifyOrder`), and not only down. */
export function canAmendUp(client: Pick<ExecutionClient, 'modifyOrder' | 'amendsUp'>): boolean {
  return client.modifyOrder !== undefined && client.amendsUp !== false;
}

/** One order of a pair handed to {@link ContingentOrderSink.submitOco}. */
export interface ContingentLeg {
  readonly request: OrderRequest;
  readonly origin: OrderOrigin;
}

/** A bracket's exits, waiting for their entry's fills. */
interface Link {
  readonly entry: Order;
  readonly exits: readonly { readonly suffix: string; readonly request: OrderRequest }[];
  /** The exits working now (or last), by client order id. */
  children: string[];
  /** How many times the exits were placed (a new set when the entry fills after the last set ended). */
  round: number;
  /** Filled by the entry and not yet protected (exits held back until it stops filling; see `amendsUp`). */
  heldUnits: number;
}

/** Orders that cancel each other: a fill of one reduces the others by as much. */
interface Group {
  readonly members: readonly string[];
}

/** The longest client order id most venues take (Binance: 36, see `VENUE_CLIENT_ORDER_ID`). */
const MAX_CHILD_ID = 36;

/** FNV-1a over the UTF-16 code units of `text`, from `seed`: a 32-bit hash. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The client order id of a contingent child (`tp`, `sl`, `sl2`, `oco`): `{parentId}-{suffix}` when
 * that fits in 36 characters (Binance's limit on `newClientOrderId`), else the parent's first
 * characters, `.`, a 10-character base-36 hash of the whole parent id (two FNV-1a rounds, ~47 bits)
 * and `-{suffix}`, 36 characters in all. Deterministic (a restarted process derives the same ids);
 * two parents that share their first characters get different children unless their hashes collide
 * (about one chance in 2^47 per pair). Characters stay within `[.A-Za-z0-9:/_-]` when the parent's do.
 *
 * @example
 * childOrderId('rx-1a-SmaCross-17', 'tp'); // 'rx-1a-SmaCross-17-tp'
 * childOrderId('rx-1a-BreakoutWithBracket-1234567', 'sl2'); // 'rx-1a-BreakoutWithBra.1xu1lsjb3h-sl2' (36)
 */
export function childOrderId(parentId: string, suffix: string): string {
  const plain = `${parentId}-${suffix}`;
  if (plain.length <= MAX_CHILD_ID) return plain;
  const hash =
    fnv1a(parentId, 0x811c9dc5).toString(36).padStart(7, '0').slice(-7) +
    fnv1a(parentId, 0x01000193).toString(36).padStart(3, '0').slice(-3);
  const head = parentId.slice(0, Math.max(0, MAX_CHILD_ID - suffix.length - hash.length - 2));
  return `${head}.${hash}-${suffix}`;
}

/**
 * The client order ids of the orders `request` (sent as `clientOrderId`) makes the emulator place
 * first: its OCO sibling, or its bracket's exits (`tp`, `sl`; see {@link childOrderId}). A later set
 * of exits, placed when the entry fills again after the last set ended, takes the round's number
 * (`tp2`, `sl2`).
 */
export function contingentIds(clientOrderId: string, request: OrderRequest): string[] {
  if (request.oco !== undefined) return [request.oco.clientOrderId ?? childOrderId(clientOrderId, 'oco')];
  const ids: string[] = [];
  if (request.takeProfit !== undefined) ids.push(childOrderId(clientOrderId, 'tp'));
  if (request.stopLoss !== undefined) ids.push(childOrderId(clientOrderId, 'sl'));
  return ids;
}

/** True when a request carries contingent orders (a take-profit, a stop-loss or an OCO sibling). */
export function hasContingency(request: OrderRequest): boolean {
  return request.takeProfit !== undefined || request.stopLoss !== undefined || request.oco !== undefined;
}

/** The sibling an OCO request asks for: same instrument, side, quantity and time in force; its own type and prices. */
function ocoSibling(
  order: Pick<
    OrderRequest,
    'instrumentId' | 'side' | 'quantity' | 'timeInForce' | 'expireTime' | 'reduceOnly'
  >,
  oco: NonNullable<OrderRequest['oco']>,
): OrderRequest {
  return {
    instrumentId: order.instrumentId,
    side: order.side,
    type: oco.type,
    quantity: order.quantity,
    price: oco.price,
    triggerPrice: oco.triggerPrice,
    trailingAmount: oco.trailingAmount,
    trailingPercent: oco.trailingPercent,
    timeInForce: order.timeInForce,
    expireTime: order.expireTime,
    reduceOnly: order.reduceOnly,
  };
}

/**
 * The order emulator: contingent orders held in the process, for any venue. It never trades by
 * itself; it submits, amends and cancels through a {@link ContingentOrderSink}, so each child passes
 * risk like any order and fills like its stand-alone type at the venue.
 *
 * - **OCO** (`oco` on a request): the sibling works beside the order, same side and quantity. A fill
 *   of either reduces the other by as much (amended down, canceled at zero); when either ends
 *   without filling whole (canceled, expired, rejected, denied), the other is canceled.
 * - **OTO / bracket** (`takeProfit` and/or `stopLoss` on an entry): the exits (opposite side,
 *   reduce-only, GTC) are placed when the entry first fills, for the quantity filled; each later
 *   fill of the entry amends them up by its quantity. Two exits are an OCO pair. An entry that ends
 *   before any fill places nothing. At a venue that cannot raise an order's quantity (sink
 *   `amendsUp: false`, see {@link canAmendUp}) the exits are placed once the entry stopped filling,
 *   for all it filled — as one native OCO where the venue holds the pair.
 * - **Native OCO**: when the sink offers `submitOco` (a venue that holds OCO pairs itself, such as
 *   Binance through `@rxtrade/ccxt`), an OCO request ({@link submitNativeOco}) and the two exits of an
 *   entry filled whole go to the venue as one pair, and the venue cancels one when the other fills or
 *   triggers; other pairs are emulated as above.
 *
 * Call {@link register} after submitting a request with contingent parts, and {@link onEvent} with
 * every order event after it was applied (and delivered).
 */
export class OrderEmulator {
  readonly #sink: ContingentOrderSink;
  readonly #links = new Map<string, Link>();
  readonly #groups = new Map<string, Group>();

  constructor(sink: ContingentOrderSink) {
    this.#sink = sink;
  }

  /** Entries waiting or protected, plus OCO members working: zero when there is nothing to do. */
  get size(): number {
    return this.#links.size + this.#groups.size;
  }

  /**
   * Places an OCO request (`oco` on it) as one native pair when the sink can (see
   * {@link ContingentOrderSink.submitOco}) and returns its first order; the venue then holds the
   * pair, not the emulator. Undefined when it cannot, with nothing done: submit the request as usual
   * and {@link register} it.
   */
  submitNativeOco(request: OrderRequest, origin: OrderOrigin): Order | undefined {
    const oco = request.oco;
    if (oco === undefined || this.#sink.submitOco === undefined) return undefined;
    const sibling = ocoSibling(request, oco);
    const siblingId = oco.clientOrderId ?? childOrderId(origin.clientOrderId, 'oco');
    const { oco: _oco, ...first } = request;
    const pair = this.#sink.submitOco([
      { request: first, origin },
      { request: sibling, origin: { ...origin, clientOrderId: siblingId } },
    ]);
    return pair?.[0];
  }

  /** Takes the contingent parts of `request`, just submitted as `order`. */
  register(order: Order, request: OrderRequest): void {
    if (!isOpen(order)) return;
    const id = order.clientOrderId;
    const oco = request.oco;
    if (oco !== undefined) {
      const siblingId = oco.clientOrderId ?? childOrderId(id, 'oco');
      this.#group([id, siblingId]);
      this.#sink.submit(ocoSibling(order, oco), this.#origin(order, siblingId));
      return;
    }
    const exits: { suffix: string; request: OrderRequest }[] = [];
    const side = order.side === 'buy' ? 'sell' : 'buy';
    const base = {
      instrumentId: order.instrumentId,
      side,
      quantity: order.quantity,
      reduceOnly: true,
    } as const;
    const tp = request.takeProfit;
    if (tp !== undefined) exits.push({ suffix: 'tp', request: { ...base, type: 'limit', price: tp.price } });
    const sl = request.stopLoss;
    if (sl !== undefined) {
      exits.push({
        suffix: 'sl',
        request: {
          ...base,
          type: sl.price === undefined ? 'stop' : 'stopLimit',
          triggerPrice: sl.triggerPrice,
          price: sl.price,
          trailingAmount: sl.trailingAmount,
          trailingPercent: sl.trailingPercent,
        },
      });
    }
    this.#links.set(id, { entry: order, exits, children: [], round: 0, heldUnits: 0 });
  }

  /** Acts on an order event that was applied to `order`. */
  onEvent(event: OrderEvent, order: Order): void {
    const id = event.clientOrderId;
    const link = this.#links.get(id);
    const group = this.#groups.get(id);
    if (link === undefined && group === undefined) return;
    if (event.type === 'OrderFilled') {
      const qtyUnits = toUnitsExact(event.lastQty, order.quantityPrecision);
      if (link !== undefined) {
        // A venue that cannot raise the exits gets them once, for the whole fill (see `amendsUp`).
        if (this.#sink.amendsUp === false && isOpen(order)) link.heldUnits += qtyUnits;
        else this.#protect(link, this.#takeHeld(link) + qtyUnits, isOpen(order));
      }
      if (group !== undefined) this.#reduceSiblings(group, order, qtyUnits);
      if (link !== undefined && !isOpen(order)) this.#links.delete(id);
      return;
    }
    if (isOpen(order)) return;
    // Ended without filling whole: the entry places no more exits (those held back for what it filled
    // go out now); an OCO member takes the others along.
    if (link !== undefined) {
      const held = this.#takeHeld(link);
      if (held > 0) this.#protect(link, held, false);
      this.#links.delete(id);
    }
    if (group !== undefined) this.#dissolve(group, id);
  }

  /**
   * Places an entry's exits for a fill of `qtyUnits`, or adds it to the exits working. Two exits for
   * an entry filled whole (no later fill will amend them) go to the venue as one native OCO when the
   * sink can; otherwise the emulator groups them.
   */
  #protect(link: Link, qtyUnits: number, entryOpen: boolean): void {
    const precision = link.entry.quantityPrecision;
    const working = link.children.filter((child) => {
      const order = this.#sink.order(child);
      return order !== undefined && isOpen(order);
    });
    if (working.length > 0) {
      for (const child of working) {
        const order = this.#sink.order(child) as Order;
        const quantity = fromUnits(toUnitsExact(order.quantity, precision) + qtyUnits, precision);
        this.#sink.amend(child, { quantity });
      }
      return;
    }
    link.round += 1;
    const quantity = fromUnits(qtyUnits, precision);
    const entryId = link.entry.clientOrderId;
    const round = link.round === 1 ? '' : String(link.round);
    link.children = link.exits.map((exit) => childOrderId(entryId, `${exit.suffix}${round}`));
    const legs = link.exits.map((exit, i) => ({
      request: { ...exit.request, quantity },
      origin: this.#origin(link.entry, link.children[i] as string),
    }));
    const [a, b] = legs;
    if (!entryOpen && legs.length === 2 && this.#sink.submitOco?.([a, b] as [ContingentLeg, ContingentLeg])) {
      return;
    }
    if (link.children.length > 1) this.#group(link.children);
    for (const leg of legs) this.#sink.submit(leg.request, leg.origin);
  }

  #takeHeld(link: Link): number {
    const held = link.heldUnits;
    link.heldUnits = 0;
    return held;
  }

  /** A member filled `qtyUnits`: the others shrink by as much; at zero they are canceled. */
  #reduceSiblings(group: Group, filled: Order, qtyUnits: number): void {
    const precision = filled.quantityPrecision;
    const amendments: [string, number][] = [];
    const cancels: string[] = [];
    for (const member of group.members) {
      if (member === filled.clientOrderId) continue;
      const order = this.#sink.order(member);
      if (order === undefined || !isOpen(order)) continue;
      const left = toUnitsExact(order.quantity, precision) - qtyUnits;
      if (left > toUnitsExact(order.filledQty, precision))
        amendments.push([member, fromUnits(left, precision)]);
      else cancels.push(member);
    }
    // Done when the fill completed an order or emptied a sibling: forget the group before the cancels report back.
    if (!isOpen(filled) || cancels.length > 0) this.#forget(group);
    for (const [member, quantity] of amendments) this.#sink.amend(member, { quantity });
    for (const member of cancels) this.#sink.cancel(member);
  }

  /** One member ended: cancel the others that still work. */
  #dissolve(group: Group, ended: string): void {
    this.#forget(group);
    for (const member of group.members) if (member !== ended) this.#sink.cancel(member);
  }

  #group(members: readonly string[]): void {
    const group: Group = { members };
    for (const member of members) this.#groups.set(member, group);
  }

  #forget(group: Group): void {
    for (const member of group.members) this.#groups.delete(member);
  }

  #origin(order: Order, clientOrderId: string): OrderOrigin {
    return { clientOrderId, strategyId: order.strategyId, accountId: order.accountId };
  }
}
