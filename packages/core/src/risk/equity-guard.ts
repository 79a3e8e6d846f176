import { type Observable, Subject, type Subscription } from 'rxjs';
import { z } from 'zod';
import type { AccountBook } from '../account/account-book';
import type { TradingEngine } from '../engine/trading-engine';
import { RxtradeError } from '../errors';
import { fromUnits, pow10 } from '../model/decimal';
import { isOpen } from '../model/order';
import { type KillSwitchOptions, killSwitch, LateFills } from './kill-switch';
import type { RiskMonitor } from './risk-monitor';

const DAY_MS = 86_400_000;
const fraction = z.number().refine((n) => n > 0 && n <= 1, 'must be a fraction in (0, 1]');
const positive = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');

/** Equity limits that halt trading when crossed. Each is off unless set. */
export const HaltLimitsSchema = z.strictObject({
  /** Halt when equity is more than this fraction below its running peak (0.2 = 20 %). */
  maxDrawdown: fraction.optional(),
  /** Halt when equity is more than this amount (account currency) below the UTC day's starting equity. */
  maxDailyLoss: positive.optional(),
  /** The same as a fraction of the day's starting equity (0.03 = 3 %). */
  maxDailyLossPct: fraction.optional(),
});

export type HaltLimits = z.input<typeof HaltLimitsSchema>;

/** Owner of the trading holds an equity guard places (the engine's, or the fleet risk role's). */
export const EQUITY_GUARD_OWNER = 'equity-guard';
const EQUITY_GUARD = EQUITY_GUARD_OWNER;

/** Options of {@link createEquityGuard}. */
export const EquityGuardOptionsSchema = z.strictObject({
  /** Limits per account id. */
  accounts: z.record(z.string(), HaltLimitsSchema).optional(),
  /** Limits on the sum of every account's equity (one currency); a breach halts the whole engine. */
  total: HaltLimitsSchema.optional(),
  /** On a breach, also close the positions (see `killSwitch`). Default false: cancel and halt only. */
  flatten: z.boolean().optional(),
  /**
   * After a daily-loss halt, release the guard's hold at the scope's first update of a later UTC day
   * (holds others placed stay). Default false: every halt holds until an operator calls
   * `setTradingState('ACTIVE', …)`.
   */
  resumeNextDay: z.boolean().optional(),
});

export type EquityGuardOptions = z.input<typeof EquityGuardOptionsSchema>;

/** A crossed equity limit. The scope was halted (and maybe flattened) before this was emitted. */
export interface EquityBreach {
  readonly type: 'EquityBreach';
  /** The account, or undefined for the sum of all accounts. */
  readonly accountId: string | undefined;
  readonly reason: 'MAX_DRAWDOWN' | 'MAX_DAILY_LOSS';
  /** `MAX_DAILY_LOSS: 1,250 > 1,000 (account a)`: the numbers that failed. */
  readonly message: string;
  readonly equity: number;
  /** The running peak (drawdown) or the day's starting equity (daily loss). */
  readonly reference: number;
  readonly tsEvent: number;
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 4 });
const money = (units: number, precision: number): string => fmt(fromUnits(units, precision));

/** A scope's state as {@link EquityGuard.status} reports it (account currency). */
export interface EquityWatchStatus {
  readonly accountId: string | undefined;
  readonly equity: number;
  readonly peak: number;
  readonly dayStart: number;
  readonly halted: EquityBreach['reason'] | undefined;
}

/** What one equity update did to an {@link EquityWatch}. */
export interface EquityWatchUpdate {
  /** The limit this update crossed (the watch is latched until rearmed); undefined when none. */
  readonly breach: EquityBreach | undefined;
  /** A new UTC day cleared a daily-loss latch (`resumeNextDay`): the scope's halt may be lifted. */
  readonly released: boolean;
}

const NOTHING: EquityWatchUpdate = { breach: undefined, released: false };

