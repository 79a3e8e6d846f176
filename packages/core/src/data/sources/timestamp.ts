/**
 * How a source reads its time column.
 * - `'iso'`: `YYYY-MM-DD` (00:00 UTC) or `YYYY-MM-DD[T ]HH:mm[:ss[.fff]]` with an optional `Z` or `±HH:mm` /
 *   `±HHmm` offset. **A datetime without an offset is read as UTC** (not local time, unlike `Date.parse`),
 *   so a backtest gives the same result on every machine. The ISO basic date `YYYYMMDD` is accepted too.
 * - `'epoch-s'` / `'epoch-ms'`: a number of seconds / milliseconds since 1970-01-01 UTC (seconds may have a
 *   fraction; the result is rounded to the millisecond).
 * - `'auto'`: decided once per file from the first data row: ISO if it contains a `-` or `:` or is 8 digits
 *   (`YYYYMMDD`, rather than epoch seconds of 1970-1973), otherwise epoch seconds below 1e11 (before year
 *   5138) and epoch milliseconds from 1e11 on. Milliseconds before 1973-03-03 would be read as seconds: pass
 *   the format explicitly for such data.
 */
export type TimestampFormat = 'auto' | 'iso' | 'epoch-s' | 'epoch-ms';

/** A concrete format, after `'auto'` has been resolved. */
export type ResolvedTimestampFormat = Exclude<TimestampFormat, 'auto'>;

/** Resolves `'auto'` from one sample value (see {@link TimestampFormat}). */
export function detectTimestampFormat(sample: string): ResolvedTimestampFormat {
  const text = sample.trim();
  if (text.includes('-', 1) || text.includes(':') || /^\d{8}$/.test(text)) return 'iso';
  const n = Number(text);
  return Number.isFinite(n) && Math.abs(n) < 1e11 ? 'epoch-s' : 'epoch-ms';
}

/** Parses one timestamp in a resolved format; `NaN` when the text is not a valid timestamp. */
export function parseTimestamp(text: string, format: ResolvedTimestampFormat): number {
  if (format === 'iso') return parseIsoUtc(text);
  if (text.length === 0) return Number.NaN;
  const n = Number(text);
  if (!Number.isFinite(n)) return Number.NaN;
  return format === 'epoch-s' ? Math.round(n * 1000) : n;
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
