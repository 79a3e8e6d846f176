import type { TradingState } from '../engine/types';
import { RxtradeError } from '../errors';
import type { Clock } from '../ports/clock';

/**
 * One party's restriction on trading: who placed it, why, since when, and what it still allows —
 * `REDUCING` (only orders that shrink a position) or `HALTED` (nothing but cancels). Plain data, so
 * holds can be stored and sent between processes.
 */
export interface TradingHold {
  /** Who placed it, e.g. `kill-switch`, `equity-guard`, `reconciler`, `operator`. Only it releases the hold. */
  readonly owner: string;
  /** The account it restricts; undefined for every account. */
  readonly accountId: string | undefined;
  readonly state: Exclude<TradingState, 'ACTIVE'>;
  readonly reason: string;
  /** When it was placed (or last changed), epoch ms by the holder's clock. */
  readonly since: number;
}

/** A change of one scope's trading state: the state and reason in force there after a hold changed. */
export interface TradingHoldChange {
  /** The scope: an account, or undefined for the engine-wide scope. */
  readonly accountId: string | undefined;
  /** The scope's own state (its holds only; an account's effective state also counts engine-wide holds). */
  readonly state: TradingState;
  readonly reason: string;
  readonly tsEvent: number;
}

const RANK = { ACTIVE: 0, REDUCING: 1, HALTED: 2 } as const;

interface Scope {
  readonly accountId: string | undefined;
  readonly holds: Map<string, TradingHold>;
  /** Derived from `holds`: the strictest state, and the hold that sets it (the latest of equals). */
  state: TradingState;
  top: TradingHold | undefined;
  /** Reason last reported for the scope (kept after its last hold is released). */
  reason: string;
  ts: number;
}

/**
 * The trading state as a set of holds. Every party that restricts trading (a kill switch, an equity
 * guard, reconciliation, an operator, a fleet's risk service) places its own hold and releases only
 * its own, so one party's release can never lift another's restriction: a daily-loss guard resuming
 * at midnight leaves an operator's halt in force. The state in force for an account is derived: the
 * strictest hold on that account or on every account, ACTIVE when there is none.
 *
 * Synchronous and cheap to read: `state(accountId)` is one comparison while nothing is held.
 *
 * @example
 * const holds = new TradingHolds({ clock });
 * holds.place({ owner: 'operator', state: 'HALTED', reason: 'venue outage' });
 * holds.place({ owner: 'equity-guard', accountId: 'a', state: 'REDUCING', reason: 'MAX_DRAWDOWN' });
 * holds.state('a'); // 'HALTED'
 * holds.release({ owner: 'operator' });
 * holds.state('a'); // 'REDUCING': the guard's hold stays until the guard releases it
 */
export class TradingHolds {
  readonly #clock: Clock;
  readonly #scopes = new Map<string | undefined, Scope>();
  #count = 0;
  #listeners: readonly ((change: TradingHoldChange) => void)[] = [];

  constructor(options: { readonly clock: Clock }) {
    this.#clock = options.clock;
    this.#scope(undefined, 'initial');
  }

