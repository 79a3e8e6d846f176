import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import { fromUnits, toUnitsExact } from '../../model/decimal';
import {
  applyOrderEvent,
  createOrder,
  type Order,
  type OrderRequest,
  TERMINAL_STATUSES,
} from '../../model/order';
import { type OrderEvent, OrderEventSchema } from '../../model/order-events';
import type { ExecutionClient, VenueEvent } from '../../ports/execution-client';

/**
 * A venue and the client under test, plus the controls the suite drives the venue with. The suite
 * never waits on real time: after each action it calls `settle()`, which must leave the client having
 * reported everything the venue did so far (poll once for a polling client; nothing for a venue that
 * reports synchronously).
 */
export interface ExecutionClientHarness {
  /** The client under test, not yet connected. */
  readonly client: ExecutionClient;
  /** The instrument the suite trades: its id at this client and the decimals of its quantities. */
  readonly instrument: { readonly id: string; readonly quantityPrecision: number };
  /** A quantity the venue accepts for a buy, at least two lots with an even number of lots (for partial fills). */
  readonly quantity: number;
  /** A buy limit price on the grid that does not cross when placed, so the order rests until {@link fill}. */
  readonly restingBuyPrice: number;
  /** Fields that take an order off the venue's grid (for example `{ quantity: 0.5 }` on whole units). */
  readonly offGrid: Partial<OrderRequest>;
  /**
   * Makes the venue trade the working order `clientOrderId`: all that is left, or `quantity` of it.
   * A bar-driven venue is sent a bar that crosses it; an exchange fake fills it by hand. The suite
   * calls it with at most one order working, and for a market order the client already sent.
   */
  fill(clientOrderId: string, quantity?: number): Promise<void> | void;
  /** Lets the client catch up with the venue (a poll). Default: nothing to do. */
  settle?(): Promise<void>;
  /**
   * For clients that do I/O: the venue takes the next order but its answer is lost (a timeout or a
   * dropped connection). Leave it out for a client that answers synchronously (a simulated venue):
   * the suite then requires the outcome to be reported before `submitOrder` resolves.
   */
  loseNextSubmitAnswer?(): void;
  /** Releases the venue (servers, sockets). The suite disconnects the client itself first. */
  close?(): Promise<void>;
}

export interface ExecutionClientContractOptions {
  /** A fresh venue and client for each test. */
  readonly create: () => Promise<ExecutionClientHarness> | ExecutionClientHarness;
  /**
   * True when the client amends working orders (`modifyOrder`): the suite then checks amendments.
   * False or unset: the suite checks that the client has no `modifyOrder` (the engine refuses
   * amendments for it with `AMEND_NOT_SUPPORTED`).
   */
  readonly amends?: boolean;
}

const CODE = /^[A-Z][A-Z0-9_]*$/;

/**
 * The behaviour every {@link ExecutionClient} must have, whatever venue is behind it:
 *
 * - an order is accepted (with a venue order id) and then filled, or rejected with a SCREAMING_SNAKE
 *   reason code and nothing else; every order's events form a legal sequence of the order state
 *   machine (applied with `applyOrderEvent`), and every event passes `OrderEventSchema` (no NaN);
 * - partial fills add up to the quantity; a trade id is reported once, however often the client polls;
 * - cancel ends a working order once: a second cancel, or a cancel of an order the venue does not
 *   know, resolves and never reports a second `OrderCanceled`;
 * - a resent client order id does not become a second order at the venue;
 * - `queryOrder` and `openOrders` tell the venue's view (both are required: a client that cannot be
 *   queried cannot be reconciled);
 * - a submission's outcome is never silent: a client that answers synchronously has reported it when
 *   the call resolves; one that does I/O, after a lost answer, rejects with a typed error whose
 *   `details.outcome` is `UNKNOWN` (never a rejection event), and then finds and follows the order.
 *
 * @example
 * executionClientContract({ create: () => ({ client: new SimulatedVenue(…), instrument, … }) });
 */
