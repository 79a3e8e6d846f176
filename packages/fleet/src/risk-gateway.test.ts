import {
  type Bar,
  BaseStrategy,
  createMemoryMessageBus,
  createMemoryMetrics,
  createMemoryStateStore,
  type MemoryMetrics,
  type MessageBus,
  type StateOp,
  type StateStore,
  VENUE_CLIENT_ORDER_ID,
} from '@rxtrade/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetGatewayClient } from './gateway-client';
import { FleetJournal } from './journal';
import { fleetEnvelope } from './messages';
import { OrderRole } from './order-role';
import { type FleetPlan, strategyClass } from './plan';
import { RiskRole } from './risk-role';
import { RiskViews } from './risk-views';
import { fleetTopics } from './topics';

/** A plan strategy that never trades: the accounts' orders here come from the gateway. */
class Idle extends BaseStrategy<object> {
  override onBar(): void {}
}

const basePlan: FleetPlan = {
  // Whole units: quantity precision 0.
  instruments: [{ id: 'XYZ', pricePrecision: 2, quantityPrecision: 0 }],
  accounts: [
    { id: 'acc-1', initialCash: 100_000 },
    { id: 'acc-2', initialCash: 100_000 },
  ],
  strategies: [
    { id: 'idle-1', symbol: 'XYZ', accountId: 'acc-1', create: strategyClass(Idle) },
    { id: 'idle-2', symbol: 'XYZ', accountId: 'acc-2', create: strategyClass(Idle) },
  ],
  mode: 'live',
};

const bar = (i: number, close = 100, symbol = 'XYZ'): Bar => ({
  symbol,
  ts: 1_000 * (i + 1),
  open: close,
  high: close + 1,
  low: close - 1,
  close,
  volume: 1_000,
});

interface Fleet {
  bus: MessageBus;
  store: StateStore;
  risk: RiskRole;
  order: OrderRole;
  gateway: FleetGatewayClient;
  views: RiskViews;
  journal: FleetJournal;
  metrics: MemoryMetrics;
  /**
   * Publishes the next two bars, each after everything the one before caused was handled: an order
   * sent before them has been matched by then.
   */
  nextBar(close?: number, symbol?: string): Promise<void>;
}

const open: Fleet[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) {
    await f.gateway.stop();
    await f.risk.stop();
    await f.order.stop();
    await f.bus.close();
  }
});

async function fleet(
  options: { plan?: FleetPlan; strategyId?: string; store?: StateStore } = {},
): Promise<Fleet> {
  const plan = options.plan ?? basePlan;
  const bus = createMemoryMessageBus();
  const store = options.store ?? createMemoryStateStore();
  const journal = new FleetJournal(store, 'fleet:test');
  const metrics = createMemoryMetrics();
  const risk = new RiskRole({ bus, plan, journal, views: { store, prefix: 'view:' }, metrics });
  const order = new OrderRole({ bus, plan, replicaId: 'o0' });
  const gateway = new FleetGatewayClient({
    bus,
    now: () => 0,
    ...(options.strategyId ? { strategyId: options.strategyId } : {}),
  });
  await risk.start();
  await order.start();
  await gateway.start();
  const seqs = new Map<string, number>();
  const f: Fleet = {
    bus,
    store,
    risk,
    order,
    gateway,
    journal,
    metrics,
    views: new RiskViews(store, 'view:'),
    async nextBar(close = 100, symbol = 'XYZ') {
      for (let i = 0; i < 2; i++) {
        const n = seqs.get(symbol) ?? 0;
        seqs.set(symbol, n + 1);
        await bus.publish(
          fleetTopics.bars(symbol),
          fleetEnvelope(
            'BarFrame',
            { symbol, seq: n, bars: [bar(n, close, symbol)], last: false },
            { id: `${symbol}:f${n}`, ts: 0 },
          ),
          { key: symbol },
        );
        await settle();
      }
    },
  };
  open.push(f);
  return f;
}