/**
 * One scope's equity limits (an account, or the sum of accounts), as plain state: fed each equity
 * update, it says which limit was crossed. It does nothing itself: {@link EquityGuard} halts the
 * engine on a breach, and the fleet's risk role halts the account desk that owns the watch. Equity
 * is in minor units of the scope's currency; the day is the UTC day of the update's time.
 *
 * @example
 * const watch = new EquityWatch({ maxDailyLoss: 1_000 }, { accountId: 'a', precision: 2, equityUnits: 10_000_000, ts: 0 });
 * watch.update(9_880_000, Date.UTC(2024, 0, 2)).breach; // MAX_DAILY_LOSS: 1,200 > 1,000 …
 */
export class EquityWatch {
  readonly accountId: string | undefined;
  readonly #label: string;
  /** Decimals of the currency's minor unit. */
  readonly precision: number;
  readonly #maxDrawdown: number | undefined;
  readonly #maxDailyLossUnits: number | undefined;
  readonly #maxDailyLossPct: number | undefined;
  readonly #resumeNextDay: boolean;
  #peak: number;
  #dayStart: number;
  #last: number;
  #day: number;
  #halted: EquityBreach['reason'] | undefined;

  constructor(
    limits: HaltLimits,
    at: {
      readonly accountId: string | undefined;
      readonly precision: number;
      readonly equityUnits: number;
      /** When the watch starts: its UTC day is the first day's. */
      readonly ts: number;
      /** See `EquityGuardOptions.resumeNextDay`. Default false. */
      readonly resumeNextDay?: boolean;
    },
  ) {
    const parsed = HaltLimitsSchema.safeParse(limits);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid halt limits: ${z.prettifyError(parsed.error)}`,
        cause: parsed.error,
      });
    }
    const { maxDrawdown, maxDailyLoss, maxDailyLossPct } = parsed.data;
    this.accountId = at.accountId;
    this.#label = at.accountId === undefined ? 'all accounts' : `account ${at.accountId}`;
    this.precision = at.precision;
    this.#maxDrawdown = maxDrawdown;
    this.#maxDailyLossUnits =
      maxDailyLoss === undefined ? undefined : Math.round(maxDailyLoss * pow10(at.precision));
    this.#maxDailyLossPct = maxDailyLossPct;
    this.#resumeNextDay = at.resumeNextDay ?? false;
    this.#peak = at.equityUnits;
    this.#dayStart = at.equityUnits;
    this.#last = at.equityUnits;
    this.#day = Math.floor(at.ts / DAY_MS);
    this.#halted = undefined;
  }

  /** The last equity seen, minor units. */
  get last(): number {
    return this.#last;
  }

  /** `account a` or `all accounts`: how messages name the scope. */
  get label(): string {
    return this.#label;
  }

  /** Feeds one equity update (minor units) at `ts`. */
  update(equity: number, ts: number): EquityWatchUpdate {
    const precision = this.precision;
    const day = Math.floor(ts / DAY_MS);
    let released = false;
    if (day !== this.#day) {
      this.#dayStart = this.#last;
      this.#day = day;
      if (this.#halted === 'MAX_DAILY_LOSS' && this.#resumeNextDay) {
        this.#halted = undefined;
        released = true;
      }
    }
    this.#last = equity;
    if (equity > this.#peak) this.#peak = equity;
    if (this.#halted !== undefined) return released ? { breach: undefined, released } : NOTHING;
    let breach: EquityBreach | undefined;
    if (this.#maxDrawdown !== undefined && this.#peak > 0) {
      const drawdown = (this.#peak - equity) / this.#peak;
      if (drawdown > this.#maxDrawdown) {
        breach = this.#breach(
          'MAX_DRAWDOWN',
          `${fmt(drawdown * 100)} % > ${fmt(this.#maxDrawdown * 100)} % (peak ${money(this.#peak, precision)}, equity ${money(equity, precision)})`,
          { reference: this.#peak, ts },
        );
      }
    }
    const loss = this.#dayStart - equity;
    if (breach === undefined && this.#maxDailyLossUnits !== undefined && loss > this.#maxDailyLossUnits) {
      breach = this.#breach(
        'MAX_DAILY_LOSS',
        `${money(loss, precision)} > ${money(this.#maxDailyLossUnits, precision)} (day start ${money(this.#dayStart, precision)})`,
        { reference: this.#dayStart, ts },
      );
    }
    if (
      breach === undefined &&
      this.#maxDailyLossPct !== undefined &&
      this.#dayStart > 0 &&
      loss / this.#dayStart > this.#maxDailyLossPct
    ) {
      breach = this.#breach(
        'MAX_DAILY_LOSS',
        `${fmt((loss / this.#dayStart) * 100)} % > ${fmt(this.#maxDailyLossPct * 100)} % (day start ${money(this.#dayStart, precision)})`,
        { reference: this.#dayStart, ts },
      );
    }
    return breach === undefined && !released ? NOTHING : { breach, released };
  }

