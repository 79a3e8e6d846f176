import { z } from 'zod';
import { invalidArgument, RxtradeError } from '../../errors';
import type { Bar } from '../../model/market-data';

/** What a source does with a row that fails validation: fail the read, or drop it and report it. */
export type BadRowPolicy = 'throw' | 'skip';

/**
 * What a source does with a bar whose `ts` is not strictly after the previous bar of the same symbol:
 * fail the read (default), drop and report it like a bad row, or let it through unchecked.
 */
export type OrderPolicy = 'throw' | 'skip' | 'allow';

/** A bar field, or `row` when the row as a whole is unusable. */
export type BarField = keyof Bar | 'row';

/** Why a bar candidate is invalid: the first failing field and a human reason. */
export interface BarViolation {
  readonly field: BarField;
  readonly reason: string;
}

/** One dropped row, as passed to `onSkip`: where it was, which field failed and why. */
export interface SkippedRow {
  /** File path, for file sources. */
  readonly file?: string;
  /** 1-based line number in the file (CSV). */
  readonly line?: number;
  /** 0-based position in the input (arrays, iterables, JSON records). */
  readonly index?: number;
  readonly field: BarField;
  readonly reason: string;
  /** The offending raw value, as text. */
  readonly value?: string;
}

/** Counters of one read of a source; reset when a new read starts. */
export interface BarReadStats {
  /** Rows or records seen (CSV: data lines, not the header nor blank lines). */
  rows: number;
  /** Bars emitted. */
  bars: number;
  /** Rows dropped under the `'skip'` policies; each one was also passed to `onSkip`. */
  skipped: number;
}

/** Validation options shared by every bar source. */
export interface BarCheckOptions {
  /** Bad rows (NaN, missing field, high < low, …): `'throw'` (default) or `'skip'`. */
  readonly onInvalid?: BadRowPolicy;
  /** Non-increasing `ts` within a symbol: `'throw'` (default), `'skip'` or `'allow'`. */
  readonly order?: OrderPolicy;
  /** Called once per dropped row under a `'skip'` policy, so nothing is lost silently. */
  readonly onSkip?: (row: SkippedRow) => void;
}

/**
 * The rules of `BarSchema`, checked by hand: zod per row is too slow for a 10M-row file. Keep the two in
 * sync; `bar-checks.test.ts` compares them on random bars.
 * Returns the first violation, or `undefined` for a valid bar.
 */
export function barViolation(bar: Bar): BarViolation | undefined {
  const { symbol, ts, open, high, low, close, volume } = bar;
  if (typeof symbol !== 'string' || symbol.length === 0)
    return { field: 'symbol', reason: 'must be a non-empty string' };
  if (!Number.isInteger(ts) || ts < 0)
    return { field: 'ts', reason: 'must be a non-negative integer (epoch ms)' };
  // `!(x > 0)` is also true for NaN; Infinity is caught by the isFinite check.
  if (!(open > 0) || !Number.isFinite(open)) return { field: 'open', reason: 'must be a finite number > 0' };
  if (!(high > 0) || !Number.isFinite(high)) return { field: 'high', reason: 'must be a finite number > 0' };
  if (!(low > 0) || !Number.isFinite(low)) return { field: 'low', reason: 'must be a finite number > 0' };
  if (!(close > 0) || !Number.isFinite(close))
    return { field: 'close', reason: 'must be a finite number > 0' };
  if (!(volume >= 0) || !Number.isFinite(volume))
    return { field: 'volume', reason: 'must be a finite number >= 0' };
  if (high < open || high < close || high < low)
    return { field: 'high', reason: 'high/low must bound open and close' };
  if (low > open || low > close) return { field: 'low', reason: 'high/low must bound open and close' };
  return undefined;
}

/** Where a row came from, for error messages and `onSkip`. */
export interface RowLocation {
  readonly file?: string;
  readonly line?: number;
  readonly index?: number;
}

function describe(location: RowLocation): string {
  if (location.file !== undefined && location.line !== undefined) return `${location.file}:${location.line}`;
  if (location.file !== undefined && location.index !== undefined)
    return `${location.file} record ${location.index}`;
  if (location.index !== undefined) return `bar ${location.index}`;
  return location.file ?? 'input';
}

/** A failed check: the violation plus which policy applies to it. */
export interface GateViolation extends BarViolation {
  readonly kind: 'invalid' | 'order';
}

/**
 * One read's validation state: applies the bad-row and order policies, counts, and builds the
 * `INVALID_MESSAGE` errors. Sources create one per read (sources are re-readable). The hot path is
 * `test()` (no allocation for a good bar); `fail()` runs only for bad rows.
 */
