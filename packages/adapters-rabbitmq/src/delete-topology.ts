import { RxtradeError } from '@rxtrade/core';
import { connect } from 'amqplib';
import { deadLetterQueue, groupTopology, rpcExchange } from './topology';

/** Options of {@link deleteTopology}. */
export interface DeleteTopologyOptions {
  readonly url: string;
  /** The bus's exchange (`RabbitMqBusSettings.exchange`): it, its `.rpc` exchange and its dead-letter queue go. */
  readonly exchange: string;
  /** Consumer groups subscribed on it: each one's hash exchange, partition and presence queues go. */
  readonly groups?: readonly { readonly group: string; readonly pattern: string }[];
  /** Partition queues per group, as the buses were created with. Default 8. */
  readonly partitions?: number;
  /** More queues to delete (a bus's `topology().queues`). */
  readonly queues?: readonly string[];
  /** More exchanges to delete. */
  readonly exchanges?: readonly string[];
}

/** What {@link deleteTopology} asked the broker to delete (a name that did not exist counts too). */
export interface DeletedTopology {
  readonly queues: readonly string[];
  readonly exchanges: readonly string[];
}

/**
 * Deletes what buses on `exchange` declared — the exchange, its request/reply exchange, its dead-letter
 * queue, and each listed group's queues and exchanges — over a connection of its own, so it works after
 * the buses closed or their processes died. A name that no longer exists is fine. Queues are deleted
 * with their messages, dead letters included: call it when a run is over for good.
 *
 * @example
 * await deleteTopology({ url, exchange: 'run-42', groups: [{ group: 'workers', pattern: 'jobs.*' }] });
 */
export async function deleteTopology(options: DeleteTopologyOptions): Promise<DeletedTopology> {
  const partitions = options.partitions ?? 8;
  if (!(Number.isInteger(partitions) && partitions >= 1)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `partitions must be an integer ≥ 1, got ${partitions}`,
    });
  }
  const queues = new Set<string>(options.queues ?? []);
  const exchanges = new Set<string>(options.exchanges ?? []);
  for (const { group, pattern } of options.groups ?? []) {
    const topology = groupTopology({ exchange: options.exchange, group, pattern, partitions });
    for (const name of [...topology.partitions, topology.presence, ...topology.locks]) queues.add(name);
    exchanges.add(topology.hashExchange);
  }
  queues.add(deadLetterQueue(options.exchange));
  exchanges.add(rpcExchange(options.exchange));
  exchanges.add(options.exchange);
  const connection = await connect(options.url).catch((error: unknown) => {
    throw new RxtradeError({
      code: 'ADAPTER_FAILURE',
      message: `cannot connect to RabbitMQ to delete ${options.exchange}: ${(error as Error).message}`,
      cause: error,
    });
  });
  // A failed delete (an exclusive queue of a live connection) closes its channel: one channel per name.
  const remove = async (
    op: (channel: Awaited<ReturnType<typeof connection.createChannel>>) => Promise<unknown>,
  ) => {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      await op(channel);
      return true;
    } catch {
      return false;
    } finally {
      await channel.close().catch(() => {});
    }
  };
  const deleted = { queues: [] as string[], exchanges: [] as string[] };
  try {
    for (const name of queues) if (await remove((c) => c.deleteQueue(name))) deleted.queues.push(name);
    // Hash exchanges before the main one they are bound to.
    for (const name of exchanges)
      if (await remove((c) => c.deleteExchange(name))) deleted.exchanges.push(name);
  } finally {
    await connection.close().catch(() => {});
  }
  return deleted;
}
