import {
  BarSchema,
  type BusDelivery,
  type BusEnvelope,
  BusEnvelopeSchema,
  OrderAmendmentSchema,
  OrderEventSchema,
  OrderRequestSchema,
  parseEnvelope,
  RxtradeError,
} from '@rxtrade/core';
import { z } from 'zod';

/**
 * The fleet's messages: versioned zod schemas, checked on every receive. Each travels in core's
 * {@link BusEnvelope} (`{ v, type, id, ts, correlationId, payload }`); `type` names the payload
 * schema below and `id` is deterministic, so a redelivered message is recognised and applied once.
 *
 * Ids are namespaced by account: an order is `(accountId, clientOrderId)`, and every message id
 * about an order starts with its account, so one account can never claim another's ids.
 */
export const FLEET_PROTOCOL_VERSION = 1;

/** `through` of an acknowledgement sent before the first bar (after `onStart`). */
export const BEFORE_FIRST_BAR = -1;

const id = z.string().min(1).max(64);
const ts = z.number().int().nonnegative();
const price = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');

/** data → strategy, order: several bars of one symbol, in time order. `seq` counts frames per symbol from 0. */
export const BarFrameSchema = z
  .strictObject({
    symbol: id,
    seq: z.number().int().nonnegative(),
    bars: z.array(BarSchema).min(1).max(100_000),
    /** No bar of this symbol follows. */
    last: z.boolean(),
  })
  .superRefine((frame, ctx) => {
    let previous = Number.NEGATIVE_INFINITY;
    for (const [i, bar] of frame.bars.entries()) {
      if (bar.symbol !== frame.symbol) {
        ctx.addIssue({ code: 'custom', path: ['bars', i, 'symbol'], message: `not ${frame.symbol}` });
      }
      if (!(bar.ts > previous)) {
        ctx.addIssue({
          code: 'custom',
          path: ['bars', i, 'ts'],
          message: 'bars must be in strictly rising time',
        });
      }
      previous = bar.ts;
    }
  });
export type BarFrame = z.output<typeof BarFrameSchema>;

/** The price a decision was taken at: the strategy's current bar (risk marks the account with it). */
const MarkSchema = z.strictObject({ symbol: id, ts, price });
export type Mark = z.output<typeof MarkSchema>;

/**
 * strategy → risk → order: a new order, with every type and option a backtest accepts (market, limit,
 * stop, stop-limit; time in force; reduce-only; post-only), checked by core's `OrderRequestSchema`.
 */
export const SubmitOrderSchema = z
  .strictObject({
    accountId: id,
    strategyId: id,
    clientOrderId: id,
    request: OrderRequestSchema,
    /** When the strategy placed it (its clock: the bar's time in a replay). */
    tsInit: ts,
    mark: MarkSchema.optional(),
  })
  .superRefine((submit, ctx) => {
    for (const field of ['accountId', 'strategyId', 'clientOrderId'] as const) {
      const inner = submit.request[field];
      if (inner !== undefined && inner !== submit[field]) {
        ctx.addIssue({ code: 'custom', path: ['request', field], message: `differs from ${field}` });
      }
    }
  });
export type SubmitOrder = z.output<typeof SubmitOrderSchema>;

/** strategy → risk → order: cancel one of the strategy's orders. */
export const CancelOrderSchema = z.strictObject({
  accountId: id,
  strategyId: id,
  clientOrderId: id,
  ts,
  /** The strategy's bar when it asked: the order role applies the cancel once that bar was matched. */
  mark: MarkSchema.optional(),
});
export type CancelOrder = z.output<typeof CancelOrderSchema>;

/**
 * strategy → risk → order: amend one of the strategy's working orders (core's `OrderAmendment`: its
 * whole quantity and the prices its type has). Like the engine's `amend`, it passes the venue's grid
 * check, not the pre-trade rules; the outcome comes back as `OrderUpdated` or `OrderModifyRejected`.
 */
export const AmendOrderSchema = z.strictObject({
  accountId: id,
  strategyId: id,
  clientOrderId: id,
  amendment: OrderAmendmentSchema,
  ts,
  /** The strategy's bar when it asked: the order role applies the amendment once that bar was matched. */
  mark: MarkSchema.optional(),
});
export type AmendOrder = z.output<typeof AmendOrderSchema>;