  #breach(
    reason: EquityBreach['reason'],
    detail: string,
    at: { readonly reference: number; readonly ts: number },
  ): EquityBreach {
    this.#halted = reason;
    return {
      type: 'EquityBreach',
      accountId: this.accountId,
      reason,
      message: `${reason}: ${detail} (${this.#label})`,
      equity: fromUnits(this.#last, this.precision),
      reference: fromUnits(at.reference, this.precision),
      tsEvent: at.ts,
    };
  }

  /** The watch's state in the scope's currency. */
  status(): EquityWatchStatus {
    const p = this.precision;
    return {
      accountId: this.accountId,
      equity: fromUnits(this.#last, p),
      peak: fromUnits(this.#peak, p),
      dayStart: fromUnits(this.#dayStart, p),
      halted: this.#halted,
    };
  }

  /** Clears a latched breach so the scope is watched again, from a new peak at the last equity. */
  rearm(): void {
    this.#halted = undefined;
    this.#peak = this.#last;
  }
}

/**
 * Halts trading automatically on drawdown from peak equity and on daily loss (UTC days), per
 * account and for all accounts together. It is a {@link RiskMonitor}: the engine calls it after
 * each bar's marks and after each fill, synchronously, so a breach halts before the next
 * strategy sees the bar. A breach runs {@link killSwitch} on the scope (an account, or the whole
 * engine for `total`): HALTED, open orders canceled, positions flattened if `flatten`.
 *
 * The day's starting equity is the last equity seen before the UTC day changed (the previous
 * close), so with daily bars the daily loss is the loss over one bar.
 */
export class EquityGuard implements RiskMonitor {
  readonly #engine: TradingEngine;
  readonly #watches = new Map<string, EquityWatch>();
  readonly #total: EquityWatch | undefined;
  /** Last equity of every account, for the total, minor units. */
  readonly #equityByAccount = new Map<string, number>();
  readonly #flatten: boolean;
  readonly #breaches = new Subject<EquityBreach>();
  #unregister: (() => void) | undefined;
  /** The breaches' canceled orders that may still fill (an asynchronous venue). */
  readonly #late = new LateFills();
  #lateFills: Subscription | undefined;
  /** Hot, no replay: every breach, after its scope was halted. */
  readonly breaches$: Observable<EquityBreach> = this.#breaches.asObservable();

  constructor(engine: TradingEngine, options: EquityGuardOptions) {
    const parsed = EquityGuardOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid equity guard: ${z.prettifyError(parsed.error)}`,
        cause: parsed.error,
      });
    }
    const config = parsed.data;
    this.#engine = engine;
    this.#flatten = config.flatten ?? false;
    const resumeNextDay = config.resumeNextDay ?? false;
    const ts = engine.clock.now();
    const books = engine.accounts().map((a) => engine.accountBook(a.accountId));
    const first = books[0] as AccountBook;
    for (const [accountId, limits] of Object.entries(config.accounts ?? {})) {
      const book = engine.accountBook(accountId);
      this.#watches.set(
        accountId,
        new EquityWatch(limits, {
          accountId,
          precision: book.currencyPrecision,
          equityUnits: book.equityUnits,
          ts,
          resumeNextDay,
        }),
      );
    }
    if (config.total) {
      const mixed = books.find(
        (b) => b.currency !== first.currency || b.currencyPrecision !== first.currencyPrecision,
      );
      if (mixed) {
        throw new RxtradeError({
          code: 'INVALID_CONFIG',
          message: `total equity limits need one currency: ${first.id} holds ${first.currency}, ${mixed.id} ${mixed.currency}`,
        });
      }
      let sum = 0;
      for (const book of books) {
        this.#equityByAccount.set(book.id, book.equityUnits);
        sum += book.equityUnits;
      }
      this.#total = new EquityWatch(config.total, {
        accountId: undefined,
        precision: first.currencyPrecision,
        equityUnits: sum,
        ts,
        resumeNextDay,
      });
    } else {
      this.#total = undefined;
    }
    this.#unregister = engine.addMonitor(this);
  }

  /** @internal Called by the engine after marks and fills. */
  onAccountUpdate(account: AccountBook, ts: number): void {
    const equity = account.equityUnits;
    const watch = this.#watches.get(account.id);
    if (watch !== undefined) this.#check(watch, equity, ts);
    const total = this.#total;
    if (total !== undefined) {
      const before = this.#equityByAccount.get(account.id) ?? 0;
      this.#equityByAccount.set(account.id, equity);
      this.#check(total, total.last + equity - before, ts);
    }
  }

  #check(watch: EquityWatch, equity: number, ts: number): void {
    const { breach, released } = watch.update(equity, ts);
    if (released) {
      // Only the guard's own hold is lifted: an operator's or another part's halt stays in force.
      this.#engine.holds.release({
        owner: EQUITY_GUARD,
        accountId: watch.accountId,
        reason: `new UTC day: daily loss limit of ${watch.label} reset`,
      });
    }
    if (breach !== undefined) this.#breach(breach);
  }

  #breach(breach: EquityBreach): void {
    const options: KillSwitchOptions = {
      reason: breach.message,
      owner: EQUITY_GUARD,
      flatten: this.#flatten,
      ...(breach.accountId === undefined ? {} : { accountId: breach.accountId }),
    };
    this.#late.watch(this.#engine, killSwitch(this.#engine, options), options);
    this.#followLateFills();
    this.#breaches.next(breach);
  }

  /**
   * Follows the breaches' orders whose cancel is still on its way (none in a backtest: its venue
   * cancels at once, and no subscription is made).
   */
  #followLateFills(): void {
    if (this.#late.size === 0 || this.#lateFills !== undefined) return;
    const engine = this.#engine;
    this.#lateFills = engine.orderEvents$.subscribe((event) => {
      const order = engine.order(event.clientOrderId);
      this.#late.apply(() => engine, event, order !== undefined && isOpen(order));
    });
  }

  /** The watch state of an account, or of the total when `accountId` is undefined; undefined if not watched. */
  status(accountId?: string): EquityWatchStatus | undefined {
    const w = accountId === undefined ? this.#total : this.#watches.get(accountId);
    return w?.status();
  }

  /** Clears a scope's latched breach so it is watched again (the trading state is not changed). */
  rearm(accountId?: string): void {
    const w = accountId === undefined ? this.#total : this.#watches.get(accountId);
    w?.rearm();
  }

  /** Unregisters from the engine and completes `breaches$`. Idempotent. */
  close(): void {
    this.#unregister?.();
    this.#unregister = undefined;
    this.#lateFills?.unsubscribe();
    this.#lateFills = undefined;
    this.#breaches.complete();
  }
}

/**
 * Watches equity and halts on drawdown or daily loss; see {@link EquityGuard}.
 *
 * @example
 * const guard = createEquityGuard(engine, {
 *   accounts: { main: { maxDailyLoss: 1_000 } },
 *   total: { maxDrawdown: 0.2 },
 * });
 * guard.breaches$.subscribe((b) => console.log(b.message));
 */
export function createEquityGuard(engine: TradingEngine, options: EquityGuardOptions): EquityGuard {
  return new EquityGuard(engine, options);
}
