import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisLockManager } from '../src/lock-manager';
import { createRedisStateStore } from '../src/state-store';
import { sleep } from './helpers';
import { requireRedisServerBinary, type SpawnedRedis, spawnRedis } from './redis-server';

const binary = await requireRedisServerBinary();
const holderScript = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));

interface HolderMessage {
  type: 'acquired' | 'wrote' | 'error';
  token?: number;
  result?: unknown;
  renewed?: boolean;
  released?: boolean;
  error?: string;
}

function nextMessage(child: ChildProcess, timeoutMs = 15_000): Promise<HolderMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('lock holder did not answer')), timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as HolderMessage);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lock holder exited with ${code}`));
    });
  });
}

describe.skipIf(!binary)('fault: a lock holder paused (SIGSTOP) past its TTL', () => {
  let server: SpawnedRedis;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await server?.cleanup();
  });

  it('has its later write with the stale fencing token refused, even before the new holder writes', async () => {
    const prefix = 'f3:';
    child = fork(holderScript, [server.url, prefix, '300'], {
      execArgv: ['--import', 'tsx', '--conditions=rxtrade-source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const acquired = await nextMessage(child);
    expect(acquired).toMatchObject({ type: 'acquired' });

    child.kill('SIGSTOP');
    await sleep(600);
    const locks = createRedisLockManager({ url: server.url }, { prefix });
    const store = createRedisStateStore({ url: server.url }, { prefix });
    try {
      const fresh = await locks.acquire('acct-1', { ttlMs: 10_000 });
      expect(fresh?.token).toBe((acquired.token ?? 0) + 1);

      child.kill('SIGCONT');
      const reply = nextMessage(child);
      child.send({ type: 'write' });
      expect(await reply).toEqual({
        type: 'wrote',
        result: { applied: false, reason: 'STALE_FENCING_TOKEN' },
        renewed: false,
        released: false,
      });
      expect(await store.get('position:acct-1:BTC')).toBeUndefined();
      // The stale attempt did not consume its event id either.
      expect(
        await store.apply({
          eventId: 'fill-from-paused-holder',
          fence: { resource: 'acct-1', token: fresh?.token ?? 0 },
          ops: [{ op: 'incrBy', key: 'position:acct-1:BTC', field: 'qtyUnits', by: 100 }],
        }),
      ).toEqual({ applied: true });
      expect(await store.get('position:acct-1:BTC')).toEqual({ qtyUnits: '100' });
      expect(await fresh?.release()).toBe(true);
    } finally {
      await locks.close();
      await store.close();
    }
  });
});
