import { randomBytes } from 'node:crypto';
import {
  type ApplyResult,
  assertValidBatch,
  encodeListCursor,
  type Logger,
  listAll,
  noopLogger,
  parseListPage,
  RxtradeError,
  type StateBatch,
  type StateOp,
  type StateRecord,
  type StateStore,
} from '@rxtrade/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  LuaScript,
  openConnection,
  type RedisConnection,
  redisVersionAtLeast,
  type ScriptBatchSpec,
} from './connection';
import { toRxtradeError } from './errors';
import { DEFAULT_PREFIX, escapeGlob, redisKeys } from './keys';
import { loggerSchema, parseOptions } from './options';
import {
  APPLY_SCRIPT,
  APPLY_SCRIPT_PRE_7,
  INDEX_BACKFILL_SCRIPT,
  UPSERT_MAX_FIELDS,
} from './state-store-script';

/** Options for {@link createRedisStateStore}. */
export interface RedisStateStoreOptions {
  /**
   * Prepended to every key (default `rxtrade:`), so several applications share one Redis. The
   * {@link createRedisLockManager} whose tokens fence this store's writes must use the same prefix.
   */
  readonly prefix?: string;
  /**
   * How long an applied `eventId` is remembered, in seconds (default 7 days). A batch redelivered
   * after this is applied again, so set it longer than any redelivery or replay window you have.
   * Each remembered id costs roughly 60 bytes plus its length.
   */
  readonly dedupeTtlSeconds?: number;
  /**
   * Most applies sent in one script call (default 64). Applies issued together (within one
   * event-loop turn, nothing else between them) share one EVALSHA, each still atomic and
   * all-or-nothing on its own; this bounds how long one call keeps Redis busy and how many applies
   * one lost reply leaves with an unknown outcome. 1 sends every apply on its own.
   */
  readonly maxBatchSize?: number;
  /** Connection-state messages (lost / restored). Default: silent. */
  readonly logger?: Logger;
}

const OptionsSchema = z.object({
  prefix: z.string().optional(),
  dedupeTtlSeconds: z.number().int().positive().optional(),
  maxBatchSize: z.number().int().min(1).max(10_000).optional(),
  logger: loggerSchema.optional(),
});

/** Internal, not exported from the package: test hooks. */
export interface StateStoreInternals {
  /** Always send the script for servers before 7.0 (to test it on a newer server). */
  readonly forcePre7Script?: boolean;
}

// Compiled once per process: every store shares them (and their SHA1).
const applyScript = new LuaScript(APPLY_SCRIPT);
const applyScriptPre7 = new LuaScript(APPLY_SCRIPT_PRE_7);
/** `SET … NX GET` (APPLY_SCRIPT) needs Redis 7.0; until the version is known, the older script. */
const scriptFor = (serverVersion: string | undefined): LuaScript =>
  redisVersionAtLeast(serverVersion, 7, 0) ? applyScript : applyScriptPre7;
const pre7Only = (): LuaScript => applyScriptPre7;

const SCAN_COUNT = 1_000;
const DEFAULT_MAX_BATCH_SIZE = 64;
// Shared, frozen results: apply allocates none on the hot path.
const APPLIED: ApplyResult = Object.freeze({ applied: true });
const DUPLICATE: ApplyResult = Object.freeze({ applied: false, reason: 'DUPLICATE_EVENT' });
const STALE: ApplyResult = Object.freeze({ applied: false, reason: 'STALE_FENCING_TOKEN' });
/** A script call takes no more applies once it carries this many arguments (a larger apply goes alone). */
const MAX_BATCH_ARGS = 20_000;
// Bits of an apply's flags argument (see APPLY_SCRIPT).
const HAS_FENCE = 1;
const HAS_EVENT = 2;
const HAS_INCR = 4;

/** Sorts after every UTF-8 string with the same start: 0xFF never occurs in UTF-8. */
const AFTER_ALL = Buffer.from([0xff]);

