import { z } from 'zod';
import { RxtradeError } from '../errors';
import type { BusEnvelope } from './message-bus';
import { topicMatches } from './topics';

/** Payload of a `MessageDeadLettered` envelope, published on `dead-letter.<group>`. */
export interface DeadLetterPayload {
  /** The topic the message was published on. */
  readonly topic: string;
  /** Why it was dead-lettered: the handler's last error message, or why it could not be parsed. */
  readonly reason: string;
  /** Deliveries it had (handler attempts, or deliveries without an acknowledgement). */
  readonly deliveries: number;
  /** The original envelope, or the raw body when it could not be parsed. */
  readonly message: unknown;
  /** The consumer group whose handler failed; absent for a subscriber without a group. */
  readonly group?: string;
  /** The pattern that group subscribed with (a replay goes to that subscription only). */
  readonly pattern?: string;
  /** The partition key the message was published with, kept so a replay lands on the same partition. */
  readonly key?: string;
}

/** One entry of a bus's dead-letter queue. */
export interface DeadLetter {
  /** The `MessageDeadLettered` envelope: `payload` says what failed, where and why. */
  readonly envelope: BusEnvelope<DeadLetterPayload>;
  /** False when the original body could not be parsed as an envelope: it can be listed, not replayed. */
  readonly replayable: boolean;
}

/** Which dead letters to list or replay. */
export interface DeadLetterQuery {
  /** A topic pattern (`fills.#`) matched against the original topic. Default: every topic. */
  readonly topic?: string;
  /** Only the dead letters of this consumer group (`default` for subscribers without a group). */
  readonly group?: string;
  /** At most this many. Default 100. */
  readonly limit?: number;
}

/** What {@link MessageBus.replayDeadLetters} did. */
export interface ReplayReport {
  /** Republished to the failing subscription and removed from the dead-letter queue. */
  readonly replayed: number;
  /** Matched but left in the queue (not replayable, or its subscription no longer exists), with why. */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

/** Metric counting dead letters, labelled by `group`. */
export const DEAD_LETTERS_METRIC = 'dead_letters_total';

const DeadLetterQuerySchema = z.object({
  topic: z
    .string()
    .regex(/^([A-Za-z0-9_\-:]+|\*|#)(\.([A-Za-z0-9_\-:]+|\*|#))*$/)
    .optional(),
  group: z.string().min(1).max(200).optional(),
  limit: z.number().int().positive().max(100_000).default(100),
});

/** Validates a {@link DeadLetterQuery} and fills in its default limit; throws `INVALID_ARGUMENT`. */
export function parseDeadLetterQuery(query: DeadLetterQuery = {}): {
  readonly topic: string | undefined;
  readonly group: string | undefined;
  readonly limit: number;
} {
  const result = DeadLetterQuerySchema.safeParse(query);
  if (!result.success) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `invalid dead-letter query: ${z.prettifyError(result.error)}`,
      cause: result.error,
    });
  }
  return { topic: result.data.topic, group: result.data.group, limit: result.data.limit };
}

/** True when a dead letter is selected by a parsed query (topic pattern and group). */
export function deadLetterMatches(
  payload: DeadLetterPayload,
  query: { readonly topic: string | undefined; readonly group: string | undefined },
): boolean {
  if (query.group !== undefined && (payload.group ?? 'default') !== query.group) return false;
  return query.topic === undefined || topicMatches(query.topic, payload.topic);
}
