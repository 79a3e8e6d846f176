import {
  type BusEnvelope,
  createMemoryMessageBus,
  isRxtradeError,
  type MessageBus,
  RxtradeError,
  runBacktest,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { describe, expect, it } from 'vitest';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import { fleetEnvelope, unbatch } from './messages';
import { strategyClass } from './plan';
import { batchRuns, type Outgoing, untilDone } from './publish';
import { runFleet } from './run-fleet';

const ack = (id: string, ts = 1): BusEnvelope =>
  fleetEnvelope(
    'BarsAcknowledged',
    { accountId: 'a', strategyId: 's', symbol: 'X', through: ts, waits: false, final: false },
    { id, ts },
  );
const out = (topic: string, id: string, key: string | undefined = 'a'): Outgoing => ({
  topic,
  envelope: ack(id),
  ...(key === undefined ? {} : { key }),
});
const batchable = (topic: string) => topic.startsWith('risk.requests.');
/** What crosses a process boundary: JSON text. */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('batchRuns', () => {
  it('sends each run of one topic and key as one batch, in order, and leaves the rest alone', () => {
    const sent = batchRuns(
      [
        out('risk.requests.a', '1'),
        out('risk.requests.a', '2'),
        out('orders.events.s', '3'),
        out('orders.events.s', '4'),
        out('risk.requests.a', '5'),
        out('risk.requests.a', '6', 'b'),
        out('risk.requests.a', '7', 'b'),
        out('risk.requests.a', '8', 'b'),
      ],
      batchable,
    );
    expect(sent.map((o) => [o.topic, o.key, o.envelope.type])).toEqual([
      ['risk.requests.a', 'a', 'Batch'],
      ['orders.events.s', 'a', 'BarsAcknowledged'],
      ['orders.events.s', 'a', 'BarsAcknowledged'],
      ['risk.requests.a', 'a', 'BarsAcknowledged'],
      ['risk.requests.a', 'b', 'Batch'],
    ]);
    expect(sent.flatMap((o) => unbatch(wire(o.envelope)).map((e) => e.id))).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
    ]);
  });

  it('names a batch by its messages: the same ones re-sent give the same id, others never do', () => {
    const id = (...ids: string[]) =>
      (
        batchRuns(
          ids.map((i) => out('risk.requests.a', i)),
          batchable,
        )[0] as Outgoing
      ).envelope.id;
    expect(id('a', 'b')).toBe(id('a', 'b'));
    expect(id('a', 'b')).not.toBe(id('b', 'a'));
    expect(id('ab', 'c')).not.toBe(id('a', 'bc'));
    expect(id('a', 'b')).not.toBe(id('a', 'b', 'c'));
    expect(id('a', 'b').length).toBeLessThanOrEqual(200);
  });
});

describe('unbatch', () => {
  it('gives a plain message as itself and refuses a batch inside a batch', () => {
    expect(unbatch(ack('x'))).toEqual([ack('x')]);
    const inner = (
      batchRuns([out('risk.requests.a', '1'), out('risk.requests.a', '2')], batchable)[0] as Outgoing
    ).envelope;
    const nested = fleetEnvelope('Batch', { messages: [inner, ack('3')] }, { id: 'n', ts: 1 });
    expect(() => unbatch(nested)).toThrow(
      expect.objectContaining({ code: 'INVALID_MESSAGE', message: 'a batch may not carry a batch' }),
    );
    const broken = { ...inner, payload: { messages: [ack('1'), { not: 'an envelope' }] } };
    let error: unknown;
    try {
      unbatch(broken);
    } catch (e) {
      error = e;
    }
    expect(isRxtradeError(error) && error.code === 'INVALID_MESSAGE').toBe(true);
  });
});

describe('the fleet batches what it sends to risk and order', () => {
  it('a strategy’s submit and the acknowledgement after it reach risk as one message, and risk’s forwards reach the order role as one; the fills stay a backtest’s', async () => {
    const bars = await loadSp500Bars();
    const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
    const accounts = [{ id: 'main', initialCash: 100_000 }];
    const backtest = await runBacktest({
      strategies: new SmaCrossover({ id: 'sma', symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    const shared = createMemoryMessageBus();
    /** Per topic family: broker messages, and the fleet messages they carried. */
    const sent = new Map<string, { messages: number; carried: number }>();
    const counting: MessageBus = {
      ...shared,
      publish: (topic, message, options) => {
        const family = topic.split('.').slice(0, 2).join('.');
        const t = sent.get(family) ?? { messages: 0, carried: 0 };
        t.messages++;
        t.carried += unbatch(message).length;
        sent.set(family, t);
        return shared.publish(topic, message, options);
      },
    };
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts,
        strategies: [
          { id: 'sma', symbol: instrument.id, accountId: 'main', create: strategyClass(SmaCrossover) },
        ],
      },
      data: bars,
      frameSize: 250,
      connect: async () => counting,
    });
    expect(fleet.fills.map((f) => [f.tsEvent, f.side, f.lastPx, f.lastQty])).toEqual(
      backtest.fills.map((f) => [f.tsEvent, f.side, f.lastPx, f.lastQty]),
    );
    const toRisk = sent.get('risk.requests');
    const toOrder = sent.get('orders.submit');
    // Each of the backtest's orders was a submit followed by its bar's acknowledgement: one message for both.
    expect(toRisk?.carried).toBeGreaterThanOrEqual(toRisk?.messages ?? 0);
    expect((toRisk?.carried ?? 0) - (toRisk?.messages ?? 0)).toBeGreaterThanOrEqual(backtest.fills.length);
    expect((toOrder?.carried ?? 0) - (toOrder?.messages ?? 0)).toBeGreaterThanOrEqual(backtest.fills.length);
  });
});

describe('untilDone', () => {
  it('repeats work that fails transiently, waiting 50 ms and doubling, until it succeeds', async () => {
    let calls = 0;
    const retries: [string, number, number][] = [];
    await untilDone(
      async () => {
        calls++;
        if (calls === 1) throw new RxtradeError({ code: 'TIMEOUT', message: 'no answer' });
        if (calls === 2) throw new Error('connection reset');
      },
      (error, attempt, delayMs) => retries.push([(error as Error).message, attempt, delayMs]),
    );
    expect(calls).toBe(3);
    expect(retries).toEqual([
      ['no answer', 1, 50],
      ['connection reset', 2, 100],
    ]);
  });

  it('throws a permanent failure at once', async () => {
    for (const code of ['INVALID_MESSAGE', 'CORRUPT_STATE', 'CLOSED'] as const) {
      let calls = 0;
      await expect(
        untilDone(
          async () => {
            calls++;
            throw new RxtradeError({ code, message: code });
          },
          () => expect.fail('no retry'),
        ),
      ).rejects.toThrow(code);
      expect(calls).toBe(1);
    }
  });
});
