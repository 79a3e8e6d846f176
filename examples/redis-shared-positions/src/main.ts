/**
 * Two processes (desk A = this one, desk B = a child it spawns) apply fills to ONE shared position in
 * Redis and each prints the position it reads back, which includes the other desk's fills.
 *
 * Run: npm start  (needs Redis on 127.0.0.1:6379, or REDIS_URL)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedisLockManager, createRedisStateStore } from '@rxtrade/redis';
import { Redis } from 'ioredis';
import {
  applyFill,
  expectedPosition,
  FILLS,
  formatCents,
  POSITION_KEY,
  type Position,
  readPosition,
} from './desk';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const desk = (process.argv[2] ?? 'desk-a') as 'desk-a' | 'desk-b';
const prefix = process.argv[3] ?? `example:shared-positions:${randomBytes(4).toString('hex')}:`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const show = (p: Position): string => `qty ${p.qty}, cost ${formatCents(p.costCents)}, fills ${p.fills}`;

/** Removes this run's keys (SCAN, never KEYS: the Redis may be shared). */
async function deleteKeys(keyPrefix: string): Promise<void> {
  const admin = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await admin.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  admin.disconnect();
}

async function trade(): Promise<Position> {
  const store = createRedisStateStore({ url }, { prefix });
  const locks = createRedisLockManager({ url }, { prefix });
  const self = { name: desk, store, locks };
  try {
    // Start together, so the two desks' fills interleave: each checks in, then waits for the other.
    await store.apply({
      eventId: `check-in:${desk}`,
      ops: [{ op: 'incrBy', key: 'desks', field: 'ready', by: 1 }],
    });
    for (let waited = 0; Number((await store.get('desks'))?.['ready'] ?? 0) < 2; waited += 10) {
      if (waited > 15_000) throw new Error(`${desk}: the other desk never checked in`);
      await sleep(10);
    }
    let mine = 0;
    for (const fill of FILLS[desk]) {
      await applyFill(self, fill);
      mine++;
      const position = await readPosition(store);
      console.log(
        `[${desk}] ${fill.tradeId} ${fill.side} ${fill.qty} @ ${formatCents(fill.priceCents)} → ` +
          `${show(position)} (${mine} mine, ${position.fills - mine} from the other desk)`,
      );
      await sleep(desk === 'desk-a' ? 40 : 55);
    }
    // A venue redelivers a fill: applied once, the second time it is a duplicate.
    const again = FILLS[desk][0];
    if (again) console.log(`[${desk}] redelivered ${again.tradeId}: ${await applyFill(self, again)}`);

    const total = expectedPosition().fills;
    for (let waited = 0; (await readPosition(store)).fills < total; waited += 20) {
      if (waited > 10_000) throw new Error(`${desk}: the other desk's fills never arrived`);
      await sleep(20);
    }
    const final = await readPosition(store);
    console.log(`[${desk}] final ${POSITION_KEY}: ${show(final)}`);
    return final;
  } finally {
    await locks.close();
    await store.close();
  }
}

if (desk === 'desk-b') {
  await trade();
} else {
  console.log(`desk-a (pid ${process.pid}) starts desk-b; shared state under ${prefix} at ${url}\n`);
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), 'desk-b', prefix],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const childExit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let final: Position | undefined;
  try {
    final = await trade();
  } finally {
    const code = await childExit;
    await deleteKeys(prefix);
    if (code !== 0) process.exitCode = 1;
  }
  const expected = expectedPosition();
  const ok =
    final?.qty === expected.qty && final.costCents === expected.costCents && final.fills === expected.fills;
  console.log(
    `\nexpected ${show(expected)} → ${ok ? 'OK: both desks see every fill exactly once' : 'MISMATCH'}`,
  );
  if (!ok) process.exitCode = 1;
}
