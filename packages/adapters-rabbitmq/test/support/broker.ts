import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { connect } from 'amqplib';
import type { RabbitMqTopology } from '../../src/index';

const run = promisify(execFile);

/** The shared broker of the development machine and CI. */
export const RABBIT_URL = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Every exchange and queue a test declares starts with this, so a sweep can find leftovers. */
export const TEST_PREFIX = 'rxt-test';

/** True when RabbitMQ answers; outside CI a missing broker skips loudly, in CI it fails. */
export function rabbitAvailable(): Promise<boolean> {
  const url = new URL(RABBIT_URL);
  return requireService('RabbitMQ', () => probeTcp(url.hostname, Number(url.port || 5672)));
}

/** A name unique to one test: `rxt-test-<label>-<random>`. */
export function uniqueName(label: string): string {
  return `${TEST_PREFIX}-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes what buses declared; missing names are fine. */
export async function deleteTopology(...topologies: RabbitMqTopology[]): Promise<void> {
  const connection = await connect(RABBIT_URL);
  try {
    for (const topology of topologies) {
      for (const queue of topology.queues) {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await channel.deleteQueue(queue).catch(() => {});
        await channel.close().catch(() => {});
      }
      for (const exchange of topology.exchanges) {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await channel.deleteExchange(exchange).catch(() => {});
        await channel.close().catch(() => {});
      }
    }
  } finally {
    await connection.close();
  }
}

/**
 * Force-closes the broker connections whose client-provided name is `connectionName`, as
 * `rabbitmqctl close_all_connections` would, but only this test's (others share the node).
 * Returns how many were closed.
 */
export async function closeConnectionsNamed(connectionName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '-q',
    '--no-table-headers',
  ]);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.length > 0);
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'test']);
  return pids.length;
}

/** Polls until `predicate` holds; throws with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
