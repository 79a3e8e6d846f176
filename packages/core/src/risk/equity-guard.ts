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

/** Owner of the trading holds the guard places. */
const EQUITY_GUARD = 'equity-guard';

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

/** A scope's watch state, in minor units. */
interface Watch {
  readonly accountId: string | undefined;
  readonly label: string;
  /** Decimals of the currency's minor unit. */
  readonly precision: number;
  readonly maxDrawdown: number | undefined;
  readonly maxDailyLossUnits: number | undefined;
  readonly maxDailyLossPct: number | undefined;
  peak: number;
  dayStart: number;
  last: number;
  day: number;
  halted: EquityBreach['reason'] | undefined;
}

/** A scope's state as {@link EquityGuard.status} reports it (account currency). */
export interface EquityWatchStatus {
  readonly accountId: string | undefined;
  readonly equity: number;
  readonly peak: number;
  readonly dayStart: number;
  readonly halted: EquityBreach['reason'] | undefined;
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 4 });
const money = (units: number, precision: number): string => fmt(fromUnits(units, precision));

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
  readonly #watches = new Map<string, Watch>();
  readonly #total: Watch | undefined;
  /** Last equity of every account, for the total, minor units. */
  readonly #equityByAccount = new Map<string, number>();
  readonly #precision: number;
  readonly #flatten: boolean;
  readonly #resumeNextDay: boolean;
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
    this.#resumeNextDay = config.resumeNextDay ?? false;
    const day = Math.floor(engine.clock.now() / DAY_MS);
    const books = engine.accounts().map((a) => engine.accountBook(a.accountId));
    const first = books[0] as AccountBook;
    this.#precision = first.currencyPrecision;
    for (const [accountId, limits] of Object.entries(config.accounts ?? {})) {
      const book = engine.accountBook(accountId);
      this.#watches.set(accountId, this.#watch(limits, { accountId, book, day }));
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
      this.#total = this.#watch(config.total, { accountId: undefined, equity: sum, day });
    } else {
      this.#total = undefined;
    }
    this.#unregister = engine.addMonitor(this);
  }

  #watch(
    limits: z.output<typeof HaltLimitsSchema>,
    at: { accountId: string | undefined; day: number; book?: AccountBook; equity?: number },
  ): Watch {
    const equity = at.book?.equityUnits ?? at.equity ?? 0;
    const precision = at.book?.currencyPrecision ?? this.#precision;
    return {
      accountId: at.accountId,
      label: at.accountId === undefined ? 'all accounts' : `account ${at.accountId}`,
      precision,
      maxDrawdown: limits.maxDrawdown,
      maxDailyLossUnits:
        limits.maxDailyLoss === undefined ? undefined : Math.round(limits.maxDailyLoss * pow10(precision)),
      maxDailyLossPct: limits.maxDailyLossPct,
      peak: equity,
      dayStart: equity,
      last: equity,
      day: at.day,
      halted: undefined,
    };
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

  #check(w: Watch, equity: number, ts: number): void {
    const precision = w.precision;
    const day = Math.floor(ts / DAY_MS);
    if (day !== w.day) {
      w.dayStart = w.last;
      w.day = day;
      if (w.halted === 'MAX_DAILY_LOSS' && this.#resumeNextDay) {
        w.halted = undefined;
        // Only the guard's own hold is lifted: an operator's or another part's halt stays in force.
        this.#engine.holds.release({
          owner: EQUITY_GUARD,
          accountId: w.accountId,
          reason: `new UTC day: daily loss limit of ${w.label} reset`,
        });
      }
    }
    w.last = equity;
    if (equity > w.peak) w.peak = equity;
    if (w.halted !== undefined) return;
    if (w.maxDrawdown !== undefined && w.peak > 0) {
      const drawdown = (w.peak - equity) / w.peak;
      if (drawdown > w.maxDrawdown) {
        this.#breach(w, {
          reason: 'MAX_DRAWDOWN',
          detail: `${fmt(drawdown * 100)} % > ${fmt(w.maxDrawdown * 100)} % (peak ${money(w.peak, precision)}, equity ${money(equity, precision)})`,
          reference: fromUnits(w.peak, precision),
          equity: fromUnits(equity, precision),
          ts,
        });
        return;
      }
    }
    const loss = w.dayStart - equity;
    if (w.maxDailyLossUnits !== undefined && loss > w.maxDailyLossUnits) {
      this.#breach(w, {
        reason: 'MAX_DAILY_LOSS',
        detail: `${money(loss, precision)} > ${money(w.maxDailyLossUnits, precision)} (day start ${money(w.dayStart, precision)})`,
        reference: fromUnits(w.dayStart, precision),
        equity: fromUnits(equity, precision),
        ts,
      });
      return;
    }
    if (w.maxDailyLossPct !== undefined && w.dayStart > 0 && loss / w.dayStart > w.maxDailyLossPct) {
      this.#breach(w, {
        reason: 'MAX_DAILY_LOSS',
        detail: `${fmt((loss / w.dayStart) * 100)} % > ${fmt(w.maxDailyLossPct * 100)} % (day start ${money(w.dayStart, precision)})`,
        reference: fromUnits(w.dayStart, precision),
        equity: fromUnits(equity, precision),
        ts,
      });
    }
  }

  #breach(
    w: Watch,
    b: { reason: EquityBreach['reason']; detail: string; reference: number; equity: number; ts: number },
  ): void {
    w.halted = b.reason;
    const message = `${b.reason}: ${b.detail} (${w.label})`;
    const options: KillSwitchOptions = {
      reason: message,
      owner: EQUITY_GUARD,
      flatten: this.#flatten,
      ...(w.accountId === undefined ? {} : { accountId: w.accountId }),
    };
    this.#late.watch(this.#engine, killSwitch(this.#engine, options), options);
    this.#followLateFills();
    this.#breaches.next({
      type: 'EquityBreach',
      accountId: w.accountId,
      reason: b.reason,
      message,
      equity: b.equity,
      reference: b.reference,
      tsEvent: b.ts,
    });
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
    if (w === undefined) return undefined;
    const p =
      accountId === undefined ? this.#precision : this.#engine.accountBook(accountId).currencyPrecision;
    return {
      accountId: w.accountId,
      equity: fromUnits(w.last, p),
      peak: fromUnits(w.peak, p),
      dayStart: fromUnits(w.dayStart, p),
      halted: w.halted,
    };
  }

  /** Clears a scope's latched breach so it is watched again (the trading state is not changed). */
  rearm(accountId?: string): void {
    const w = accountId === undefined ? this.#total : this.#watches.get(accountId);
    if (w !== undefined) {
      w.halted = undefined;
      w.peak = w.last;
    }
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
