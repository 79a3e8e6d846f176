import { randomUUID } from 'node:crypto';
import {
  applyOrderEvent,
  type BusEnvelope,
  createOrder,
  type Denial,
  type Order,
  OrderRequestSchema,
  parseEnvelope,
} from '@rxtrade/core';
import { withCorrelation } from '@rxtrade/logging';
import { decode, envelope, type Trace, traceOf } from '../../shared/src/envelope';
import { main } from '../../shared/src/harness';
import { orderFromRecord, orderToRecord, positionFromRecord } from '../../shared/src/records';
import {
  KILL_SWITCH_STRATEGY,
  KillSwitchRequestSchema,
  type OrderSubmitPayload,
  PAYLOAD_TYPES,
  type RiskStatePayload,
  SignalPayloadSchema,
  SubmitRequestSchema,
} from '../../shared/src/schemas';
import { keys } from '../../shared/src/state-keys';
import { openBarCache } from '../../shared/src/stores';
import { rpc, topics } from '../../shared/src/topics';

type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

/**
 * Risk service: the global trading state lives in Redis (`risk-state`: ACTIVE / REDUCING / HALTED),
 * so every risk replica and the gateway see one kill switch. Each signal becomes one market order per
 * configured account, sized by the account's weight, checked against the trading state and the
 * per-account position limit, recorded in Redis (state before publish) and published on
 * `orders.submit` — or denied (`OrderDenied` on `orders.events.<accountId>`, SCREAMING_SNAKE reason).
 * Client order ids are derived from the signal id, so a redelivered signal yields the same orders.
 */
