import { OrderRequestFieldsSchema, refineOrderRequest } from '@rxtrade/core';
import { z } from 'zod';
import { ApiError } from './errors';

/** Ids in paths, queries and bodies: short, printable, no separators that could confuse a key space. */
export const IdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ : -');

const positive = z
  .number()
  .refine((n) => Number.isFinite(n) && n > 0 && n <= 1e12, 'must be a finite number in (0, 1e12]');

/**
 * `POST /api/orders`, canonical shape: core's order request (every type, time in force, trailing
 * stops, brackets, OCO; its cross-field rules), narrowed at this boundary. Strict: any other field is
 * refused, and so is `strategyId` (an API client cannot book orders to a strategy); `accountId` is
 * required; ids fit the gateway's key space; amounts are at most 1e12. {@link SubmitOrderBodySchema}
 * accepts the common aliases too.
 */
export const CanonicalOrderBodySchema = OrderRequestFieldsSchema.omit({ strategyId: true })
  .extend({
    accountId: IdSchema,
    clientOrderId: IdSchema.optional(),
    instrumentId: IdSchema,
    quantity: positive,
    price: positive.optional(),
    triggerPrice: positive.optional(),
  })
  .superRefine(refineOrderRequest);

/** Field names clients commonly send for a canonical field (other APIs, load-test scripts). */
export const ORDER_FIELD_ALIASES: Readonly<Record<string, string>> = {
  symbol: 'instrumentId',
  instrument: 'instrumentId',
  volume: 'quantity',
  qty: 'quantity',
  amount: 'quantity',
  size: 'quantity',
  stopPrice: 'triggerPrice',
  orderType: 'type',
  account: 'accountId',
};

/** Enum values in other spellings: `MARKET`, `STOP_LIMIT`, `BUY`, `gtc`. */
const TYPE_SPELLINGS: Readonly<Record<string, string>> = {
  market: 'market',
  limit: 'limit',
  stop: 'stop',
  stop_market: 'stop',
  stopmarket: 'stop',
  stop_loss: 'stop',
  stoplimit: 'stopLimit',
  stop_limit: 'stopLimit',
  stop_loss_limit: 'stopLimit',
};

function normaliseOrderBody(input: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const canonical = Object.hasOwn(ORDER_FIELD_ALIASES, key) ? (ORDER_FIELD_ALIASES[key] as string) : key;
    if (canonical !== key && Object.hasOwn(input, canonical)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `${key} is another name for ${canonical}: give one of them`,
      });
      continue;
    }
    out[canonical] = value;
  }
  if (typeof out['type'] === 'string') out['type'] = TYPE_SPELLINGS[out['type'].toLowerCase()] ?? out['type'];
  if (typeof out['side'] === 'string' && /^(buy|sell)$/i.test(out['side']))
    out['side'] = out['side'].toLowerCase();
  if (typeof out['timeInForce'] === 'string' && /^(gtc|ioc|fok|day|gtd)$/i.test(out['timeInForce']))
    out['timeInForce'] = out['timeInForce'].toUpperCase();
  return out;
}

/** `POST /api/orders`: {@link CanonicalOrderBodySchema}, accepting {@link ORDER_FIELD_ALIASES} and enum spellings. */
export const SubmitOrderBodySchema = z.preprocess(normaliseOrderBody, CanonicalOrderBodySchema);

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

/** One thing wrong with a request, for a client to fix: where, what, and what is allowed. */
export interface Problem {
  /** Dotted path of the field (`quantity`, `items.0.price`), or empty for the whole body. */
  readonly field: string;
  readonly message: string;
  /** The allowed values of an enum field. */
  readonly allowed?: readonly string[];
}

/** Every issue zod found, as {@link Problem}s (values are never echoed: only paths and rules). */
export function problemsOf(error: z.ZodError): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.').slice(0, 80);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const alias = Object.hasOwn(ORDER_FIELD_ALIASES, key) ? ORDER_FIELD_ALIASES[key] : undefined;
        out.push({
          field: [field, key.slice(0, 40)].filter(Boolean).join('.'),
          message: `unknown field${alias ? ` (did you mean ${alias}?)` : ''}`,
        });
      }
    } else if (issue.code === 'invalid_value') {
      const allowed = issue.values.map(String);
      out.push({ field, message: `must be one of ${allowed.join(', ')}`, allowed });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ field, message: `required (${issue.expected})` });
    } else if (issue.code === 'invalid_type') {
      out.push({ field, message: `must be a ${issue.expected}` });
    } else {
      out.push({ field, message: issue.message });
    }
  }
  return out;
}

/**
 * Parses or throws the gateway's 400 VALIDATION_FAILED naming every problem at once (the message and
 * `problems`), with the allowed values of enum fields; values sent are never echoed.
 */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error);
  const text = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  throw new ApiError(400, 'VALIDATION_FAILED', `invalid ${what}: ${text}`).detail({ problems });
}
