import { createHash, randomBytes } from 'node:crypto';

/**
 * Short-lived, single-use tokens that let an `EventSource` (which cannot send headers) open the SSE
 * stream without putting the API key in a URL. Held in memory with the hash of the token as the map
 * key: a token is only valid on the replica that minted it (use sticky sessions for `/api/stream*`
 * behind a load balancer, or a shared store).
 */
export interface StreamTokens {
  mint(keyId: string): { readonly token: string; readonly expiresInMs: number };
  /** The key id, once: the token is consumed. Undefined when unknown, used or expired. */
  redeem(token: string): string | undefined;
}

/** Options of {@link createStreamTokens}. */
export interface StreamTokensOptions {
  /** Default 30 s. */
  readonly ttlMs?: number;
  /** Most outstanding tokens; the oldest go first. Default 10,000. */
  readonly max?: number;
  readonly now?: () => number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/** See {@link StreamTokens}. */
export function createStreamTokens(options: StreamTokensOptions = {}): StreamTokens {
  const ttlMs = options.ttlMs ?? 30_000;
  const max = options.max ?? 10_000;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, { keyId: string; expires: number }>();
  return {
    mint(keyId) {
      if (tokens.size >= max) tokens.delete(tokens.keys().next().value as string);
      const token = randomBytes(32).toString('base64url');
      tokens.set(digest(token), { keyId, expires: now() + ttlMs });
      return { token, expiresInMs: ttlMs };
    },
    redeem(token) {
      const key = digest(token);
      const entry = tokens.get(key);
      if (entry === undefined) return undefined;
      tokens.delete(key);
      return entry.expires > now() ? entry.keyId : undefined;
    },
  };
}
