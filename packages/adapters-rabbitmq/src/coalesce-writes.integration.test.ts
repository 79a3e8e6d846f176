import { Socket } from 'node:net';
import { type ChannelModel, connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { RABBIT_URL, rabbitAvailable, uniqueName } from '../test/support/broker';
import { coalesceWrites } from './connection';

const up = await rabbitAvailable();

/** Counts the socket writes (one system call each) a connection makes while `work` runs. */
async function socketWrites(model: ChannelModel, work: () => Promise<void>): Promise<number> {
  const socket = (model as unknown as { connection: { stream: Socket } }).connection.stream;
  expect(socket).toBeInstanceOf(Socket);
  let writes = 0;
  const single = socket._write.bind(socket);
  const vector = socket._writev?.bind(socket);
  socket._write = (...args) => {
    writes++;
    single(...args);
  };
  if (vector)
    socket._writev = (...args) => {
      writes++;
      vector(...args);
    };
  await work();
  return writes;
}

/** Publishes `count` messages at once on a confirm channel, then reads them back. */
async function burst(model: ChannelModel, count: number): Promise<{ writes: number; received: string[] }> {
  const channel = await model.createConfirmChannel();
  const queue = uniqueName('coalesce');
  await channel.assertQueue(queue, { autoDelete: false, durable: false });
  try {
    const writes = await socketWrites(model, async () => {
      const confirms = Array.from(
        { length: count },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            channel.sendToQueue(queue, Buffer.from(`m${i}`), {}, (error) =>
              error ? reject(error) : resolve(),
            );
          }),
      );
      await Promise.all(confirms);
    });
    const received: string[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) break;
      received.push(message.content.toString());
    }
    return { writes, received };
  } finally {
    await channel.deleteQueue(queue).catch(() => {});
    await channel.close().catch(() => {});
  }
}

describe.skipIf(!up)('coalesceWrites', () => {
  it("sends the frames amqplib queued together in one write, in order (amqplib's internals are where it expects)", async () => {
    const count = 300;
    const expected = Array.from({ length: count }, (_, i) => `m${i}`);
    const plain = await connect(RABBIT_URL);
    const coalesced = await connect(RABBIT_URL);
    try {
      expect(coalesceWrites(coalesced)).toBe(true);
      const before = await burst(plain, count);
      const after = await burst(coalesced, count);
      expect(before.received).toEqual(expected);
      expect(after.received).toEqual(expected);
      // amqplib alone: a write per publish. Corked: a write per loop of its muxer (a socket buffer's worth).
      expect(before.writes).toBeGreaterThanOrEqual(count);
      expect(after.writes).toBeLessThan(count / 10);
    } finally {
      await plain.close();
      await coalesced.close();
    }
  });

  it('leaves a connection without those internals as it is', () => {
    expect(coalesceWrites({} as ChannelModel)).toBe(false);
    expect(
      coalesceWrites({ connection: { stream: new Socket(), muxer: {} } } as unknown as ChannelModel),
    ).toBe(false);
  });
});
