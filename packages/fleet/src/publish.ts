import { type BusEnvelope, isRxtradeError, type MessageBus } from '@rxtrade/core';
import { fleetEnvelope, MAX_BATCH } from './messages';

/** A message a role's input caused, to send once the input is journaled. */
export interface Outgoing {
  readonly topic: string;
  readonly envelope: BusEnvelope;
  readonly key?: string;
}

/**
 * Sends `outgoing` in order and resolves once the bus accepted (a broker: confirmed) every one.
 * The messages are written one after the other without waiting for each confirm in between (a bus
 * keeps one publisher's order per key and queue), so a batch costs one confirm round trip, not one per
 * message. `before(out)`: true when everything sent so far must be confirmed before `out` is written —
 * for an order across queues that a bus does not promise (risk hears of a fill before the strategy,
 * whose reaction goes to risk's queue, does).
 */
export async function publishInOrder(
  bus: MessageBus,
  outgoing: readonly Outgoing[],
  before?: (out: Outgoing, sent: readonly Outgoing[]) => boolean,
): Promise<void> {
  let sent: Outgoing[] = [];
  let pending: Promise<void>[] = [];
  for (const out of outgoing) {
    if (before !== undefined && pending.length > 0 && before(out, sent)) {
      await Promise.all(pending);
      sent = [];
      pending = [];
    }
    pending.push(bus.publish(out.topic, out.envelope, out.key === undefined ? undefined : { key: out.key }));
    sent.push(out);
  }
  await Promise.all(pending);
}

/**
 * `outgoing` with each run of consecutive messages to one topic and key (where `batchable(topic)`)
 * sent as one `Batch` message, in the same order: fewer broker messages and confirms, the same
 * order for the receiver, which applies a batch's messages one by one ({@link unbatch}). Only for
 * topics whose every consumer unbatches (the risk and order roles' inboxes).
 *
 * A batch's id is derived from its messages' ids, so the same messages re-sent after a restart form
 * the same batch id (deduplicated by the bus), and different messages never share one.
 */
export function batchRuns(outgoing: readonly Outgoing[], batchable: (topic: string) => boolean): Outgoing[] {
  const out: Outgoing[] = [];
  for (let i = 0; i < outgoing.length; ) {
    const first = outgoing[i] as Outgoing;
    let end = i + 1;
    if (batchable(first.topic)) {
      while (
        end < outgoing.length &&
        end - i < MAX_BATCH &&
        (outgoing[end] as Outgoing).topic === first.topic &&
        (outgoing[end] as Outgoing).key === first.key
      )
        end++;
    }
    if (end - i === 1) out.push(first);
    else {
      const messages = outgoing.slice(i, end).map((o) => o.envelope);
      const last = messages[messages.length - 1] as BusEnvelope;
      out.push({
        topic: first.topic,
        ...(first.key === undefined ? {} : { key: first.key }),
        envelope: fleetEnvelope(
          'Batch',
          { messages },
          {
            id: `batch:${messages.length}:${idsHash(messages)}`,
            ts: last.ts,
            correlationId: first.envelope.correlationId,
          },
        ),
      });
    }
    i = end;
  }
  return out;
}

/**
 * `outgoing` with the messages to each topic and key brought together, first appearance first, each
 * topic's and key's in their order: what {@link batchRuns} can then send as one message. Only for
 * outgoing sent without an order across topics ({@link publishInOrder} without `before`): a bus keeps
 * one publisher's order per topic and key, never across them.
 */
export function groupRuns(outgoing: readonly Outgoing[]): Outgoing[] {
  const groups = new Map<string, Outgoing[]>();
  for (const out of outgoing) {
    const id = `${out.topic}\u0000${out.key ?? ''}`;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [out]);
    else group.push(out);
  }
  return groups.size === outgoing.length ? [...outgoing] : [...groups.values()].flat();
}

/** 64 bits of FNV-1a over the ids (two 32-bit lanes), as hex: equal for the same ids in the same order. */
export function idsHash(messages: readonly BusEnvelope[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ messages.length;
  for (const { id } of messages) {
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = Math.imul(a ^ 0x0a, 0x01000193); // a separator, so ["ab","c"] and ["a","bc"] differ
    b = Math.imul(b ^ 0x0a, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** Failures that repeating the same work cannot cure: bad input, bad state, a closed component. */
const PERMANENT = new Set([
  'INVALID_ARGUMENT',
  'INVALID_MESSAGE',
  'INVALID_CONFIG',
  'CORRUPT_STATE',
  'CLOSED',
]);

/**
 * Runs `work` until it succeeds, waiting 50 ms after the first failure, doubling to 2 s, while the
 * failure is transient (a timeout, a lost connection, anything not a permanent {@link RxtradeError});
 * a permanent one is thrown. `work` must be safe to repeat. `onRetry` hears of each failure before
 * the wait; it gives up by throwing.
 */
export async function untilDone(
  work: () => Promise<void>,
  onRetry: (error: unknown, attempt: number, delayMs: number) => void,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      if (isRxtradeError(error) && PERMANENT.has(error.code)) throw error;
      const delayMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempt - 1));
      onRetry(error, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2_000;