/**
 * order → risk, strategy: orders the order role placed itself on a strategy's behalf — a bracket's
 * exits and an OCO sibling, placed by core's `OrderEmulator` — as the submits they are (their
 * account, strategy, client order id and request), so risk books them and the strategy follows them.
 */
const PlacedSchema = z.array(SubmitOrderSchema).max(100_000);

/**
 * strategy → risk → order, behind the strategy's commands of the same bars: the strategy has run
 * `onBar` for every bar of `symbol` up to `through`. `waits`: it will not run the next bar until the
 * order role's result for it arrives (it issued a command, or has orders working). `final`: it has
 * seen the symbol's last bar.
 */
export const BarsAcknowledgedSchema = z.strictObject({
  accountId: id,
  strategyId: id,
  symbol: id,
  through: z.number().int().min(BEFORE_FIRST_BAR),
  waits: z.boolean(),
  final: z.boolean(),
});
export type BarsAcknowledged = z.output<typeof BarsAcknowledgedSchema>;

/**
 * strategy → risk (`risk.requests.<accountId>`, one to each account that takes the strategy's
 * signals): a sizeless signal from `onBar` on the bar at `mark`. Risk sizes it from the account's
 * books once the account's bar at `mark.ts` is matched (core's `calculatePositionSizes`, as the
 * engine's `AccountManager` does) and sends the market order it becomes through its usual check.
 */
export const SignalEmittedSchema = z.strictObject({
  accountId: id,
  signal: z.strictObject({
    strategyId: id,
    symbol: id,
    direction: z.enum(['long', 'short', 'flat']),
    /** As the strategy gave them: sizing refuses what it cannot use (`SIZING_FAILED`), as in the engine. */
    strength: z.number().refine(Number.isFinite, 'must be finite'),
    stopDistance: z.number().refine(Number.isFinite, 'must be finite').optional(),
    tsEvent: ts,
  }),
  mark: MarkSchema,
});
export type SignalEmitted = z.output<typeof SignalEmittedSchema>;

/**
 * order → risk → order (`risk.reports.<accountId>`, then `orders.submit.<accountId>`; sent by an order
 * replica at its first frame of a symbol, once per account trading it): whichever order replica owns the account's partition now
 * takes the account, rebuilding it from its journal if it has not — so an account moved by a restart
 * is matched again (its protective orders keep working) without waiting for a strategy's next
 * command. Changes nothing else.
 */
export const WakeAccountSchema = z.strictObject({ accountId: id, replicaId: z.string().min(1).max(200) });
export type WakeAccount = z.output<typeof WakeAccountSchema>;

/**
 * risk, order → strategy: events of the strategy's orders, in the order they happened. `matched`
 * (order role only): the result of matching that bar for the strategy's account — after these
 * events the strategy may run `onBar` for it.
 */
export const OrderEventsDeliveredSchema = z.strictObject({
  strategyId: id,
  events: z.array(OrderEventSchema).max(100_000),
  /** Orders among `events` that the order role placed on the strategy's behalf (see `placed` of reports). */
  placed: PlacedSchema.optional(),
  matched: MarkSchema.optional(),
  /**
   * For a strategy that follows its account (`followAccount`): every fill of the account since the
   * last delivery, its own and the other strategies', in the venue's order, for its account book.
   */
  accountFills: z.array(OrderEventSchema).max(100_000).optional(),
});
export type OrderEventsDelivered = z.output<typeof OrderEventsDeliveredSchema>;

/**
 * gateway, operator → strategy (`orders.events.<strategyId>`, the strategy's own queue, so the
 * replica running it gets it in order with its deliveries, and a replica that takes it over replays
 * it from the journal): pause (`running` false) or resume one strategy (core's
 * `StrategyHost.pause/resume`). The strategy role writes the status it then has to the read model.
 */
export const SetStrategyRunningSchema = z.strictObject({
  strategyId: id,
  running: z.boolean(),
});
export type SetStrategyRunning = z.output<typeof SetStrategyRunningSchema>;