  /**
   * Places `owner`'s hold on a scope, or changes it (one hold per owner and scope). Reports the
   * scope's state afterwards to every listener, with this hold's reason.
   */
  place(hold: {
    readonly owner: string;
    readonly state: Exclude<TradingState, 'ACTIVE'>;
    readonly reason: string;
    readonly accountId?: string | undefined;
  }): TradingHold {
    if (hold.state !== 'REDUCING' && hold.state !== 'HALTED') {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `a hold is REDUCING or HALTED, got ${String(hold.state)}; release the hold to trade again`,
      });
    }
    const ts = this.#clock.now();
    const placed: TradingHold = {
      owner: hold.owner,
      accountId: hold.accountId,
      state: hold.state,
      reason: hold.reason,
      since: ts,
    };
    const scope = this.#scope(hold.accountId, hold.reason);
    if (!scope.holds.has(hold.owner)) this.#count++;
    // Re-inserted: the latest placed hold is last, and wins among equally strict ones.
    scope.holds.delete(hold.owner);
    scope.holds.set(hold.owner, placed);
    this.#derive(scope);
    this.#report(scope, hold.reason);
    return placed;
  }

  /**
   * Releases `owner`'s hold on a scope. False (and nothing reported) when it holds none there.
   * `reason` is reported when the scope is free afterwards; otherwise the remaining hold's reason is.
   */
  release(options: {
    readonly owner: string;
    readonly accountId?: string | undefined;
    readonly reason?: string;
  }): boolean {
    const scope = this.#scopes.get(options.accountId);
    if (scope === undefined || !scope.holds.delete(options.owner)) return false;
    this.#count--;
    this.#derive(scope);
    this.#report(scope, options.reason ?? `released by ${options.owner}`);
    return true;
  }

  /**
   * Releases every hold on one scope, whoever placed it: the operator's resume (`setTradingState('ACTIVE')`),
   * never a part's. Reports the scope ACTIVE with `reason`.
   */
  releaseAll(options: { readonly accountId?: string | undefined; readonly reason: string }): void {
    const scope = this.#scope(options.accountId, options.reason);
    this.#count -= scope.holds.size;
    scope.holds.clear();
    this.#derive(scope);
    this.#report(scope, options.reason);
  }

  /** The state in force for an account (its holds and the engine-wide ones), or engine-wide. */
  state(accountId?: string): TradingState {
    if (this.#count === 0) return 'ACTIVE';
    const global = (this.#scopes.get(undefined) as Scope).state;
    if (accountId === undefined) return global;
    const own = this.#scopes.get(accountId)?.state;
    return own !== undefined && RANK[own] > RANK[global] ? own : global;
  }

  /** Why trading is restricted for an account (the hold that sets its state; its own on a tie). */
  reason(accountId?: string): string {
    const global = this.#scopes.get(undefined) as Scope;
    const own = accountId === undefined ? undefined : this.#scopes.get(accountId);
    if (own !== undefined && own.state !== 'ACTIVE' && RANK[own.state] >= RANK[global.state]) {
      return (own.top as TradingHold).reason;
    }
    return global.top?.reason ?? global.reason;
  }

  /** Every hold in force, oldest scope first. */
  list(): TradingHold[] {
    const out: TradingHold[] = [];
    for (const scope of this.#scopes.values()) out.push(...scope.holds.values());
    return out;
  }

  /**
   * Each scope's own state and reason: the engine-wide one first, then every account that ever had
   * a hold (the replay of `riskState$`).
   */
  scopes(): TradingHoldChange[] {
    const out: TradingHoldChange[] = [];
    for (const [accountId, scope] of this.#scopes) {
      out.push({
        accountId,
        state: scope.state,
        reason: scope.top?.reason ?? scope.reason,
        tsEvent: scope.ts,
      });
    }
    return out;
  }

  /** Calls `listener` after every change, synchronously. Returns its remover. */
  onChange(listener: (change: TradingHoldChange) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  #scope(accountId: string | undefined, reason: string): Scope {
    let scope = this.#scopes.get(accountId);
    if (scope === undefined) {
      scope = { accountId, holds: new Map(), state: 'ACTIVE', top: undefined, reason, ts: this.#clock.now() };
      this.#scopes.set(accountId, scope);
    }
    return scope;
  }

  #derive(scope: Scope): void {
    let top: TradingHold | undefined;
    for (const hold of scope.holds.values())
      if (top === undefined || RANK[hold.state] >= RANK[top.state]) top = hold;
    scope.top = top;
    scope.state = top?.state ?? 'ACTIVE';
  }

  #report(scope: Scope, reason: string): void {
    const ts = this.#clock.now();
    // A hold placed below a stricter one, or released beside one: the stricter hold's reason stands.
    const change: TradingHoldChange = {
      accountId: scope.accountId,
      state: scope.state,
      reason: scope.top?.reason ?? reason,
      tsEvent: ts,
    };
    scope.reason = change.reason;
    scope.ts = ts;
    for (const listener of this.#listeners) listener(change);
  }
}
