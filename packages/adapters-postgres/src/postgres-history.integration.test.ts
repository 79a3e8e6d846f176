import { isRxtradeError } from '@rxtrade/core';
import { Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresHistory, type PostgresHistoryOptions } from './postgres-history';
import { CONNECTION_STRING, dropSchema, postgresAvailable, uniqueSchema } from './test-fixtures/database';

const available = await postgresAvailable();

describe('createPostgresHistory options', () => {
  it('refuses missing or bad options with INVALID_CONFIG', () => {
    for (const options of [
      {},
      { connectionString: '' },
      { pool: {} },
      { connectionString: 'x', schema: 'Bad-Name' },
    ]) {
      let code: string | undefined;
      try {
        createPostgresHistory(options as PostgresHistoryOptions);
      } catch (error) {
        code = isRxtradeError(error) ? error.code : String(error);
      }
      expect(code, JSON.stringify(options)).toBe('INVALID_CONFIG');
    }
  });
});

describe.skipIf(!available)('createPostgresHistory lifecycle (PostgreSQL)', () => {
  const schema = uniqueSchema();
  afterAll(() => dropSchema(schema));

  it('ends the pool it created, once, and refuses use afterwards', async () => {
    const history = createPostgresHistory({ connectionString: CONNECTION_STRING, schema });
    await history.migrate();
    expect(await history.bars.count()).toBe(0);
    await Promise.all([history.close(), history.close()]);
    await history.close();
    expect(history.pool.ended).toBe(true);
    const error = await history.bars.count().catch((e: unknown) => e);
    expect(isRxtradeError(error) && error.code).toBe('CLOSED');
  });

  it("never ends the user's pool", async () => {
    const pool = new Pool({ connectionString: CONNECTION_STRING, max: 2 });
    try {
      const history = createPostgresHistory({ pool, schema });
      await history.migrate();
      await history.close();
      await history.close();
      expect(pool.ended).toBe(false);
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      // NUMERIC keeps pg's default parsing (a string) on the user's pool: our parsers are per query.
      expect((await pool.query('SELECT 1.5::numeric AS n')).rows[0].n).toBe('1.5');
    } finally {
      await pool.end();
    }
  });

  it('turns a connection failure into ADAPTER_FAILURE', async () => {
    const history = createPostgresHistory({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      schema,
    });
    const error = await history.bars.count().catch((e: unknown) => e);
    expect(isRxtradeError(error) && error.code).toBe('ADAPTER_FAILURE');
    await history.close();
  });
});
