import { describe, expect, it } from 'vitest';
import { rabbitMqPermissions } from './permissions';
import { deadLetterQueue, groupTopology, rpcExchange } from './topology';

const E = 'rxt-fleet-prod';
const matches = (regex: string, name: string) => new RegExp(regex).test(name);

describe('rabbitMqPermissions', () => {
  const p = rabbitMqPermissions(
    E,
    {
      publishes: ['fills.ID'],
      groups: [
        { group: 'order', pattern: 'orders.submit.*' },
        { group: 'events-ID', pattern: 'orders.events.ID' },
      ],
      subscribes: [],
    },
    { anyWord: 'ID' },
  );
  const topic = p.topics[0] as { exchange: string; write: string; read: string };

  it('covers every name the adapter declares for the groups, and only those', () => {
    for (const [group, pattern] of [
      ['order', 'orders.submit.*'],
      ['events-sma', 'orders.events.sma'],
    ] as const) {
      const t = groupTopology({ exchange: E, group, pattern, partitions: 12 });
      for (const name of [t.hashExchange, t.presence, ...t.partitions, ...t.locks])
        expect(matches(p.configure, name), name).toBe(true);
      for (const name of [t.hashExchange, ...t.partitions]) expect(matches(p.write, name), name).toBe(true);
      for (const name of [t.hashExchange, t.presence, ...t.partitions])
        expect(matches(p.read, name), name).toBe(true);
      for (const name of t.locks) expect(matches(p.read, name), name).toBe(false);
    }
    for (const name of [E, rpcExchange(E), deadLetterQueue(E)]) expect(matches(p.configure, name)).toBe(true);
    expect(matches(p.write, rpcExchange(E))).toBe(false);
    expect(matches(p.read, deadLetterQueue(E))).toBe(false);
    for (const name of [
      `${E}.risk.risk.*.*.p0`,
      `${E}.order.orders.submit.#.p0`,
      `${E}.order.orders.submit.*.p0x`,
      'amq.gen-abc',
      `x${E}`,
    ])
      expect(matches(p.configure, name), name).toBe(false);
  });

  it('publishes only its topics and dead letters; binds only its patterns and the dead-letter queue', () => {
    expect(topic.exchange).toBe(E);
    for (const key of ['fills.acc-1', 'fills.A_b:c', 'dead-letter.order', 'dead-letter.events-sma'])
      expect(matches(topic.write, key), key).toBe(true);
    for (const key of ['fills.a.b', 'fills.', 'fills.*', 'orders.submit.acc-1', 'dead-letter.default'])
      expect(matches(topic.write, key), key).toBe(false);
    for (const key of ['orders.submit.*', 'orders.events.sma', 'dead-letter.#'])
      expect(matches(topic.read, key), key).toBe(true);
    for (const key of ['orders.submit.acc-1', 'orders.#', '#', 'fills.*'])
      expect(matches(topic.read, key), key).toBe(false);
  });

  it('private subscriptions: server-named queues and dead-letter.default; a publisher alone binds nothing', () => {
    const reader = rabbitMqPermissions(E, { publishes: [], groups: [], subscribes: ['risk.state'] });
    for (const r of [reader.configure, reader.write, reader.read])
      expect(matches(r, 'amq.gen-x1')).toBe(true);
    expect(matches(reader.topics[0]?.read ?? '', 'risk.state')).toBe(true);
    expect(matches(reader.topics[0]?.write ?? '', 'dead-letter.default')).toBe(true);
    const publisher = rabbitMqPermissions(E, { publishes: ['bars.x'], groups: [], subscribes: [] });
    expect(matches(publisher.configure, 'amq.gen-x1')).toBe(false);
    expect(publisher.topics[0]?.read).toBe('^(dead-letter\\.#)$');
    expect(matches(publisher.topics[0]?.write ?? '', 'bars.x')).toBe(true);
    expect(matches(publisher.topics[0]?.write ?? '', 'bars.y')).toBe(false);
  });
});
