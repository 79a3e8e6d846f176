import { describe, expect, it } from 'vitest';
import { decode, envelope } from './envelope';
import { PAYLOAD_TYPES, type SignalPayload, SignalPayloadSchema } from './schemas';

const signal: SignalPayload = {
  signalId: 'sig-1',
  strategyId: 'sma',
  symbol: 'SPX0',
  side: 'buy',
  quantity: 10,
  direction: 'long',
  barTs: 1,
  price: 100,
};

describe('envelope / decode', () => {
  it('round-trips through JSON with the correlation id intact', () => {
    const env = envelope(PAYLOAD_TYPES.signal, signal, { id: 'sig-1', correlationId: 'bar-SPX0-1', ts: 1 });
    const { envelope: back, payload } = decode(
      JSON.parse(JSON.stringify(env)),
      PAYLOAD_TYPES.signal,
      SignalPayloadSchema,
    );
    expect(payload).toEqual(signal);
    expect(back.correlationId).toBe('bar-SPX0-1');
  });

  it.each([
    ['a wrong type', envelope('Bar', signal, { id: 'x', correlationId: 'c', ts: 1 })],
    [
      'a bad payload',
      envelope(PAYLOAD_TYPES.signal, { ...signal, quantity: -1 }, { id: 'x', correlationId: 'c', ts: 1 }),
    ],
    [
      'an extra field',
      envelope(PAYLOAD_TYPES.signal, { ...signal, extra: 1 }, { id: 'x', correlationId: 'c', ts: 1 }),
    ],
    ['no envelope', { payload: signal }],
  ])('refuses %s with INVALID_MESSAGE', (_what, message) => {
    expect(() => decode(message, PAYLOAD_TYPES.signal, SignalPayloadSchema)).toThrow(
      expect.objectContaining({ code: 'INVALID_MESSAGE' }),
    );
  });
});