/**
 * order → risk: what the venue did for one account (the risk role's books apply the fills and the
 * open orders follow the events), and the latest close of each symbol matched. `final`: every
 * strategy of the account has seen its last bar and every bar was matched.
 */
export const OrderEventsReportedSchema = z.strictObject({
  accountId: id,
  events: z.array(OrderEventSchema).max(100_000),
  /**
   * Orders the order role placed itself (a bracket's exits, an OCO sibling), before their first
   * event in `events`: risk approved them with their entry and books them as submitted.
   */
  placed: PlacedSchema.optional(),
  marks: z.array(MarkSchema).max(10_000),
  final: z.boolean(),
  /**
   * Close at end (the order role's `closeAtEnd`): every bar of the account was matched and every
   * strategy acknowledged its last. Risk flattens each strategy's position through its usual check
   * and then sends {@link CloseAtEndSchema}; the final report follows the close.
   */
  closing: z.boolean().optional(),
});
export type OrderEventsReported = z.output<typeof OrderEventsReportedSchema>;

/**
 * risk → order (`orders.submit.<accountId>`), after the flattening orders of a `closing` report:
 * match the account's working orders once more at each symbol's last close, with room for every
 * order (as `runBacktest`'s `closeAtEnd`), then send the final report.
 */
export const CloseAtEndSchema = z.strictObject({ accountId: id });
export type CloseAtEnd = z.output<typeof CloseAtEndSchema>;

/**
 * gateway, operator → risk (`risk.requests.<accountId>`): the trading state an owner wants for one
 * account, or for every account (`scope: 'fleet'`: sent once to each account, so each account applies
 * it in order with its strategies' submits). `REDUCING` / `HALTED` place the owner's hold (core's
 * `TradingHolds`); `ACTIVE` lifts every hold of the scope (an operator's resume). `killSwitch`:
 * also cancel every open order and, with `flatten`, close every position (core's `killSwitch`).
 */
export const SetTradingStateSchema = z.strictObject({
  accountId: id,
  scope: z.enum(['account', 'fleet']),
  state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']),
  owner: id,
  reason: z.string().min(1).max(200),
  killSwitch: z.boolean(),
  flatten: z.boolean(),
});
export type SetTradingState = z.output<typeof SetTradingStateSchema>;

/** risk → `risk.state`: the trading state now in force for an account, after a hold changed. */
export const TradingStateChangedSchema = z.strictObject({
  accountId: id,
  state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']),
  reason: z.string().min(1),
  tsEvent: z.number(),
});
export type TradingStateChanged = z.output<typeof TradingStateChangedSchema>;

const money = z.number().refine(Number.isFinite, 'must be finite');

/** An account's books as the risk role keeps them (core's `AccountState`). */
const AccountStateSchema = z.strictObject({
  accountId: id,
  currency: z.string().min(1).max(16),
  initialCash: money,
  cash: money,
  equity: money,
  realizedPnl: money,
  unrealizedPnl: money,
  feesPaid: money,
  tsLast: z.number(),
});

/**
 * risk → `risk.state` (when it keeps a read model): an account's books and the net positions that
 * changed, after an input that changed them (fills, marks). For live views; the read model holds the
 * same.
 */
export const AccountUpdatedSchema = z.strictObject({
  account: AccountStateSchema,
  /** Core's `Position`s (NaN prices travel as null). */
  positions: z.array(z.looseObject({ accountId: id, instrumentId: id, quantity: z.number() })).max(10_000),
});
export type AccountUpdated = z.output<typeof AccountUpdatedSchema>;

/** Where a strategy's budget stood (core's `BudgetUsage`). */
const BudgetUsageSchema = z.strictObject({
  strategyId: id,
  accountId: id,
  budget: money,
  used: money,
  reserved: money,
  available: money,
});

/**
 * risk → `fleet.status`: an account's books after its last bar, how many fills made them, and the
 * orders that never reached the market by reason (risk's denials, the venue's rejections), with the
 * first of each, in the order the reasons first occurred; and per strategy of the account (plan
 * order), its own refusals by reason and where its budget stood (null without one).
 */
