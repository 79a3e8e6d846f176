import { ensureDatabase } from './ensure-database';

/** The suites' database exists before they run (a fresh PostgreSQL has only `postgres`). */
export async function setup(): Promise<void> {
  await ensureDatabase(process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
}
