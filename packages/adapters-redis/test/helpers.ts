import { randomBytes } from 'node:crypto';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { Redis } from 'ioredis';
import type { StateStoreInternals } from '../src/state-store';

/** The shared Redis every contract and behaviour test runs against (CONTRIBUTING.md). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Skips loudly outside CI when Redis is down; fails in CI. */
export function requireRedis(): Promise<boolean> {
  const { hostname, port } = new URL(REDIS_URL);
  return requireService('Redis', () => probeTcp(hostname, Number(port || 6379)));
}

/** A key prefix no other test (or app) uses: tests run in parallel against one Redis. */
export function uniquePrefix(label: string): string {
  return `rxtrade-test:${label}:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK), so tests leave the shared Redis clean. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(
        cursor,
        'MATCH',
        `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
        'COUNT',
        1000,
      );
      if (keys.length > 0) await admin.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it became true. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  everyMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

/**
 * The StateStore's two apply scripts, for suites that run against both: the one a Redis ≥ 7.0 gets
 * (`SET … NX GET`), and the one for older servers, forced here.
 */
export const applyScriptVariants = [
  { script: 'SET NX GET (Redis ≥ 7.0)', internals: {} },
  { script: 'pre-7.0', internals: { forcePre7Script: true } },
] as const satisfies ReadonlyArray<{ script: string; internals: StateStoreInternals }>;
