import { deadLetterQueue, groupTopology, rpcExchange } from './topology';

/**
 * What one broker user does on a bus: the input of {@link rabbitMqPermissions}. Names may hold
 * `anyWord` (an option of that function) where any one topic word goes: an account, strategy or
 * replica id.
 */
export interface BusUse {
  /** Topics it publishes (`publish(topic)`). */
  readonly publishes: readonly string[];
  /** Its consumer-group subscriptions (`subscribe(pattern, h, { group })`). */
  readonly groups: readonly { readonly group: string; readonly pattern: string }[];
  /** Its private subscriptions (`subscribe(pattern, h)` without a group). */
  readonly subscribes: readonly string[];
}

/**
 * RabbitMQ permissions of one user, as `rabbitmqctl set_permissions` and `set_topic_permissions`
 * take them: regexes over resource names (configure / write / read) and over routing keys on each
 * topic exchange (write: publish; read: bind).
 */
export interface RabbitMqPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
  readonly topics: readonly { readonly exchange: string; readonly write: string; readonly read: string }[];
}

/** Matches no name at all (RabbitMQ's "nothing" regex). */
const NOTHING = '^$';
const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The least a user needs for `use` on the bus of `exchange`, derived from the names this adapter
 * declares: every bus declares the event exchange, the request exchange and the durable dead-letter
 * queue at connect (and binds that queue with `dead-letter.#`); a group subscription declares its
 * consistent-hash exchange, partition queues, presence queue and lock queues
 * (`<exchange>.<group>.<pattern>.…`) and dead-letters to `dead-letter.<group>`; a private
 * subscription declares a server-named queue (`amq.gen-…`) and dead-letters to
 * `dead-letter.default`. Publishing is allowed only with the routing keys in `use.publishes` (and
 * the dead letters), binding only with the patterns the user subscribes. Nothing on the request
 * exchange may be published or bound: a use with requests or replies is not covered.
 *
 * `anyWord`: a string that stands for any one topic word (letters, digits, `_`, `-`, `:`) wherever
 * it appears in `use`'s names. Group patterns of at most 80 characters are assumed (longer ones are
 * named by a digest).
 *
 * @example
 * rabbitMqPermissions('rxt-fleet-prod', {
 *   publishes: ['fills.ID'],
 *   groups: [{ group: 'order', pattern: 'orders.submit.*' }],
 *   subscribes: [],
 * }, { anyWord: 'ID' });
 */
export function rabbitMqPermissions(
  exchange: string,
  use: BusUse,
  options: { readonly anyWord?: string } = {},
): RabbitMqPermissions {
  const any = options.anyWord;
  const WORD = '[-A-Za-z0-9_:]+';
  const pattern = (name: string): string =>
    any === undefined ? escapeRegex(name) : name.split(any).map(escapeRegex).join(WORD);
  const anyOf = (names: readonly string[]): string =>
    names.length === 0 ? NOTHING : `^(${[...new Set(names)].join('|')})$`;

  const E = escapeRegex(exchange);
  const groupNames = use.groups.map(({ group, pattern: p }) => {
    const topology = groupTopology({ exchange, group, pattern: p, partitions: 1 });
    const name = (n: string) => pattern(n).replace(/\\\.p0(?=\\\.lock$|$)/, '\\.p\\d+');
    return {
      hash: name(topology.hashExchange),
      partition: name(topology.partitions[0] ?? ''),
      presence: name(topology.presence),
      lock: name(topology.locks[0] ?? ''),
    };
  });
  const privateQueues = use.subscribes.length > 0 ? ['amq\\.gen-.*'] : [];
  const deadLetters = escapeRegex(deadLetterQueue(exchange));
  const publishes = use.publishes.length > 0 || use.groups.length > 0 || use.subscribes.length > 0;

  return {
    configure: anyOf([
      E,
      escapeRegex(rpcExchange(exchange)),
      deadLetters,
      ...groupNames.flatMap((g) => [g.hash, g.partition, g.presence, g.lock]),
      ...privateQueues,
    ]),
    // Publishing needs write on the exchange; binding needs write on the queue or exchange bound.
    write: anyOf([
      ...(publishes ? [E] : []),
      deadLetters,
      ...groupNames.flatMap((g) => [g.hash, g.partition]),
      ...privateQueues,
    ]),
    // Binding needs read on the source exchange; consuming, read on the queue.
    read: anyOf([E, ...groupNames.flatMap((g) => [g.hash, g.partition, g.presence]), ...privateQueues]),
    topics: [
      {
        exchange,
        write: anyOf([
          ...use.publishes.map(pattern),
          ...use.groups.map(({ group }) => pattern(`dead-letter.${group}`)),
          ...(use.subscribes.length > 0 ? [escapeRegex('dead-letter.default')] : []),
        ]),
        read: anyOf([
          escapeRegex('dead-letter.#'),
          ...use.groups.map((g) => pattern(g.pattern)),
          ...use.subscribes.map(pattern),
        ]),
      },
    ],
  };
}
