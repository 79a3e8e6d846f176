import { randomUUID } from 'node:crypto';
import {
  type AccountState,
  type BusSubscription,
  defineInstrument,
  isOpen,
  type Order,
  type OrderRequest,
  type Position,
  type RiskStateChanged,
  RxtradeError,
  type StateStore,
} from '@rxtrade/core';
import type { RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import type { RedisMarketDataCache } from '@rxtrade/redis';
import { filter, type Observable, Subject } from 'rxjs';
import { envelope } from './envelope';
import type { GatewayBackend, LiveEvent, StrategyInfo } from './gateway-backend';
import { orderFromRecord, positionFromRecord, toAccountState, toPosition } from './records';
import { instrumentFor } from './replay-data';
import { FillPayloadSchema, RiskStatePayloadSchema } from './schemas';
import { keys } from './state-keys';
import { rpc, topics } from './topics';

/** Options of {@link createFleetBackend}. */
export interface FleetBackendOptions {
  readonly bus: RabbitMqMessageBus;
  /** The fleet's StateStore (same prefix as the order and risk services). */
  readonly store: StateStore;
  readonly cache: RedisMarketDataCache;
  readonly accounts: readonly string[];
  readonly symbols: readonly string[];
  /** Redis readiness, for `health()`. */
  readonly redisReady: () => boolean;
  /** Request/reply timeout. Default 5 s (kill switch: 3×). */
  readonly timeoutMs?: number;
}

/** The backend plus `close()` (ends its bus subscriptions; the bus itself belongs to the caller). */
export interface FleetBackend extends GatewayBackend {
  close(): Promise<void>;
}

const reviveOrder = (raw: unknown): Order => {
  const o = { ...(raw as Record<string, unknown>) };
  if (o['avgPx'] === null) o['avgPx'] = Number.NaN;
  for (const k of ['venueOrderId', 'price', 'triggerPrice', 'previousStatus'])
    if (o[k] === null) o[k] = undefined;
  return o as unknown as Order;
};

/**
 * {@link GatewayBackend} over the fleet: reads (accounts, positions, orders, strategies, risk state)
 * come straight from Redis, where the order and risk services keep them; commands go to the risk
 * and order services by RabbitMQ request/reply. A manual order is idempotent by its clientOrderId
 * (the risk service returns the existing order), so after a `TIMEOUT` the client resends it with the
 * same id instead of creating a second order. `live$` is fed by private subscriptions to
 * `fills.*` and `risk.state`.
 */
export async function createFleetBackend(options: FleetBackendOptions): Promise<FleetBackend> {
  const { bus, store, cache } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const live = new Subject<LiveEvent>();
  const subs: BusSubscription[] = [];
  subs.push(
    await bus.subscribe(topics.allFills, (message) => {
      const parsed = FillPayloadSchema.safeParse(message.payload);
      if (!parsed.success) return;
      const { fill, position } = parsed.data;
      live.next({ type: 'fill', accountId: fill.accountId, data: fill });
      live.next({
        type: 'position',
        accountId: position.accountId,
        data: toPosition(position, position.lastPx),
      });
    }),
  );
  subs.push(
    await bus.subscribe(topics.riskState, (message) => {
      const parsed = RiskStatePayloadSchema.safeParse(message.payload);
      if (!parsed.success) return;
      const { accountId, ...rest } = parsed.data;
      live.next({ type: 'risk', accountId, data: { ...rest, accountId } });
    }),
  );

  const call = async (
    topic: string,
    payload: unknown,
    timeout = timeoutMs,
  ): Promise<Record<string, unknown>> => {
    const id = randomUUID();
    const reply = await bus.request(
      topic,
      envelope('Request', payload, { id, correlationId: id, ts: Date.now() }),
      {
        timeoutMs: timeout,
      },
    );
    return reply.payload as Record<string, unknown>;
  };

  const markOf = async (symbol: string): Promise<number> =>
    (await cache.bars(symbol, 1))[0]?.close ?? Number.NaN;

  const listPositions = async (accountId: string): Promise<Position[]> => {
    const prefix = keys.positionsOf(accountId);
    const out: Position[] = [];
    for (const [key, record] of await store.list(prefix)) {
      const symbol = key.slice(prefix.length);
      out.push(toPosition(positionFromRecord(accountId, symbol, record), await markOf(symbol)));
    }
    return out;
  };

  const getAccount = async (accountId: string): Promise<AccountState | undefined> => {
    if (!options.accounts.includes(accountId)) return undefined;
    const record = await store.get(keys.account(accountId));
    if (!record) return undefined;
    return toAccountState(accountId, record, await listPositions(accountId));
  };

  return {
    async listAccounts() {
      const out: AccountState[] = [];
      for (const id of options.accounts) {
        const a = await getAccount(id);
        if (a) out.push(a);
      }
      return out;
    },
    getAccount,
    async instrument(instrumentId) {
      return options.symbols.includes(instrumentId)
        ? defineInstrument(instrumentFor(instrumentId))
        : undefined;
    },
    async hasAccount(accountId) {
      return options.accounts.includes(accountId) && (await store.get(keys.account(accountId))) !== undefined;
    },
    listPositions,
    async listOrders(accountId, { openOnly }) {
      const orders: Order[] = [];
      for (const [, record] of await store.list(keys.ordersOf(accountId))) {
        const order = orderFromRecord(record);
        if (order && (!openOnly || isOpen(order))) orders.push(order);
      }
      return orders.sort((a, b) => a.tsInit - b.tsInit || a.clientOrderId.localeCompare(b.clientOrderId));
    },
    async submitOrder(accountId: string, request: OrderRequest) {
      const reply = await call(rpc.submitOrder, { accountId, request: JSON.parse(JSON.stringify(request)) });
      if (reply['order'] === undefined) {
        throw new RxtradeError({ code: 'ADAPTER_FAILURE', message: 'risk service replied without an order' });
      }
      return reviveOrder(reply['order']);
    },
    async cancelOrder(accountId, clientOrderId) {
      const reply = await call(rpc.cancelOrder, { accountId, clientOrderId });
      return reply['canceled'] === true;
    },
    async listStrategies() {
      const out: StrategyInfo[] = [];
      for (const [key, record] of await store.list(keys.strategies)) {
        out.push({
          id: key.slice(keys.strategies.length),
          status: record['status'] === 'stopped' ? 'stopped' : 'running',
          symbols: [...options.symbols],
        });
      }
      return out;
    },
    async setStrategyRunning(strategyId, running) {
      const key = keys.strategy(strategyId);
      if (!(await store.get(key))) return false;
      await store.apply({ ops: [{ op: 'set', key, fields: { status: running ? 'running' : 'stopped' } }] });
      return true;
    },
    async riskState() {
      const r = await store.get(keys.riskState);
      const state: RiskStateChanged = {
        type: 'RiskStateChanged',
        accountId: undefined,
        state: (r?.['state'] ?? 'ACTIVE') as RiskStateChanged['state'],
        reason: r?.['reason'] ?? 'start',
        tsEvent: Number(r?.['tsEvent'] ?? 0),
      };
      return [state];
    },
    async killSwitch({ reason, flatten }) {
      await call(rpc.killSwitch, { reason, flatten }, timeoutMs * 3);
    },
    live$(accountIds: readonly string[]): Observable<LiveEvent> {
      const set = new Set(accountIds);
      return live.pipe(filter((e) => e.accountId === undefined || set.has(e.accountId)));
    },
    async health() {
      const checks = { broker: bus.stats().connected, redis: options.redisReady() };
      return { ok: checks.broker && checks.redis, checks };
    },
    async close() {
      for (const s of subs) await s.unsubscribe();
      live.complete();
    },
  };
}