export function executionClientContract(options: ExecutionClientContractOptions): void {
  describe('ExecutionClient contract', () => {
    let h: ExecutionClientHarness;
    let client: ExecutionClient;
    let events: VenueEvent[];
    let seq = 0;
    const sent = new Map<string, Order>();

    beforeEach(async () => {
      h = await options.create();
      client = h.client;
      events = [];
      sent.clear();
      client.events$.subscribe((e) => events.push(e));
      await client.connect();
      await client.connect(); // idempotent
    });

    afterEach(async () => {
      try {
        expectLegalSequences();
      } finally {
        await client.disconnect();
        await client.disconnect(); // idempotent
        await h.close?.();
      }
    });

    const settle = async (): Promise<void> => {
      await h.settle?.();
    };

    /** A `submitted` order as the engine hands it over, with a unique client order id. */
    const order = (request: Partial<OrderRequest> = {}): Order => {
      const clientOrderId = `ct${Date.now().toString(36)}${++seq}`;
      const created = createOrder(
        {
          instrumentId: h.instrument.id,
          side: 'buy',
          type: 'market',
          quantity: h.quantity,
          ...request,
        } as OrderRequest,
        {
          clientOrderId,
          accountId: 'contract-acc',
          strategyId: 'contract-s',
          quantityPrecision: h.instrument.quantityPrecision,
          ts: Date.now(),
        },
      );
      const submitted = applyOrderEvent(created, {
        type: 'OrderSubmitted',
        clientOrderId,
        accountId: created.accountId,
        strategyId: created.strategyId,
        instrumentId: created.instrumentId,
        tsEvent: created.tsInit,
      });
      sent.set(clientOrderId, submitted);
      return submitted;
    };
    const resting = (request: Partial<OrderRequest> = {}): Order =>
      order({ type: 'limit', price: h.restingBuyPrice, ...request });

    const of = (id: string): VenueEvent[] => events.filter((e) => e.clientOrderId === id);
    const types = (id: string): string[] => of(id).map((e) => e.type);
    const filledUnits = (id: string): number =>
      of(id).reduce(
        (sum, e) =>
          sum + (e.type === 'OrderFilled' ? toUnitsExact(e.lastQty, h.instrument.quantityPrecision) : 0),
        0,
      );
    const units = (qty: number): number => toUnitsExact(qty, h.instrument.quantityPrecision);

    /** Every event is well-formed, and each order's events apply one after another without an illegal step. */
    function expectLegalSequences(): void {
      for (const event of events) {
        const parsed = OrderEventSchema.safeParse(event);
        expect(parsed.success, `malformed event ${JSON.stringify(event)}: ${parsed.error?.message}`).toBe(
          true,
        );
        if (event.type === 'OrderRejected' || event.type === 'OrderCancelRejected') {
          expect(event.reason).toMatch(CODE);
        }
      }
      for (const [id, start] of sent) {
        let state = start;
        for (const event of of(id)) {
          // A cancel refused because the order had already ended is an answer, not a step of its life
          // (the engine drops it too).
          if (event.type === 'OrderCancelRejected' && TERMINAL_STATUSES.has(state.status)) continue;
          // Illegal transitions, duplicate trade ids and overfills throw here.
          state = applyOrderEvent(state, event as OrderEvent);
        }
      }
      const tradeIds = events.flatMap((e) => (e.type === 'OrderFilled' ? [e.tradeId] : []));
      expect(new Set(tradeIds).size, `trade ids reported twice: ${tradeIds.join(', ')}`).toBe(
        tradeIds.length,
      );
    }

    const queryOrder = (id: string) => {
      if (!client.queryOrder) throw new Error(`${client.venue}: queryOrder is required by the contract`);
      return client.queryOrder(id);
    };
    const openIds = async (): Promise<string[]> => {
      if (!client.openOrders) throw new Error(`${client.venue}: openOrders is required by the contract`);
      const open = await client.openOrders();
      return open.map((r) => r.clientOrderId).filter((id) => sent.has(id));
    };

    it('names its venue', () => {
      expect(typeof client.venue).toBe('string');
      expect(client.venue.length).toBeGreaterThan(0);
    });

    it('accepts a market order and fills all of it, with the order’s identity on every event', async () => {
      const o = order();
      await client.submitOrder(o);
      await h.fill(o.clientOrderId);
      await settle();
      const own = of(o.clientOrderId);
      expect(own[0]?.type).toBe('OrderAccepted');
      const accepted = own[0] as Extract<VenueEvent, { type: 'OrderAccepted' }>;
      expect(accepted.venueOrderId.length).toBeGreaterThan(0);
      expect(filledUnits(o.clientOrderId)).toBe(units(o.quantity));
      for (const e of own) {
        expect(e).toMatchObject({
          accountId: o.accountId,
          strategyId: o.strategyId,
          instrumentId: o.instrumentId,
        });
        if (e.type === 'OrderFilled')
          expect(e).toMatchObject({ side: 'buy', venueOrderId: accepted.venueOrderId });
      }
      expect(await queryOrder(o.clientOrderId)).toMatchObject({
        clientOrderId: o.clientOrderId,
        venueOrderId: accepted.venueOrderId,
        instrumentId: o.instrumentId,
        status: 'filled',
        filledQty: o.quantity,
        quantity: o.quantity,
      });
      expect(await openIds()).toEqual([]);
    });

    if (options.amends) {
      it('amends a working order’s quantity (OrderUpdated) and refuses to amend one that is done', async () => {
        const o = resting();
        await client.submitOrder(o);
        await settle();
        const half = fromUnits(units(o.quantity) / 2, h.instrument.quantityPrecision);
        if (!client.modifyOrder)
          throw new Error(`${client.venue}: modifyOrder is required when amends is set`);
        await client.modifyOrder(o, { quantity: half });
        await settle();
        expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderUpdated']);
        expect(of(o.clientOrderId)[1]).toMatchObject({ quantity: half });
        expect(await queryOrder(o.clientOrderId)).toMatchObject({ quantity: half, filledQty: 0 });
        await h.fill(o.clientOrderId);
        await settle();
        expect(filledUnits(o.clientOrderId)).toBe(units(half));
        await client.modifyOrder(o, { quantity: o.quantity });
        await settle();
        const last = of(o.clientOrderId).at(-1);
        expect(last?.type).toBe('OrderModifyRejected');
        expect((last as { reason: string }).reason).toMatch(CODE);
        expectLegalSequences();
      });
    } else {
      it('has no modifyOrder when it does not amend', () => {
        expect(client.modifyOrder).toBeUndefined();
      });
    }

    it('fills a market sell on the sell side', async () => {
      const o = order({ side: 'sell' });
      await client.submitOrder(o);
      await h.fill(o.clientOrderId);
      await settle();
      const fills = of(o.clientOrderId).filter((e) => e.type === 'OrderFilled');
      expect(fills.length).toBeGreaterThan(0);
      for (const f of fills) expect(f).toMatchObject({ side: 'sell' });
      expect(filledUnits(o.clientOrderId)).toBe(units(o.quantity));
    });

    it('rests a limit order that does not cross, and reports it open and unfilled', async () => {
      const o = resting();
      await client.submitOrder(o);
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted']);
      expect(await queryOrder(o.clientOrderId)).toMatchObject({
        clientOrderId: o.clientOrderId,
        status: 'accepted',
        filledQty: 0,
        quantity: o.quantity,
      });
      expect(await openIds()).toEqual([o.clientOrderId]);
    });

    it('reports partial fills that add up to the quantity, and the order partially filled between them', async () => {
      const o = resting();
      await client.submitOrder(o);
      const half = fromUnits(units(o.quantity) / 2, h.instrument.quantityPrecision);
      await h.fill(o.clientOrderId, half);
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled']);
      expect(filledUnits(o.clientOrderId)).toBe(units(half));
      expect(await queryOrder(o.clientOrderId)).toMatchObject({ status: 'partiallyFilled', filledQty: half });
      expect(await openIds()).toEqual([o.clientOrderId]);
      await h.fill(o.clientOrderId);
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled', 'OrderFilled']);
      expect(filledUnits(o.clientOrderId)).toBe(units(o.quantity));
      expect(await queryOrder(o.clientOrderId)).toMatchObject({ status: 'filled', filledQty: o.quantity });
      expect(await openIds()).toEqual([]);
    });

    it('reports each trade once, however often it catches up with the venue', async () => {
      const o = resting();
      await client.submitOrder(o);
      await h.fill(o.clientOrderId, fromUnits(units(o.quantity) / 2, h.instrument.quantityPrecision));
      await settle();
      await settle();
      await h.fill(o.clientOrderId);
      await settle();
      await settle();
      const fills = of(o.clientOrderId).filter((e) => e.type === 'OrderFilled');
      expect(fills).toHaveLength(2);
      expect(filledUnits(o.clientOrderId)).toBe(units(o.quantity));
    });

    it('cancels a working order once: a second cancel resolves and reports no second OrderCanceled', async () => {
      const o = resting();
      await client.submitOrder(o);
      await client.cancelOrder(o);
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderCanceled']);
      await client.cancelOrder(o);
      await settle();
      const after = types(o.clientOrderId).slice(2);
      expect(
        after.every((t) => t === 'OrderCancelRejected'),
        after.join(),
      ).toBe(true);
      expect(await queryOrder(o.clientOrderId)).toMatchObject({ status: 'canceled', filledQty: 0 });
      expect(await openIds()).toEqual([]);
    });

    it('keeps the fills of a partly filled order it cancels', async () => {
      const o = resting();
      await client.submitOrder(o);
      const half = fromUnits(units(o.quantity) / 2, h.instrument.quantityPrecision);
      await h.fill(o.clientOrderId, half);
      await settle();
      await client.cancelOrder(o);
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled', 'OrderCanceled']);
      expect(await queryOrder(o.clientOrderId)).toMatchObject({ status: 'canceled', filledQty: half });
    });

    it('answers a cancel of an order it never sent without throwing or reporting it canceled', async () => {
      const o = resting();
      sent.delete(o.clientOrderId); // never submitted: its events are not a life cycle
      await client.cancelOrder(o);
      await settle();
      expect(types(o.clientOrderId).filter((t) => t !== 'OrderCancelRejected')).toEqual([]);
      expect(await queryOrder(o.clientOrderId)).toBeUndefined();
    });

    it('rejects an order off the venue’s grid with a reason code, and nothing else happens to it', async () => {
      const o = order(h.offGrid);
      await client.submitOrder(o);
      await settle();
      const own = of(o.clientOrderId);
      expect(own.map((e) => e.type)).toEqual(['OrderRejected']);
      expect(own[0]).toMatchObject({ reason: expect.stringMatching(CODE), message: expect.any(String) });
      expect(await openIds()).toEqual([]);
    });

    it('rejects non-finite and non-positive quantities and prices instead of working them', async () => {
      const bad: Partial<OrderRequest>[] = [
        { quantity: Number.NaN },
        { quantity: Number.POSITIVE_INFINITY },
        { quantity: -h.quantity },
        { quantity: -0 },
        { type: 'limit', price: Number.NaN },
        { type: 'limit', price: -h.restingBuyPrice },
      ];
      for (const fields of bad) {
        const o = order(fields);
        await client.submitOrder(o);
        await settle();
        expect(types(o.clientOrderId), JSON.stringify(fields)).toEqual(['OrderRejected']);
      }
      // And the venue still works.
      const ok = order();
      await client.submitOrder(ok);
      await h.fill(ok.clientOrderId);
      await settle();
      expect(filledUnits(ok.clientOrderId)).toBe(units(ok.quantity));
    });

    it('rejects an order for an instrument it does not trade with UNKNOWN_INSTRUMENT', async () => {
      const o = order({ instrumentId: 'NOT-LISTED' });
      await client.submitOrder(o);
      await settle();
      expect(of(o.clientOrderId)).toEqual([
        expect.objectContaining({ type: 'OrderRejected', reason: 'UNKNOWN_INSTRUMENT' }),
      ]);
    });

    it('does not place a resent client order id a second time', async () => {
      const o = resting();
      await client.submitOrder(o);
      await client.submitOrder(o);
      await client.submitOrder({ ...o });
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted']);
      expect(await openIds()).toEqual([o.clientOrderId]);
      // Nor once it has ended: a filled order sent again stays one filled order.
      const m = order();
      await client.submitOrder(m);
      await h.fill(m.clientOrderId);
      await settle();
      const before = types(m.clientOrderId);
      await client.submitOrder(m);
      await h.fill(m.clientOrderId);
      await settle();
      expect(types(m.clientOrderId)).toEqual(before);
      expect(filledUnits(m.clientOrderId)).toBe(units(m.quantity));
    });

    it('answers queries: unknown ids are undefined, open orders are the working ones', async () => {
      expect(await queryOrder('never-sent-anywhere')).toBeUndefined();
      const a = resting();
      const b = resting();
      await client.submitOrder(a);
      await client.submitOrder(b);
      await settle();
      expect((await openIds()).sort()).toEqual([a.clientOrderId, b.clientOrderId].sort());
      const open = (await client.openOrders?.())?.find((r) => r.clientOrderId === a.clientOrderId);
      const accepted = of(a.clientOrderId).find((e) => e.type === 'OrderAccepted');
      expect(open).toMatchObject({
        venueOrderId: accepted && 'venueOrderId' in accepted ? accepted.venueOrderId : 'none',
        instrumentId: a.instrumentId,
        status: 'accepted',
        quantity: a.quantity,
        filledQty: 0,
      });
      await client.cancelOrder(a);
      await settle();
      expect(await openIds()).toEqual([b.clientOrderId]);
    });

    it('never leaves a submission’s outcome silent: reported before the call resolves, or the call rejects with outcome UNKNOWN and the order is found and followed', async () => {
      const o = resting();
      if (!h.loseNextSubmitAnswer) {
        // A client that cannot lose an answer (a simulated venue) has reported the outcome already.
        await client.submitOrder(o);
        expect(types(o.clientOrderId)).toEqual(['OrderAccepted']);
        return;
      }
      h.loseNextSubmitAnswer();
      const error = await client.submitOrder(o).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isRxtradeError(error), String(error)).toBe(true);
      expect(isRxtradeError(error) && error.details?.['outcome']).toBe('UNKNOWN');
      expect(types(o.clientOrderId).filter((t) => t === 'OrderRejected')).toEqual([]);
      // The venue has it: a query finds it, catching up reports it accepted.
      expect(await queryOrder(o.clientOrderId)).toMatchObject({ status: 'accepted', quantity: o.quantity });
      await settle();
      expect(types(o.clientOrderId)).toEqual(['OrderAccepted']);
      // Never sent blindly again: a resend does not place a second order.
      await client.submitOrder(o).catch(() => undefined);
      await settle();
      expect(await openIds()).toEqual([o.clientOrderId]);
      await h.fill(o.clientOrderId);
      await settle();
      expect(filledUnits(o.clientOrderId)).toBe(units(o.quantity));
    });

    it('cancels an order whose submission outcome is still unknown', async () => {
      if (!h.loseNextSubmitAnswer) return; // nothing is ever unknown at a client that answers synchronously
      const o = resting();
      h.loseNextSubmitAnswer();
      await client.submitOrder(o).catch(() => undefined);
      await client.cancelOrder(o);
      await settle();
      expect(types(o.clientOrderId).at(-1)).toBe('OrderCanceled');
      expect(await queryOrder(o.clientOrderId)).toMatchObject({ status: 'canceled', filledQty: 0 });
      expect(await openIds()).toEqual([]);
    });
  });
}
