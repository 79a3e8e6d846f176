import { RxtradeError } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { toRxtradeError } from './errors';

const context = { operation: 'StateStore.apply', key: 'position:a' };
const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('toRxtradeError', () => {
  it('says "not sent" when the client refused for lack of a connection', () => {
    const error = toRxtradeError(
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      context,
    );
    expect(error).toMatchObject({
      code: 'NOT_CONNECTED',
      details: { outcome: 'not-applied', key: 'position:a' },
    });
  });

  it('says "outcome unknown" when the connection dropped with the command in flight', () => {
    for (const cause of [
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 0).'),
      named('AbortError', 'Command aborted due to connection close'),
      new Error('Connection is closed.'),
    ]) {
      expect(toRxtradeError(cause, context)).toMatchObject({
        code: 'NOT_CONNECTED',
        details: { outcome: 'unknown' },
      });
    }
    expect(toRxtradeError(new Error('Command timed out'), context)).toMatchObject({
      code: 'TIMEOUT',
      details: { outcome: 'unknown' },
    });
  });

  it('maps WRONGTYPE and script corruption reports to CORRUPT_STATE naming the user key', () => {
    expect(
      toRxtradeError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), context),
    ).toMatchObject({ code: 'CORRUPT_STATE', details: { key: 'position:a' } });
    const fromScript = toRxtradeError(
      new Error('RXT_CORRUPT {"key":"app:state:account:a","field":"cash","reason":"is not an integer: 1.5"}'),
      { operation: 'StateStore.apply', unprefix: (k) => k.replace('app:state:', '') },
    );
    expect(fromScript).toMatchObject({
      code: 'CORRUPT_STATE',
      message: 'StateStore.apply: account:a.cash is not an integer: 1.5',
      details: { key: 'account:a', field: 'cash', redisKey: 'app:state:account:a' },
    });
    expect(
      toRxtradeError(new Error('RXT_OVERFLOW {"key":"k","field":"f","reason":"overflow"}'), context),
    ).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('wraps anything else as ADAPTER_FAILURE with the cause, and passes RxtradeErrors through', () => {
    const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
    expect(toRxtradeError(oom, context)).toMatchObject({ code: 'ADAPTER_FAILURE', cause: oom });
    const own = new RxtradeError({ code: 'CLOSED' });
    expect(toRxtradeError(own, context)).toBe(own);
    expect(toRxtradeError('weird', context)).toMatchObject({ code: 'ADAPTER_FAILURE' });
  });
});
