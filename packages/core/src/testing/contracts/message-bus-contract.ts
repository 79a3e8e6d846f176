import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import type { DeadLetterPayload } from '../../ports/dead-letters';
import type { Logger } from '../../ports/logger';
import type { BusEnvelope, MessageBus } from '../../ports/message-bus';
import { createMemoryMetrics, type MemoryMetrics, type MetricsSink } from '../../ports/metrics-sink';

/** What the contract hands `create`: the bus must log dead letters to `logger` and count them in `metrics`. */
export interface MessageBusContractDeps {
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

export interface MessageBusContractOptions {
  /** A fresh bus. Topics and groups in each test are unique to it, so a shared broker is fine. */
  readonly create: (deps: MessageBusContractDeps) => MessageBus | Promise<MessageBus>;
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

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string | undefined;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (first: object | string, message?: string): void => {
      if (typeof first === 'string') lines.push({ level, fields: {}, message: first });
      else lines.push({ level, fields: first as Record<string, unknown>, message });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

/** The behaviour every {@link MessageBus} must have. */
export function messageBusContract(options: MessageBusContractOptions): void {
  const timeout = options.timeoutMs ?? 5_000;

  describe('MessageBus contract', () => {
    let bus: MessageBus;
    let metrics: MemoryMetrics;
    let lines: LogLine[];
    beforeEach(async () => {
      metrics = createMemoryMetrics();
      lines = [];
      bus = await options.create({ logger: recordingLogger(lines), metrics });
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

    it('redelivers after a handler failure, then dead-letters with the reason, counted and logged', async () => {
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
      await bus.publish(`${ns}.x`, envelope('poison'), { key: 'k1' });
      await bus.publish(`${ns}.x`, envelope('fine'));
      await waitFor(() => dead.length === 1 && ok.length === 2, timeout);
      expect(ok.sort()).toEqual(['fine', 'flaky']);
      const payload = dead[0]?.payload as DeadLetterPayload;
      expect(dead[0]?.type).toBe('MessageDeadLettered');
      expect(payload).toMatchObject({
        topic: `${ns}.x`,
        group,
        pattern: `${ns}.x`,
        key: 'k1',
        deliveries: 3,
      });
      expect(payload.reason).toContain('cannot process poison');
      expect((payload.message as BusEnvelope).id).toBe('poison');

      const kept = await bus.deadLetters({ group });
      expect(kept).toHaveLength(1);
      expect(kept[0]?.replayable).toBe(true);
      expect(kept[0]?.envelope.payload).toMatchObject({ topic: `${ns}.x`, deliveries: 3, key: 'k1' });
      expect(kept[0]?.envelope.payload.reason).toContain('cannot process poison');
      expect(metrics.value('dead_letters_total', { group })).toBe(1);
      const logged = lines.find((l) => l.fields['group'] === group && l.level === 'warn');
      expect(logged?.fields).toMatchObject({ topic: `${ns}.x`, deliveries: 3 });
      expect(String(logged?.fields['reason'])).toContain('cannot process poison');
    });

    it('keeps dead letters with no one listening and replays them to the failing group only', async () => {
      const ns = unique();
      const failing = `${ns}-orders`;
      const healthy = `${ns}-audit`;
      let broken = true;
      const handled: BusEnvelope[] = [];
      const audited: string[] = [];
      await bus.subscribe(
        `${ns}.fills.*`,
        (m) => {
          if (broken) throw new Error(`database down for ${m.id}`);
          handled.push(m);
        },
        { group: failing, maxDeliveries: 2 },
      );
      await bus.subscribe(`${ns}.fills.*`, (m) => void audited.push(m.id), { group: healthy });
      await bus.publish(`${ns}.fills.a1`, envelope('f1', { qty: '1.5' }), { key: 'a1' });
      await bus.publish(`${ns}.fills.a2`, envelope('f2', { qty: '2' }));
      const listed = async () => (await bus.deadLetters({ group: failing })).map((d) => d.envelope);
      const start = Date.now();
      while ((await listed()).length < 2) {
        if (Date.now() - start > timeout) throw new Error('timed out waiting for dead letters');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Listing does not consume, keeps the oldest first, and filters by topic and limit.
      expect((await listed()).map((d) => (d.payload.message as BusEnvelope).id)).toEqual(['f1', 'f2']);
      const byTopic = await bus.deadLetters({ topic: `${ns}.fills.a2` });
      expect(byTopic.map((d) => d.envelope.payload.topic)).toEqual([`${ns}.fills.a2`]);
      expect(await bus.deadLetters({ topic: `${ns}.#`, limit: 1 })).toHaveLength(1);
      expect(await bus.deadLetters({ group: healthy })).toHaveLength(0);

      // A replay that fails again goes back to the dead-letter queue.
      expect(await bus.replayDeadLetters({ group: failing, limit: 1 })).toEqual({ replayed: 1, skipped: [] });
      await waitFor(() => metrics.value('dead_letters_total', { group: failing }) === 3, timeout);
      expect(await listed()).toHaveLength(2);

      broken = false;
      expect(await bus.replayDeadLetters({ topic: `${ns}.fills.*` })).toEqual({ replayed: 2, skipped: [] });
      await waitFor(() => handled.length === 2, timeout);
      expect(handled.map((m) => m.id).sort()).toEqual(['f1', 'f2']);
      expect(handled.find((m) => m.id === 'f1')).toEqual(envelope('f1', { qty: '1.5' }));
      expect(await listed()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(audited.sort()).toEqual(['f1', 'f2']);
      expect(handled).toHaveLength(2);
    });

    it('keeps the dead letters of a subscriber without a group but does not replay them', async () => {
      const ns = unique();
      await bus.subscribe(
        `${ns}.quotes`,
        () => {
          throw new Error('no quotes today');
        },
        { maxDeliveries: 1 },
      );
      await bus.publish(`${ns}.quotes`, envelope('q1'));
      const mine = async () => (await bus.deadLetters({ topic: `${ns}.#` })).map((d) => d.envelope);
      const start = Date.now();
      while ((await mine()).length < 1) {
        if (Date.now() - start > timeout) throw new Error('timed out waiting for the dead letter');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [kept] = await mine();
      expect(kept?.payload.group).toBeUndefined();
      expect(kept?.payload.reason).toContain('no quotes today');
      expect(await bus.deadLetters({ topic: `${ns}.#`, group: 'default' })).toHaveLength(1);
      expect(metrics.value('dead_letters_total', { group: 'default' })).toBe(1);
      const report = await bus.replayDeadLetters({ topic: `${ns}.#` });
      expect(report.replayed).toBe(0);
      expect(report.skipped).toEqual([{ id: kept?.id, reason: expect.stringContaining('without a group') }]);
      expect(await mine()).toHaveLength(1);
      // Inspected and not replayable: discarded for good, and only what matches.
      expect(await bus.discardDeadLetters({ topic: `${ns}.other` })).toBe(0);
      expect(await bus.discardDeadLetters({ topic: `${ns}.#` })).toBe(1);
      expect(await mine()).toEqual([]);
    });

    it('refuses an invalid dead-letter query with INVALID_ARGUMENT', async () => {
      await expect(bus.deadLetters({ limit: 0 })).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
      );
      await expect(bus.replayDeadLetters({ topic: 'a..b' })).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
      );
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

    it('subscribeBatches: messages waiting for a member come together, in order, at most maxBatch, each once', async () => {
      const ns = unique();
      const subscribeBatches = bus.subscribeBatches?.bind(bus);
      expect(subscribeBatches, 'the bus implements subscribeBatches').toBeDefined();
      if (subscribeBatches === undefined) return;
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const batches: string[][] = [];
      await subscribeBatches(
        `${ns}.x.*`,
        async (deliveries) => {
          batches.push(deliveries.map((d) => d.message.id));
          for (const d of deliveries) expect(d.context).toEqual({ topic: `${ns}.x.k`, deliveryCount: 1 });
          await gate; // the first batch holds the member while the rest arrive
        },
        { group: `${ns}-g`, maxBatch: 5 },
      );
      for (let i = 0; i < 21; i++) await bus.publish(`${ns}.x.k`, envelope(`m${i}`), { key: 'k' });
      await waitFor(() => batches.length >= 1, timeout);
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await waitFor(() => batches.flat().length === 21, timeout);
      expect(batches.flat()).toEqual(Array.from({ length: 21 }, (_, i) => `m${i}`));
      expect(Math.max(...batches.map((b) => b.length))).toBe(5);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(batches.flat()).toHaveLength(21); // acknowledged: none comes again
      await expect(
        subscribeBatches(`${ns}.y`, () => {}, { group: `${ns}-h`, maxBatch: 0 }),
      ).rejects.toSatisfy((e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT');
    });

    it('subscribeBatches: a batch that fails goes one by one — the bad message is dead-lettered alone, the rest handled in order', async () => {
      const ns = unique();
      const group = `${ns}-g`;
      const subscribeBatches = bus.subscribeBatches?.bind(bus);
      expect(subscribeBatches, 'the bus implements subscribeBatches').toBeDefined();
      if (subscribeBatches === undefined) return;
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const ok: string[] = [];
      const sizes: number[] = [];
      const dead: BusEnvelope[] = [];
      await bus.subscribe(`dead-letter.${group}`, (m) => void dead.push(m));
      await subscribeBatches(
        `${ns}.x`,
        async (deliveries) => {
          sizes.push(deliveries.length);
          if (deliveries[0]?.message.id === 'first') await gate;
          if (deliveries.some((d) => d.message.id === 'poison')) throw new Error('cannot process poison');
          for (const d of deliveries) ok.push(d.message.id);
        },
        { group, maxDeliveries: 2, maxBatch: 10 },
      );
      await bus.publish(`${ns}.x`, envelope('first'), { key: 'k' });
      await waitFor(() => sizes.length === 1, timeout);
      for (const id of ['a', 'poison', 'b']) await bus.publish(`${ns}.x`, envelope(id), { key: 'k' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await waitFor(() => dead.length === 1 && ok.length === 3, timeout);
      expect(ok).toEqual(['first', 'a', 'b']);
      expect(sizes.some((n) => n === 3)).toBe(true); // they were tried together first
      const payload = dead[0]?.payload as DeadLetterPayload;
      expect(payload.deliveries).toBe(2);
      expect((payload.message as BusEnvelope).id).toBe('poison');
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
