import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { invalidArgument, isRxtradeError, RxtradeError } from '../../errors';
import type { Bar } from '../../model/market-data';
import {
  type BarCheckOptions,
  type BarField,
  BarGate,
  type BarReadStats,
  barCheckOptionsShape,
  checkOptions,
} from './bar-checks';
import type { BarSource } from './bar-source';
import {
  type BarColumns,
  barColumnsSchema,
  COLUMN_ROLES,
  type ColumnRole,
  DEFAULT_COLUMN_NAMES,
  normaliseHeaderName,
} from './columns';
import {
  detectTimestampFormat,
  parseTimestamp,
  type ResolvedTimestampFormat,
  type TimestampFormat,
} from './timestamp';

/** Options of {@link fromCsvFile}. */
export interface CsvBarSourceOptions extends BarCheckOptions {
  /** Symbol given to every bar. Required unless the file has a symbol column (see {@link BarColumns}). */
  readonly symbol?: string;
  /** Column mapping; defaults to the usual header names, or positional without a header. */
  readonly columns?: BarColumns;
  /**
   * Whether the first non-blank line is a header. `'auto'` (default): it is a header when its open column
   * (the configured index, else index 1) is not a number.
   */
  readonly header?: boolean | 'auto';
  /** One character; default `,`. */
  readonly delimiter?: string;
  /** How to read the time column; default `'auto'` (see {@link TimestampFormat}). */
  readonly timeFormat?: TimestampFormat;
  /**
   * Round open/high/low/close to this many decimals before validation (e.g. 2 to undo float32 artifacts such
   * as `1455.219971`). Default: no rounding.
   */
  readonly priceDecimals?: number;
  /** Bytes per read, which also bounds the bars per chunk; default 1 MiB. */
  readonly highWaterMark?: number;
}

/** A CSV file as a {@link BarSource}; `stats` counts the current (or last) read. */
export interface CsvBarSource extends BarSource {
  readonly path: string;
  /** Rows, bars and skipped rows of the read in progress or the last one; a new read resets them. */
  readonly stats: Readonly<BarReadStats>;
}

const csvOptionsSchema = z
  .object({
    ...barCheckOptionsShape,
    symbol: z.string().min(1).optional(),
    columns: barColumnsSchema.optional(),
    header: z.union([z.boolean(), z.literal('auto')]).optional(),
    delimiter: z
      .string()
      .length(1)
      .refine((d) => d !== '"' && d !== '\n' && d !== '\r', 'cannot be a quote or a line break')
      .optional(),
    timeFormat: z.enum(['auto', 'iso', 'epoch-s', 'epoch-ms']).optional(),
    priceDecimals: z.number().int().min(0).max(12).optional(),
    highWaterMark: z.number().int().positive().optional(),
  })
  .strict();

// Role indices into the per-row cell array.
const TIME = 0;
const OPEN = 1;
const HIGH = 2;
const LOW = 3;
const CLOSE = 4;
const VOLUME = 5;
const SYMBOL = 6;

const FIELD_OF_ROLE: readonly BarField[] = ['ts', 'open', 'high', 'low', 'close', 'volume', 'symbol'];

/** Column positions after header resolution: `index[role]` (-1 = absent) and its inverse `roles[column]`. */
interface Layout {
  readonly index: readonly number[];
  readonly roles: Int8Array;
  readonly maxIndex: number;
}

/**
 * Streams bars from a CSV file: the file is read with `createReadStream` and split into lines by hand, so
 * memory stays bounded whatever the file size (a 10M-row file is fine).
 *
 * Read it with `chunks()` in hot loops: each chunk holds the bars of one read of `highWaterMark` bytes
 * (about 15k bars of a typical daily/minute file), so a loop does one `await` per chunk instead of per bar.
 *
 * Each row is checked with the `BarSchema` rules (by hand, not zod: too slow per row) and for a strictly
 * increasing `ts` per symbol. A bad row throws an `INVALID_MESSAGE` error naming the file, the 1-based line
 * and the field (`details: { file, line, field, reason, value }`), or with `onInvalid: 'skip'` is dropped,
 * counted in `stats.skipped` and passed to `onSkip`. Empty lines are ignored. Quoted fields are supported,
 * but not line breaks inside them; a date and a time in two separate columns are not supported.
 * Unreadable files fail with `INVALID_ARGUMENT`.
 */