/**
 * The Redis {@link StateStore}: each record is a Redis hash at `<prefix>state:<key>`, and `apply` runs
 * in a Lua script that checks the fence, the event id and every incrBy target before it writes anything,
 * so a batch is all-or-nothing and atomic with respect to every other client. Applies issued
 * together share one script call (up to `maxBatchSize`), which runs them in issue order, each on its
 * own: one apply's refusal or error leaves the others in the call unaffected.
 *
 * Beyond the port's contract:
 * - the fence is checked against the highest token seen by the store AND the highest token granted by
 *   a {@link createRedisLockManager} on the same prefix, so a holder whose lease expired is refused as
 *   soon as someone else acquires, even before the new holder writes;
 * - an `eventId` is remembered for `dedupeTtlSeconds` (SET EX), not for ever;
 * - a call whose connection drops mid-flight rejects with `NOT_CONNECTED` (or `TIMEOUT`) and
 *   `details.outcome: 'unknown'`: retrying with the same `eventId` is safe and returns
 *   `DUPLICATE_EVENT` if the first attempt had landed;
 * - a key that is not a hash, or an incrBy target that is not an integer, is `CORRUPT_STATE` naming the key;
 * - a record with no fields does not exist (Redis has no empty hashes): `replace` with `{}` deletes it.
 *
 * @example
 * const store = createRedisStateStore({ url: 'redis://127.0.0.1:6379' }, { prefix: 'desk-a:' });
 * await store.apply({ eventId: fill.tradeId, ops: [{ op: 'incrBy', key: 'position:acc-1:SPX', field: 'qty', by: 5 }] });
 */
export function createRedisStateStore(
  connection: RedisConnection,
  options: RedisStateStoreOptions = {},
): StateStore {
  return openStateStore(connection, options, {});
}

