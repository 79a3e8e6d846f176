/**
 * @internal A test fixture for the optimiser: an SMA crossover loaded by worker threads from this
 * file. Not part of the public API.
 */
import { z } from 'zod';
import { Sma } from '../data/indicators/sma';
import { BaseStrategy } from './base-strategy';

const params = z.object({
  fast: z.number().int().positive().default(10),
  slow: z.number().int().positive().default(30),
  quantity: z.number().positive().default(10),
  /** Throw on this bar, to test that a failing run becomes an error row. */
  failAt: z.number().int().optional(),
});

export class FixtureSmaCross extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  // indicator(): variants run in one pass (optimize's onePass) share the SMAs they have in common.
  readonly fast = this.indicator(Sma, this.params.fast);
  readonly slow = this.indicator(Sma, this.params.slow);
  #previous = Number.NaN;
  #bar = 0;

  override onBar(): void {
    if (this.#bar++ === this.params.failAt) throw new Error('fixture failure');
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(this.params.quantity);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}

/** A data module for `{ kind: 'module' }`: a deterministic random walk. */
export function fixtureBars(
  count = 600,
): { symbol: string; ts: number; open: number; high: number; low: number; close: number; volume: number }[] {
  let price = 100;
  let seed = 7;
  const out = [];
  for (let i = 0; i < count; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const open = price;
    price = Math.max(1, Math.round((price + (seed / 2_147_483_648 - 0.5) * 4) * 100) / 100);
    out.push({
      symbol: 'SYN',
      ts: Date.UTC(2020, 0, 1) + i * 86_400_000,
      open,
      high: Math.max(open, price),
      low: Math.min(open, price),
      close: price,
      volume: 1_000_000,
    });
  }
  return out;
}

export default FixtureSmaCross;