export function fromCsvFile(path: string, options: CsvBarSourceOptions = {}): CsvBarSource {
  if (typeof path !== 'string' || path.length === 0)
    throw invalidArgument('fromCsvFile: path must be a non-empty string');
  checkOptions(csvOptionsSchema, options, 'fromCsvFile');
  const header = options.header ?? 'auto';
  if (header === false && options.columns !== undefined) {
    for (const role of COLUMN_ROLES) {
      if (typeof options.columns[role] === 'string') {
        throw invalidArgument(`fromCsvFile: column ${role} is given by name but header is false`, {
          column: role,
        });
      }
    }
  }
  let stats: BarReadStats = { rows: 0, bars: 0, skipped: 0 };

  async function* chunks(): AsyncGenerator<readonly Bar[]> {
    const gate = new BarGate(options);
    stats = gate.stats;
    const reader = new CsvBarReader(path, options, gate);
    const stream = createReadStream(path, {
      encoding: 'utf8',
      highWaterMark: options.highWaterMark ?? 1 << 20,
    });
    try {
      let rest = '';
      for await (const piece of stream as AsyncIterable<string>) {
        const text = rest.length === 0 ? piece : rest + piece;
        const out: Bar[] = [];
        const consumed = reader.parseLines(text, out);
        rest = consumed === 0 ? text : text.slice(consumed);
        if (out.length > 0) yield out;
      }
      if (rest.length > 0) {
        const out: Bar[] = [];
        reader.parseLines(`${rest}\n`, out);
        if (out.length > 0) yield out;
      }
    } catch (error) {
      if (!isRxtradeError(error) && error instanceof Error && 'syscall' in error) {
        throw new RxtradeError({
          code: 'INVALID_ARGUMENT',
          message: `fromCsvFile: cannot read ${path}: ${error.message}`,
          cause: error,
          details: { file: path },
        });
      }
      throw error;
    } finally {
      stream.destroy();
    }
  }

  return {
    path,
    get stats() {
      return stats;
    },
    chunks,
    async *[Symbol.asyncIterator]() {
      for await (const chunk of chunks()) yield* chunk;
    },
  };
}

/** Per-read parser state: line counter, header/layout, resolved time format. */
class CsvBarReader {
  private line = 0;
  private layout: Layout | undefined;
  private hasVolume = true;
  private format: ResolvedTimestampFormat | undefined;
  private readonly delimiter: string;
  private readonly factor: number;
  private readonly symbol: string | undefined;
  private readonly cells: (string | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];

  constructor(
    private readonly file: string,
    private readonly options: CsvBarSourceOptions,
    private readonly gate: BarGate,
  ) {
    this.delimiter = options.delimiter ?? ',';
    this.factor = options.priceDecimals === undefined ? 0 : 10 ** options.priceDecimals;
    this.symbol = options.symbol;
    if (options.timeFormat !== undefined && options.timeFormat !== 'auto') this.format = options.timeFormat;
  }

