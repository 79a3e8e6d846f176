/** Capped exponential backoff with jitter. */
export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** 0–1: the share of each delay that is randomised, so replicas do not reconnect in lockstep. */
  readonly jitter: number;
}

/** Delay before attempt `attempt` (0-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** attempt);
  return Math.round(base * (1 - policy.jitter * Math.random()));
}

/** Resolves after `ms`; an unref'd timer, so a pending wait never keeps the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