export const AccountFinishedSchema = z.strictObject({
  accountId: id,
  fills: z.number().int().nonnegative(),
  refusals: z.array(
    z.strictObject({
      reason: z.string().min(1),
      count: z.number().int().positive(),
      first: OrderEventSchema,
    }),
  ),
  account: AccountStateSchema,
  strategies: z
    .array(
      z.strictObject({
        strategyId: id,
        refusals: z.record(z.string().min(1), z.number().int().positive()),
        budget: BudgetUsageSchema.nullable(),
      }),
    )
    .max(10_000),
});
export type AccountFinished = z.output<typeof AccountFinishedSchema>;

/** The most messages one {@link Batch} carries. */
export const MAX_BATCH = 1_000;

/**
 * Several messages of one sender to one topic and key, sent as one: a strategy's submit and the bar
 * acknowledgement after it, or risk's forwards of both, cost the broker one message and one confirm.
 * The receiver applies them in order, as if they had come one by one (see {@link unbatch}).
 */
export const BatchSchema = z.strictObject({
  messages: z.array(BusEnvelopeSchema).min(2).max(MAX_BATCH),
});
export type Batch = z.output<typeof BatchSchema>;

/** Every fleet message type and its payload schema. */
export const fleetMessageSchemas = {
  BarFrame: BarFrameSchema,
  SubmitOrder: SubmitOrderSchema,
  CancelOrder: CancelOrderSchema,
  AmendOrder: AmendOrderSchema,
  WakeAccount: WakeAccountSchema,
  BarsAcknowledged: BarsAcknowledgedSchema,
  SignalEmitted: SignalEmittedSchema,
  OrderEventsDelivered: OrderEventsDeliveredSchema,
  SetStrategyRunning: SetStrategyRunningSchema,
  OrderEventsReported: OrderEventsReportedSchema,
  CloseAtEnd: CloseAtEndSchema,
  OrderFilled: OrderEventSchema,
  AccountFinished: AccountFinishedSchema,
  SetTradingState: SetTradingStateSchema,
  TradingStateChanged: TradingStateChangedSchema,
  AccountUpdated: AccountUpdatedSchema,
  Batch: BatchSchema,
} as const;

type Schemas = typeof fleetMessageSchemas;
export type FleetMessageType = keyof Schemas;
/** A decoded fleet message: the envelope's type and its validated payload. */
export type FleetMessage = {
  [K in FleetMessageType]: {
    readonly type: K;
    readonly payload: z.output<Schemas[K]>;
    readonly envelope: BusEnvelope;
  };
}[FleetMessageType];

/** Builds an envelope for a fleet message. `id` must be deterministic for anything that can be re-sent. */
export function fleetEnvelope<K extends FleetMessageType>(
  type: K,
  payload: z.input<Schemas[K]>,
  meta: { readonly id: string; readonly ts: number; readonly correlationId?: string },
): BusEnvelope {
  return { v: 1, type, id: meta.id, ts: meta.ts, correlationId: meta.correlationId ?? meta.id, payload };
}

/**
 * Validates a received envelope and its payload against the fleet's schemas. Throws
 * `INVALID_MESSAGE` (the bus dead-letters it at once) for an unknown type or a bad payload, so a
 * bad message changes nothing.
 */
