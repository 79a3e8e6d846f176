import { RxtradeError } from '../errors';
import { type Clock, systemClock } from './clock';

/**
 * A time-limited lease on a resource. `token` is a fencing token: it grows with every grant of the
 * same resource, so a store can refuse writes from a holder whose lease has already expired
 * (see `StateBatch.fence`). A lease alone is not mutual exclusion under pauses; the fence is.
 */
export interface Lease {
  readonly resource: string;
  readonly token: number;
  /** Epoch ms by the lock manager's clock. */
  readonly expiresAt: number;
  /** Extends the lease if still held; false if it was lost. */
  renew(ttlMs: number): Promise<boolean>;
  /** Releases the lease if still held (compare-and-delete); false if it had already been lost. Idempotent. */
  release(): Promise<boolean>;
}

export interface AcquireOptions {
  /** Lease time to live, ms. */
  readonly ttlMs: number;
  /** How long to keep trying before giving up, ms. Default 0: one attempt. */
  readonly waitMs?: number;
  /** Delay between attempts while waiting, ms. Default 50. */
  readonly retryDelayMs?: number;
}

/**
 * Distributed leases with fencing tokens. Implementations: {@link createMemoryLockManager},
 * `@rxtrade/redis`. Every implementation runs `lockManagerContract` from `@rxtrade/core/testing`.
 */
export interface LockManager {
  /** The lease, or undefined if the resource is held by someone else for the whole wait. */
  acquire(resource: string, options: AcquireOptions): Promise<Lease | undefined>;
  close(): Promise<void>;
}

/** Validates acquire options the same way in every implementation. */
export function assertValidAcquire(resource: string, options: AcquireOptions): void {
  if (typeof resource !== 'string' || resource.length === 0) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'lock resource must be a non-empty string' });
  }
  if (!(Number.isInteger(options.ttlMs) && options.ttlMs > 0)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `ttlMs must be a positive integer, got ${options.ttlMs}`,
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The in-memory {@link LockManager}: leases within one process. */
export function createMemoryLockManager(options: { clock?: Clock } = {}): LockManager {
  const clock = options.clock ?? systemClock;
  const held = new Map<string, { token: number; expiresAt: number }>();
  const tokens = new Map<string, number>();
  let closed = false;

  const tryAcquire = (resource: string, ttlMs: number): Lease | undefined => {
    const now = clock.now();
    const current = held.get(resource);
    if (current && current.expiresAt > now) return undefined;
    const token = (tokens.get(resource) ?? 0) + 1;
    tokens.set(resource, token);
    const entry = { token, expiresAt: now + ttlMs };
    held.set(resource, entry);
    const isHeld = (): boolean => held.get(resource) === entry && entry.expiresAt > clock.now();
    return {
      resource,
      token,
      get expiresAt() {
        return entry.expiresAt;
      },
      async renew(ms) {
        if (!isHeld()) return false;
        entry.expiresAt = clock.now() + ms;
        return true;
      },
      async release() {
        if (!isHeld()) return false;
        held.delete(resource);
        return true;
      },
    };
  };

  return {
    async acquire(resource, opts) {
      if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'lock manager is closed' });
      assertValidAcquire(resource, opts);
      // Count attempts rather than watching the clock: a manual clock may never move while we wait.
      const delay = opts.retryDelayMs ?? 50;
      const attempts = 1 + Math.ceil((opts.waitMs ?? 0) / delay);
      for (let attempt = 1; ; attempt++) {
        const lease = tryAcquire(resource, opts.ttlMs);
        if (lease || attempt >= attempts) return lease;
        await sleep(delay);
      }
    },
    async close() {
      closed = true;
    },
  };
}
