import { ensureDatabase } from '../../../../packages/adapters-postgres/src/test-fixtures/ensure-database';
import { ensureConsistentHashPlugin } from '../../../../packages/adapters-rabbitmq/test/support/consistent-hash-plugin';

/**
 * What the fleet needs of a freshly installed machine: the buses subscribe in groups (the broker's
 * consistent-hash exchange) and the services keep history in PostgreSQL's `test` database.
 */
export async function setup(): Promise<void> {
  await ensureConsistentHashPlugin(process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
  await ensureDatabase(process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
}
