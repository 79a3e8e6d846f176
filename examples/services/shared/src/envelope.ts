import { type BusEnvelope, parseEnvelope, RxtradeError } from '@rxtrade/core';
import { z } from 'zod';

/**
 * Where a chain of messages started: the correlation id (the first message's id) and `ts`, the
 * wall-clock time (epoch ms) at which that first message was published. Both travel unchanged from
 * the bar to the fill, so every service can log the chain and measure how long ago it started.
 * (Market time is in the payloads: `bar.ts`, `barTs`, `tsInit`, `tsEvent`.)
 */
export interface Trace {
  readonly correlationId: string;
  readonly ts: number;
}

/** The trace a received envelope carries. */
export const traceOf = (env: BusEnvelope): Trace => ({ correlationId: env.correlationId, ts: env.ts });

/**
 * Builds an envelope. `id` must be deterministic for anything that can be re-sent (a replayed bar,
 * a re-run strategy step): consumers dedupe by it. The correlation id is carried unchanged from the
 * bar that started the chain to the fill that ended it.
 */
export function envelope<T>(
  type: string,
  payload: T,
  meta: { id: string; correlationId: string; ts: number },
): BusEnvelope<T> {
  return { v: 1, type, id: meta.id, ts: meta.ts, correlationId: meta.correlationId, payload };
}

/**
 * Validates an envelope received from another process and its payload; throws `INVALID_MESSAGE`
 * (the bus dead-letters it) rather than letting a bad message change anything.
 */
export function decode<S extends z.ZodType>(
  message: unknown,
  type: string,
  schema: S,
): { readonly envelope: BusEnvelope; readonly payload: z.output<S> } {
  const env = parseEnvelope(message);
  if (env.type !== type) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `expected a ${type} envelope, got ${env.type}`,
    });
  }
  const parsed = schema.safeParse(env.payload);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `invalid ${type} payload: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  return { envelope: env, payload: parsed.data };
}
