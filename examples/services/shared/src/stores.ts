import { createPostgresHistory, type PostgresHistory } from '@rxtrade/postgres';
import type { ServiceContext } from './harness';

/** The fleet's PostgreSQL history in the run's schema, migrated, closed at stop. */
export async function openHistory(ctx: ServiceContext, poolSize: number): Promise<PostgresHistory> {
  const history = createPostgresHistory({
    connectionString: ctx.config.PG_URL,
    schema: ctx.ns.pgSchema,
    poolSize,
  });
  ctx.onStop(() => history.close());
  await history.migrate();
  return history;
}
