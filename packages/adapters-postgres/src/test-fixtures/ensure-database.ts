import pg from 'pg';

/**
 * Creates the database the integration suites use (`test` in the default URL) when the server has
 * none by that name: a freshly installed PostgreSQL has only `postgres`. Used as a vitest global
 * setup, so it imports nothing of the workspace (global setups load without the `rxtrade-source`
 * condition). A server that does not answer is left to the suites' `requireService` (a loud skip,
 * or a failure in CI); one that refuses the login fails with one line saying what to change.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (name === '' || name === 'postgres') return;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND') return;
    throw new Error(
      `PostgreSQL at ${target.host} refuses ${target.username || 'the login'} (${(error as Error).message}): ` +
        'allow it (e.g. `host all all 127.0.0.1/32 trust` in pg_hba.conf) or set RXTRADE_PG_URL to a URL that logs in',
    );
  }
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replaceAll('"', '""')}"`).catch((error: unknown) => {
        // Another suite's setup created it first.
        if ((error as { code?: unknown }).code !== '42P04') throw error;
      });
    }
  } catch (error) {
    throw new Error(
      `cannot create the test database "${name}" (${(error as Error).message}): run \`createdb -h ${target.hostname} -U ${target.username || 'postgres'} ${name}\``,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
