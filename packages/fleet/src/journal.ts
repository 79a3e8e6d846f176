import { RxtradeError, type StateOp, type StateStore } from '@rxtrade/core';
import { z } from 'zod';
import { type BarFrame, BarFrameSchema } from './messages';

const SEQ_DIGITS = 10;
const seqKey = (n: number): string => String(n).padStart(SEQ_DIGITS, '0');

/**
 * The fleet's state in a {@link StateStore}, under one namespace (`fleet:<run>`), so a partition that
 * moves to another replica is rebuilt there:
 *
 * - `…:frames:<symbol>:<seq>` — every bar frame, written by the data role before it is published, so
 *   a replica that joins late or takes over reads the frames it never received.
 * - `…:journal:<stream>#<n>` — each partition's inputs in the order it applied them (an order desk's
 *   commands, acknowledgements and frames; a strategy's bars and deliveries), appended in batches
 *   before the outputs they caused are published (state before publish) and before the inputs are
 *   acknowledged on the bus. The roles are deterministic: replaying a journal rebuilds the
 *   partition's state exactly (orders, venue, barrier, strategy indicators and positions, message
 *   sequence numbers); the outputs of the last batch, which may not have been sent, are sent again
 *   with the same ids (consumers drop duplicates), and an input not yet journaled is redelivered by
 *   the bus. Nothing a replica can receive was caused by an input missing from the journal.
 */
/** Most frame reads {@link FleetJournal.frames} has in flight at once. */
const FRAME_READS = 500;

export class FleetJournal {
  readonly store: StateStore;
  readonly namespace: string;
  readonly #next = new Map<string, number>();

  constructor(store: StateStore, namespace: string) {
    if (!/^[A-Za-z0-9_\-:]{1,100}$/.test(namespace)) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `invalid journal namespace ${JSON.stringify(namespace)}`,
      });
    }
    this.store = store;
    this.namespace = namespace;
  }

  /** Stores a frame (idempotent: the same frame written twice is one record). */
  async putFrame(frame: BarFrame): Promise<void> {
    await this.store.apply({
      ops: [
        {
          op: 'replace',
          key: `${this.namespace}:frames:${frame.symbol}:${seqKey(frame.seq)}`,
          fields: { frame: JSON.stringify(frame) },
        },
      ],
    });
  }

  /** Frames `from` to `to` (inclusive) of a symbol; throws `CORRUPT_STATE` when one is missing. */
  async frames(symbol: string, from: number, to: number): Promise<BarFrame[]> {
    const out: BarFrame[] = [];
    // Read FRAME_READS at a time: one round trip for them on a pipelining store (Redis), not one each.
    for (let start = from; start <= to; start += FRAME_READS) {
      const seqs = Array.from({ length: Math.min(FRAME_READS, to - start + 1) }, (_, i) => start + i);
      const records = await Promise.all(
        seqs.map((seq) => this.store.get(`${this.namespace}:frames:${symbol}:${seqKey(seq)}`)),
      );
      records.forEach((record, i) => {
        const seq = seqs[i] as number;
        if (record?.['frame'] === undefined) {
          throw new RxtradeError({
            code: 'CORRUPT_STATE',
            message: `frame ${seq} of ${symbol} is not in the store`,
          });
        }
        out.push(parse(BarFrameSchema, record['frame'], `frame ${seq} of ${symbol}`));
      });
    }
    return out;
  }

  /** Appends entries to a stream's journal as one record (one round trip). */
  async append(stream: string, entries: readonly unknown[]): Promise<void> {
    const op = this.appendOp(stream, entries);
    if (op !== undefined) await this.store.apply({ ops: [op] });
  }

  /**
   * The write that appends entries as the stream's next record, for a caller that applies it in one
   * batch with writes of its own to {@link FleetJournal.store} (one round trip, all or nothing);
   * undefined when there are none. The record's number is taken now: apply the ops in the order asked.
   */
  appendOp(stream: string, entries: readonly unknown[]): StateOp | undefined {
    if (entries.length === 0) return undefined;
    const n = this.#next.get(stream) ?? 0;
    this.#next.set(stream, n + 1);
    return {
      op: 'replace',
      key: `${this.namespace}:journal:${stream}#${seqKey(n)}`,
      fields: { entries: JSON.stringify(entries) },
    };
  }

  /** A stream's journal as its batches (one per append), in order; later appends continue after them. */
  async read<T>(stream: string, schema: z.ZodType<T>): Promise<T[][]> {
    // `#` cannot be in an id: one stream's prefix never matches another's.
    const records = await this.store.list(`${this.namespace}:journal:${stream}#`);
    const out: T[][] = [];
    for (const [key, record] of records) out.push(parse(z.array(schema), record['entries'] ?? '', key));
    this.#next.set(stream, records.length);
    return out;
  }

  /** Deletes everything under the namespace (a finished run's frames and journals). */
  async clear(): Promise<number> {
    const records = await this.store.list(`${this.namespace}:`);
    for (let i = 0; i < records.length; i += 500) {
      await this.store.apply({
        ops: records.slice(i, i + 500).map(([key]) => ({ op: 'delete' as const, key })),
      });
    }
    return records.length;
  }
}

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RxtradeError({ code: 'CORRUPT_STATE', message: `${what} is not JSON`, cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'CORRUPT_STATE',
      message: `${what} is invalid: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  return parsed.data;
}
