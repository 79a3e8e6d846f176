import { RxtradeError } from '@rxtrade/core';
import { escapeIdentifier, type PoolClient, TypeOverrides, types } from 'pg';

/**
 * Type parsers for reading rows back into core's number-based model: NUMERIC and INT8 become
 * `number`. Per query, so the user's pool keeps pg's defaults (strings for both). Exact for every
 * value this package wrote: a number is written as its shortest round-trip decimal, which parses
 * back to the same double.
 */
export const AS_NUMBERS = new TypeOverrides();
AS_NUMBERS.setTypeParser(types.builtins.NUMERIC, Number);
AS_NUMBERS.setTypeParser(types.builtins.INT8, Number);

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates a schema name (lower-case identifier, ≤ 63 chars) and returns it quoted for SQL. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `schema ${JSON.stringify(schema)} must match ${SCHEMA_NAME} (a lower-case SQL identifier)`,
    });
  }
  return escapeIdentifier(schema);
}

/** SQL for a timestamptz from an epoch-ms bigint parameter, exact to the millisecond. */
export const fromMs = (param: string): string =>
  `('epoch'::timestamptz + ${param}::bigint * interval '1 millisecond')`;

/** SQL for epoch ms (a float8, exact below 2^53) from a timestamptz column. */
export const toMs = (column: string): string => `(extract(epoch from ${column}) * 1000)::float8`;

/** A number as NUMERIC input text: its shortest round-trip decimal (`String(n)`, exponent included). */
export const numeric = (value: number): string => String(value);

/** Same, for an optional number: NaN and undefined become NULL. */
export const numericOrNull = (value: number | undefined): string | null =>
  value === undefined || Number.isNaN(value) ? null : String(value);

/** Runs `work` in a transaction on one pooled connection; rolls back and rethrows on failure. */
export async function inTransaction<T>(
  connect: () => Promise<PoolClient>,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable (a COPY aborted mid-stream, the server went away): discard it.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Database failures leave as `ADAPTER_FAILURE` with the driver's error as `cause`; our own typed
 * errors (validation) pass through unchanged.
 */
export function adapterError(operation: string, error: unknown): RxtradeError {
  if (error instanceof RxtradeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RxtradeError({
    code: 'ADAPTER_FAILURE',
    message: `postgres ${operation}: ${message}`,
    cause: error,
  });
}
