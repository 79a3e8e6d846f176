import {
  type Bar,
  type BusEnvelope,
  createMemoryMessageBus,
  createMemoryStateStore,
  type MessageBus,
  type PublishOptions,
} from '@rxtrade/core';
import { expect, it } from 'vitest';
import { publishBars } from './data-role';
import { FleetJournal } from './journal';
import { type BarFrame, decodeFleetMessage } from './messages';

const bar = (symbol: string, ts: number): Bar => ({
  symbol,
  ts,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 1,
});

it('publishes each symbol’s bars as frames in order, its last frame marked, with deterministic ids', async () => {
  const bus = createMemoryMessageBus();
  const received: { id: string; frame: BarFrame }[] = [];
  await bus.subscribe('bars.*', (message: BusEnvelope) => {
    received.push({ id: message.id, frame: decodeFleetMessage(message, ['BarFrame']).payload });
  });
  const data = [1, 2, 3, 4, 5].flatMap((ts) => (ts <= 4 ? [bar('A', ts), bar('B', ts)] : [bar('A', ts)]));
  const sent = await publishBars({ bus, data, frameSize: 2, now: () => 0 });
  await bus.close();
  expect(sent).toMatchObject({ bars: 9, frames: 5 });
  const of = (symbol: string) => received.filter((r) => r.frame.symbol === symbol);
  expect(of('A').map((r) => [r.id, r.frame.bars.map((b) => b.ts), r.frame.last])).toEqual([
    ['bars:A:0', [1, 2], false],
    ['bars:A:1', [3, 4], false],
    ['bars:A:2', [5], true],
  ]);
  // B's bar count is a multiple of the frame size: its second frame is still the one marked last.
  expect(of('B').map((r) => [r.id, r.frame.bars.map((b) => b.ts), r.frame.last])).toEqual([
    ['bars:B:0', [1, 2], false],
    ['bars:B:1', [3, 4], true],
  ]);
});

it('with a journal, every frame but each symbol’s last is published transient; without one, all persistent', async () => {
  const data = [1, 2, 3, 4, 5].flatMap((ts) => (ts <= 4 ? [bar('A', ts), bar('B', ts)] : [bar('A', ts)]));
  const sent = async (journal: FleetJournal | undefined) => {
    const bus = createMemoryMessageBus();
    const published: string[] = [];
    const recording: MessageBus = Object.assign(Object.create(bus) as MessageBus, {
      publish: (topic: string, message: BusEnvelope, options?: PublishOptions) => {
        published.push(`${message.id}:${options?.persistent === false ? 'transient' : 'persistent'}`);
        return bus.publish(topic, message, options);
      },
    });
    await publishBars({ bus: recording, data, frameSize: 2, now: () => 0, ...(journal ? { journal } : {}) });
    await bus.close();
    return published.sort();
  };
  expect(await sent(new FleetJournal(createMemoryStateStore(), 'run'))).toEqual([
    'bars:A:0:transient',
    'bars:A:1:transient',
    'bars:A:2:persistent',
    'bars:B:0:transient',
    'bars:B:1:persistent',
  ]);
  expect((await sent(undefined)).every((p) => p.endsWith(':persistent'))).toBe(true);
});
