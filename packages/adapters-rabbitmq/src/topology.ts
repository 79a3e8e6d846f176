import { createHash } from 'node:crypto';

/**
 * Header the consistent-hash exchanges hash on and consumers order by: the partition key
 * (`PublishOptions.key`), or the message id when there is none. One header, because encoding AMQP
 * header tables is a large share of a publish's CPU cost.
 */
export const HASH_HEADER = 'x-rxtrade-hash';
/** Header set on replies whose handler failed; the value is the reason. */
export const ERROR_HEADER = 'x-rxtrade-error';
/** Points each partition queue takes on a consistent-hash ring. More points, a more even spread. */
export const RING_WEIGHT = '100';

/** The names one (group, pattern) subscription declares. */
export interface GroupTopology {
  /** `x-consistent-hash` exchange bound to the main exchange with the pattern. */
  readonly hashExchange: string;
  /** Durable partition queues, index = partition. */
  readonly partitions: readonly string[];
  /** Every live member consumes it; its consumer count is the group size. */
  readonly presence: string;
  /** Exclusive queues whose owner is the one member consuming that partition. */
  readonly locks: readonly string[];
}

/**
 * Names for a group's topology: `<exchange>.<group>.<pattern>` plus a suffix. A long pattern is
 * replaced by a digest so every name stays well under AMQP's 255-byte limit.
 */
export function groupTopology(spec: {
  readonly exchange: string;
  readonly group: string;
  readonly pattern: string;
  readonly partitions: number;
}): GroupTopology {
  const { exchange, group, pattern, partitions } = spec;
  const patternPart =
    pattern.length <= 80 ? pattern : `h${createHash('sha256').update(pattern).digest('hex').slice(0, 24)}`;
  const base = `${exchange}.${group}.${patternPart}`;
  const indexes = [...Array(partitions).keys()];
  return {
    hashExchange: `${base}.hash`,
    partitions: indexes.map((k) => `${base}.p${k}`),
    presence: `${base}.members`,
    locks: indexes.map((k) => `${base}.p${k}.lock`),
  };
}

/** Topic exchange that carries requests, kept apart so event subscribers never see them. */
export function rpcExchange(exchange: string): string {
  return `${exchange}.rpc`;
}

/** Shared queue of the responders for one pattern. */
export function rpcQueue(exchange: string, pattern: string): string {
  return `${rpcExchange(exchange)}.${pattern.length <= 80 ? pattern : createHash('sha256').update(pattern).digest('hex').slice(0, 24)}`;
}

/** Header of a replayed message: a token unique to the dead letter it came from (its own dedupe id). */
export const REPLAY_HEADER = 'x-rxtrade-replay';
/** Headers every dead letter carries, so `rabbitmqctl`/the management UI show why without parsing the body. */
export const DEAD_HEADERS = {
  reason: 'x-rxtrade-dead-reason',
  deliveries: 'x-rxtrade-dead-deliveries',
  topic: 'x-rxtrade-dead-topic',
  group: 'x-rxtrade-dead-group',
} as const;

/** The durable queue holding every dead letter of a bus (`<exchange>.dead-letters`, bound to `dead-letter.#`). */
export function deadLetterQueue(exchange: string): string {
  return `${exchange}.dead-letters`;
}

/** The exchange a group's subscription to `pattern` receives through: a replay publishes there. */
export function groupHashExchange(exchange: string, group: string, pattern: string): string {
  return groupTopology({ exchange, group, pattern, partitions: 0 }).hashExchange;
}