export function decodeFleetMessage<K extends FleetMessageType = FleetMessageType>(
  input: unknown,
  expected?: readonly K[],
): Extract<FleetMessage, { type: K }> {
  const envelope = parseEnvelope(input);
  const schema = (fleetMessageSchemas as Record<string, z.ZodType>)[envelope.type];
  if (schema === undefined || (expected !== undefined && !expected.includes(envelope.type as K))) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `unexpected message type ${JSON.stringify(envelope.type)}${expected ? ` (expected ${expected.join(', ')})` : ''}`,
    });
  }
  if (envelope.type === 'BarFrame') {
    // The hot path: most of what a role receives is bars, and zod costs more per bar than a strategy.
    const frame = plainBarFrame(envelope.payload);
    if (frame !== undefined)
      return { type: 'BarFrame', payload: frame, envelope } as Extract<FleetMessage, { type: K }>;
  }
  const parsed = schema.safeParse(envelope.payload);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `invalid ${envelope.type}: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
      details: { messageId: envelope.id },
    });
  }
  return { type: envelope.type, payload: parsed.data, envelope } as Extract<FleetMessage, { type: K }>;
}

const BAR_KEYS = 7;
const FRAME_KEYS = 4;
const positiveNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * `payload` itself when it certainly passes {@link BarFrameSchema} unchanged — exactly the frame's and
 * each bar's keys, every check of the schema met — else undefined (then zod decides, and explains a
 * refusal). It accepts nothing the schema refuses, without zod's cost and copy.
 */
function plainBarFrame(payload: unknown): BarFrame | undefined {
  if (typeof payload !== 'object' || payload === null || Object.keys(payload).length !== FRAME_KEYS)
    return undefined;
  const { symbol, seq, bars, last } = payload as Record<string, unknown>;
  if (typeof symbol !== 'string' || symbol.length < 1 || symbol.length > 64) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || typeof last !== 'boolean') return undefined;
  if (!Array.isArray(bars) || bars.length < 1 || bars.length > 100_000) return undefined;
  let previous = -1;
  for (const bar of bars as unknown[]) {
    if (typeof bar !== 'object' || bar === null || Object.keys(bar).length !== BAR_KEYS) return undefined;
    const b = bar as Record<string, unknown>;
    const { ts, open, high, low, close, volume } = b;
    if (b['symbol'] !== symbol || !Number.isSafeInteger(ts) || (ts as number) <= previous) return undefined;
    if (!positiveNumber(open) || !positiveNumber(high) || !positiveNumber(low) || !positiveNumber(close))
      return undefined;
    if (typeof volume !== 'number' || !Number.isFinite(volume) || volume < 0) return undefined;
    if (!(high >= Math.max(open, close, low) && low <= Math.min(open, close))) return undefined;
    previous = ts as number;
  }
  return payload as BarFrame;
}

/**
 * The messages a received envelope carries, in order: a {@link Batch}'s messages (each to be decoded
 * by itself; a batch inside a batch is refused), or the envelope itself. Throws `INVALID_MESSAGE` for a
 * malformed envelope or batch, so the bus dead-letters it whole and none of it is applied.
 */
export function unbatch(input: unknown): BusEnvelope[] {
  const envelope = parseEnvelope(input);
  if (envelope.type !== 'Batch') return [envelope];
  const { payload } = decodeFleetMessage(envelope, ['Batch']);
  const messages = payload.messages as BusEnvelope[];
  if (messages.some((m) => m.type === 'Batch')) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: 'a batch may not carry a batch',
      details: { messageId: envelope.id },
    });
  }
  return messages;
}

/**
 * A delivery's fleet messages (batches opened), decoded as `types`, checked to have arrived on their
 * account's topic (`topicOf`: ids are namespaced by account, so a message on another account's topic
 * is refused, not applied), and grouped by account in arrival order. Throws `INVALID_MESSAGE` for any
 * bad one, so the bus retries the delivery one message at a time and dead-letters the bad one alone.
 */
export function decodeByAccount<K extends FleetMessageType>(
  deliveries: readonly BusDelivery[],
  types: readonly K[],
  topicOf: (decoded: Extract<FleetMessage, { type: K }>) => string,
): Map<string, Extract<FleetMessage, { type: K }>[]> {
  const byAccount = new Map<string, Extract<FleetMessage, { type: K }>[]>();
  for (const { message, context } of deliveries) {
    for (const envelope of unbatch(message)) {
      const decoded = decodeFleetMessage(envelope, types);
      const accountId = (decoded.payload as { accountId: string }).accountId;
      if (context.topic !== topicOf(decoded)) {
        throw new RxtradeError({
          code: 'INVALID_MESSAGE',
          message: `${decoded.type} for account ${accountId} arrived on ${context.topic}`,
        });
      }
      const inputs = byAccount.get(accountId);
      if (inputs === undefined) byAccount.set(accountId, [decoded]);
      else inputs.push(decoded);
    }
  }
  return byAccount;
}
