import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { ensureConsistentHashPlugin } from './consistent-hash-plugin';

const run = promisify(execFile);

// Not broker.ts's: a global setup loads without the `rxtrade-source` condition (see consistent-hash-plugin.ts).
const RABBIT_URL = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Group subscriptions need the consistent-hash exchange: a fresh broker has no plugins enabled. */
export async function setup(): Promise<void> {
  await ensureConsistentHashPlugin(RABBIT_URL);
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
      const connection = await connect(RABBIT_URL);
      const channel = await connection.createChannel();
      for (const name of leftovers) await channel.deleteExchange(name).catch(() => {});
      await connection.close().catch(() => {});
    }
  } catch {
    // Nothing to sweep without local tooling.
  }
}
