import { type Bar, BaseStrategy, createMemoryMessageBus, createMemoryStateStore } from '@rxtrade/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFleetBackend, type FleetBackend } from './gateway/fleet-backend';
import { FleetJournal } from './journal';
import { fleetEnvelope } from './messages';
import { type FleetPlan, strategyClass } from './plan';
import { StrategyRole } from './strategy-role';
import { fleetTopics } from './topics';

/** Counts the bars that reach `onBar`, per instance. */
class Counting extends BaseStrategy<object> {
  static readonly instances: Counting[] = [];
  bars = 0;
  override onStart(): void {
    Counting.instances.push(this);
  }
  override onBar(): void {
    this.bars++;
  }
}

const SYMBOL = 'SPX';
const plan: FleetPlan = {
  instruments: [{ id: SYMBOL, pricePrecision: 2, quantityPrecision: 0 }],
  accounts: [
    { id: 'a1', initialCash: 100_000 },
    { id: 'a2', initialCash: 100_000 },
  ],
  strategies: [
    { id: 'one', symbol: SYMBOL, accountId: 'a1', create: strategyClass(Counting) },
    { id: 'two', symbol: SYMBOL, accountId: 'a2', create: strategyClass(Counting) },
  ],
  mode: 'live',
};
const latest = (id: string): Counting => Counting.instances.filter((s) => s.id === id).at(-1) as Counting;

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out: ${what}`);
}

describe('pausing one strategy of the fleet (gateway backend → strategy role, in memory)', () => {
  const bus = createMemoryMessageBus();
  const store = createMemoryStateStore();
  const journal = new FleetJournal(store, 'fleet');
  const views = { store, prefix: 'view:' };
  let seq = 0;
  let backend: FleetBackend | undefined;
  const roles: StrategyRole[] = [];

  /** Journals and publishes `n` more one-bar frames of the symbol. */
  const frames = async (n: number): Promise<void> => {
    for (let k = 0; k < n; k++) {
      const s = seq++;
      const bar: Bar = {
        symbol: SYMBOL,
        ts: 60_000 * (s + 1),
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
      };
      await journal.putFrame({ symbol: SYMBOL, seq: s, bars: [bar], last: false });
      await bus.publish(
        fleetTopics.bars(SYMBOL),
        fleetEnvelope(
          'BarFrame',
          { symbol: SYMBOL, seq: s, bars: [bar], last: false },
          { id: `bars:${s}`, ts: 0 },
        ),
        { key: SYMBOL },
      );
    }
  };
  const startRole = async (): Promise<StrategyRole> => {
    const role = new StrategyRole({ bus, plan, journal, views });
    await role.start();
    roles.push(role);
    return role;
  };

  afterEach(async () => {
    for (const role of roles.splice(0)) await role.stop();
    await backend?.close();
    await bus.close();
  });

  it('stop pauses it where it runs, start resumes it, and a replica that takes it over keeps it paused', async () => {
    const first = await startRole();
    backend = await createFleetBackend({
      bus,
      store,
      viewPrefix: 'view:',
      accounts: ['a1', 'a2'],
      instruments: plan.instruments,
      strategies: plan.strategies.map((s) => ({ id: s.id, symbols: [s.symbol] })),
      ready: () => ({}),
      confirmMs: 1_000,
    });
    // Before its first frame, no replica runs it yet: listed pending, and a pause is not confirmed.
    expect((await backend.listStrategies()).map((s) => s.status)).toEqual(['pending', 'pending']);
    await expect(backend.setStrategyRunning?.('one', false)).rejects.toMatchObject({ code: 'TIMEOUT' });

    await frames(3);
    await until(() => latest('two')?.bars === 3, 'three bars run');
    // The pause sent before the strategy ran was lost with no queue to hold it: still running.
    expect(latest('one').bars).toBe(3);
    expect(await backend.setStrategyRunning?.('one', false)).toEqual({
      id: 'one',
      status: 'paused',
      symbols: [SYMBOL],
    });
    await frames(2);
    await until(() => latest('two').bars === 5, 'two more bars run');
    expect(latest('one').bars).toBe(3);
    expect((await backend.listStrategies()).map((s) => [s.id, s.status])).toEqual([
      ['one', 'paused'],
      ['two', 'running'],
    ]);

    // The symbol moves to another replica: rebuilt from the journal, the pause included.
    await first.stop();
    roles.splice(roles.indexOf(first), 1);
    await startRole();
    await frames(2);
    await until(() => Counting.instances.length === 4 && latest('two').bars === 7, 'the new replica runs');
    expect(latest('one').bars).toBe(3); // the replayed bars up to the pause, none after
    expect((await backend.listStrategies()).map((s) => s.status)).toEqual(['paused', 'running']);

    expect(await backend.setStrategyRunning?.('one', true)).toMatchObject({ status: 'running' });
    await frames(1);
    await until(() => latest('one').bars === 4, 'it runs again');
    expect(await backend.setStrategyRunning?.('nope', false)).toBeUndefined();
  });
});