/** Lets the in-memory bus deliver everything queued (handlers chain through several hops). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

const buy = (quantity: number, clientOrderId?: string) => ({
  instrumentId: 'XYZ',
  side: 'buy' as const,
  type: 'market' as const,
  quantity,
  ...(clientOrderId === undefined ? {} : { clientOrderId }),
});

const position = async (f: Fleet, accountId: string): Promise<number> =>
  (await f.views.positions(accountId)).items.find((p) => p.instrumentId === 'XYZ')?.quantity ?? 0;

describe('orders from outside the plan through the risk role', () => {
  it('a commit writes its journal record and its read model in one store batch (one round trip)', async () => {
    const inner = createMemoryStateStore();
    const batches: StateOp[][] = [];
    const store: StateStore = {
      ...inner,
      apply: (batch) => {
        batches.push([...batch.ops]);
        return inner.apply(batch);
      },
    };
    const f = await fleet({ store });
    await f.nextBar();
    expect(await f.gateway.submit('acc-1', buy(3, 'one'))).toMatchObject({ type: 'OrderSubmitted' });
    const journaled = (ops: StateOp[]) =>
      ops.some((op) => op.key.includes(':journal:risk:acc-1#') && JSON.stringify(op).includes('one'));
    const commit = batches.filter(journaled);
    expect(commit).toHaveLength(1);
    expect(commit[0]?.[0]?.key).toContain(':journal:risk:acc-1#');
    expect(commit[0]?.filter((op) => op.key.startsWith('view:')).length).toBeGreaterThan(0);
    expect(await f.views.order('acc-1', 'one')).toMatchObject({ status: 'submitted', quantity: 3 });
  });

  it('defect 1: 0.5 of a whole-unit instrument is denied with a typed reason and strands nothing after it', async () => {
    const f = await fleet();
    await f.nextBar();
    const half = await f.gateway.submit('acc-1', buy(0.5, 'half'));
    expect(half).toMatchObject({ type: 'OrderDenied', reason: 'QUANTITY_OFF_LOT' });
    expect(await f.views.order('acc-1', 'half')).toMatchObject({ status: 'denied' });
    expect(f.metrics.value('risk_denials_total', { reason: 'QUANTITY_OFF_LOT' })).toBe(1);
    // Later orders on the symbol, of either account, are accepted and fill at the next bar.
    expect(await f.gateway.submit('acc-1', buy(1, 'one'))).toMatchObject({ type: 'OrderSubmitted' });
    expect(await f.gateway.submit('acc-2', buy(2, 'two'))).toMatchObject({ type: 'OrderSubmitted' });
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(1);
    expect(await position(f, 'acc-2')).toBe(2);
    expect((await f.views.fills('acc-1')).items.map((x) => x.clientOrderId)).toEqual(['one']);
  });

  it('a bracket: its exits are placed on the entry’s fill by the order role, booked by risk, and cancel each other', async () => {
    const f = await fleet();
    await f.nextBar();
    const bracket = await f.gateway.submit('acc-1', {
      ...buy(2, 'b'),
      takeProfit: { price: 120 },
      stopLoss: { triggerPrice: 90 },
    });
    expect(bracket).toMatchObject({ type: 'OrderSubmitted' });
    // Its exits' ids are taken from now on: nobody else may use them.
    expect(await f.gateway.submit('acc-1', buy(1, 'b-tp'))).toMatchObject({
      type: 'OrderDenied',
      reason: 'INVALID_ORDER',
    });
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(2);
    const open = async () =>
      (await f.views.orders('acc-1', { openOnly: true })).items.map((o) => [
        o.clientOrderId,
        o.type,
        o.side,
        o.quantity,
      ]);
    expect(await open()).toEqual([
      ['b-sl', 'stop', 'sell', 2],
      ['b-tp', 'limit', 'sell', 2],
    ]);
    await f.nextBar(125); // opens through the take-profit: it fills, the stop-loss is canceled
    expect(await position(f, 'acc-1')).toBe(0);
    expect(await open()).toEqual([]);
    expect(await f.views.order('acc-1', 'b-tp')).toMatchObject({ status: 'filled', filledQty: 2 });
    expect(await f.views.order('acc-1', 'b-sl')).toMatchObject({ status: 'canceled' });
    expect((await f.views.fills('acc-1')).items.map((x) => x.clientOrderId)).toEqual(['b', 'b-tp']);
  });

  it('an OCO pair: the sibling works beside the order at once; one filling cancels the other', async () => {
    const f = await fleet();
    await f.nextBar();
    const oco = await f.gateway.submit('acc-1', {
      ...buy(1, 'o'),
      type: 'limit',
      price: 90,
      timeInForce: 'GTC',
      oco: { type: 'stop', triggerPrice: 110 },
    });
    expect(oco).toMatchObject({ type: 'OrderSubmitted' });
    await f.nextBar();
    expect((await f.views.orders('acc-1', { openOnly: true })).items.map((o) => o.clientOrderId)).toEqual([
      'o',
      'o-oco',
    ]);
    await f.nextBar(112); // gaps through the buy stop
    expect(await position(f, 'acc-1')).toBe(1);
    expect(await f.views.order('acc-1', 'o-oco')).toMatchObject({ status: 'filled' });
    expect(await f.views.order('acc-1', 'o')).toMatchObject({ status: 'canceled' });
  });

  it('amendments travel the bus: a resting limit moved up fills at its new price', async () => {
    const f = await fleet();
    await f.nextBar();
    const limit = { ...buy(3, 'l'), type: 'limit' as const, price: 50, timeInForce: 'GTC' as const };
    expect(await f.gateway.submit('acc-1', limit)).toMatchObject({ type: 'OrderSubmitted' });
    await f.nextBar();
    await f.gateway.amend('acc-1', 'l', { amendment: { quantity: 2, price: 99.5 } });
    await settle();
    await f.nextBar();
    expect(await f.views.order('acc-1', 'l')).toMatchObject({ status: 'filled', quantity: 2, price: 99.5 });
    expect(await position(f, 'acc-1')).toBe(2);
  });

  it('the kill switch cancels a bracket’s working exits (risk knows them) and flattens', async () => {
    const f = await fleet();
    await f.nextBar();
    await f.gateway.submit('acc-1', {
      ...buy(2, 'k'),
      takeProfit: { price: 120 },
      stopLoss: { triggerPrice: 90 },
    });
    await f.nextBar();
    expect((await f.views.orders('acc-1', { openOnly: true })).items).toHaveLength(2);
    await f.gateway.setTradingState(['acc-1'], {
      scope: 'account',
      state: 'HALTED',
      owner: 'kill-switch',
      reason: 'test',
      killSwitch: true,
      flatten: true,
    });
    await settle();
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(0);
    expect((await f.views.orders('acc-1', { openOnly: true })).items).toEqual([]);
    expect(await f.views.order('acc-1', 'k-tp')).toMatchObject({ status: 'canceled' });
    expect(await f.views.order('acc-1', 'k-sl')).toMatchObject({ status: 'canceled' });
  });

  it('defect 2: the same client order id from two accounts is two orders, each filled on its own account', async () => {
    const f = await fleet();
    await f.nextBar();
    expect(await f.gateway.submit('acc-1', buy(3, 'same-id'))).toMatchObject({ type: 'OrderSubmitted' });
    expect(await f.gateway.submit('acc-2', buy(4, 'same-id'))).toMatchObject({ type: 'OrderSubmitted' });
    await f.nextBar();
    expect(await f.views.order('acc-1', 'same-id')).toMatchObject({ status: 'filled', filledQty: 3 });
    expect(await f.views.order('acc-2', 'same-id')).toMatchObject({ status: 'filled', filledQty: 4 });
    expect(await position(f, 'acc-1')).toBe(3);
    expect(await position(f, 'acc-2')).toBe(4);
    // Asking again about the order is the same order, not a second one.
    expect(await f.gateway.submit('acc-1', buy(3, 'same-id'))).toMatchObject({ type: 'OrderSubmitted' });
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(3);
  });

  it("a client order id another strategy of the account used is denied, never taken for that strategy's order", async () => {
    const f = await fleet();
    await f.nextBar();
    await f.bus.publish(
      fleetTopics.riskRequests('acc-1'),
      fleetEnvelope(
        'SubmitOrder',
        { accountId: 'acc-1', strategyId: 'idle-1', clientOrderId: 'idle-1-1', request: buy(1), tsInit: 1 },
        { id: 'acc-1:submit:idle-1-1', ts: 0 },
      ),
      { key: 'acc-1' },
    );
    await settle();
    const claimed = await f.gateway.submit('acc-1', buy(5, 'idle-1-1'));
    expect(claimed).toMatchObject({ type: 'OrderDenied', reason: 'INVALID_ORDER' });
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(1);
    expect(await f.views.order('acc-1', 'idle-1-1')).toMatchObject({ strategyId: 'idle-1', quantity: 1 });
  });

  it("a sender outside the plan cannot take a strategy's next id first (defect 2, pre-claiming)", async () => {
    const f = await fleet();
    await f.nextBar();
    // idle-1 will generate idle-1-1, idle-1-2, …: the gateway may not claim them.
    expect(await f.gateway.submit('acc-1', buy(5, 'idle-1-7'))).toMatchObject({
      type: 'OrderDenied',
      reason: 'INVALID_ORDER',
    });
    expect(await f.views.order('acc-1', 'idle-1-7')).toBeUndefined();
    // Another account's strategy ids are not this account's concern: acc-2's desk never sees them.
    expect(await f.gateway.submit('acc-2', buy(1, 'idle-1-7'))).toMatchObject({ type: 'OrderSubmitted' });
    await f.bus.publish(
      fleetTopics.riskRequests('acc-1'),
      fleetEnvelope(
        'SubmitOrder',
        { accountId: 'acc-1', strategyId: 'idle-1', clientOrderId: 'idle-1-7', request: buy(2), tsInit: 1 },
        { id: 'acc-1:submit:idle-1-7', ts: 0 },
      ),
      { key: 'acc-1' },
    );
    await settle();
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(2);
    expect(await position(f, 'acc-2')).toBe(1);
  });

  it('an order on an instrument no strategy of the account trades is matched on that instrument’s bars', async () => {
    for (const mode of ['live', 'barrier'] as const) {
      const f = await fleet({
        plan: {
          ...basePlan,
          instruments: [...basePlan.instruments, { id: 'ABC', pricePrecision: 2, quantityPrecision: 0 }],
          mode,
        },
      });
      await f.nextBar(100);
      await f.nextBar(50, 'ABC');
      const order = { ...buy(4, 'other'), instrumentId: 'ABC' };
      expect(await f.gateway.submit('acc-1', order)).toMatchObject({ type: 'OrderSubmitted' });
      await f.nextBar(51, 'ABC');
      // Before: the account's desk kept bars only of XYZ (its strategies'), and the order never filled.
      expect(await f.views.order('acc-1', 'other')).toMatchObject({ status: 'filled', avgPx: 51 });
      expect((await f.views.positions('acc-1')).items.map((p) => [p.instrumentId, p.quantity])).toEqual([
        ['ABC', 4],
      ]);
    }
  });

  it('an order on an instrument outside the plan is denied with a typed reason, not left unanswered', async () => {
    const f = await fleet();
    await f.nextBar();
    // Before: risk threw UNKNOWN_INSTRUMENT on the message (retried, dead-lettered) and the sender timed out.
    expect(await f.gateway.submit('acc-1', { ...buy(1, 'nope'), instrumentId: 'NOPE' })).toMatchObject({
      type: 'OrderDenied',
      reason: 'INVALID_ORDER',
    });
    expect(await f.gateway.submit('acc-1', buy(1, 'yes'))).toMatchObject({ type: 'OrderSubmitted' });
  });

  it('a market order that reaches the order role before any bar fills at the first bar after it, as in a backtest', async () => {
    // The order creates the account's desk at the order role; the first frame arrives while the desk
    // is still being built (its journal read is slow): the order came first, so that bar fills it.
    class SlowJournal extends FleetJournal {
      override async read<T>(stream: string, schema: Parameters<FleetJournal['read']>[1]): Promise<T[][]> {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return super.read(stream, schema as never);
      }
    }
    const bus = createMemoryMessageBus();
    const store = createMemoryStateStore();
    const risk = new RiskRole({ bus, plan: basePlan, views: { store, prefix: 'view:' } });
    const order = new OrderRole({
      bus,
      plan: basePlan,
      replicaId: 'o0',
      journal: new SlowJournal(store, 'j'),
    });
    const gateway = new FleetGatewayClient({ bus, now: () => 0 });
    open.push({ bus, risk, order, gateway } as unknown as Fleet);
    await risk.start();
    await order.start();
    await gateway.start();
    const frame = (n: number, close: number) =>
      bus.publish(
        fleetTopics.bars('XYZ'),
        fleetEnvelope(
          'BarFrame',
          { symbol: 'XYZ', seq: n, bars: [bar(n, close)], last: false },
          { id: `f${n}`, ts: 0 },
        ),
        { key: 'XYZ' },
      );
    expect(await gateway.submit('acc-1', buy(3, 'early'))).toMatchObject({ type: 'OrderSubmitted' });
    await frame(0, 100);
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await frame(1, 105);
    await settle();
    // Before: the desk caught up on bar 0 before it applied the order, which then filled at bar 1.
    const views = new RiskViews(store, 'view:');
    expect(await views.order('acc-1', 'early')).toMatchObject({ status: 'filled', avgPx: 100 });
  });

  it('cancel reaches the order role: a resting limit order is canceled and leaves the open orders', async () => {
    const f = await fleet();
    await f.nextBar();
    const limit = {
      instrumentId: 'XYZ',
      side: 'buy' as const,
      type: 'limit' as const,
      quantity: 1,
      price: 50,
    };
    expect(
      await f.gateway.submit('acc-1', { ...limit, clientOrderId: 'low', timeInForce: 'GTC' }),
    ).toMatchObject({
      type: 'OrderSubmitted',
    });
    await f.nextBar();
    expect((await f.views.orders('acc-1', { openOnly: true })).items.map((o) => o.clientOrderId)).toEqual([
      'low',
    ]);
    await f.gateway.cancel('acc-1', 'low');
    await settle();
    await f.nextBar();
    expect((await f.views.orders('acc-1', { openOnly: true })).items).toEqual([]);
    expect(await f.views.order('acc-1', 'low')).toMatchObject({
      status: 'canceled',
      type: 'limit',
      price: 50,
    });
  });
});

describe('ids at their longest', () => {
  it('a 64-character account and gateway strategy id: decisions, generated order ids and the kill switch still fit their envelopes', async () => {
    const account = 'a'.repeat(64);
    const f = await fleet({
      plan: {
        ...basePlan,
        accounts: [{ id: account, initialCash: 100_000 }],
        strategies: [{ id: 's'.repeat(64), symbol: 'XYZ', accountId: account, create: strategyClass(Idle) }],
      },
      strategyId: 'g'.repeat(64),
    });
    await f.nextBar();
    const decision = await f.gateway.submit(account, buy(2));
    expect(decision).toMatchObject({ type: 'OrderSubmitted', accountId: account });
    // Generated ids fit a venue's client order id (36 characters), however long the strategy id.
    expect(decision.clientOrderId).toMatch(VENUE_CLIENT_ORDER_ID);
    expect(await f.gateway.submit(account, { ...buy(1), type: 'limit', price: 1 })).toMatchObject({
      type: 'OrderSubmitted',
    });
    await f.nextBar();
    await f.gateway.setTradingState([account], {
      scope: 'account',
      state: 'HALTED',
      owner: 'kill-switch',
      reason: 'long ids',
      killSwitch: true,
      flatten: true,
    });
    await settle();
    await f.nextBar();
    expect(await position(f, account)).toBe(0);
    expect((await f.views.orders(account, { openOnly: true })).items).toEqual([]);
  });
});

describe('trading holds and the kill switch', () => {
  it('halt, reduce-only and resume, per account and fleet-wide', async () => {
    const f = await fleet();
    await f.nextBar();
    await f.gateway.submit('acc-1', buy(5, 'long'));
    await f.nextBar();
    const accounts = ['acc-1', 'acc-2'];
    const hold = { owner: 'operator', reason: 'test', killSwitch: false, flatten: false } as const;
    await f.gateway.setTradingState(accounts, { ...hold, scope: 'fleet', state: 'HALTED' });
    await settle();
    expect(await f.gateway.submit('acc-2', buy(1))).toMatchObject({ reason: 'TRADING_HALTED' });
    expect((await f.views.account('acc-1'))?.tradingState).toBe('HALTED');
    expect(f.metrics.value('risk_trading_state', { account: 'acc-2' })).toBe(2);
    await f.gateway.setTradingState(accounts, { ...hold, scope: 'fleet', state: 'ACTIVE', reason: 'resume' });
    await f.gateway.setTradingState(['acc-1'], { ...hold, scope: 'account', state: 'REDUCING' });
    await settle();
    expect(await f.gateway.submit('acc-1', buy(1))).toMatchObject({ reason: 'REDUCING_ONLY' });
    expect(await f.gateway.submit('acc-1', { ...buy(2), side: 'sell' })).toMatchObject({
      type: 'OrderSubmitted',
    });
    expect(await f.gateway.submit('acc-2', buy(1))).toMatchObject({ type: 'OrderSubmitted' });
    await f.gateway.setTradingState(['acc-1'], {
      ...hold,
      scope: 'account',
      state: 'ACTIVE',
      reason: 'resume',
    });
    await settle();
    expect(await f.gateway.submit('acc-1', buy(1))).toMatchObject({ type: 'OrderSubmitted' });
    expect((await f.views.account('acc-1'))?.tradingState).toBe('ACTIVE');
  });

  it('defect 4: three concurrent kill switches with flatten close a position once, never flip it', async () => {
    const f = await fleet();
    await f.nextBar();
    await f.gateway.submit('acc-1', buy(10, 'long'));
    await f.gateway.submit('acc-2', { ...buy(4, 'short'), side: 'sell' });
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(10);
    const kill = {
      scope: 'fleet',
      state: 'HALTED',
      owner: 'kill-switch',
      killSwitch: true,
      flatten: true,
    } as const;
    await Promise.all(
      [1, 2, 3].map((n) =>
        f.gateway.setTradingState(['acc-1', 'acc-2'], { ...kill, reason: `operator ${n}` }),
      ),
    );
    await settle();
    await f.nextBar();
    await f.nextBar();
    expect(await position(f, 'acc-1')).toBe(0);
    expect(await position(f, 'acc-2')).toBe(0);
    const flattening = (await f.views.orders('acc-1')).items.filter((o) =>
      o.clientOrderId.startsWith('flatten:'),
    );
    expect(flattening.map((o) => o.status).sort()).toEqual(['denied', 'denied', 'filled']);
    expect((await f.views.account('acc-1'))?.tradingState).toBe('HALTED');
  });
});

describe('accounts are initialised once', () => {
  it('defect 5: a restarted risk role rebuilds the books from its journal: cash is never reset while positions stay', async () => {
    const f = await fleet();
    await f.nextBar(100);
    await f.gateway.submit('acc-1', buy(100, 'big'));
    await f.nextBar(100);

    const before = await f.views.account('acc-1');
    expect(before?.account.cash).toBe(100_000 - 100 * 100);
    expect(f.risk.account('acc-1')?.cash).toBe(90_000);
    await f.risk.stop();
    const restarted = new RiskRole({
      bus: f.bus,
      plan: basePlan,
      journal: f.journal,
      views: { store: f.store, prefix: 'view:' },
    });
    await restarted.start();
    f.risk = restarted;
    // Nothing read yet: the view is the one written before the restart.
    expect(await f.views.account('acc-1')).toEqual(before);
    // The restarted role's first input rebuilds the books: a sell of 150 is refused under REDUCING
    // because the position it restored is 100, and the cash is still 90,000.
    await f.gateway.setTradingState(['acc-1'], {
      scope: 'account',
      state: 'REDUCING',
      owner: 'operator',
      reason: 'check',
      killSwitch: false,
      flatten: false,
    });
    await settle();
    expect(await f.gateway.submit('acc-1', { ...buy(150), side: 'sell' })).toMatchObject({
      reason: 'REDUCING_ONLY',
    });
    expect(restarted.account('acc-1')?.cash).toBe(90_000);
    expect((await f.views.account('acc-1'))?.account.cash).toBe(90_000);
    expect(await position(f, 'acc-1')).toBe(100);
  });
});

describe('gateway orders sent at once', () => {
  it('travel together: one Batch to risk, one answer back, one Batch on to the order role (20 orders, 2 messages each way)', async () => {
    const inner = createMemoryMessageBus();
    const published: string[] = [];
    const bus = new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (property !== 'publish') return value.bind(target);
        return (topic: string, envelope: { type: string }, options?: unknown) => {
          published.push(`${topic} ${envelope.type}`);
          return value.call(target, topic, envelope, options);
        };
      },
    }) as MessageBus;
    const store = createMemoryStateStore();
    const risk = new RiskRole({
      bus,
      plan: basePlan,
      journal: new FleetJournal(store, 'fleet:test'),
      views: { store, prefix: 'view:' },
    });
    const order = new OrderRole({ bus, plan: basePlan, replicaId: 'o0' });
    const gateway = new FleetGatewayClient({ bus, now: () => 0 });
    await risk.start();
    await order.start();
    await gateway.start();
    open.push({ bus, risk, order, gateway } as unknown as Fleet);

    const decisions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => gateway.submit('acc-1', buy(1, `m${i}`))),
    );
    expect(decisions.map((d) => [d.type, d.clientOrderId])).toEqual(
      Array.from({ length: 20 }, (_, i) => ['OrderSubmitted', `m${i}`]),
    );
    await settle();
    const on = (topic: string) => published.filter((p) => p.startsWith(`${topic} `));
    // The first goes at once; the 19 sent while it was in flight go next, as one Batch.
    expect(on(fleetTopics.riskRequests('acc-1'))).toEqual([
      `${fleetTopics.riskRequests('acc-1')} SubmitOrder`,
      `${fleetTopics.riskRequests('acc-1')} Batch`,
    ]);
    // Risk answers each delivery with one message and forwards its orders as one; then it relays
    // the order role's two reports (the orders accepted) to the gateway, one message each.
    expect(on(fleetTopics.orderEvents('gateway'))).toHaveLength(4);
    expect(on(fleetTopics.orderSubmit('acc-1'))).toEqual([
      `${fleetTopics.orderSubmit('acc-1')} SubmitOrder`,
      `${fleetTopics.orderSubmit('acc-1')} Batch`,
    ]);
    expect((await new RiskViews(store, 'view:').orders('acc-1')).items).toHaveLength(20);
  });
});
