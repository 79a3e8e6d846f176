import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { RABBIT_URL, rabbitAvailable, uniqueName } from '../test/support/broker';
import { createRabbitMqMessageBus, deleteTopology } from './index';

const run = promisify(execFile);
const up = await rabbitAvailable();

/** Names on the broker that start with `prefix`, as `rabbitmqctl` lists them. */
async function listed(kind: 'queues' | 'exchanges', prefix: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', [`list_${kind}`, 'name', '-q', '--no-table-headers']);
  return stdout
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n.startsWith(prefix));
}

describe.skipIf(!up)('deleteTopology', () => {
  const exchange = uniqueName('delete-topology');
  afterAll(async () => {
    await deleteTopology({ url: RABBIT_URL, exchange, partitions: 3 });
  });

  it('removes the exchanges and queues buses declared on an exchange, and nothing of another', async () => {
    const other = uniqueName('delete-topology-other');
    const buses = await Promise.all(
      [exchange, other].map((name) =>
        createRabbitMqMessageBus({ url: RABBIT_URL, exchange: name, partitions: 3, queueType: 'classic' }),
      ),
    );
    for (const bus of buses) {
      await bus.subscribe('jobs.*', () => {}, { group: 'workers' });
      await bus.subscribe('audit.#', () => {}, { group: 'audit' });
      await bus.reply('rpc.ping', async () => ({
        v: 1,
        type: 'Pong',
        id: 'p',
        ts: 1,
        correlationId: 'p',
        payload: {},
      }));
    }
    const declared = buses[0]?.topology();
    await Promise.all(buses.map((bus) => bus.close()));
    expect((await listed('queues', exchange)).length).toBeGreaterThanOrEqual(8);
    expect(await listed('exchanges', exchange)).toContain(exchange);

    const deleted = await deleteTopology({
      url: RABBIT_URL,
      exchange,
      partitions: 3,
      groups: [
        { group: 'workers', pattern: 'jobs.*' },
        { group: 'audit', pattern: 'audit.#' },
      ],
      queues: declared?.queues ?? [],
    });
    expect(deleted.exchanges).toContain(exchange);
    expect(await listed('queues', exchange)).toEqual([]);
    expect(await listed('exchanges', exchange)).toEqual([]);
    // Another exchange's names are left alone, then removed the same way.
    expect((await listed('queues', other)).length).toBeGreaterThanOrEqual(8);
    await deleteTopology({
      url: RABBIT_URL,
      exchange: other,
      partitions: 3,
      groups: [
        { group: 'workers', pattern: 'jobs.*' },
        { group: 'audit', pattern: 'audit.#' },
      ],
      queues: declared?.queues.map((q) => q.replace(exchange, other)) ?? [],
    });
    expect(await listed('queues', other)).toEqual([]);
    expect(await listed('exchanges', other)).toEqual([]);
  });
});