main('risk', async (ctx) => {
  const { config, ns, logger, bus, store, metrics } = ctx;
  const cache = openBarCache(ctx);
  const denials = metrics.counter('risk_denials_total', {
    help: 'Orders denied by risk',
    labelNames: ['reason'],
  });
  const approved = metrics.counter('orders_approved_total', {
    help: 'Orders sent to the order service',
    labelNames: ['account'],
  });
  const stateGauge = metrics.gauge('risk_trading_state', { help: '0 ACTIVE, 1 REDUCING, 2 HALTED' });

  for (const account of config.ACCOUNTS) {
    const cents = String(config.INITIAL_CASH * 100);
    await store
      .apply({
        eventId: `init-account:${ns.runId}:${account.id}`,
        ops: [
          {
            op: 'set',
            key: keys.account(account.id),
            fields: { initialCashCents: cents, cashCents: cents, weight: String(account.weight) },
          },
        ],
      })
      .catch(() => undefined);
  }
  if (!(await store.get(keys.riskState))) {
    await store.apply({
      ops: [{ op: 'set', key: keys.riskState, fields: { state: 'ACTIVE', reason: 'start', tsEvent: '0' } }],
    });
  }
  const tradingState = async (): Promise<TradingState> =>
    ((await store.get(keys.riskState))?.['state'] ?? 'ACTIVE') as TradingState;

  /** Risk check + record + publish of one order. Returns the order as it is after risk. */
  const route = async (
    submit: OrderSubmitPayload,
    trace: Trace,
    options: { bypassHalt?: boolean } = {},
  ): Promise<Order> => {
    const { correlationId } = trace;
    const log = withCorrelation(logger, correlationId);
    const key = keys.order(submit.accountId, submit.clientOrderId);
    const existing = orderFromRecord(await store.get(key));
    const base = createOrder(
      {
        instrumentId: submit.symbol,
        side: submit.side,
        quantity: submit.quantity,
        ...(submit.type === 'limit' ? { type: 'limit', price: submit.price as number } : { type: 'market' }),
      },
      {
        clientOrderId: submit.clientOrderId,
        accountId: submit.accountId,
        strategyId: submit.strategyId,
        quantityPrecision: 0,
        ts: submit.tsInit,
      },
    );
    const evBase = {
      clientOrderId: submit.clientOrderId,
      accountId: submit.accountId,
      strategyId: submit.strategyId,
      instrumentId: submit.symbol,
      tsEvent: submit.tsInit,
    };
    if (existing && existing.status === 'denied') return existing;
    let denial: Denial | undefined;
    if (!existing) {
      const state = await tradingState();
      const position = positionFromRecord(
        submit.accountId,
        submit.symbol,
        await store.get(keys.position(submit.accountId, submit.symbol)),
      );
      const delta = submit.side === 'buy' ? submit.quantity : -submit.quantity;
      const reducing =
        position.qty !== 0 &&
        Math.sign(delta) === -Math.sign(position.qty) &&
        Math.abs(delta) <= Math.abs(position.qty);
      const weight = config.ACCOUNTS.find((a) => a.id === submit.accountId)?.weight ?? 1;
      if (state === 'HALTED' && !options.bypassHalt)
        denial = { reason: 'TRADING_HALTED', message: 'trading is halted' };
      else if (state === 'REDUCING' && !reducing && !options.bypassHalt)
        denial = { reason: 'REDUCING_ONLY', message: 'only reducing orders are allowed' };
      else if (Math.abs(position.qty + delta) > config.MAX_POSITION * weight)
        denial = {
          reason: 'MAX_POSITION_EXCEEDED',
          message: `position would exceed ${config.MAX_POSITION * weight}`,
        };
    }
    if (denial) {
      const event = { type: 'OrderDenied' as const, ...evBase, ...denial };
      const denied = applyOrderEvent(base, event);
      await store.apply({
        eventId: `risk:${submit.clientOrderId}`,
        ops: [{ op: 'set', key, fields: orderToRecord(denied) }],
      });
      await bus.publish(
        topics.orderEvents(submit.accountId),
        envelope(PAYLOAD_TYPES.orderEvent, event, {
          id: `denied-${submit.clientOrderId}`,
          correlationId,
          ts: trace.ts,
        }),
        { key: submit.symbol },
      );
      denials.add(1, { reason: denial.reason });
      log.warn({ clientOrderId: submit.clientOrderId, reason: denial.reason }, 'order denied');
      return denied;
    }
    const submitted = existing ?? applyOrderEvent(base, { type: 'OrderSubmitted', ...evBase });
    if (!existing) {
      await store
        .apply({
          eventId: `risk:${submit.clientOrderId}`,
          ops: [{ op: 'set', key, fields: orderToRecord(submitted) }],
        })
        .catch(() => undefined);
    }
    // Re-published on redelivery too: the order service is idempotent by clientOrderId.
    await bus.publish(
      topics.ordersSubmit,
      envelope(PAYLOAD_TYPES.orderSubmit, submit, {
        id: `submit-${submit.clientOrderId}`,
        correlationId,
        ts: trace.ts,
      }),
      { key: submit.symbol },
    );
    approved.add(1, { account: submit.accountId });
    log.info(
      {
        clientOrderId: submit.clientOrderId,
        symbol: submit.symbol,
        side: submit.side,
        quantity: submit.quantity,
      },
      'order approved',
    );
    return submitted;
  };

  const signals = await bus.subscribe(
    topics.allSignals,
    async (message) => {
      const { envelope: env, payload: signal } = decode(message, PAYLOAD_TYPES.signal, SignalPayloadSchema);
      for (const account of config.ACCOUNTS) {
        await route(
          {
            clientOrderId: `${account.id}-${signal.signalId}`.slice(0, 64),
            accountId: account.id,
            strategyId: signal.strategyId,
            symbol: signal.symbol,
            side: signal.side,
            type: 'market',
            quantity: signal.quantity * account.weight,
            refTs: signal.barTs,
            tsInit: signal.barTs,
          },
          traceOf(env),
        );
      }
    },
    { group: 'risk', prefetch: 20 },
  );
  ctx.onStop(() => signals.unsubscribe());

  const reply = (correlationId: string, payload: unknown): BusEnvelope =>
    envelope(PAYLOAD_TYPES.rpcReply, payload, { id: randomUUID(), correlationId, ts: Date.now() });

  const submitRpc = await bus.reply(rpc.submitOrder, async (message) => {
    const env = parseEnvelope(message);
    const { accountId, request } = SubmitRequestSchema.parse(env.payload);
    const req = OrderRequestSchema.parse(request);
    const clientOrderId = req.clientOrderId ?? `gw-${randomUUID()}`;
    const last = (await cache.bars(req.instrumentId, 1))[0];
    const tsInit = last?.ts ?? 0;
    const submit: OrderSubmitPayload = {
      clientOrderId,
      accountId,
      strategyId: req.strategyId ?? 'manual',
      symbol: req.instrumentId,
      side: req.side,
      quantity: req.quantity,
      refTs: tsInit,
      tsInit,
      ...(req.type === 'limit' ? { type: 'limit', price: req.price as number } : { type: 'market' }),
    };
    if ((req.type !== 'market' && req.type !== 'limit') || last === undefined) {
      const base = createOrder(req, {
        clientOrderId,
        accountId,
        strategyId: submit.strategyId,
        quantityPrecision: 0,
        ts: tsInit,
      });
      const reason = last === undefined ? 'PRICE_UNKNOWN' : 'UNSUPPORTED_ORDER_TYPE';
      const denied = applyOrderEvent(base, {
        type: 'OrderDenied',
        clientOrderId,
        accountId,
        strategyId: submit.strategyId,
        instrumentId: req.instrumentId,
        tsEvent: tsInit,
        reason,
        message:
          reason === 'PRICE_UNKNOWN'
            ? 'no bar seen for this symbol yet'
            : 'the fleet executes market and limit orders only',
      });
      await store
        .apply({
          eventId: `risk:${clientOrderId}`,
          ops: [{ op: 'set', key: keys.order(accountId, clientOrderId), fields: orderToRecord(denied) }],
        })
        .catch(() => undefined);
      denials.add(1, { reason });
      return reply(env.correlationId, { order: denied });
    }
    return reply(env.correlationId, { order: await route(submit, traceOf(env)) });
  });
  ctx.onStop(() => submitRpc.unsubscribe());

  const setState = async (state: TradingState, reason: string, correlationId: string): Promise<void> => {
    const tsEvent = Date.now();
    await store.apply({
      ops: [{ op: 'set', key: keys.riskState, fields: { state, reason, tsEvent: String(tsEvent) } }],
    });
    stateGauge.set(state === 'ACTIVE' ? 0 : state === 'REDUCING' ? 1 : 2);
    const payload: RiskStatePayload = { type: 'RiskStateChanged', state, reason, tsEvent };
    await bus.publish(
      topics.riskState,
      envelope(PAYLOAD_TYPES.riskState, payload, { id: randomUUID(), correlationId, ts: tsEvent }),
    );
  };

  const killRpc = await bus.reply(rpc.killSwitch, async (message) => {
    const env = parseEnvelope(message);
    const { reason, flatten } = KillSwitchRequestSchema.parse(env.payload);
    logger.warn({ reason, flatten }, 'kill switch');
    await setState('HALTED', reason, env.correlationId);
    const canceled = await bus
      .request(
        rpc.cancelAll,
        envelope('CancelAll', {}, { id: randomUUID(), correlationId: env.correlationId, ts: Date.now() }),
        { timeoutMs: 5_000 },
      )
      .then((r) => r.payload)
      .catch((error: unknown) => ({ error: String(error) }));
    const flattened: string[] = [];
    if (flatten) {
      for (const account of config.ACCOUNTS) {
        for (const [k, record] of await store.list(keys.positionsOf(account.id))) {
          const symbol = k.slice(keys.positionsOf(account.id).length);
          const p = positionFromRecord(account.id, symbol, record);
          if (p.qty === 0) continue;
          const last = (await cache.bars(symbol, 1))[0];
          const clientOrderId = `flat-${account.id}-${symbol}-${randomUUID().slice(0, 8)}`;
          await route(
            {
              clientOrderId,
              accountId: account.id,
              strategyId: KILL_SWITCH_STRATEGY,
              symbol,
              side: p.qty > 0 ? 'sell' : 'buy',
              type: 'market',
              quantity: Math.abs(p.qty),
              refTs: last?.ts ?? 0,
              tsInit: last?.ts ?? 0,
            },
            traceOf(env),
            { bypassHalt: true },
          );
          flattened.push(clientOrderId);
        }
      }
    }
    return reply(env.correlationId, { state: 'HALTED', canceled, flattened });
  });
  ctx.onStop(() => killRpc.unsubscribe());
  stateGauge.set(0);
});
