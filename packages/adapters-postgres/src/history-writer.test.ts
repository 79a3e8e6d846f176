import type { Fill } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { createHistoryWriter } from './history-writer';
import type { PostgresHistory } from './postgres-history';
import { backtestFills } from './test-fixtures/database';

/** A history whose fill appends are scripted: each call takes the next behaviour. */
function scriptedHistory(behaviours: Array<'hang' | 'fail' | 'ok'>) {
  const landed: Fill[][] = [];
  let call = 0;
  const history = {
    fills: {
      append: (_runId: string, fills: readonly Fill[]) => {
        const behaviour = behaviours[call++] ?? 'ok';
        if (behaviour === 'hang') return new Promise(() => {});
        if (behaviour === 'fail') return Promise.reject(new Error('connection refused'));
        landed.push([...fills]);
        return Promise.resolve({ inserted: fills.length });
      },
    },
  } as unknown as PostgresHistory;
  return { history, landed, calls: () => call };
}

describe('createHistoryWriter (scripted history)', () => {
  it('retries an attempt that is never answered after attemptTimeoutMs', async () => {
    const { history, landed, calls } = scriptedHistory(['hang', 'fail', 'ok']);
    const writer = createHistoryWriter(history, {
      attemptTimeoutMs: 50,
      retryDelay: { initialMs: 1, maxMs: 5 },
    });
    await writer.fills('run', backtestFills(2));
    await writer.flush();
    expect(calls()).toBe(3);
    expect(landed.flat().map((f) => f.tradeId)).toEqual(backtestFills(2).map((f) => f.tradeId));
    expect(writer.stats()).toMatchObject({ failures: 2, written: 2, queued: 0, failing: false });
    await writer.close();
  });

  it('merges consecutive writes of one run into one insert, in order, up to maxBatchRecords', async () => {
    const { history, landed } = scriptedHistory(['fail']);
    const writer = createHistoryWriter(history, {
      maxBatchRecords: 4,
      retryDelay: { initialMs: 20, maxMs: 20 },
    });
    const fills = backtestFills(10);
    for (const fill of fills) await writer.fills('run', [fill]);
    await writer.flush();
    expect(landed.map((batch) => batch.length)).toEqual([4, 4, 2]);
    expect(landed.flat()).toEqual(fills);
    await writer.close();
  });
});
