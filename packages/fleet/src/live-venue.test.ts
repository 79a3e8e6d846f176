import {
  type Bar,
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
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isLiveVenue, VenueGate } from './live-venue';

const SPX = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });

/** A live venue that only records what it was asked. */
class RecordingVenue implements ExecutionClient {
  readonly venue = 'LIVE';
  readonly events$ = NEVER;
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
    // Nothing leaves before the journal is written (release).
    expect(live.submitted).toEqual([]);
    expect(simulated).toEqual([]);
    await gate.release();
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
    await gate.release();
    expect(live.submitted).toEqual([]);
    expect(shadow.report().pending).toBe(0);
  });
});