export class BarGate {
  readonly stats: BarReadStats = { rows: 0, bars: 0, skipped: 0 };
  private readonly onInvalid: BadRowPolicy;
  private readonly order: OrderPolicy;
  private readonly onSkip: ((row: SkippedRow) => void) | undefined;
  // Last symbol/ts kept outside the map: single-symbol inputs never touch the map in the hot path.
  private lastSymbol: string | undefined;
  private lastTs = Number.NEGATIVE_INFINITY;
  private readonly lastTsBySymbol = new Map<string, number>();

  constructor(options: BarCheckOptions) {
    this.onInvalid = options.onInvalid ?? 'throw';
    this.order = options.order ?? 'throw';
    this.onSkip = options.onSkip;
  }

  /**
   * Counts a row and checks a bar candidate. `undefined` means emit it (it is counted and its `ts` becomes
   * the symbol's last); otherwise pass the violation to {@link fail}.
   */
  test(bar: Bar): GateViolation | undefined {
    this.stats.rows++;
    const violation = barViolation(bar);
    if (violation !== undefined) return { ...violation, kind: 'invalid' };
    if (this.order !== 'allow' && !this.inOrder(bar)) {
      const previous = bar.symbol === this.lastSymbol ? this.lastTs : this.lastTsBySymbol.get(bar.symbol);
      return {
        field: 'ts',
        reason: `must be after the previous ${bar.symbol} bar (ts ${previous})`,
        kind: 'order',
      };
    }
    this.stats.bars++;
    return undefined;
  }

  /** {@link test} then {@link fail}: true when the bar is to be emitted. */
  admit(bar: Bar, location: RowLocation): boolean {
    const violation = this.test(bar);
    if (violation === undefined) return true;
    this.fail(violation, location, fieldText(bar, violation.field));
    return false;
  }

  /** Counts and reports a row that could not even become a bar candidate (missing column, not an object). */
  failRow(violation: BarViolation, location: RowLocation, value?: string): void {
    this.stats.rows++;
    this.fail({ ...violation, kind: 'invalid' }, location, value);
  }

  /** Applies the policy to a failed row: throws `INVALID_MESSAGE`, or counts it and calls `onSkip`. */
  fail(
    violation: BarViolation & { readonly kind?: 'invalid' | 'order' },
    location: RowLocation,
    value?: string,
  ): void {
    const policy = violation.kind === 'order' ? this.order : this.onInvalid;
    const { field, reason } = violation;
    if (policy === 'throw') {
      const shown = value === undefined ? '' : ` (value ${JSON.stringify(value)})`;
      throw new RxtradeError({
        code: 'INVALID_MESSAGE',
        message: `${describe(location)}: invalid bar field "${field}": ${reason}${shown}`,
        details: { ...location, field, reason, ...(value === undefined ? {} : { value }) },
      });
    }
    this.stats.skipped++;
    this.onSkip?.({ ...location, field, reason, ...(value === undefined ? {} : { value }) });
  }

  private inOrder(bar: Bar): boolean {
    const { symbol, ts } = bar;
    if (symbol === this.lastSymbol) {
      if (ts <= this.lastTs) return false;
      this.lastTs = ts;
      return true;
    }
    if (this.lastSymbol !== undefined) this.lastTsBySymbol.set(this.lastSymbol, this.lastTs);
    const previous = this.lastTsBySymbol.get(symbol);
    if (previous !== undefined && ts <= previous) return false;
    this.lastSymbol = symbol;
    this.lastTs = ts;
    return true;
  }
}

function fieldText(bar: Bar, field: BarField): string | undefined {
  if (field === 'row') return undefined;
  const value: unknown = bar[field];
  return value === undefined ? undefined : String(value);
}

/** zod shape of {@link BarCheckOptions}, spread into each source's options schema. */
export const barCheckOptionsShape = {
  onInvalid: z.enum(['throw', 'skip']).optional(),
  order: z.enum(['throw', 'skip', 'allow']).optional(),
  onSkip: z
    .custom<(row: SkippedRow) => void>((v) => typeof v === 'function', 'must be a function')
    .optional(),
};

/** Validates an options object at the boundary; a failure is an `INVALID_ARGUMENT` naming the option. */
export function checkOptions(schema: z.ZodType, options: unknown, what: string): void {
  const result = schema.safeParse(options);
  if (!result.success) {
    throw invalidArgument(`${what}: invalid options: ${z.prettifyError(result.error)}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
}