/** {@link createRedisStateStore} with test hooks. Internal. */
export function openStateStore(
  connection: RedisConnection,
  options: RedisStateStoreOptions,
  internals: StateStoreInternals,
): StateStore {
  const parsed = parseOptions(OptionsSchema, options, 'RedisStateStore');
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const statePrefix = keys.state('');
  const unprefix = (redisKey: string): string =>
    redisKey.startsWith(statePrefix) ? redisKey.slice(statePrefix.length) : redisKey;
  const ttl = String(parsed.dedupeTtlSeconds ?? 7 * 24 * 3600);
  const conn = openConnection(connection, {
    component: 'RedisStateStore',
    askServerVersion: true,
    logger: parsed.logger ?? noopLogger,
  });
  // Unique per call: lets the script recognise its own earlier run of this very call (see APPLY_SCRIPT).
  const nonceBase = randomBytes(9).toString('base64url');
  let nonceCounter = 0;

  /**
   * Appends one apply's KEYS and ARGV to a script call (layouts documented in state-store-script.ts):
   * the upsert layout for an event id, no fence and one `set`, else the general one, whose record key
   * indexes count from the apply's own first key.
   */
  const append = (batch: StateBatch, scriptKeys: string[], args: string[]): void => {
    if (!batch.fence && batch.eventId !== undefined && batch.ops.length === 1) {
      const op = batch.ops[0] as StateOp;
      if (op.op === 'set') {
        let count = 0;
        for (const _ in op.fields) count++;
        if (count > 0 && count <= UPSERT_MAX_FIELDS) {
          scriptKeys.push(keys.event(batch.eventId), keys.state(op.key));
          args.push(String(-count), `${nonceBase}:${++nonceCounter}`);
          for (const field in op.fields) args.push(field, op.fields[field] as string);
          return;
        }
      }
    }
    const keyBase = scriptKeys.length;
    const header = args.length;
    let flags = 0;
    if (batch.fence) {
      flags |= HAS_FENCE;
      scriptKeys.push(keys.fence(batch.fence.resource));
    }
    if (batch.eventId !== undefined) {
      flags |= HAS_EVENT;
      scriptKeys.push(keys.event(batch.eventId));
    }
    const firstRecord = scriptKeys.length;
    args.push(
      '',
      '',
      '',
      batch.fence ? String(batch.fence.token) : '0',
      // Only an event marker stores the nonce.
      flags & HAS_EVENT ? `${nonceBase}:${++nonceCounter}` : '',
    );
    // Small batches (the usual case) find repeated keys by scanning; large ones use a map.
    const index = batch.ops.length > 8 ? new Map<string, number>() : undefined;
    const keyIndex = (key: string): number => {
      const redisKey = keys.state(key);
      let at = index ? index.get(redisKey) : scriptKeys.indexOf(redisKey, firstRecord) + 1 || undefined;
      if (at === undefined) {
        at = scriptKeys.push(redisKey);
        index?.set(redisKey, at);
      }
      return at - keyBase;
    };
    for (const op of batch.ops) {
      switch (op.op) {
        case 'set':
        case 'replace': {
          const countAt = args.push(op.op === 'set' ? 's' : 'r', String(keyIndex(op.key)), '') - 1;
          let count = 0;
          for (const field in op.fields) {
            args.push(field, op.fields[field] as string);
            count++;
          }
          args[countAt] = String(count);
          break;
        }
        case 'incrBy':
          flags |= HAS_INCR;
          args.push('i', String(keyIndex(op.key)), op.field, String(op.by));
          break;
        case 'delete':
          args.push('d', String(keyIndex(op.key)));
          break;
      }
    }
    args[header] = String(scriptKeys.length - keyBase);
    args[header + 1] = String(args.length - header - 5);
    args[header + 2] = String(flags);
  };

  const context = { operation: 'StateStore.apply', unprefix };
  /** One apply's reply: 'OK', 'DUP', 'STALE', or an error message for that apply alone. */
  const decode = (reply: unknown): ApplyResult => {
    if (reply === 'OK') return APPLIED;
    if (reply === 'DUP') return DUPLICATE;
    if (reply === 'STALE') return STALE;
    if (typeof reply === 'string') throw new Error(reply);
    throw new RxtradeError({
      code: 'ADAPTER_FAILURE',
      message: `StateStore.apply: unexpected script reply ${JSON.stringify(reply)}`,
    });
  };
  const spec: ScriptBatchSpec = {
    script: applyScriptPre7,
    scriptFor: internals.forcePre7Script ? pre7Only : scriptFor,
    header: [ttl, keys.stateIndex()],
    maxCalls: parsed.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    maxArgs: MAX_BATCH_ARGS,
    decode,
    context,
  };

  let indexReady = false;
  /**
   * Once per store: unless the index is marked complete, adds every record already in Redis (one SCAN
   * of the keyspace, then never again: the mark is kept in Redis), so data written before the index
   * existed is listed too. Writes meanwhile maintain the index themselves.
   */
  const backfillIndex = async (client: Redis): Promise<void> => {
    if ((await client.exists(keys.stateIndexReady())) === 1) {
      indexReady = true;
      return;
    }
    const match = `${escapeGlob(keys.state(''))}*`;
    let cursor = '0';
    let added = 0;
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
      if (batch.length > 0) {
        added += Number(await client.eval(INDEX_BACKFILL_SCRIPT, 0, keys.stateIndex(), ...batch));
      }
      cursor = next;
    } while (cursor !== '0');
    await client.set(keys.stateIndexReady(), '1');
    indexReady = true;
    if (added > 0)
      (parsed.logger ?? noopLogger).info({ added }, 'redis: state index built for existing records');
  };

  const store: StateStore = {
    async get(key) {
      const record = await conn.send<Record<string, string>>({ operation: 'StateStore.get', key }, (p) =>
        p.hgetall(keys.state(key)),
      );
      return Object.keys(record).length === 0 ? undefined : record;
    },

    async listPage(prefix, options) {
      conn.ensureOpen();
      const { after, limit } = parseListPage(prefix, options);
      return conn.run({ operation: 'StateStore.listPage', key: `${prefix}*` }, async (client) => {
        // See every apply issued before this call (they may still wait in the current batch).
        await conn.barrier();
        if (!indexReady) await backfillIndex(client);
        const min = after === undefined ? `[${keys.state(prefix)}` : `(${keys.state(after)}`;
        const max = Buffer.concat([Buffer.from(`(${keys.state(prefix)}`), AFTER_ALL]);
        const members = await client.zrangebylex(keys.stateIndex(), min, max, 'LIMIT', 0, limit);
        const entries: Array<readonly [string, StateRecord]> = [];
        if (members.length > 0) {
          const pipeline = client.pipeline();
          for (const redisKey of members) pipeline.hgetall(redisKey);
          const results = (await pipeline.exec()) ?? [];
          members.forEach((redisKey, i) => {
            const [error, record] = results[i] ?? [new Error('missing pipeline reply'), undefined];
            if (error)
              throw toRxtradeError(error, { operation: 'StateStore.listPage', key: unprefix(redisKey) });
            // Deleted between ZRANGEBYLEX and HGETALL: not there any more.
            const value = record as Record<string, string>;
            if (Object.keys(value).length > 0) entries.push([unprefix(redisKey), value]);
          });
        }
        const last = members[members.length - 1];
        return {
          entries,
          cursor:
            members.length === limit && last !== undefined ? encodeListCursor(unprefix(last)) : undefined,
        };
      });
    },

    list(prefix) {
      return listAll(store, prefix);
    },

    apply(batch) {
      try {
        conn.ensureOpen();
        assertValidBatch(batch);
      } catch (error) {
        return Promise.reject(error);
      }
      return conn.batchScript(spec, (scriptKeys, args) =>
        append(batch, scriptKeys, args),
      ) as Promise<ApplyResult>;
    },

    close() {
      return conn.close();
    },
  };
  return store;
}