  /**
   * Parses every complete line of `text` into `out` and returns how many characters were consumed (up to and
   * including the last `\n`); the caller keeps the rest for the next piece.
   */
  parseLines(text: string, out: Bar[]): number {
    const delimiter = this.delimiter;
    const cells = this.cells;
    let start = 0;
    // Positions of the next delimiter/quote at or after the cursor, cached so each character is scanned once
    // per piece (-2 = not searched yet, -1 = none left).
    let nextDelimiter = -2;
    let nextQuote = -2;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) return start;
      this.line++;
      let end = newline;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      if (end === start) {
        start = newline + 1;
        continue;
      }
      const layout = this.layout;
      if (layout === undefined) {
        this.begin(text.slice(start, end), out);
        start = newline + 1;
        continue;
      }
      if (nextQuote !== -1 && nextQuote < start) nextQuote = text.indexOf('"', start);
      if (nextQuote !== -1 && nextQuote < end) {
        this.parseQuotedRow(text.slice(start, end), out);
        start = newline + 1;
        continue;
      }
      const roles = layout.roles;
      const maxIndex = layout.maxIndex;
      let pos = start;
      let missingFrom = -1;
      for (let column = 0; column <= maxIndex; column++) {
        if (pos > end) {
          missingFrom = column;
          break;
        }
        if (nextDelimiter !== -1 && nextDelimiter < pos) nextDelimiter = text.indexOf(delimiter, pos);
        const cellEnd = nextDelimiter === -1 || nextDelimiter > end ? end : nextDelimiter;
        const role = roles[column] ?? -1;
        if (role >= 0) cells[role] = text.slice(pos, cellEnd);
        pos = cellEnd + 1;
      }
      if (missingFrom >= 0) this.missingColumn(missingFrom);
      else this.emit(out);
      start = newline + 1;
    }
  }

  /** First non-blank line: header (resolves the layout) or, without a header, the first data row. */
  private begin(firstLine: string, out: Bar[]): void {
    const line = firstLine.charCodeAt(0) === 0xfeff ? firstLine.slice(1) : firstLine;
    const cells = splitCsvLine(line, this.delimiter);
    const configuredOpen = this.options.columns?.open;
    const openIndex = typeof configuredOpen === 'number' ? configuredOpen : 1;
    const openCell = cells[openIndex]?.trim() ?? '';
    const header =
      this.options.header === undefined || this.options.header === 'auto'
        ? openCell.length === 0 || !Number.isFinite(Number(openCell))
        : this.options.header;
    this.layout = this.resolveLayout(header ? cells : undefined);
    this.hasVolume = (this.layout.index[VOLUME] ?? -1) >= 0;
    if (!header) this.parseCells(cells, out);
  }

  private resolveLayout(headerCells: readonly string[] | undefined): Layout {
    const columns = this.options.columns ?? {};
    const names = headerCells?.map(normaliseHeaderName);
    const index: number[] = [];
    COLUMN_ROLES.forEach((role, position) => {
      const configured = columns[role];
      if (role === 'symbol' && this.symbol !== undefined) {
        index.push(-1);
      } else if (configured === null) {
        index.push(-1);
      } else if (typeof configured === 'number') {
        index.push(configured);
      } else if (typeof configured === 'string') {
        const found = names?.indexOf(normaliseHeaderName(configured)) ?? -1;
        if (found < 0) throw this.headerError(role, `column "${configured}" not found in the header`, names);
        index.push(found);
      } else if (names === undefined) {
        index.push(role === 'symbol' ? -1 : position);
      } else {
        const found = DEFAULT_COLUMN_NAMES[role].map((n) => names.indexOf(n)).find((i) => i >= 0) ?? -1;
        if (found < 0 && role !== 'symbol') {
          throw this.headerError(
            role,
            `no ${role} column (looked for ${DEFAULT_COLUMN_NAMES[role].join(', ')})`,
            names,
          );
        }
        index.push(found);
      }
    });
    if (this.symbol === undefined && (index[SYMBOL] ?? -1) < 0) {
      throw invalidArgument(`fromCsvFile: ${this.file} has no symbol column: pass the symbol option`, {
        file: this.file,
      });
    }
    const maxIndex = Math.max(...index);
    const roles = new Int8Array(maxIndex + 1).fill(-1);
    index.forEach((column, role) => {
      if (column >= 0) roles[column] = role;
    });
    return { index, roles, maxIndex };
  }

  private headerError(role: ColumnRole, reason: string, names: readonly string[] | undefined): RxtradeError {
    return new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `${this.file}:${this.line}: ${reason}${names ? ` (header: ${names.join(', ')})` : ''}`,
      details: { file: this.file, line: this.line, field: FIELD_OF_ROLE[COLUMN_ROLES.indexOf(role)], reason },
    });
  }

  private parseQuotedRow(line: string, out: Bar[]): void {
    this.parseCells(splitCsvLine(line, this.delimiter), out);
  }

  private parseCells(row: readonly string[], out: Bar[]): void {
    const layout = this.layout;
    if (layout === undefined) return;
    if (row.length <= layout.maxIndex) {
      this.missingColumn(row.length);
      return;
    }
    for (let role = 0; role < layout.index.length; role++) {
      const column = layout.index[role] ?? -1;
      this.cells[role] = column >= 0 ? row[column] : undefined;
    }
    this.emit(out);
  }

  private missingColumn(fieldCount: number): void {
    const layout = this.layout;
    if (layout === undefined) return;
    let role = -1;
    for (let r = 0; r < layout.index.length; r++) {
      const column = layout.index[r] ?? -1;
      if (column >= fieldCount && (role < 0 || column < (layout.index[role] ?? 0))) role = r;
    }
    this.gate.failRow(
      { field: FIELD_OF_ROLE[role] ?? 'row', reason: `missing column (the row has ${fieldCount} fields)` },
      { file: this.file, line: this.line },
    );
  }

  /** Builds, checks and collects the bar from `cells` (hot path). */
  private emit(out: Bar[]): void {
    const cells = this.cells;
    const timeText = cells[TIME] ?? '';
    let format = this.format;
    if (format === undefined) {
      format = detectTimestampFormat(timeText);
      this.format = format;
    }
    const ts = parseTimestamp(timeText, format);
    if (Number.isNaN(ts)) {
      this.gate.failRow(
        { field: 'ts', reason: `not a valid ${format} timestamp` },
        { file: this.file, line: this.line },
        timeText,
      );
      return;
    }
    let open = toNumber(cells[OPEN]);
    let high = toNumber(cells[HIGH]);
    let low = toNumber(cells[LOW]);
    let close = toNumber(cells[CLOSE]);
    const volume = this.hasVolume ? toNumber(cells[VOLUME]) : 0;
    const factor = this.factor;
    if (factor !== 0) {
      open = Math.round(open * factor) / factor;
      high = Math.round(high * factor) / factor;
      low = Math.round(low * factor) / factor;
      close = Math.round(close * factor) / factor;
    }
    const symbol = this.symbol ?? (cells[SYMBOL] ?? '').trim();
    const bar: Bar = { symbol, ts, open, high, low, close, volume };
    const violation = this.gate.test(bar);
    if (violation === undefined) {
      out.push(bar);
      return;
    }
    const role = FIELD_OF_ROLE.indexOf(violation.field);
    this.gate.fail(violation, { file: this.file, line: this.line }, role >= 0 ? cells[role] : undefined);
  }
}

/** `Number()` but empty or blank text is NaN (`Number('')` is 0). */
function toNumber(text: string | undefined): number {
  if (text === undefined || text.length === 0) return Number.NaN;
  const n = Number(text);
  return n === 0 && text.trim().length === 0 ? Number.NaN : n;
}

/**
 * Splits one CSV line into cells, honouring double quotes (`"a,b"`, `"say ""hi"""`). Used for the header and
 * for rows that contain a quote; the hot path slices unquoted rows in place.
 */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const quote = line.indexOf('"', j);
        if (quote === -1) {
          cell += line.slice(j);
          j = line.length;
          break;
        }
        cell += line.slice(j, quote);
        if (line.charCodeAt(quote + 1) === 34) {
          cell += '"';
          j = quote + 2;
        } else {
          j = quote + 1;
          break;
        }
      }
      const next = line.indexOf(delimiter, j);
      cells.push(next === -1 ? cell + line.slice(j) : cell + line.slice(j, next));
      if (next === -1) return cells;
      i = next + 1;
    } else {
      const next = line.indexOf(delimiter, i);
      if (next === -1) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, next));
      i = next + 1;
    }
  }
}
