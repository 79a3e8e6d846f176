import { type Clock, type Logger, RxtradeError } from '@rxtrade/core';
import { z } from 'zod';

/** Parses adapter options with zod at the boundary; a bad option is `INVALID_CONFIG`. Internal. */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown, component: string): T {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `${component} options: ${z.prettifyError(result.error)}`,
      cause: result.error,
    });
  }
  return result.data;
}

export const loggerSchema = z.custom<Logger>(
  (value) => typeof value === 'object' && value !== null && typeof (value as Logger).warn === 'function',
  'logger must be a Logger (pino-compatible)',
);

export const clockSchema = z.custom<Clock>(
  (value) => typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function',
  'clock must have now()',
);
