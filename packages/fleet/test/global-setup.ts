import { ensureConsistentHashPlugin } from '../../adapters-rabbitmq/test/support/consistent-hash-plugin';

/** The fleet's roles subscribe in consumer groups: the broker needs the consistent-hash exchange. */
export async function setup(): Promise<void> {
  await ensureConsistentHashPlugin(process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
}
