import {
  type Bar,
  BaseStrategy,
  createMemoryMessageBus,
  createMemoryStateStore,
  createOrder,
  defineInstrument,
  type ExecutionClient,
  ManualClock,
  noopLogger,
  type Order,
  ShadowExecutionClient,
  SimulatedVenue,
  type VenueEvent,
} from '@rxtrade/core';
import { NEVER, type Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FleetGatewayClient } from './gateway-client';
import { FleetJournal } from './journal';
import { isLiveVenue, VenueGate } from './live-venue';
import { OrderRole } from './order-role';
import { strategyClass } from './plan';
import { RiskRole } from './risk-role';

const SPX = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });

/** A live venue that only records what it was asked. */
class RecordingVenue implements ExecutionClient {
  readonly venue = 'LIVE';
  readonly events$: Observable<VenueEvent> = NEVER;
  readonly submitted: string[] = [];
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.submitted.push(order.clientOrderId);
  }
  async cancelOrder(): Promise<void> {}
}

const bar = (ts: number, open: number): Bar => ({
  symbol: 'SPX',
  ts,
  open,
  high: open + 1,
  low: open - 1,
  close: open,
  volume: 1_000,
});
const buy = (clientOrderId: string): Order =>
  createOrder(
    { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 5 },
    { clientOrderId, accountId: 'a', strategyId: 's', quantityPrecision: 0, ts: 1_000 },
  );

describe('a shadow venue behind the order role’s venue gate', () => {
  it('a shadow around a live client is a live venue; around a paper venue it is not', () => {
    const live = new RecordingVenue();
    const paper = new SimulatedVenue({ instruments: [SPX], clock: new ManualClock(0) });
    expect(isLiveVenue(live)).toBe(true);
    expect(isLiveVenue(paper)).toBe(false);
    expect(isLiveVenue(new ShadowExecutionClient({ real: live, instruments: [SPX] }))).toBe(true);
    expect(isLiveVenue(new ShadowExecutionClient({ real: paper, instruments: [SPX] }))).toBe(false);
  });

  it('bars reach the shadow through the gate after the calls decided before them: the simulation fills at the next bar, the real call waits for the journal', async () => {
    const live = new RecordingVenue();
    const shadow = new ShadowExecutionClient({ real: live, instruments: [SPX] });
    const simulated: VenueEvent[] = [];
    shadow.simulated.addEventListener((e) => simulated.push(e));
    const gate = new VenueGate(shadow, noopLogger);
    expect(gate.processBar).toBeDefined();
    expect(new VenueGate(live, noopLogger).processBar).toBeUndefined();
    await gate.connect();

    gate.processBar?.(bar(1_000, 100));
    await gate.submitOrder(buy('o1'));
    gate.processBar?.(bar(2_000, 101));
    // Nothing leaves before the journal is written (take, then the returned call).
    expect(live.submitted).toEqual([]);
    expect(simulated).toEqual([]);
    await gate.take()();
    expect(live.submitted).toEqual(['o1']);
    // The order reached the simulation before the bar after it: filled at that bar's open, as in a backtest.
    const fill = simulated.find((e) => e.type === 'OrderFilled');
    expect(fill).toMatchObject({ clientOrderId: 'o1', lastPx: 101, tsEvent: 2_000 });
    await gate.disconnect();
  });

  it('while the desk replays its journal, neither calls nor bars go out', async () => {
    const live = new RecordingVenue();
    const shadow = new ShadowExecutionClient({ real: live, instruments: [SPX] });
    const gate = new VenueGate(shadow, noopLogger);
    gate.replaying = true;
    await gate.submitOrder(buy('o1'));
    gate.processBar?.(bar(2_000, 101));
    gate.replaying = false;
    await gate.take()();
    expect(live.submitted).toEqual([]);
    expect(shadow.report().pending).toBe(0);
  });
});

describe('the order role on a live venue: journal before venue', () => {
  it('an order reaches the venue only once the journal holds the input that decided it, when batches overlap', async () => {
    // The journal's append is slow, and the venue's acknowledgements are inputs of the desk too,
    // journaled in batches of their own: a command batch is decided while an acknowledgement batch's
    // append is in flight. Before: that batch's release sent the command batch's orders too, before
    // their own append — a desk killed then was rebuilt without them, and the venue's fills of those
    // orders were unknown to it (the ccxt restart e2e test hung on UNKNOWN_FILL).
    const journaled: string[] = [];
    class SlowJournal extends FleetJournal {
      override async append(stream: string, entries: readonly unknown[]): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await super.append(stream, entries);
        journaled.push(JSON.stringify(entries));
      }
    }
    // The venue acknowledges each order as it takes it.
    const events = new Subject<VenueEvent>();
    const venue = new (class extends RecordingVenue {
      override readonly events$ = events.asObservable();
    })();
    const early: string[] = [];
    const submit = venue.submitOrder.bind(venue);
    venue.submitOrder = async (order) => {
      if (!journaled.some((batch) => batch.includes(order.clientOrderId))) early.push(order.clientOrderId);
      await submit(order);
      const { clientOrderId, accountId, strategyId, instrumentId } = order;
      events.next({
        type: 'OrderAccepted',
        clientOrderId,
        accountId,
        strategyId,
        instrumentId,
        tsEvent: 0,
        venueOrderId: `v-${clientOrderId}`,
      });
    };
    class Idle extends BaseStrategy<object> {
      override onBar(): void {}
    }
    const plan = {
      instruments: [{ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 }],
      accounts: [{ id: 'a', initialCash: 1_000_000 }],
      strategies: [{ id: 'idle', symbol: 'SPX', accountId: 'a', create: strategyClass(Idle) }],
      mode: 'live' as const,
    };
    const bus = createMemoryMessageBus();
    const store = createMemoryStateStore();
    const risk = new RiskRole({ bus, plan, views: { store, prefix: 'view:' } });
    const order = new OrderRole({
      bus,
      plan,
      replicaId: 'o0',
      journal: new SlowJournal(store, 'j'),
      execution: () => venue,
      reconciliation: false,
    });
    const gateway = new FleetGatewayClient({ bus, now: () => 0 });
    await risk.start();
    await order.start();
    await gateway.start();
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `o${String(i).padStart(2, '0')}`);
      // A few at a time, as orders keep coming while the venue answers the earlier ones.
      for (let i = 0; i < ids.length; i += 3) {
        const decisions = await Promise.all(
          ids.slice(i, i + 3).map((clientOrderId) =>
            gateway.submit('a', {
              instrumentId: 'SPX',
              side: 'buy',
              type: 'market',
              quantity: 1,
              clientOrderId,
            }),
          ),
        );
        expect(decisions.map((d) => d.type)).toEqual(['OrderSubmitted', 'OrderSubmitted', 'OrderSubmitted']);
      }
      for (let i = 0; i < 50 && venue.submitted.length < ids.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect([...venue.submitted].sort()).toEqual(ids);
      expect(early).toEqual([]);
      // The batches did overlap: more than one append carried the orders.
      expect(journaled.filter((b) => b.includes('SubmitOrder')).length).toBeGreaterThan(1);
    } finally {
      await gateway.stop();
      await risk.stop();
      await order.stop();
      await bus.close();
    }
  });
});
