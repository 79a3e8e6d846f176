import { type Bar, OrderEventSchema, OrderSchema, RxtradeError } from '@rxtrade/core';
import { z } from 'zod';

/** Latest instant a timestamptz round trip through ISO text supports: 9999-12-31T23:59:59.999Z. */
const MAX_TS = 253_402_300_799_999;

const positive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * Why a bar cannot be stored (core's `BarSchema` rules, checked by hand: zod per row is too slow for
 * millions of bars), or undefined when it can.
 */
export function barViolation(bar: Bar): string | undefined {
  if (typeof bar !== 'object' || bar === null) return 'not an object';
  if (typeof bar.symbol !== 'string' || bar.symbol.length === 0) return 'symbol must be a non-empty string';
  if (!Number.isInteger(bar.ts) || bar.ts < 0 || bar.ts > MAX_TS)
    return 'ts must be an integer epoch ms in 0..year 9999';
  if (!positive(bar.open)) return 'open must be a finite number > 0';
  if (!positive(bar.high)) return 'high must be a finite number > 0';
  if (!positive(bar.low)) return 'low must be a finite number > 0';
  if (!positive(bar.close)) return 'close must be a finite number > 0';
  if (!(typeof bar.volume === 'number' && Number.isFinite(bar.volume) && bar.volume >= 0)) {
    return 'volume must be a finite number >= 0';
  }
  if (!(bar.high >= Math.max(bar.open, bar.close, bar.low) && bar.low <= Math.min(bar.open, bar.close))) {
    return 'high/low must bound open and close';
  }
  return undefined;
}

/** Throws `INVALID_ARGUMENT` naming the first bad bar. */
export function assertBar(bar: Bar, index: number): void {
  const reason = barViolation(bar);
  if (reason !== undefined) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `bar #${index} (${String(bar?.symbol)} @ ${String(bar?.ts)}): ${reason}; nothing was written`,
      details: { index, reason },
    });
  }
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const id = z.string().min(1).max(256);
const ts = z.number().int().min(0).max(MAX_TS);

const ClosedTradeSchema = z.object({
  accountId: id,
  strategyId: id.optional(),
  symbol: id,
  side: z.enum(['long', 'short']),
  entryTs: ts,
  exitTs: ts,
  entryPx: finite,
  exitPx: finite,
  quantity: finite,
  pnl: finite,
  fees: finite,
  returnPct: finite,
});

const schemas = {
  'order event': OrderEventSchema,
  order: OrderSchema,
  'closed trade': ClosedTradeSchema,
} as const;

/**
 * Validates every record before anything is written, so a bad one refuses the whole batch with
 * `INVALID_ARGUMENT` (details: its index and the issues). Order events and fills use core's
 * `OrderEventSchema`, the one wire schema of events; orders core's `OrderSchema`.
 */
export function assertRecords(kind: keyof typeof schemas, records: readonly unknown[]): void {
  if (!Array.isArray(records)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `${kind}s must be an array` });
  }
  const schema = schemas[kind];
  for (let index = 0; index < records.length; index++) {
    const result = schema.safeParse(records[index]);
    if (!result.success) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `${kind} #${index}: ${z.prettifyError(result.error)}; nothing was written`,
        details: { index, issues: result.error.issues },
        cause: result.error,
      });
    }
  }
}
