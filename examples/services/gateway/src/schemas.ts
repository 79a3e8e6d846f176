import { OrderRequestSchema } from '@rxtrade/core';
import { z } from 'zod';

/** Ids in paths, queries and bodies: short, printable, no separators that could confuse a key space. */
export const IdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ : -');

const positive = z
  .number()
  .refine((n) => Number.isFinite(n) && n > 0 && n <= 1e12, 'must be a finite number in (0, 1e12]');

/**
 * `POST /api/orders`. Strict: any other field is refused (no `strategyId`: an API client cannot book
 * orders to a strategy). Cross-field rules (price for limit, trigger for stop, …) are core's
 * {@link OrderRequestSchema}, applied after this.
 */
export const SubmitOrderBodySchema = z
  .strictObject({
    accountId: IdSchema,
    clientOrderId: IdSchema.optional(),
    instrumentId: IdSchema,
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit', 'stop', 'stopLimit']),
    quantity: positive,
    price: positive.optional(),
    triggerPrice: positive.optional(),
    timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'DAY']).optional(),
    reduceOnly: z.boolean().optional(),
    postOnly: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    const { accountId: _accountId, ...request } = body;
    const core = OrderRequestSchema.safeParse(request);
    if (!core.success) for (const issue of core.error.issues) ctx.addIssue({ ...issue, code: 'custom' });
  });

/** `DELETE /api/orders/:clientOrderId` body (when the account is not in the query). */
export const CancelBodySchema = z.strictObject({ accountId: IdSchema });
export const CancelQuerySchema = z.strictObject({ accountId: IdSchema.optional() });

/** `POST /api/risk/kill-switch`. */
export const KillSwitchBodySchema = z.strictObject({
  /** Free text, shown in logs and risk events: no control characters (log injection). */
  reason: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters'),
  flatten: z.boolean(),
});

/** Routes without a body accept none, or an empty JSON object. */
export const EmptyBodySchema = z.union([z.undefined(), z.strictObject({})]);

/** `limit` (1-1000) and `cursor` (the previous page's `nextCursor`) of a paged list. */
const page = {
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(1_000))
    .optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,600}$/)
    .optional(),
};
export const PageQuerySchema = z.strictObject(page);
export const OrdersQuerySchema = z.strictObject({ open: z.enum(['true', 'false']).optional(), ...page });

/** `POST /api/risk/trading-state`: an operator's hold on one account or all; `ACTIVE` lifts them. */
export const TradingStateBodySchema = z.strictObject({
  state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']),
  accountId: IdSchema.optional(),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters'),
});
export const EmptyQuerySchema = z.strictObject({});
export const StreamQuerySchema = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
});

/** Parses or throws the gateway's 400 (the zod issues are summarised, never echoed raw). */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.map(String).join('.').slice(0, 80)}` : '';
  const kind = first?.code === 'unrecognized_keys' ? 'unknown field' : 'invalid value';
  throw Object.assign(new Error(`invalid ${what}: ${kind}${where}`), { validation: true });
}
