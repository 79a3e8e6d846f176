import { randomUUID } from 'node:crypto';
import {
  type AccountState,
  type BusSubscription,
  type Denial,
  defineInstrument,
  type Instrument,
  type InstrumentSpec,
  isDenialReason,
  isOpen,
  type MessageBus,
  type OrderRequest,
  type Position,
  type RiskStateChanged,
  RxtradeError,
  type StateStore,
} from '@rxtrade/core';
import { filter, type Observable, Subject } from 'rxjs';
import { FleetGatewayClient } from '../gateway-client';
import { decodeFleetMessage, fleetEnvelope } from '../messages';
import { RiskViews } from '../risk-views';
import { fleetTopics } from '../topics';
import { EquityHistory, type GatewayBackend, type LiveEvent, type StrategyInfo } from './gateway-backend';

/** Options of {@link createFleetBackend}. */
export interface FleetBackendOptions {
  readonly bus: MessageBus;
  /** The fleet's StateStore, where the risk role keeps its read model. */
  readonly store: StateStore;
  /** The risk role's read-model prefix in `store`. */
  readonly viewPrefix: string;
  readonly accounts: readonly string[];
  /** The instruments orders may name (their tick grid is checked before an order goes to risk). */
  readonly instruments: readonly (Instrument | InstrumentSpec)[];
  /** The plan's strategy ids (listed by `/api/strategies`). */
  readonly strategies?: readonly { readonly id: string; readonly symbols: readonly string[] }[];
  /** The strategy id the gateway's orders carry. Default `gateway`. */
  readonly strategyId?: string;
  /** Readiness of the connections, for `health()`. */
  readonly ready: () => Readonly<Record<string, boolean>>;
  /** How long a submit waits for risk's decision. Default 5 s. */
  readonly timeoutMs?: number;
  /**
   * How long a pause or resume waits for the strategy role to confirm it (the status it writes to
   * the read model), then fails `TIMEOUT` (the gateway's 503: send it again). Default 2 s.
   */
  readonly confirmMs?: number;
}

/** The backend plus `close()` (ends its bus subscriptions; the bus itself belongs to the caller). */
export interface FleetBackend extends GatewayBackend {
  close(): Promise<void>;
}

/**
 * {@link GatewayBackend} over the fleet of `@rxtrade/fleet`: orders, cancels and the kill switch go to
 * the risk role of their account on the bus ({@link FleetGatewayClient}: `SubmitOrder` on
 * `risk.requests.<accountId>`, answered by risk's decision); reads come from the read model the risk
 * role keeps ({@link RiskViews}: one prefix per account and list, a page at a time — never a scan of
 * the store). `live$` is fed by private subscriptions to `fills.*` and `risk.state`. A manual order
 * is idempotent by its client order id: after a `TIMEOUT`, send it again with the same id.
 */
