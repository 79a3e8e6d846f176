import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RxtradeError, type RxtradeErrorCode } from '@rxtrade/core';
import { z } from 'zod';

/** Why a credential operation failed; stable, for branching and for tests. */
export type CredentialsErrorReason =
  | 'MISSING_KEY'
  | 'BAD_KEY'
  | 'UNKNOWN_KID'
  | 'MALFORMED_RECORD'
  | 'TAMPERED'
  | 'UNSUPPORTED_VERSION';

const CODE_OF: Readonly<Record<CredentialsErrorReason, RxtradeErrorCode>> = {
  MISSING_KEY: 'INVALID_CONFIG',
  BAD_KEY: 'INVALID_CONFIG',
  UNKNOWN_KID: 'INVALID_CONFIG',
  MALFORMED_RECORD: 'INVALID_MESSAGE',
  TAMPERED: 'INVALID_MESSAGE',
  UNSUPPORTED_VERSION: 'INVALID_MESSAGE',
};

/**
 * The one error of this module: an {@link RxtradeError} (code `INVALID_CONFIG` for key problems,
 * `INVALID_MESSAGE` for record problems) with a precise `reason`. Messages never contain key
 * material or plaintext.
 */
export class CredentialsError extends RxtradeError {
  readonly reason: CredentialsErrorReason;
  constructor(reason: CredentialsErrorReason, message: string) {
    super({ code: CODE_OF[reason], message: `${reason}: ${message}`, details: { reason } });
    this.reason = reason;
  }
}

/** Version of the record format; bump when the envelope changes. */
export const CREDENTIALS_RECORD_VERSION = 1;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/**
 * An encrypted credential at rest: AES-256-GCM with a 12-byte random IV and a 16-byte tag, all
 * base64. `kid` names the key that encrypted it, so old records still open after a rotation. The
 * version, kid and purpose are bound into the tag as additional authenticated data: moving a
 * record to another kid or purpose fails authentication.
 */
export const EncryptedRecordSchema = z.strictObject({
  v: z.literal(CREDENTIALS_RECORD_VERSION),
  kid: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  iv: b64.length(16),
  tag: b64.length(24),
  ct: b64.max(1_000_000),
});

/** See {@link EncryptedRecordSchema}. */
export type EncryptedRecord = z.infer<typeof EncryptedRecordSchema>;

/** One data-encryption key: 32 bytes and its id. */
export interface CredentialKey {
  readonly kid: string;
  readonly key: Buffer;
}

/** Options of {@link createCredentialCipher}. */
export interface CredentialCipherOptions {
  /** Key used to encrypt; must be one of `keys`. */
  readonly currentKid: string;
  /** Every key that may still decrypt (current and retired ones not yet rotated away). */
  readonly keys: readonly CredentialKey[];
}

/** Encrypts and decrypts credentials; see {@link createCredentialCipher}. */
export interface CredentialCipher {
  readonly currentKid: string;
  /** Encrypts a UTF-8 string (e.g. a JSON of API key + secret) with the current key. */
  encrypt(plaintext: string, purpose?: string): EncryptedRecord;
  /** Decrypts with the record's key; throws {@link CredentialsError} on any problem. */
  decrypt(record: unknown, purpose?: string): string;
  encryptJson(value: unknown, purpose?: string): EncryptedRecord;
  decryptJson(record: unknown, purpose?: string): unknown;
  /** Re-encrypts with the current key (a fresh IV); returns the record unchanged if already current. */
  rotate(record: unknown, purpose?: string): EncryptedRecord;
  /** True when the record was encrypted with a key other than the current one. */
  needsRotation(record: EncryptedRecord): boolean;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function aad(kid: string, purpose: string): Buffer {
  return Buffer.from(`rxtrade-credentials|v${CREDENTIALS_RECORD_VERSION}|${kid}|${purpose}`, 'utf8');
}

function checkKey(kid: string, key: Buffer): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) throw new CredentialsError('BAD_KEY', `invalid key id "${kid}"`);
  if (key.length !== 32) {
    throw new CredentialsError('BAD_KEY', `key ${kid} must be 32 bytes, got ${key.length}`);
  }
}

/**
 * Authenticated encryption of broker credentials (AES-256-GCM, OWASP's first choice) with a key id per
 * record and rotation: decrypt with any known key, encrypt with the current one, `rotate(record)`
 * re-encrypts old records. The optional `purpose` (e.g. `broker:acct-1`) is bound into the tag so a
 * record cannot be swapped between accounts unnoticed.
 *
 * @example
 * const cipher = createCredentialCipher(loadCredentialKeys(process.env));
 * const record = cipher.encryptJson({ apiKey, secret }, 'broker:acct-1');
 */
