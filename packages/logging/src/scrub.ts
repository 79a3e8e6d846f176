import { stdSerializers } from 'pino';

/**
 * Key names whose values are secrets. A key matches when, lower-cased and stripped of everything but
 * letters and digits, it ends with one of these (also stripped): `apiKey`, `api_key`, `X-API-KEY`,
 * `binanceApiKey` all match `apiKey`; `webhookSecret` matches `secret`. Matching is by key name at any
 * depth, so `headers.authorization`, `credentials.*`, `*.apiKey` and `*.secret` are all covered.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'apiKey',
  'secret',
  'secretKey',
  'password',
  'passwd',
  'passphrase',
  'token',
  'authorization',
  'cookie',
  'credentials',
  'privateKey',
  'mnemonic',
  'seedPhrase',
];

/** The value written in place of a secret. */
export const DEFAULT_CENSOR = '[REDACTED]';

/** Objects nested deeper than this are written as `[Truncated]`: deeper secrets could not be checked. */
export const MAX_SCRUB_DEPTH = 12;

const normalize = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Replaces the values of secret-named keys, at any depth, without mutating what it is given. */
export interface Scrubber {
  /** Returns `value` itself when it holds no secret key, else a copy with those values censored. */
  scrub(value: unknown): unknown;
}

/**
 * Builds a copy-on-write scrubber: objects without a secret key are returned as they are, so a clean
 * log line costs one walk and no allocation. Errors become pino's serialized form first (type,
 * message, stack, own fields), so their fields are checked too.
 */
export function createScrubber(options: { keys: readonly string[]; censor: string }): Scrubber {
  const suffixes = options.keys.map(normalize).filter((k) => k.length > 0);
  const { censor } = options;
  // Key names repeat from line to line; remember the verdict (bounded, so hostile keys cannot grow it).
  const verdicts = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      const n = normalize(key);
      verdict = suffixes.some((s) => n.endsWith(s));
      if (verdicts.size < 10_000) verdicts.set(key, verdict);
    }
    return verdict;
  };

  const walk = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (ancestors.has(value)) return '[Circular]';
    if (depth > MAX_SCRUB_DEPTH) return '[Truncated]';
    if (value instanceof Error) {
      // The serialized error is a fresh object: scrub it as such (its `raw` field is not enumerable).
      return walk({ ...stdSerializers.err(value) }, depth, ancestors);
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(value);
      return json === value ? json : walk(json, depth, ancestors);
    }
    ancestors.add(value);
    try {
      if (Array.isArray(value)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const next = walk(item, depth + 1, ancestors);
          if (next !== item) {
            out ??= value.slice();
            out[i] = next;
          }
        }
        return out ?? value;
      }
      if (value instanceof Map || value instanceof Set) return value;
      let out: Record<string, unknown> | undefined;
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        const next = isSecretKey(key)
          ? item === undefined
            ? item
            : censor
          : walk(item, depth + 1, ancestors);
        if (next !== item) {
          out ??= { ...record };
          out[key] = next;
        }
      }
      return out ?? value;
    } finally {
      ancestors.delete(value);
    }
  };

  return { scrub: (value) => walk(value, 0, new Set()) };
}

/**
 * Censors known secret values wherever they appear in a serialized line, message and stack included.
 * Replaces both the raw and the JSON-escaped spelling.
 */
export function createValueCensor(values: readonly string[], censor: string): (line: string) => string {
  const needles = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))];
  if (needles.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const needle of needles) {
      if (out.includes(needle)) out = out.replaceAll(needle, censor);
    }
    return out;
  };
}
