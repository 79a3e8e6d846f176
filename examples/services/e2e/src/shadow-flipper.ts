import { BaseStrategy } from '@rxtrade/core';
import { z } from 'zod';

/**
 * The shadow e2e's strategy: every `every` bars, a market buy of `quantity` when flat, else a close
 * of the position; nothing after bar `until`, so each order's fills settle with bars still coming.
 */
export class ShadowFlipper extends BaseStrategy<{ every: number; until: number; quantity: number }> {
  static override paramsSchema = z.object({
    every: z.number().int().positive().default(4),
    until: z.number().int().positive().default(28),
    quantity: z.number().positive().default(10),
  });
  #bars = 0;

  override onBar(): void {
    const n = ++this.#bars;
    if (n > this.params.until || n % this.params.every !== 0) return;
    if (this.position() === 0) this.buy(this.params.quantity);
    else this.close();
  }
}
