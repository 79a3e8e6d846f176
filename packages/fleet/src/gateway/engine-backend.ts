import {
  type AccountState,
  type Denial,
  type Fill,
  isDenialReason,
  isOpen,
  isRxtradeError,
  killSwitch,
  type Order,
  type RiskStateChanged,
  RxtradeError,
  type TradingEngine,
} from '@rxtrade/core';
import { filter, map, merge, type Observable, type Subscription } from 'rxjs';
import {
  EquityHistory,
  type GatewayBackend,
  type LiveEvent,
  type Page,
  type PageRequest,
  type StrategyInfo,
} from './gateway-backend';

/** Options of {@link createEngineBackend}. */
export interface EngineBackendOptions {
  /** A started engine. */
  readonly engine: TradingEngine;
  /**
   * The engine's strategies to list, with their symbols; each must be one the engine hosts (its
   * status, pause and resume are the engine's). Default none.
   */
  readonly strategies?: readonly { readonly id: string; readonly symbols: readonly string[] }[];
  /** Most orders remembered per account for `listOrders`. Default 1,000 (oldest dropped). */
  readonly maxOrdersPerAccount?: number;
}

/** A {@link GatewayBackend} that also lets its owner release its subscriptions. */
export interface EngineBackend extends GatewayBackend {
  close(): void;
}

/**
 * A {@link GatewayBackend} over one in-process {@link TradingEngine}: for tests, demos and a
 * single-process deployment. The fleet's backend talks to the services over RabbitMQ and Redis
 * instead. `setStrategyRunning` pauses and resumes the engine's strategy (`engine.pauseStrategy`).
 */
export function createEngineBackend(options: EngineBackendOptions): EngineBackend {
  const { engine } = options;
  const maxOrders = options.maxOrdersPerAccount ?? 1_000;
  const ordersByAccount = new Map<string, Set<string>>();
  const symbols = new Map<string, readonly string[]>();
  for (const s of options.strategies ?? []) {
    if (engine.strategyStatus(s.id) === undefined)
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `strategy ${s.id} is not one of the engine's: add it to the engine first`,
      });
    symbols.set(s.id, [...s.symbols]);
  }
  const failed = new Set<string>();
  const info = (id: string, list: readonly string[]): StrategyInfo => ({
    id,
    status: failed.has(id) ? 'failed' : (engine.strategyStatus(id) ?? 'stopped'),
    symbols: list,
  });
  const risk = new Map<string, RiskStateChanged>();
  const fills = new Map<string, Fill[]>();
  const denials = new Map<string, Denial>();
  const equity = new EquityHistory();
  for (const account of engine.accounts()) equity.record(account);
  const subscriptions: Subscription[] = [
    engine.strategyEvents$.subscribe((event) => {
      if (event.type === 'StrategyFailed') failed.add(event.strategyId);
    }),
    engine.account$.subscribe((account) => equity.record(account)),
    engine.fills$.subscribe((fill) => {
      let list = fills.get(fill.accountId);
      if (list === undefined) {
        list = [];
        fills.set(fill.accountId, list);
      }
      list.push(fill);
      if (list.length > maxOrders) list.shift();
    }),
    engine.orderEvents$.subscribe((event) => {
      if (event.type === 'OrderDenied') {
        denials.set(event.clientOrderId, {
          reason: isDenialReason(event.reason) ? event.reason : 'RULE_DENIED',
          message: event.message,
        });
      }
      let ids = ordersByAccount.get(event.accountId);
      if (ids === undefined) {
        ids = new Set();
        ordersByAccount.set(event.accountId, ids);
      }
      if (!ids.has(event.clientOrderId)) {
        ids.add(event.clientOrderId);
        if (ids.size > maxOrders) ids.delete(ids.values().next().value as string);
      }
    }),
    engine.riskState$.subscribe((state) => risk.set(state.accountId ?? '', state)),
  ];

  const getAccount = async (accountId: string): Promise<AccountState | undefined> => {
    try {
      return engine.account(accountId);
    } catch (error) {
      if (isRxtradeError(error) && error.code === 'UNKNOWN_ACCOUNT') return undefined;
      throw error;
    }
  };

  return {
    listAccounts: async () => engine.accounts(),
    getAccount,
    hasAccount: async (accountId) => (await getAccount(accountId)) !== undefined,
    instrument: async (instrumentId) => engine.instruments.find((i) => i.id === instrumentId),
    listPositions: async (accountId, page) =>
      paginate(
        engine.positions(accountId).filter((p) => p.strategyId === undefined),
        page,
      ),
    async listOrders(accountId, { openOnly, ...page }) {
      const out: Order[] = [];
      for (const id of ordersByAccount.get(accountId) ?? []) {
        const order = engine.order(id);
        if (order !== undefined && (!openOnly || isOpen(order))) out.push(order);
      }
      return paginate(out, page);
    },
    listFills: async (accountId, page) => paginate(fills.get(accountId) ?? [], page),
    equityHistory: async (accountId) => equity.list(accountId),
    async submitOrder(accountId, request) {
      const order = engine.submit({ ...request, accountId });
      const denial = order.status === 'denied' ? denials.get(order.clientOrderId) : undefined;
      denials.delete(order.clientOrderId);
      return denial === undefined ? { order } : { order, denial };
    },
    async cancelOrder(accountId, clientOrderId) {
      const order = engine.order(clientOrderId);
      if (order === undefined || order.accountId !== accountId) return false;
      return engine.cancel(clientOrderId);
    },
    listStrategies: async () => [...symbols].map(([id, list]) => info(id, list)),
    async setStrategyRunning(strategyId, running) {
      const list = symbols.get(strategyId);
      if (list === undefined) return undefined;
      if (running) engine.resumeStrategy(strategyId);
      else engine.pauseStrategy(strategyId);
      return info(strategyId, list);
    },
    riskState: async () => [...risk.values()],
    async killSwitch({ reason, flatten }) {
      killSwitch(engine, { reason, flatten });
    },
    async setTradingState(state, { accountId, reason }) {
      engine.setTradingState(state, accountId === undefined ? { reason } : { reason, accountId });
    },
    live$(accountIds: readonly string[]): Observable<LiveEvent> {
      const wanted = new Set(accountIds);
      return merge(
        engine.fills$.pipe(
          filter((f) => wanted.has(f.accountId)),
          map((f): LiveEvent => ({ type: 'fill', accountId: f.accountId, data: f })),
        ),
        engine.positions$.pipe(
          filter((p) => wanted.has(p.accountId)),
          map((p): LiveEvent => ({ type: 'position', accountId: p.accountId, data: p })),
        ),
        engine.account$.pipe(
          filter((a) => wanted.has(a.accountId)),
          map((a): LiveEvent => ({ type: 'equity', accountId: a.accountId, data: a })),
        ),
        engine.riskState$.pipe(
          filter((r) => r.accountId === undefined || wanted.has(r.accountId)),
          map((r): LiveEvent => ({ type: 'risk', accountId: r.accountId, data: r })),
        ),
      );
    },
    health: async () => ({ ok: engine.running, checks: { engine: engine.running } }),
    close() {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

/** A page of an in-memory list: the cursor is the index to continue at. */
function paginate<T>(all: readonly T[], page: PageRequest = {}): Page<T> {
  const from = page.cursor === undefined ? 0 : Number(page.cursor);
  const start = Number.isSafeInteger(from) && from >= 0 ? from : 0;
  const end = start + (page.limit ?? 100);
  return { items: all.slice(start, end), cursor: end < all.length ? String(end) : undefined };
}
