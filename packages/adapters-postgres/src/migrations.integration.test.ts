import { isRxtradeError } from '@rxtrade/core';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from './migrations';
import { CONNECTION_STRING, dropSchema, postgresAvailable, uniqueSchema } from './test-fixtures/database';

const available = await postgresAvailable();

describe.skipIf(!available)('migrate (PostgreSQL)', () => {
  const schemas: string[] = [];
  let pool: Pool;
  const fresh = () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema;
  };

  beforeAll(() => {
    pool = new Pool({ connectionString: CONNECTION_STRING, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    for (const schema of schemas) await dropSchema(schema);
  });

  it('creates the schema, records each version, and is a no-op the second time', async () => {
    const schema = fresh();
    const latest = MIGRATIONS.at(-1)?.version;
    expect(await migrate(pool, { schema })).toEqual({
      applied: MIGRATIONS.map((m) => m.version),
      version: latest,
    });
    expect(await migrate(pool, { schema })).toEqual({ applied: [], version: latest });
    const { rows } = await pool.query(
      `SELECT version, name FROM "${schema}".rxtrade_migrations ORDER BY version`,
    );
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const tables = await pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'bars',
      'closed_trades',
      'fills',
      'order_events',
      'orders',
      'rxtrade_migrations',
      'strategy_runs',
    ]);
  });

  it('applies each migration once when several processes start at the same time', async () => {
    const schema = fresh();
    // Separate pools: separate sessions, as separate processes would have.
    const pools = Array.from({ length: 4 }, () => new Pool({ connectionString: CONNECTION_STRING, max: 1 }));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p, { schema })));
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(results.every((r) => r.version === MIGRATIONS.at(-1)?.version)).toBe(true);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".rxtrade_migrations`);
      expect(rows[0].n).toBe(MIGRATIONS.length);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('refuses a database whose recorded migration differs from the shipped one', async () => {
    const schema = fresh();
    await migrate(pool, { schema });
    await pool.query(`UPDATE "${schema}".rxtrade_migrations SET checksum = 'edited' WHERE version = 1`);
    const error = await migrate(pool, { schema }).catch((e: unknown) => e);
    expect(isRxtradeError(error) && error.code).toBe('CORRUPT_STATE');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    for (const schema of ['Public', 'a;drop', '', 'x'.repeat(64), '1abc']) {
      const error = await migrate(pool, { schema }).catch((e: unknown) => e);
      expect(isRxtradeError(error) && error.code, schema).toBe('INVALID_CONFIG');
    }
  });
});
