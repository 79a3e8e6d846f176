import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CredentialsError,
  createCredentialCipher,
  type EncryptedRecord,
  loadCredentialKeys,
} from './credentials';

const k1 = { kid: 'k1', key: randomBytes(32) };
const k2 = { kid: 'k2', key: randomBytes(32) };
const secret = { apiKey: 'AKIA-test', secret: 's3cr3t-canary-value' };

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as CredentialsError).reason;
  }
  return undefined;
}

function flipFirstByte(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0] = (bytes[0] as number) ^ 0x01;
  return bytes.toString('base64');
}

describe('credential cipher (AES-256-GCM)', () => {
  const cipher = createCredentialCipher({ currentKid: 'k1', keys: [k1] });

  it('round-trips and never stores the plaintext', () => {
    const record = cipher.encryptJson(secret, 'broker:a');
    expect(record).toMatchObject({ v: 1, kid: 'k1' });
    expect(JSON.stringify(record)).not.toContain('s3cr3t');
    expect(cipher.decryptJson(record, 'broker:a')).toEqual(secret);
    // a fresh IV every time
    expect(cipher.encryptJson(secret, 'broker:a').iv).not.toBe(record.iv);
  });

  it.each(['ct', 'tag', 'iv'] as const)('a flipped bit in %s is TAMPERED', (field) => {
    const record = cipher.encryptJson(secret);
    const tampered: EncryptedRecord = { ...record, [field]: flipFirstByte(record[field]) };
    expect(reasonOf(() => cipher.decrypt(tampered))).toBe('TAMPERED');
  });

  it('a record moved to another purpose (account) is TAMPERED', () => {
    const record = cipher.encryptJson(secret, 'broker:a');
    expect(reasonOf(() => cipher.decrypt(record, 'broker:b'))).toBe('TAMPERED');
  });

  it('an unknown kid is UNKNOWN_KID; a relabelled kid is TAMPERED', () => {
    const record = cipher.encryptJson(secret);
    expect(reasonOf(() => cipher.decrypt({ ...record, kid: 'k9' }))).toBe('UNKNOWN_KID');
    const both = createCredentialCipher({ currentKid: 'k1', keys: [k1, k2] });
    expect(reasonOf(() => both.decrypt({ ...record, kid: 'k2' }))).toBe('TAMPERED');
  });

  it('malformed records and other versions are refused with a typed error', () => {
    expect(reasonOf(() => cipher.decrypt({ nope: 1 }))).toBe('MALFORMED_RECORD');
    expect(reasonOf(() => cipher.decrypt('x'))).toBe('MALFORMED_RECORD');
    const record = cipher.encryptJson(secret);
    expect(reasonOf(() => cipher.decrypt({ ...record, extra: 1 }))).toBe('MALFORMED_RECORD');
    expect(reasonOf(() => cipher.decrypt({ ...record, v: 2 }))).toBe('UNSUPPORTED_VERSION');
  });

  it('rotates: old records decrypt, rotate() re-encrypts with the current key, old key can then go', () => {
    const old = createCredentialCipher({ currentKid: 'k1', keys: [k1] }).encryptJson(secret, 'p');
    const during = createCredentialCipher({ currentKid: 'k2', keys: [k2, k1] });
    expect(during.decryptJson(old, 'p')).toEqual(secret);
    expect(during.needsRotation(old)).toBe(true);
    const rotated = during.rotate(old, 'p');
    expect(rotated.kid).toBe('k2');
    expect(during.needsRotation(rotated)).toBe(false);
    expect(during.rotate(rotated, 'p')).toEqual(rotated);
    const after = createCredentialCipher({ currentKid: 'k2', keys: [k2] });
    expect(after.decryptJson(rotated, 'p')).toEqual(secret);
    expect(reasonOf(() => after.decrypt(old, 'p'))).toBe('UNKNOWN_KID');
    expect(reasonOf(() => during.rotate({ ...rotated, ct: flipFirstByte(rotated.ct) }, 'p'))).toBe(
      'TAMPERED',
    );
  });

  it('refuses bad keys', () => {
    expect(
      reasonOf(() =>
        createCredentialCipher({ currentKid: 'k1', keys: [{ kid: 'k1', key: randomBytes(16) }] }),
      ),
    ).toBe('BAD_KEY');
    expect(reasonOf(() => createCredentialCipher({ currentKid: 'k3', keys: [k1] }))).toBe('MISSING_KEY');
  });
});

describe('loadCredentialKeys', () => {
  it('fails clearly when no key is configured (never generates one)', () => {
    expect(() => loadCredentialKeys({})).toThrow(
      /MISSING_KEY: no credentials key: set RXTRADE_CREDENTIALS_KEY_FILE/,
    );
    expect(reasonOf(() => loadCredentialKeys({ RXTRADE_CREDENTIALS_KEY_FILE: '/nonexistent/key' }))).toBe(
      'MISSING_KEY',
    );
    expect(reasonOf(() => loadCredentialKeys({ RXTRADE_CREDENTIALS_KEY: 'c2hvcnQ=' }))).toBe('BAD_KEY');
  });

  it('reads the key from the env var or a file, plus retired keys', () => {
    const fromEnv = loadCredentialKeys({
      RXTRADE_CREDENTIALS_KEY: k2.key.toString('base64'),
      RXTRADE_CREDENTIALS_KID: 'k2',
      RXTRADE_CREDENTIALS_OLD_KEYS: `k1:${k1.key.toString('base64')}`,
    });
    expect(fromEnv.currentKid).toBe('k2');
    expect(fromEnv.keys.map((k) => k.kid)).toEqual(['k2', 'k1']);
    const dir = mkdtempSync(join(tmpdir(), 'rxtrade-cred-'));
    const file = join(dir, 'key');
    writeFileSync(file, `${k1.key.toString('base64')}\n`, { mode: 0o600 });
    const fromFile = loadCredentialKeys({ RXTRADE_CREDENTIALS_KEY_FILE: file });
    const cipher = createCredentialCipher(fromFile);
    const record = createCredentialCipher({ currentKid: 'k1', keys: [k1] }).encrypt('x');
    expect(cipher.decrypt(record)).toBe('x');
  });
});