export async function createFleetBackend(options: FleetBackendOptions): Promise<FleetBackend> {
  const { bus, store } = options;
  const views = new RiskViews(store, options.viewPrefix);
  const client = new FleetGatewayClient({
    bus,
    strategyId: options.strategyId ?? 'gateway',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  await client.start();
  const accounts = new Set(options.accounts);
  const instruments = new Map(
    options.instruments.map((spec) => [spec.id, 'tickUnits' in spec ? spec : defineInstrument(spec)]),
  );
  const live = new Subject<LiveEvent>();
  const equity = new EquityHistory();
  const subs: BusSubscription[] = [];
  subs.push(
    await bus.subscribe(fleetTopics.allFills, (message) => {
      const { payload } = decodeFleetMessage(message, ['OrderFilled']);
      live.next({ type: 'fill', accountId: payload.accountId, data: payload });
    }),
    await bus.subscribe(fleetTopics.riskState, (message) => {
      const decoded = decodeFleetMessage(message, ['TradingStateChanged', 'AccountUpdated']);
      if (decoded.type === 'TradingStateChanged') {
        const state = decoded.payload;
        live.next({ type: 'risk', accountId: state.accountId, data: { type: 'RiskStateChanged', ...state } });
        return;
      }
      const { account, positions } = decoded.payload;
      for (const position of positions) {
        live.next({ type: 'position', accountId: account.accountId, data: position as unknown as Position });
      }
      equity.record(account);
      live.next({ type: 'equity', accountId: account.accountId, data: account });
    }),
  );

  const strategies = new Map((options.strategies ?? []).map((s) => [s.id, s.symbols]));
  const confirmMs = options.confirmMs ?? 2_000;
  // `pending` until the strategy role first wrote the strategy's status (its first frame).
  const strategyInfo = async (id: string, list: readonly string[]): Promise<StrategyInfo> => ({
    id,
    status: (await views.strategy(id))?.status ?? 'pending',
    symbols: list,
  });

  const getAccount = async (accountId: string): Promise<AccountState | undefined> =>
    accounts.has(accountId) ? (await views.account(accountId))?.account : undefined;

  const denialOf = (reason: string, message: string): Denial => ({
    reason: isDenialReason(reason) ? reason : 'RULE_DENIED',
    message,
  });

  return {
    async listAccounts() {
      const out: AccountState[] = [];
      for (const id of options.accounts) {
        const account = await getAccount(id);
        if (account) out.push(account);
      }
      return out;
    },
    getAccount,
    instrument: async (instrumentId) => instruments.get(instrumentId),
    // An account of the plan exists from the start: its risk desk opens with its first message.
    hasAccount: async (accountId) => accounts.has(accountId),
    listPositions: (accountId, page) => views.positions(accountId, pageOf(page)),
    listOrders: (accountId, { openOnly, ...page }) => views.orders(accountId, { openOnly, ...pageOf(page) }),
    listFills: (accountId, page) => views.fills(accountId, pageOf(page)),
    equityHistory: async (accountId) => equity.list(accountId),
    async submitOrder(accountId: string, request: OrderRequest) {
      const decision = await client.submit(accountId, request);
      // State before publish: risk wrote the order before it answered.
      const order = await views.order(accountId, decision.clientOrderId);
      if (order === undefined) {
        throw new RxtradeError({
          code: 'CORRUPT_STATE',
          message: `risk decided ${decision.clientOrderId} but kept no order`,
        });
      }
      if (decision.type === 'OrderDenied')
        return { order, denial: denialOf(decision.reason, decision.message) };
      return { order };
    },
    async cancelOrder(accountId, clientOrderId) {
      const order = await views.order(accountId, clientOrderId);
      if (order === undefined || !isOpen(order)) return false;
      await client.cancel(accountId, clientOrderId, order.strategyId);
      return true;
    },
    async listStrategies() {
      const out: StrategyInfo[] = [];
      for (const [id, list] of strategies) out.push(await strategyInfo(id, list));
      return out;
    },
    async setStrategyRunning(strategyId, running) {
      const list = strategies.get(strategyId);
      if (list === undefined) return undefined;
      // To the strategy's own queue: the replica running it applies it in order with its deliveries.
      await bus.publish(
        fleetTopics.orderEvents(strategyId),
        fleetEnvelope(
          'SetStrategyRunning',
          { strategyId, running },
          { id: `${strategyId}:running:${randomUUID()}`, ts: Date.now() },
        ),
        { key: strategyId },
      );
      // Answered once the strategy role wrote the status it now has (or that it stopped for good).
      const wanted = running ? 'running' : 'paused';
      const deadline = Date.now() + confirmMs;
      for (;;) {
        const info = await strategyInfo(strategyId, list);
        if (info.status === wanted || info.status === 'stopped' || info.status === 'failed') return info;
        if (Date.now() >= deadline) {
          throw new RxtradeError({
            code: 'TIMEOUT',
            message: `strategy ${strategyId} did not confirm within ${confirmMs} ms (is it running yet? send again)`,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async riskState() {
      const out: RiskStateChanged[] = [];
      for (const id of options.accounts) {
        const view = await views.account(id);
        out.push({
          type: 'RiskStateChanged',
          accountId: id,
          state: view?.tradingState ?? 'ACTIVE',
          reason: view?.reason ?? 'start',
          tsEvent: view?.account.tsLast ?? 0,
        });
      }
      return out;
    },
    async killSwitch({ reason, flatten }) {
      await client.setTradingState(options.accounts, {
        scope: 'fleet',
        state: 'HALTED',
        owner: 'kill-switch',
        reason,
        killSwitch: true,
        flatten,
      });
    },
    async setTradingState(state, scope) {
      await client.setTradingState(scope.accountId === undefined ? options.accounts : [scope.accountId], {
        scope: scope.accountId === undefined ? 'fleet' : 'account',
        state,
        owner: 'operator',
        reason: scope.reason,
        killSwitch: false,
        flatten: false,
      });
    },
    live$(accountIds: readonly string[]): Observable<LiveEvent> {
      const set = new Set(accountIds);
      return live.pipe(filter((e) => e.accountId === undefined || set.has(e.accountId)));
    },
    async health() {
      const checks = options.ready();
      return { ok: Object.values(checks).every(Boolean), checks };
    },
    async close() {
      await client.stop();
      for (const s of subs) await s.unsubscribe();
      live.complete();
    },
  };
}

const pageOf = (page: { cursor?: string | undefined; limit?: number | undefined } | undefined) => ({
  ...(page?.cursor === undefined ? {} : { cursor: page.cursor }),
  ...(page?.limit === undefined ? {} : { limit: page.limit }),
});
