import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';

const run = promisify(execFile);

/**
 * Group subscriptions need the consistent-hash exchange. Enabling a plugin is idempotent and does
 * not restart the node. Only when `rabbitmq-plugins` is on this machine (the broker is local).
 */
export async function setup(): Promise<void> {
  try {
    const { stdout } = await run('rabbitmq-plugins', [
      'list',
      '-e',
      '-m',
      'rabbitmq_consistent_hash_exchange',
    ]);
    if (!stdout.includes('rabbitmq_consistent_hash_exchange')) {
      await run('rabbitmq-plugins', ['enable', 'rabbitmq_consistent_hash_exchange']);
    }
  } catch {
    // No local broker tooling: the tests say what is missing when they declare the exchange.
  }
}

/** Deletes leftovers of runs that died before their own clean-up (queues and exchanges named `rxt-test-*`). */
export async function teardown(): Promise<void> {
  try {
    const queues = await run('rabbitmqctl', ['list_queues', 'name', '-q', '--no-table-headers']);
    for (const name of queues.stdout.split('\n').map((l) => l.trim())) {
      if (name.startsWith('rxt-test-')) await run('rabbitmqctl', ['delete_queue', name]).catch(() => {});
    }
    const exchanges = await run('rabbitmqctl', ['list_exchanges', 'name', '-q', '--no-table-headers']);
    const leftovers = exchanges.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((n) => n.startsWith('rxt-test-'));
    if (leftovers.length > 0) {
      const connection = await connect(process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
      const channel = await connection.createChannel();
      for (const name of leftovers) await channel.deleteExchange(name).catch(() => {});
      await connection.close().catch(() => {});
    }
  } catch {
    // Nothing to sweep without local tooling.
  }
}
