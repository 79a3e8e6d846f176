/**
 * How a source reads its time column.
 * - `'iso'`: `YYYY-MM-DD` (00:00 UTC) or `YYYY-MM-DD[T ]HH:mm[:ss[.fff]]` with an optional `Z` or `±HH:mm` /
 *   `±HHmm` offset. **A datetime without an offset is read as UTC** (not local time, unlike `Date.parse`),
 *   so a backtest gives the same result on every machine. The ISO basic date `YYYYMMDD` is accepted too.
 * - `'epoch-s'` / `'epoch-ms'` / `'epoch-us'` / `'epoch-ns'`: a number of seconds, milliseconds,
 *   microseconds or nanoseconds since 1970-01-01 UTC (seconds may have a fraction and are rounded to the
 *   millisecond; micro- and nanoseconds are truncated to it).
 * - `'auto'`: decided once per file from the first data row: ISO if it contains a `-` or `:` or is 8 digits
 *   (`YYYYMMDD`, rather than epoch seconds of 1970-1973), otherwise by magnitude: seconds below 1e11,
 *   milliseconds below 1e14, microseconds below 1e17 (Binance's kline files since 2025), nanoseconds above.
 *   Milliseconds before 1973-03-03 would be read as seconds: pass the format explicitly for such data.
 *
 * Whatever the format, a time before 1970 or from 2100 on is refused as implausible (it is almost always
 * the wrong unit: microseconds read as milliseconds give the year 55969).
 */
export type TimestampFormat = 'auto' | 'iso' | 'epoch-s' | 'epoch-ms' | 'epoch-us' | 'epoch-ns';

/** Every {@link TimestampFormat}, for option schemas. */
export const TIMESTAMP_FORMATS = ['auto', 'iso', 'epoch-s', 'epoch-ms', 'epoch-us', 'epoch-ns'] as const;

/** A concrete format, after `'auto'` has been resolved. */
export type ResolvedTimestampFormat = Exclude<TimestampFormat, 'auto'>;

/** 2100-01-01T00:00:00Z: the first time a file may not hold (see {@link TimestampFormat}). */
export const PLAUSIBLE_TS_END = 4_102_444_800_000;

/** Resolves `'auto'` from one sample value (see {@link TimestampFormat}). */
export function detectTimestampFormat(sample: string): ResolvedTimestampFormat {
  const text = sample.trim();
  if (text.includes('-', 1) || text.includes(':') || /^\d{8}$/.test(text)) return 'iso';
  const n = Math.abs(Number(text));
  if (!Number.isFinite(n) || n < 1e11) return 'epoch-s';
  return n < 1e14 ? 'epoch-ms' : n < 1e17 ? 'epoch-us' : 'epoch-ns';
}

/** An epoch number in a unit to epoch ms, without the plausibility check. */
function epochMs(n: number, format: Exclude<ResolvedTimestampFormat, 'iso'>): number {
  switch (format) {
    case 'epoch-ms':
      return n;
    case 'epoch-s':
      return Math.round(n * 1000);
    case 'epoch-us':
      return Math.floor(n / 1e3);
    case 'epoch-ns':
      return Math.floor(n / 1e6);
  }
}

/**
 * An epoch number in `format` as epoch ms; `NaN` when it falls outside 1970..2099 (see
 * {@link TimestampFormat}). For sources that parsed the number themselves.
 */
export function epochToMs(n: number, format: Exclude<ResolvedTimestampFormat, 'iso'>): number {
  const ms = epochMs(n, format);
  return ms >= 0 && ms < PLAUSIBLE_TS_END ? ms : Number.NaN;
}

/** Parses one timestamp in a resolved format; `NaN` when invalid or implausible (before 1970, from 2100). */
export function parseTimestamp(text: string, format: ResolvedTimestampFormat): number {
  if (format === 'iso') {
    const ms = parseIsoUtc(text);
    return ms >= 0 && ms < PLAUSIBLE_TS_END ? ms : Number.NaN;
  }
  if (text.trim().length === 0) return Number.NaN;
  const n = Number(text);
  return Number.isFinite(n) ? epochToMs(n, format) : Number.NaN;
}

const YEAR_MS = 365.2425 * 86_400_000;

/** A date for messages, even far outside what `Date` can print. */
function showDate(ms: number): string {
  // Date prints years past 9999 as +056971-10-25: a bare year reads better.
  if (ms > -62_135_596_800_000 && ms < 253_402_300_800_000)
    return new Date(ms).toISOString().replace('T00:00:00.000Z', '');
  return `the year ${Math.floor(1970 + ms / YEAR_MS)}`;
}

/**
 * Why `text` is not a timestamp in `format`, for a bad-row message: the date it would be when it
 * parses but is implausible (usually the wrong unit), else that it is not a valid timestamp.
 */
export function describeBadTimestamp(text: string, format: ResolvedTimestampFormat): string {
  let ms = Number.NaN;
  if (format === 'iso') ms = parseIsoUtc(text);
  else if (text.trim().length > 0 && Number.isFinite(Number(text))) ms = epochMs(Number(text), format);
  if (Number.isNaN(ms)) return `not a valid ${format} timestamp`;
  const unit = format === 'iso' ? '' : ` read as ${format}`;
  return `${text.trim()}${unit} is ${showDate(ms)}, outside 1970..2099: set the time format (iso, epoch-s, epoch-ms, epoch-us, epoch-ns) if the unit is wrong`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Hand-written ISO-8601 parser for the shapes OHLCV files use (see {@link TimestampFormat}); rejects
 * impossible dates (2021-02-30) instead of rolling them over like `Date.UTC` does. `NaN` when invalid.
 */
export function parseIsoUtc(input: string): number {
  let text = input;
  if (text.length > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32))
    text = text.trim();
  const basic = text.length === 8;
  if (!basic && (text.length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45))
    return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, basic ? 4 : 5, 2);
  const day = digits(text, basic ? 6 : 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const monthDays = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > monthDays) return Number.NaN;
  const date = Date.UTC(year, month - 1, day);
  if (basic || text.length === 10) return date;

  const sep = text.charCodeAt(10);
  if ((sep !== 84 && sep !== 32) || text.length < 16 || text.charCodeAt(13) !== 58) return Number.NaN; // 'T' | ' ', ':'
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN;
  let i = 16;
  let second = 0;
  let millis = 0;
  if (text.charCodeAt(i) === 58) {
    second = digits(text, i + 1, 2);
    if (second < 0 || second > 59) return Number.NaN;
    i += 3;
    const dot = text.charCodeAt(i);
    if (dot === 46 || dot === 44) {
      // Fraction of a second: keep milliseconds, truncate finer digits.
      i++;
      const start = i;
      let scale = 100;
      while (i < text.length) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        millis += c * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return Number.NaN;
      millis = Math.floor(millis);
    }
  }
  let offsetMinutes = 0;
  if (i < text.length) {
    const zone = text.charCodeAt(i);
    if (zone === 90 && i === text.length - 1) {
      // 'Z'
    } else if (zone === 43 || zone === 45) {
      const rest = text.length - i - 1;
      const oh = digits(text, i + 1, 2);
      let om: number;
      if (rest === 5 && text.charCodeAt(i + 3) === 58) om = digits(text, i + 4, 2);
      else if (rest === 4) om = digits(text, i + 3, 2);
      else if (rest === 2) om = 0;
      else return Number.NaN;
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
      offsetMinutes = (zone === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
      return Number.NaN;
    }
  }
  return date + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
}
