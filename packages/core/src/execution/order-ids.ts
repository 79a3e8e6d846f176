import { z } from 'zod';
import { RxtradeError } from '../errors';
import type { StateStore } from '../ports/state-store';

/** Options of {@link ClientOrderIds.create}. */
export interface ClientOrderIdsOptions {
  readonly store: StateStore;
  /** Names this trader: letters, digits and `_`, 1–12 characters. */
  readonly prefix: string;
  /** Attempts to claim a run number when other processes claim at the same moment. Default 20. */
  readonly maxAttempts?: number;
}

const PrefixSchema = z.string().regex(/^[A-Za-z0-9_]{1,12}$/, 'letters, digits and _, 1–12 characters');

/** Client order ids as most venues accept them (Binance: `^[.A-Z:/a-z0-9_-]{1,36}$`). */
export const VENUE_CLIENT_ORDER_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

/**
 * Deterministic client order ids that stay unique across restarts: `{prefix}-{runId}-{seq}`. The run
 * number is claimed once per start through the {@link StateStore} (a compare-and-set built from the
 * store's at-most-once `eventId`), so a restarted process, or a second one started beside it, continues
 * with the next run and can never reissue an id; the sequence within a run is in memory, so issuing an
 * id costs no I/O. `runId` and `seq` are base 36 to keep ids short (venues cap them: Binance at 36).
 *
 * The id is the idempotency key of an order end to end: the engine uses it, the connector sends it as
 * the venue's client order id (Binance `newClientOrderId`), reconciliation matches on it.
 *
 * @example
 * const ids = await ClientOrderIds.create({ store, prefix: 'rx' });
 * const engine = createEngine({ instruments, orderIdPrefix: ids.orderIdPrefix }); // rx-1a-SmaCross-1, …
 * ids.next(); // 'rx-1a-1' for orders sent outside the engine
 */
export class ClientOrderIds {
  readonly prefix: string;
  /** The run number claimed at creation, base 36. */
  readonly runId: string;
  /** `{prefix}-{runId}-`: pass as the engine's `orderIdPrefix`; the engine appends `{strategyId}-{seq}`. */
  readonly orderIdPrefix: string;
  #seq = 0;

  private constructor(prefix: string, run: number) {
    this.prefix = prefix;
    this.runId = run.toString(36);
    this.orderIdPrefix = `${prefix}-${this.runId}-`;
  }

  /** Claims the next run number for `prefix` and returns its id source. */
  static async create(options: ClientOrderIdsOptions): Promise<ClientOrderIds> {
    const prefix = PrefixSchema.safeParse(options.prefix);
    if (!prefix.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid client order id prefix ${JSON.stringify(options.prefix)}: ${z.prettifyError(prefix.error)}`,
      });
    }
    const key = `order-ids:${prefix.data}`;
    const attempts = options.maxAttempts ?? 20;
    for (let i = 0; i < attempts; i++) {
      const current = Number((await options.store.get(key))?.['run'] ?? '0');
      if (!Number.isSafeInteger(current) || current < 0) {
        throw new RxtradeError({
          code: 'CORRUPT_STATE',
          message: `${key}.run is not a run number`,
          details: { key },
        });
      }
      const run = current + 1;
      // Only one writer can apply a given eventId: whoever does owns this run number.
      const result = await options.store.apply({
        ops: [{ op: 'set', key, fields: { run: String(run) } }],
        eventId: `${key}:run:${run}`,
      });
      if (result.applied) return new ClientOrderIds(prefix.data, run);
    }
    throw new RxtradeError({
      code: 'ADAPTER_FAILURE',
      message: `could not claim a run number for ${key} in ${attempts} attempts`,
    });
  }

  /** The next id of this run: `{prefix}-{runId}-{seq}`. */
  next(): string {
    return `${this.orderIdPrefix}${(++this.#seq).toString(36)}`;
  }

  /** How many ids {@link next} has issued. */
  get issued(): number {
    return this.#seq;
  }
}
