import { isRxtradeError, RxtradeError } from '@rxtrade/core';

/** What the adapter was doing when Redis failed: named in the error so a log line is actionable. */
export interface ErrorContext {
  /** e.g. `StateStore.apply`. */
  readonly operation: string;
  /** The user-facing key (not the prefixed Redis key), when one key is involved. */
  readonly key?: string;
  /** Turns a prefixed Redis key back into the user's key, for script errors that name a Redis key. */
  readonly unprefix?: (redisKey: string) => string;
}

/** Prefix of the structured errors our Lua scripts return: `RXT_CORRUPT {"key":…,"reason":…}`. */
export const SCRIPT_CORRUPT = 'RXT_CORRUPT';
export const SCRIPT_OVERFLOW = 'RXT_OVERFLOW';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function parseScriptDetails(message: string, tag: string): Record<string, unknown> {
  const json = message.slice(message.indexOf(tag) + tag.length).trim();
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return { raw: json };
  }
}

/**
 * Maps anything ioredis or Redis throws to an {@link RxtradeError}:
 * - not sent because the connection is down → `NOT_CONNECTED` (`details.outcome: 'not-applied'`);
 * - the connection dropped while the command was in flight → `NOT_CONNECTED` (`outcome: 'unknown'`);
 * - no reply within `commandTimeout` → `TIMEOUT` (`outcome: 'unknown'`);
 * - `WRONGTYPE` or a script's corruption report → `CORRUPT_STATE` naming the key;
 * - anything else Redis answers (OOM, NOPERM, …) → `ADAPTER_FAILURE`.
 * An unknown outcome means the write may or may not have happened: retry it with the same `eventId`.
 */
export function toRxtradeError(error: unknown, context: ErrorContext): RxtradeError {
  if (isRxtradeError(error)) return error as RxtradeError;
  const message = messageOf(error);
  const name = error instanceof Error ? error.name : '';
  const where = context.key === undefined ? context.operation : `${context.operation} ${context.key}`;
  const keyDetails = context.key === undefined ? {} : { key: context.key };

  if (message.startsWith("Stream isn't writeable")) {
    return new RxtradeError({
      code: 'NOT_CONNECTED',
      message: `${where}: Redis is not connected; nothing was sent`,
      cause: error,
      details: { ...keyDetails, outcome: 'not-applied' },
    });
  }
  if (
    name === 'MaxRetriesPerRequestError' ||
    name === 'AbortError' ||
    message === 'Connection is closed.' ||
    /ECONNRESET|EPIPE|Socket timeout/.test(message)
  ) {
    return new RxtradeError({
      code: 'NOT_CONNECTED',
      message: `${where}: the connection to Redis dropped while the command was in flight; its outcome is unknown (retry with the same eventId)`,
      cause: error,
      details: { ...keyDetails, outcome: 'unknown' },
    });
  }
  if (message === 'Command timed out') {
    return new RxtradeError({
      code: 'TIMEOUT',
      message: `${where}: Redis did not answer in time; the outcome is unknown (retry with the same eventId)`,
      cause: error,
      details: { ...keyDetails, outcome: 'unknown' },
    });
  }
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|^LOADING/.test(message)) {
    return new RxtradeError({
      code: 'NOT_CONNECTED',
      message: `${where}: Redis is not available (${message})`,
      cause: error,
      details: { ...keyDetails, outcome: 'not-applied' },
    });
  }
  if (message.includes(SCRIPT_CORRUPT)) {
    const details = parseScriptDetails(message, SCRIPT_CORRUPT);
    const redisKey = typeof details['key'] === 'string' ? details['key'] : undefined;
    const key =
      redisKey !== undefined && context.unprefix ? context.unprefix(redisKey) : (redisKey ?? context.key);
    const field = typeof details['field'] === 'string' ? `.${details['field']}` : '';
    return new RxtradeError({
      code: 'CORRUPT_STATE',
      message: `${context.operation}: ${key ?? '?'}${field} ${String(details['reason'] ?? 'is corrupt')}`,
      cause: error,
      details: { ...details, key, redisKey },
    });
  }
  if (message.includes(SCRIPT_OVERFLOW)) {
    const details = parseScriptDetails(message, SCRIPT_OVERFLOW);
    const redisKey = typeof details['key'] === 'string' ? details['key'] : undefined;
    const key = redisKey !== undefined && context.unprefix ? context.unprefix(redisKey) : redisKey;
    return new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${context.operation}: incrBy on ${key ?? '?'}.${String(details['field'])} would overflow a 64-bit integer`,
      cause: error,
      details: { ...details, key, redisKey },
    });
  }
  if (message.startsWith('WRONGTYPE')) {
    return new RxtradeError({
      code: 'CORRUPT_STATE',
      message: `${where}: the Redis key holds the wrong kind of value (${message})`,
      cause: error,
      details: keyDetails,
    });
  }
  return new RxtradeError({
    code: 'ADAPTER_FAILURE',
    message: `${where}: Redis failed: ${message}`,
    cause: error,
    details: keyDetails,
  });
}
