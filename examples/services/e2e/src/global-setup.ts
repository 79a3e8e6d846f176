import { ensureConsistentHashPlugin } from '../../../../packages/adapters-rabbitmq/test/support/consistent-hash-plugin';

/** The fleet's buses subscribe in groups: the broker needs the consistent-hash exchange. */
export async function setup(): Promise<void> {
  await ensureConsistentHashPlugin(process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
}
