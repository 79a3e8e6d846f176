import type { BusEnvelope, MessageBus } from '@rxtrade/core';

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
