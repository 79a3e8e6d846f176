/**
 * One role's commits (journal the inputs, then publish what they caused), run one at a time in order,
 * with group commit: every {@link request} made while a commit runs is served by the single commit
 * that starts after it, which takes everything gathered by then. However often a role asks — once per
 * bar frame, once per pump — at most one commit runs and one waits, so a burst of inputs costs two
 * round trips, not one per input queued behind the others.
 *
 * A commit that fails fails every later one: a role drops the state behind it and rebuilds it from its
 * journal (an order desk), or makes the commit itself repeat until it goes through (a strategy).
 */
export class GroupCommit {
  readonly #commit: () => Promise<void>;
  #tail: Promise<void> = Promise.resolve();
  /** The commit asked for and not yet started: later requests share it. */
  #waiting: Promise<void> | undefined;

  /** `commit` takes what the role gathered when it runs (not when it was asked for). */
  constructor(commit: () => Promise<void>) {
    this.#commit = commit;
  }

  /** Resolves once a commit that started after this call has finished (rejects if it failed). */
  request(): Promise<void> {
    if (this.#waiting !== undefined) return this.#waiting;
    const next = this.#tail.then(() => {
      this.#waiting = undefined;
      return this.#commit();
    });
    this.#waiting = next;
    this.#tail = next;
    // Awaited by whoever needs it; until then a failure must not count as unhandled.
    next.catch(() => undefined);
    return next;
  }

  /** Resolves once every commit requested so far has finished (rejects if one failed). */
  settled(): Promise<void> {
    return this.#tail;
  }
}