export function createCredentialCipher(options: CredentialCipherOptions): CredentialCipher {
  const keys = new Map<string, Buffer>();
  for (const { kid, key } of options.keys) {
    checkKey(kid, key);
    if (keys.has(kid)) throw new CredentialsError('BAD_KEY', `key id ${kid} is given twice`);
    keys.set(kid, Buffer.from(key));
  }
  const currentKid = options.currentKid;
  if (!keys.has(currentKid)) {
    throw new CredentialsError('MISSING_KEY', `the current key id ${currentKid} is not among the keys`);
  }

  const encrypt = (plaintext: string, purpose = ''): EncryptedRecord => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, keys.get(currentKid) as Buffer, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(aad(currentKid, purpose));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: CREDENTIALS_RECORD_VERSION,
      kid: currentKid,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  };

  const parse = (record: unknown): EncryptedRecord => {
    if (
      typeof record === 'object' &&
      record !== null &&
      'v' in record &&
      record.v !== CREDENTIALS_RECORD_VERSION
    ) {
      throw new CredentialsError(
        'UNSUPPORTED_VERSION',
        `record version ${String(record.v)} is not supported`,
      );
    }
    const parsed = EncryptedRecordSchema.safeParse(record);
    if (!parsed.success)
      throw new CredentialsError('MALFORMED_RECORD', 'not an encrypted credentials record');
    return parsed.data;
  };

  const decrypt = (input: unknown, purpose = ''): string => {
    const record = parse(input);
    const key = keys.get(record.kid);
    if (key === undefined) {
      throw new CredentialsError('UNKNOWN_KID', `no key with id ${record.kid} is configured`);
    }
    const iv = Buffer.from(record.iv, 'base64');
    const tag = Buffer.from(record.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new CredentialsError('MALFORMED_RECORD', 'iv or tag has the wrong length');
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(record.kid, purpose));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(record.ct, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new CredentialsError(
        'TAMPERED',
        'authentication failed: the record was altered or the key is wrong',
      );
    }
  };

  return {
    currentKid,
    encrypt,
    decrypt,
    encryptJson: (value, purpose) => encrypt(JSON.stringify(value), purpose),
    decryptJson: (record, purpose) => JSON.parse(decrypt(record, purpose)) as unknown,
    rotate(input, purpose) {
      const record = parse(input);
      if (record.kid === currentKid) {
        decrypt(record, purpose); // still authenticate: never pass a tampered record on as current
        return record;
      }
      return encrypt(decrypt(record, purpose), purpose);
    },
    needsRotation: (record) => record.kid !== currentKid,
  };
}

/** Decodes a base64 key and checks it is exactly 32 bytes. */
export function decodeKey(kid: string, base64: string): CredentialKey {
  const text = base64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new CredentialsError('BAD_KEY', `key ${kid} is not base64`);
  }
  const key = Buffer.from(text, 'base64');
  checkKey(kid, key);
  return { kid, key };
}

/** Where {@link loadCredentialKeys} looks; the defaults are the `RXTRADE_CREDENTIALS_*` variables. */
export interface LoadCredentialKeysOptions {
  /** Default `RXTRADE_CREDENTIALS_KEY` (base64 of 32 bytes). */
  readonly keyVar?: string;
  /** Default `RXTRADE_CREDENTIALS_KEY_FILE` (a file holding the base64 key; preferred over the env var). */
  readonly keyFileVar?: string;
  /** Default `RXTRADE_CREDENTIALS_KID` (id of the current key); default kid `k1`. */
  readonly kidVar?: string;
  /**
   * Default `RXTRADE_CREDENTIALS_OLD_KEYS`: retired keys still allowed to decrypt, as
   * `kid:base64,kid:base64`.
   */
  readonly oldKeysVar?: string;
}

/**
 * Loads the keys from the environment: the current key from a file (`RXTRADE_CREDENTIALS_KEY_FILE`,
 * preferred: OWASP advises against keys in env vars, which leak via /proc/<pid>/environ) or the
 * env var `RXTRADE_CREDENTIALS_KEY`, plus retired keys for rotation. A missing key is an error
 * with a clear message: a key is never generated at start, since data encrypted with it would be lost
 * at the next restart.
 */
export function loadCredentialKeys(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadCredentialKeysOptions = {},
): CredentialCipherOptions {
  const keyVar = options.keyVar ?? 'RXTRADE_CREDENTIALS_KEY';
  const keyFileVar = options.keyFileVar ?? 'RXTRADE_CREDENTIALS_KEY_FILE';
  const kidVar = options.kidVar ?? 'RXTRADE_CREDENTIALS_KID';
  const oldKeysVar = options.oldKeysVar ?? 'RXTRADE_CREDENTIALS_OLD_KEYS';
  const kid = env[kidVar] ?? 'k1';
  const file = env[keyFileVar];
  let base64: string | undefined;
  if (file !== undefined && file !== '') {
    try {
      base64 = readFileSync(file, 'utf8');
    } catch (error) {
      const why = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      throw new CredentialsError('MISSING_KEY', `cannot read the key file named by ${keyFileVar} (${why})`);
    }
  } else {
    base64 = env[keyVar];
  }
  if (base64 === undefined || base64.trim() === '') {
    throw new CredentialsError(
      'MISSING_KEY',
      `no credentials key: set ${keyFileVar} to a file holding a base64 32-byte key (or ${keyVar}); ` +
        'generate one with `openssl rand -base64 32`',
    );
  }
  const keys = [decodeKey(kid, base64)];
  for (const entry of (env[oldKeysVar] ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf(':');
    if (at <= 0) throw new CredentialsError('BAD_KEY', `${oldKeysVar} entries are kid:base64`);
    keys.push(decodeKey(entry.slice(0, at).trim(), entry.slice(at + 1)));
  }
  return { currentKid: kid, keys };
}
