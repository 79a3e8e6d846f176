import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusEnvelope } from '@rxtrade/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '../../src/index';
import { deleteTopology, RABBIT_URL, rabbitAvailable, uniqueName, waitFor } from '../support/broker';
import { Ledger } from '../support/ledger';

const up = await rabbitAvailable();
const TOTAL = 2_000;

const order = (i: number): BusEnvelope => ({
  v: 1,
  type: 'SubmitOrder',
  id: `ord-${i}`,
  ts: i,
  correlationId: `c-${i}`,
  payload: { i },
});

describe.skipIf(!up)('fault: a consumer process is SIGKILLed mid-stream', () => {
  const buses: RabbitMqMessageBus[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rxt-sigkill-'));
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await deleteTopology(...buses.map((bus) => bus.topology()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('redelivers its unacked messages to the survivor, which applies each exactly once', async () => {
    const exchange = uniqueName('sigkill');
    const pattern = 'orders.#';
    const group = 'order-service';
    const ledgerPath = join(dir, 'ledger.txt');
    const ledger = new Ledger(ledgerPath);

    // The survivor declares the group first (so nothing published is unroutable), then steps aside.
    const publisher = await createRabbitMqMessageBus({ url: RABBIT_URL, exchange, connectionName: exchange });
    buses.push(publisher);
    const declare = await publisher.subscribe(pattern, () => {}, { group });
    await declare.unsubscribe();
    for (let i = 0; i < TOTAL; i++)
      await publisher.publish(`orders.A${i % 20}`, order(i), { key: `A${i % 20}` });

    const child = fork(
      join(import.meta.dirname, '../support/consumer-child.ts'),
      [RABBIT_URL, exchange, pattern, group, ledgerPath],
      { execArgv: ['--conditions=rxtrade-source', '--import', 'tsx'], stdio: 'inherit' },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await waitFor(() => ledger.lines().length >= 400, 30_000, 'the child to apply 400 messages');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const appliedByChild = ledger.lines().length;

    const survivor = await createRabbitMqMessageBus({
      url: RABBIT_URL,
      exchange,
      connectionName: `${exchange}-survivor`,
      dedupe: ledger.dedupe(),
    });
    buses.push(survivor);
    let redelivered = 0;
    await survivor.subscribe(
      pattern,
      (message, context) => {
        if (context.deliveryCount > 1) redelivered++;
        ledger.apply(message.id);
      },
      { group },
    );
    await waitFor(() => new Set(ledger.lines()).size === TOTAL, 30_000, 'every order applied');

    const lines = ledger.lines();
    const counts = new Map<string, number>();
    for (const id of lines) counts.set(id, (counts.get(id) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice).toEqual([]);
    expect(lines.length).toBe(TOTAL);
    // The child had applied some messages it never acked: they came back and were skipped by id.
    expect(survivor.stats().consumer.duplicates).toBeGreaterThan(0);
    console.info(
      `sigkill: child applied ${appliedByChild} before the kill; survivor skipped ${survivor.stats().consumer.duplicates} redelivered duplicates, saw ${redelivered} with deliveryCount > 1`,
    );
  });
});
