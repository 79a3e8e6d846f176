import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** What a key may do. Scopes are not hierarchical: a key gets exactly the scopes it lists. */
export type Scope = 'read' | 'trade' | 'admin';

/** A stored API key: never the key itself, only the SHA-256 of it (hex). */
export interface ApiKeyRecord {
  /** Public, non-secret id (also the key's prefix), for O(1) lookup, logs and rate-limit buckets. */
  readonly id: string;
  /** Hex SHA-256 of the whole plaintext key. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  /** Accounts the key may see and trade; `'*'` for all. */
  readonly accounts: readonly string[] | '*';
  readonly label?: string;
}

/** Validates records read from storage (a boundary like any other). */
export const ApiKeyRecordSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  scopes: z.array(z.enum(['read', 'trade', 'admin'])).max(3),
  accounts: z.union([z.literal('*'), z.array(z.string().min(1).max(64)).max(1_000)]),
  label: z.string().max(200).optional(),
});

/** Parses a stored or configured key record (e.g. a bootstrap record from the environment); throws if invalid. */
export function parseApiKeyRecord(value: unknown): ApiKeyRecord {
  return ApiKeyRecordSchema.parse(value) as ApiKeyRecord;
}

/** Where key records live. Implementations: {@link createMemoryKeyStore}, {@link createRedisKeyStore}. */
export interface ApiKeyStore {
  get(id: string): Promise<ApiKeyRecord | undefined>;
  put(record: ApiKeyRecord): Promise<void>;
  /** Revokes a key. True if it existed. */
  delete(id: string): Promise<boolean>;
}

const KEY_PATTERN = /^rxk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 of a presented key, as a 32-byte buffer. */
export function hashApiKey(plaintext: string): Buffer {
  return createHash('sha256').update(plaintext, 'utf8').digest();
}

/** Options of {@link mintApiKey}. */
export interface MintApiKeyOptions {
  readonly scopes: readonly Scope[];
  readonly accounts: readonly string[] | '*';
  readonly label?: string;
}

/**
 * Creates a key: `rxk_<16 hex id>_<43 base64url chars = 256 random bits>`. Returns the plaintext,
 * to show once, and the record to store (which holds only its hash). The `rxk_` prefix lets secret
 * scanners recognise leaked keys.
 */
export function mintApiKey(options: MintApiKeyOptions): {
  readonly key: string;
  readonly record: ApiKeyRecord;
} {
  const id = randomBytes(8).toString('hex');
  const key = `rxk_${id}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id,
    hash: hashApiKey(key).toString('hex'),
    scopes: [...options.scopes],
    accounts: options.accounts === '*' ? '*' : [...options.accounts],
    ...(options.label === undefined ? {} : { label: options.label }),
  };
  return { key, record };
}

const DUMMY_HASH = hashApiKey('rxk_0000000000000000_dummy-digest-for-constant-work');

/**
 * Checks a presented key: parses out the id, loads the record, compares SHA-256 digests with
 * `timingSafeEqual` (always 32 bytes against 32 bytes, so it never throws and length never leaks).
 * A malformed or unknown key still hashes and compares against a dummy digest. Undefined when the
 * key is not valid, for whatever reason: the caller answers one identical 401.
 */
export async function verifyApiKey(store: ApiKeyStore, presented: string): Promise<ApiKeyRecord | undefined> {
  const digest = hashApiKey(presented);
  const match = KEY_PATTERN.exec(presented);
  const record = match ? await store.get(match[1] as string) : undefined;
  const expected = record ? Buffer.from(record.hash, 'hex') : DUMMY_HASH;
  const equal = expected.length === digest.length && timingSafeEqual(expected, digest);
  return equal && record !== undefined ? record : undefined;
}

/** An in-memory key store, for tests and single-process use. */
export function createMemoryKeyStore(records: readonly ApiKeyRecord[] = []): ApiKeyStore {
  const map = new Map<string, ApiKeyRecord>(records.map((r) => [r.id, r]));
  return {
    get: async (id) => map.get(id),
    put: async (record) => {
      map.set(record.id, ApiKeyRecordSchema.parse(record) as ApiKeyRecord);
    },
    delete: async (id) => map.delete(id),
  };
}

/** Options of {@link createRedisKeyStore}. */
export interface RedisKeyStoreOptions {
  readonly client: Redis;
  /** Key prefix. Default `rxtrade:gateway:`. Records are at `<prefix>apikey:<id>`. */
  readonly prefix?: string;
}

/**
 * Key records in Redis (one JSON string per key), shared by every gateway replica. Records are
 * validated when read; a corrupt record is treated as absent (the key is refused), never trusted.
 */
export function createRedisKeyStore(options: RedisKeyStoreOptions): ApiKeyStore {
  const { client } = options;
  const prefix = options.prefix ?? 'rxtrade:gateway:';
  const redisKey = (id: string) => `${prefix}apikey:${id}`;
  return {
    async get(id) {
      const text = await client.get(redisKey(id));
      if (text === null) return undefined;
      try {
        const parsed = ApiKeyRecordSchema.safeParse(JSON.parse(text));
        return parsed.success ? (parsed.data as ApiKeyRecord) : undefined;
      } catch {
        return undefined;
      }
    },
    async put(record) {
      await client.set(redisKey(record.id), JSON.stringify(ApiKeyRecordSchema.parse(record)));
    },
    async delete(id) {
      return (await client.del(redisKey(id))) === 1;
    },
  };
}
