import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import type { BusEnvelope, DeadLetterPayload, MessageBus } from '../../ports/message-bus';

export interface MessageBusContractOptions {
  /** A fresh bus. Topics and groups in each test are unique to it, so a shared broker is fine. */
  readonly create: () => MessageBus | Promise<MessageBus>;
  /** How long to wait for deliveries, ms. Default 5,000. */
  readonly timeoutMs?: number;
}

let counter = 0;
const unique = (): string => `t${Date.now().toString(36)}${(++counter).toString(36)}`;

const envelope = (id: string, payload: unknown = {}): BusEnvelope => ({
  v: 1,
  type: 'Test',
  id,
  ts: 1,
  correlationId: `c-${id}`,
  payload,
});

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for deliveries');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The behaviour every {@link MessageBus} must have. */
export function messageBusContract(options: MessageBusContractOptions): void {
  const timeout = options.timeoutMs ?? 5_000;

  describe('MessageBus contract', () => {
    let bus: MessageBus;
    beforeEach(async () => {
      bus = await options.create();
    });
    afterEach(async () => {
      await bus.close();
    });

    it('delivers to matching patterns only, with * and # wildcards', async () => {
      const ns = unique();
      const star: string[] = [];
      const hash: string[] = [];
      await bus.subscribe(`${ns}.bars.*`, (m) => void star.push(m.id));
      await bus.subscribe(`${ns}.#`, (m) => void hash.push(m.id));
      await bus.publish(`${ns}.bars.SPX`, envelope('a'));
      await bus.publish(`${ns}.bars.SPX.extra`, envelope('b'));
      await bus.publish(`${ns}.fills.acc`, envelope('c'));
      await waitFor(() => hash.length === 3, timeout);
      expect(hash.sort()).toEqual(['a', 'b', 'c']);
      expect(star).toEqual(['a']);
    });

    it('preserves payloads exactly and in publish order for one subscriber', async () => {
      const ns = unique();
      const got: BusEnvelope[] = [];
      await bus.subscribe(`${ns}.x`, (m) => void got.push(m));
      for (let i = 0; i < 50; i++) await bus.publish(`${ns}.x`, envelope(`m${i}`, { i, px: '1402.55' }));
      await waitFor(() => got.length === 50, timeout);
      expect(got.map((m) => (m.payload as { i: number }).i)).toEqual([...Array(50).keys()]);
      expect(got[7]).toEqual(envelope('m7', { i: 7, px: '1402.55' }));
    });

    it('shares a group between members and gives each group every message', async () => {
      const ns = unique();
      const a: string[] = [];
      const b: string[] = [];
      const audit: string[] = [];
      await bus.subscribe(`${ns}.#`, (m) => void a.push(m.id), { group: `${ns}-workers` });
      await bus.subscribe(`${ns}.#`, (m) => void b.push(m.id), { group: `${ns}-workers` });
      await bus.subscribe(`${ns}.#`, (m) => void audit.push(m.id), { group: `${ns}-audit` });
      for (let i = 0; i < 40; i++)
        await bus.publish(`${ns}.bars.S${i % 4}`, envelope(`m${i}`), { key: `S${i % 4}` });
      await waitFor(() => a.length + b.length === 40 && audit.length === 40, timeout);
      expect([...a, ...b].sort()).toEqual(audit.slice().sort());
    });

    it('keeps per-key order inside a group', async () => {
      const ns = unique();
      const seen = new Map<string, number[]>();
      const handler = (m: BusEnvelope) => {
        const { key, seq } = m.payload as { key: string; seq: number };
        seen.set(key, [...(seen.get(key) ?? []), seq]);
      };
      await bus.subscribe(`${ns}.bars.*`, handler, { group: `${ns}-g` });
      await bus.subscribe(`${ns}.bars.*`, handler, { group: `${ns}-g` });
      for (let seq = 0; seq < 25; seq++) {
        for (const key of ['A', 'B', 'C']) {
          await bus.publish(`${ns}.bars.${key}`, envelope(`${key}${seq}`, { key, seq }), { key });
        }
      }
      await waitFor(() => [...seen.values()].reduce((n, l) => n + l.length, 0) === 75, timeout);
      for (const list of seen.values()) expect(list).toEqual([...Array(25).keys()]);
    });

    it('redelivers after a handler failure, then dead-letters with the reason', async () => {
      const ns = unique();
      const group = `${ns}-g`;
      let attempts = 0;
      const ok: string[] = [];
      const dead: BusEnvelope[] = [];
      await bus.subscribe(`dead-letter.${group}`, (m) => void dead.push(m));
      await bus.subscribe(
        `${ns}.x`,
        (m) => {
          if (m.id === 'flaky' && ++attempts < 2) throw new Error('transient');
          if (m.id === 'poison') throw new Error('cannot process poison');
          ok.push(m.id);
        },
        { group, maxDeliveries: 3 },
      );
      await bus.publish(`${ns}.x`, envelope('flaky'));
      await bus.publish(`${ns}.x`, envelope('poison'));
      await bus.publish(`${ns}.x`, envelope('fine'));
      await waitFor(() => dead.length === 1 && ok.length === 2, timeout);
      expect(ok.sort()).toEqual(['fine', 'flaky']);
      const payload = dead[0]?.payload as DeadLetterPayload;
      expect(dead[0]?.type).toBe('MessageDeadLettered');
      expect(payload.reason).toContain('cannot process poison');
      expect((payload.message as BusEnvelope).id).toBe('poison');
    });

    it('refuses an invalid envelope or topic at publish with a typed error', async () => {
      const bad = { ...envelope('x'), v: 2 } as unknown as BusEnvelope;
      await expect(bus.publish('a.b', bad)).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_MESSAGE',
      );
      await expect(bus.publish('a..b', envelope('y'))).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
      );
    });

    it('stops delivering after unsubscribe', async () => {
      const ns = unique();
      const got: string[] = [];
      const sub = await bus.subscribe(`${ns}.x`, (m) => void got.push(m.id));
      await bus.publish(`${ns}.x`, envelope('before'));
      await waitFor(() => got.length === 1, timeout);
      await sub.unsubscribe();
      await sub.unsubscribe();
      await bus.publish(`${ns}.x`, envelope('after'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(got).toEqual(['before']);
    });

    it('is closed after close(), and close() is idempotent', async () => {
      await bus.close();
      await bus.close();
      await expect(bus.publish('a.b', envelope('z'))).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'CLOSED',
      );
    });
  });
}
