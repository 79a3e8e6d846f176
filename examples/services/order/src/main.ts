import { randomUUID } from 'node:crypto';
import {
  applyOrderEvent,
  type Bar,
  BarSchema,
  createOrder,
  defineInstrument,
  type Fill,
  ManualClock,
  type Order,
  parseEnvelope,
  SimulatedVenue,
  toUnitsExact,
  type VenueEvent,
} from '@rxtrade/core';
import { withCorrelation } from '@rxtrade/logging';
import { decode, envelope, type Trace, traceOf } from '../../shared/src/envelope';
import { main } from '../../shared/src/harness';
import {
  applyFill,
  orderFromRecord,
  orderToRecord,
  positionFromRecord,
  positionToRecord,
} from '../../shared/src/records';
import { instrumentFor } from '../../shared/src/replay-data';
import {
  CancelRequestSchema,
  type FillPayload,
  KILL_SWITCH_STRATEGY,
  type OrderSubmitPayload,
  OrderSubmitPayloadSchema,
  PAYLOAD_TYPES,
} from '../../shared/src/schemas';
import { keys } from '../../shared/src/state-keys';
import { openBarCache, openHistory } from '../../shared/src/stores';
import { rpc, topics } from '../../shared/src/topics';

interface Waiting {
  readonly submit: OrderSubmitPayload;
  readonly correlationId: string;
  /** Wall-clock start of the order's chain (the bar's publication, or the API request); see Trace. */
  readonly originTs?: number;
  /** Wall-clock time this service received the order. */
  readonly receivedAt?: number;
}

/**
 * Order service (one instance). Executes market orders through a `SimulatedVenue` fed by bars: an
 * order from `orders.submit` fills at the open of the first bar after its `refTs` (what a backtest
 * does). If that bar has not arrived yet, the order waits — in memory and in Redis (`parked:`), so a
 * restarted service resumes it — until `bars.<symbol>` brings it.
 *
 * Exactly-once effects over at-least-once delivery:
 * - the venue order is created once per clientOrderId: `venue-order:<id>` is written with
 *   `eventId: venue:<id>` before the venue sees the order; a redelivered submit finds it and never
 *   submits again (after a crash the simulated venue's memory is gone, so its fill — a pure
 *   function of the order and the bar — is recomputed on a scratch venue: the reconciliation a real
 *   connector would do by querying the venue);
 * - the fill, the position, the account's cash, the order record and the fill record are one
 *   `StateStore.apply` with the fill's tradeId as `eventId`: applied once;
 * - PostgreSQL rows and bus events are written after that, also on a duplicate, and are idempotent
 *   (tradeId, envelope id) downstream.
 * Work on one symbol is serialised in-process (bars and submits arrive on two subscriptions).
 */
