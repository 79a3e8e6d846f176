import { isRxtradeError } from '@rxtrade/core';
import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';
import { type RabbitMqMessageBusOptions, resolveOptions } from './options';

const invalidConfig = (options: unknown) => {
  try {
    resolveOptions(options as RabbitMqMessageBusOptions);
  } catch (error) {
    return isRxtradeError(error) && error.code === 'INVALID_CONFIG';
  }
  return false;
};

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveOptions({ url: 'amqp://localhost' });
    expect(resolved).toMatchObject({
      exchange: 'rxtrade',
      prefetch: 50,
      outboundBufferSize: 10_000,
      partitions: 8,
      queueType: 'quorum',
      publishTimeoutMs: 30_000,
      heartbeatSeconds: 10,
      reconnect: { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.2 },
    });
  });

  it('takes a caller connection instead of a URL, never both or neither', () => {
    const connection = {} as ChannelModel;
    expect(resolveOptions({ connection }).connection).toBe(connection);
    expect(invalidConfig({})).toBe(true);
    expect(invalidConfig({ url: 'amqp://x', connection })).toBe(true);
  });

  it('rejects out-of-range settings with INVALID_CONFIG', () => {
    expect(invalidConfig({ url: 'amqp://x', partitions: 0 })).toBe(true);
    expect(invalidConfig({ url: 'amqp://x', exchange: 'has space' })).toBe(true);
    expect(invalidConfig({ url: 'amqp://x', queueType: 'stream' })).toBe(true);
    expect(invalidConfig({ url: 'amqp://x', reconnect: { jitter: 2 } })).toBe(true);
    expect(invalidConfig({ url: 'amqp://x', unknownSetting: 1 })).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, jitter only shortening it', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.5 };
    for (let attempt = 0; attempt < 10; attempt++) {
      const base = Math.min(1_000, 100 * 2 ** attempt);
      const delay = backoffDelay(policy, attempt);
      expect(delay).toBeLessThanOrEqual(base);
      expect(delay).toBeGreaterThanOrEqual(base / 2);
    }
  });
});