main('order', async (ctx) => {
  const { config, ns, logger, bus, store, metrics } = ctx;
  const cache = openBarCache(ctx);
  const history = await openHistory(ctx, 3);
  await history.runs.create({
    runId: ns.runId,
    strategyId: 'fleet',
    mode: 'paper',
    params: { accounts: config.ACCOUNTS },
  });

  const venueOrders = metrics.counter('venue_orders_total', { help: 'Orders created at the venue' });
  const trades = metrics.counter('trades_total', {
    help: 'Fills applied',
    labelNames: ['strategy', 'symbol'],
  });
  const latency = metrics.histogram('order_fill_wait_seconds', {
    help: 'Wall time from submit receipt to fill',
    buckets: [0.001, 0.01, 0.1, 1, 10],
  });
  const chainBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10];
  const toReceipt = metrics.histogram('order_chain_receive_seconds', {
    help: 'Wall time from the start of an order chain (bar published, or API request) to this service receiving the order',
    buckets: chainBuckets,
  });
  const toFill = metrics.histogram('order_chain_fill_seconds', {
    help: 'Wall time from the start of an order chain to its fill being applied (includes waiting for the next bar)',
    buckets: chainBuckets,
  });

  const clock = new ManualClock(0);
  const venue = new SimulatedVenue({ instruments: [], clock, venue: 'SIM' });
  const known = new Set<string>();
  const ensureInstrument = (v: SimulatedVenue, symbol: string): void => {
    v.addInstrument(defineInstrument(instrumentFor(symbol)));
  };

  const recent = new Map<string, Bar[]>();
  const waiting = new Map<string, Map<string, Waiting>>();
  const chains = new Map<string, Promise<unknown>>();
  const serial = <T>(symbol: string, fn: () => Promise<T>): Promise<T> => {
    const prev = chains.get(symbol) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    chains.set(
      symbol,
      next.catch(() => undefined),
    );
    return next;
  };
  /**
   * The bar right after `refTs` in `bars` (oldest first) — only when `bars` reaches back to `refTs`:
   * a window that starts later does not know which bar came next (its oldest bar may be far after it).
   */
  const successor = (bars: readonly Bar[] | undefined, refTs: number): Bar | undefined => {
    if (!bars || bars.length === 0 || (bars[0] as Bar).ts > refTs) return undefined;
    return bars.find((b) => b.ts > refTs);
  };
  const nextBarLocal = (symbol: string, refTs: number): Bar | undefined =>
    successor(recent.get(symbol), refTs);
  /** The same from the Redis bar cache; reads the whole window only when its newest bar is after `refTs`. */
  const successorCached = async (symbol: string, refTs: number): Promise<Bar | undefined> => {
    const newest = (await cache.bars(symbol, 1))[0];
    if (!newest || newest.ts <= refTs) return undefined;
    return successor(await cache.bars(symbol), refTs);
  };
  const park = (w: Waiting): void => {
    let m = waiting.get(w.submit.symbol);
    if (!m) {
      m = new Map();
      waiting.set(w.submit.symbol, m);
    }
    m.set(w.submit.clientOrderId, w);
  };

  const runOnVenue = (v: SimulatedVenue, order: Order, bar: Bar): VenueEvent[] => {
    if (!known.has(`${v === venue}|${bar.symbol}`)) {
      ensureInstrument(v, bar.symbol);
      known.add(`${v === venue}|${bar.symbol}`);
    }
    const events: VenueEvent[] = [];
    const sub = v.events$.subscribe((e) => {
      if (e.clientOrderId === order.clientOrderId) events.push(e);
    });
    try {
      clock.set(bar.ts);
      v.submitOrderSync(order);
      v.processBar(bar);
    } finally {
      sub.unsubscribe();
    }
    return events;
  };

  /** Records an order that will not reach the venue as canceled, un-parks it, and publishes OrderCanceled. */
  const writeCanceled = async (w: Waiting): Promise<void> => {
    const key = keys.order(w.submit.accountId, w.submit.clientOrderId);
    const order = orderFromRecord(await store.get(key));
    const event = {
      type: 'OrderCanceled' as const,
      clientOrderId: w.submit.clientOrderId,
      accountId: w.submit.accountId,
      strategyId: w.submit.strategyId,
      instrumentId: w.submit.symbol,
      tsEvent: w.submit.tsInit,
    };
    const ops = [{ op: 'delete' as const, key: keys.parked(w.submit.clientOrderId) }];
    if (order) {
      try {
        await store.apply({
          ops: [...ops, { op: 'set', key, fields: orderToRecord(applyOrderEvent(order, event)) }],
        });
      } catch {
        await store.apply({ ops });
      }
    } else await store.apply({ ops });
    await bus.publish(
      topics.orderEvents(w.submit.accountId),
      envelope(PAYLOAD_TYPES.orderEvent, event, {
        id: `canceled-${w.submit.clientOrderId}`,
        correlationId: w.correlationId,
        ts: w.originTs ?? Date.now(),
      }),
    );
  };

  /**
   * Whether the kill switch forbids sending this order to the venue: trading is HALTED, the order is
   * not one of the kill switch's own flattening orders, and it has not reached the venue already
   * (one that has is reconciled, never dropped).
   */
  const haltedBeforeVenue = async (submit: OrderSubmitPayload): Promise<boolean> => {
    if (submit.strategyId === KILL_SWITCH_STRATEGY) return false;
    if ((await store.get(keys.riskState))?.['state'] !== 'HALTED') return false;
    return (await store.get(keys.venueOrder(submit.clientOrderId))) === undefined;
  };

  const scratchVenue = (symbol: string): SimulatedVenue =>
    new SimulatedVenue({ instruments: [defineInstrument(instrumentFor(symbol))], clock, venue: 'SIM' });

  const execute = (w: Waiting, bar: Bar): Promise<void> =>
    serial(w.submit.symbol, async () => {
      const { submit, correlationId } = w;
      const log = withCorrelation(logger, correlationId);
      const isLimit = submit.type === 'limit';
      // A working limit order stays in `waiting` until it fills or is canceled: gone means done.
      if (isLimit && !waiting.get(submit.symbol)?.has(submit.clientOrderId)) return;
      if (await haltedBeforeVenue(submit)) {
        waiting.get(submit.symbol)?.delete(submit.clientOrderId);
        await writeCanceled(w);
        log.warn({ clientOrderId: submit.clientOrderId }, 'trading halted: order canceled before the venue');
        return;
      }
      const venueOrderId = `SIM-${submit.clientOrderId}`;
      const created = await store.apply({
        eventId: `venue:${submit.clientOrderId}`,
        ops: [
          {
            op: 'set',
            key: keys.venueOrder(submit.clientOrderId),
            fields: { venueOrderId, barTs: String(bar.ts), accountId: submit.accountId },
          },
        ],
      });
      const evBase = {
        clientOrderId: submit.clientOrderId,
        accountId: submit.accountId,
        strategyId: submit.strategyId,
        instrumentId: submit.symbol,
      };
      const initial = createOrder(
        {
          instrumentId: submit.symbol,
          side: submit.side,
          ...(isLimit
            ? { type: 'limit' as const, price: submit.price as number }
            : { type: 'market' as const }),
          quantity: submit.quantity,
          clientOrderId: submit.clientOrderId,
          accountId: submit.accountId,
          strategyId: submit.strategyId,
        },
        {
          clientOrderId: submit.clientOrderId,
          accountId: submit.accountId,
          strategyId: submit.strategyId,
          quantityPrecision: 0,
          ts: submit.tsInit,
        },
      );
      const order = applyOrderEvent(initial, { type: 'OrderSubmitted', ...evBase, tsEvent: submit.tsInit });
      let events: VenueEvent[];
      if (created.applied) {
        venueOrders.add(1);
        // Audit trail of venue submissions (outside the ledger batch on purpose: it would show a second
        // submission of one clientOrderId if the ledger check ever let one through).
        await ctx.redis.hincrby(`${ns.redisPrefix}venue-submissions`, submit.clientOrderId, 1);
        log.info(
          { clientOrderId: submit.clientOrderId, venueOrderId, event: 'venue-order' },
          'venue order created',
        );
        // A limit order is matched against one bar at a time on a scratch venue (below), so that a
        // restarted service matches it the same way: the order and the bars are all it depends on.
        events = runOnVenue(isLimit ? scratchVenue(submit.symbol) : venue, order, bar);
      } else {
        // The venue order exists from an earlier delivery (or bar): never submit it again. Recover
        // its fill, or for a working limit order, match it against this bar.
        events = runOnVenue(scratchVenue(submit.symbol), order, bar);
        if (!isLimit)
          log.info({ clientOrderId: submit.clientOrderId }, 'venue order already exists: reconciled fill');
      }
      const venueFill = events.find((e): e is Fill => e.type === 'OrderFilled');
      if (!venueFill && isLimit) return; // not crossed: keeps working on the next bars
      if (!venueFill) {
        log.error(
          { clientOrderId: submit.clientOrderId, events: events.map((e) => e.type) },
          'market order did not fill',
        );
        return;
      }
      const accepted = { type: 'OrderAccepted' as const, ...evBase, tsEvent: bar.ts, venueOrderId };
      const fill: Fill = {
        ...venueFill,
        venueOrderId,
        tradeId: `T-${submit.clientOrderId}`,
        tsEvent: bar.ts,
      };
      const filledOrder = applyOrderEvent(applyOrderEvent(order, accepted), fill);
      const posKey = keys.position(submit.accountId, submit.symbol);
      const before = positionFromRecord(submit.accountId, submit.symbol, await store.get(posKey));
      const feeCents = toUnitsExact(fill.fee, 2);
      const after = applyFill(before, {
        side: fill.side,
        qty: fill.lastQty,
        px: fill.lastPx,
        feeCents,
        ts: bar.ts,
      });
      const cashDelta = after.netCashCents - before.netCashCents;
      const result = await store.apply({
        eventId: fill.tradeId,
        ops: [
          { op: 'replace', key: posKey, fields: positionToRecord(after) },
          { op: 'incrBy', key: keys.account(submit.accountId), field: 'cashCents', by: cashDelta },
          {
            op: 'set',
            key: keys.order(submit.accountId, submit.clientOrderId),
            fields: orderToRecord(filledOrder),
          },
          {
            op: 'set',
            key: keys.fill(submit.accountId, fill.tradeId),
            fields: { json: JSON.stringify(fill) },
          },
        ],
      });
      const position = result.applied ? after : before;
      const appliedAt = Date.now();
      const received = w.receivedAt ?? appliedAt;
      const origin = w.originTs ?? received;
      if (result.applied) {
        trades.add(1, { strategy: submit.strategyId, symbol: submit.symbol });
        latency.observe((appliedAt - received) / 1_000);
        toFill.observe((appliedAt - origin) / 1_000);
      }
      const acc = submit.accountId;
      const payload: FillPayload = { fill, position };
      // Idempotent and independent of each other, so written at once rather than one round trip
      // after another. The publishes are issued in this order on one channel: a consumer of
      // orders.events sees accepted before filled.
      await Promise.all([
        history.fills.append(ns.runId, [fill]),
        history.orders.upsert(ns.runId, [filledOrder]),
        bus.publish(
          topics.orderEvents(acc),
          envelope(PAYLOAD_TYPES.orderEvent, accepted, {
            id: `accepted-${submit.clientOrderId}`,
            correlationId,
            ts: origin,
          }),
          { key: submit.symbol },
        ),
        bus.publish(
          topics.orderEvents(acc),
          envelope(PAYLOAD_TYPES.orderEvent, fill, {
            id: `filled-${fill.tradeId}`,
            correlationId,
            ts: origin,
          }),
          { key: submit.symbol },
        ),
        bus.publish(
          topics.fills(acc),
          envelope(PAYLOAD_TYPES.fill, payload, { id: `fill-${fill.tradeId}`, correlationId, ts: origin }),
          { key: submit.symbol },
        ),
      ]);
      // Un-parked only now: a parked order whose bar message was acked is re-run from its parked
      // record after a crash, which rewrites the PostgreSQL rows and events above (idempotently).
      await store.apply({ ops: [{ op: 'delete', key: keys.parked(submit.clientOrderId) }] });
      waiting.get(submit.symbol)?.delete(submit.clientOrderId);
      log.info(
        {
          clientOrderId: submit.clientOrderId,
          tradeId: fill.tradeId,
          px: fill.lastPx,
          qty: fill.lastQty,
          side: fill.side,
          position: position.qty,
          duplicate: !result.applied,
          // Wall-clock ms from the start of the chain (bar published / API request): to receipt, to fill.
          chainReceivedMs: received - origin,
          chainFilledMs: appliedAt - origin,
        },
        'fill',
      );
    });

  // Orders that were waiting when the previous instance stopped.
  for (const [, record] of await store.list(keys.parkedAll)) {
    const json = record['json'];
    if (json) park(JSON.parse(json) as Waiting);
  }

  const barsSub = await bus.subscribe(
    topics.allBars,
    async (message) => {
      const { payload } = decode(message, PAYLOAD_TYPES.bar, BarSchema);
      const bar = payload as Bar;
      let list = recent.get(bar.symbol);
      if (!list) {
        list = [];
        recent.set(bar.symbol, list);
      }
      if (list.length === 0 || (list[list.length - 1] as Bar).ts < bar.ts) list.push(bar);
      if (list.length > 500) list.splice(0, list.length - 500);
      const due = [...(waiting.get(bar.symbol)?.values() ?? [])].filter((w) => w.submit.refTs < bar.ts);
      // Market orders leave `waiting` now; limit orders when they fill (or are canceled).
      for (const w of due)
        if (w.submit.type !== 'limit') waiting.get(bar.symbol)?.delete(w.submit.clientOrderId);
      await Promise.all(due.map((w) => execute(w, bar)));
    },
    { group: 'order', prefetch: 20 },
  );
  ctx.onStop(() => barsSub.unsubscribe());

  const handleSubmit = async (submit: OrderSubmitPayload, trace: Trace): Promise<void> => {
    const receivedAt = Date.now();
    toReceipt.observe((receivedAt - trace.ts) / 1_000);
    const current = orderFromRecord(await store.get(keys.order(submit.accountId, submit.clientOrderId)));
    // A filled order is run again (as a duplicate: no new state) rather than dropped: a crash after its
    // fill batch and before its PostgreSQL rows and events leaves only this redelivery to write them.
    if (current?.status === 'canceled') return;
    const w: Waiting = { submit, correlationId: trace.correlationId, originTs: trace.ts, receivedAt };
    const parkedRecord = () =>
      store.apply({
        ops: [
          {
            op: 'set',
            key: keys.parked(submit.clientOrderId),
            fields: { json: JSON.stringify(w), symbol: submit.symbol },
          },
        ],
      });
    if (submit.type === 'limit') {
      // Works from now on: every new bar of the symbol is matched against it. The bars after refTs
      // this service has seen already are matched first; all of it queued in order, synchronously,
      // on the symbol's lane (the durable record first, so a fill's batch deletes it for good).
      park(w);
      const seen = (recent.get(submit.symbol) ?? []).filter((b) => b.ts > submit.refTs);
      const queued = [serial(submit.symbol, parkedRecord), ...seen.map((bar) => execute(w, bar))];
      await Promise.all(queued);
      return;
    }
    let bar = nextBarLocal(submit.symbol, submit.refTs);
    if (!bar) {
      const cached = await successorCached(submit.symbol, submit.refTs);
      bar = nextBarLocal(submit.symbol, submit.refTs) ?? cached;
    }
    if (bar) return execute(w, bar);
    park(w); // synchronous with the check above: the bar handler sees it from now on
    await parkedRecord();
  };

  // Resume restored orders whose bar is already cached. A limit order is matched again against every
  // cached bar after refTs: the same bars give the same outcome the previous instance had.
  for (const m of waiting.values()) {
    for (const w of [...m.values()]) {
      if (w.submit.type === 'limit') {
        for (const bar of (await cache.bars(w.submit.symbol)).filter((b) => b.ts > w.submit.refTs)) {
          await execute(w, bar);
        }
        continue;
      }
      const bar = await successorCached(w.submit.symbol, w.submit.refTs);
      if (bar && m.delete(w.submit.clientOrderId)) await execute(w, bar);
    }
  }

  const submitSub = await bus.subscribe(
    topics.ordersSubmit,
    async (message) => {
      const { envelope: env, payload } = decode(message, PAYLOAD_TYPES.orderSubmit, OrderSubmitPayloadSchema);
      await handleSubmit(payload, traceOf(env));
    },
    { group: 'order', prefetch: 20 },
  );
  ctx.onStop(() => submitSub.unsubscribe());

  const cancelWaiting = async (w: Waiting): Promise<boolean> =>
    serial(w.submit.symbol, async () => {
      if (!waiting.get(w.submit.symbol)?.delete(w.submit.clientOrderId)) return false;
      await writeCanceled(w);
      return true;
    });
  const reply = (correlationId: string, payload: unknown) =>
    envelope(PAYLOAD_TYPES.rpcReply, payload, { id: randomUUID(), correlationId, ts: Date.now() });

  const cancelRpc = await bus.reply(rpc.cancelOrder, async (message) => {
    const env = parseEnvelope(message);
    const { accountId, clientOrderId } = CancelRequestSchema.parse(env.payload);
    for (const m of waiting.values()) {
      const w = m.get(clientOrderId);
      if (w && w.submit.accountId === accountId)
        return reply(env.correlationId, { canceled: await cancelWaiting(w) });
    }
    return reply(env.correlationId, { canceled: false });
  });
  ctx.onStop(() => cancelRpc.unsubscribe());
  const cancelAllRpc = await bus.reply(rpc.cancelAll, async (message) => {
    const env = parseEnvelope(message);
    let count = 0;
    for (const m of waiting.values()) for (const w of [...m.values()]) if (await cancelWaiting(w)) count++;
    // Executions already under way finish before the reply: once it is sent (the state is HALTED by
    // then), no order but the kill switch's own changes a position, so the flatten that follows is exact.
    await Promise.all([...chains.values()]);
    return reply(env.correlationId, { canceled: count });
  });
  ctx.onStop(() => cancelAllRpc.unsubscribe());
});
