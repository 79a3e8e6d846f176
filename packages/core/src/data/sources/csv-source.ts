import { type FileHandle, open } from 'node:fs/promises';
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
import { CsvRowScanner } from './csv-parse';
import {
  describeBadTimestamp,
  detectTimestampFormat,
  epochToMs,
  parseTimestamp,
  type ResolvedTimestampFormat,
  TIMESTAMP_FORMATS,
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
  /** Bytes per read, which also bounds the bars per chunk; default 1 MiB. Chunks hold at most 2,048 bars. */
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
    timeFormat: z.enum(TIMESTAMP_FORMATS).optional(),
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

/** Default bytes per read. The read buffer is allocated once per read of the file and reused. */
const DEFAULT_READ_BYTES = 1 << 20;
/** Room kept for a partial line carried over to the next read; grows if a line is longer. */
const INITIAL_CARRY_BYTES = 1 << 12;
/**
 * Most bars per chunk: small chunks die young (in the new space) instead of being promoted while a long
 * chunk is built and consumed.
 */
const CHUNK_BARS = 2048;

/** Column positions after header resolution: `index[role]` (-1 = absent) and the last column read. */
interface Layout {
  readonly index: readonly number[];
  readonly maxIndex: number;
}

/**
 * Streams bars from a CSV file: the file is read into one reused buffer and parsed from the bytes (lines,
 * cells and plain numbers without creating strings), so memory stays bounded and small whatever the file
 * size (a 10M-row file is fine) and a row costs about its bar object.
 *
 * Read it with `chunks()` in hot loops: each chunk holds at most 2,048 bars (fewer with a small
 * `highWaterMark`: a chunk never spans two reads), so a loop does one `await` per chunk instead of per bar.
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
    const readSize = options.highWaterMark ?? DEFAULT_READ_BYTES;
    let file: FileHandle | undefined;
    try {
      file = await open(path, 'r');
      // One buffer for the whole read: bytes [0, filled) are the unparsed tail of the previous read (a partial
      // line) followed by the new read; parsed bars hold numbers and strings only, never views of it.
      let buffer = Buffer.allocUnsafe(readSize + 1 + INITIAL_CARRY_BYTES);
      let filled = 0;
      for (;;) {
        if (buffer.length < filled + readSize + 1) {
          const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, filled + readSize + 1));
          buffer.copy(bigger, 0, 0, filled);
          buffer = bigger;
        }
        const { bytesRead } = await file.read(buffer, filled, readSize, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
        let consumed = 0;
        for (;;) {
          const out = reader.parse(buffer, consumed, filled);
          if (out.length > 0) yield out;
          if (reader.stoppedAt === consumed) break;
          consumed = reader.stoppedAt;
        }
        buffer.copyWithin(0, consumed, filled);
        filled -= consumed;
      }
      if (filled > 0) {
        // Last line without a line break: end it (the buffer always has a spare byte).
        buffer[filled++] = 10;
        let consumed = 0;
        while (consumed < filled) {
          const out = reader.parse(buffer, consumed, filled);
          consumed = reader.stoppedAt;
          if (out.length > 0) yield out;
        }
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
      await file?.close();
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

/**
 * Per-read parser state: line counter, header/layout, resolved time format. Data rows are parsed straight
 * from the read buffer: cells are located and plain numbers read by byte ({@link CsvRowScanner}), so a
 * plain row allocates nothing but its bar. Text is decoded only for the header, ISO times, symbols (cached
 * while the symbol repeats), unusual numbers (exponents, spaces, …), rows with a quote, error reports, and
 * every row when the delimiter is not ASCII or can occur in a number.
 */
class CsvBarReader {
  private line = 0;
  private layout: Layout | undefined;
  private hasVolume = true;
  private format: ResolvedTimestampFormat | undefined;
  private readonly delimiter: string;
  /** The delimiter as a byte, or -1 when the byte path cannot use it (then every row takes the text path). */
  private readonly delimiterByte: number;
  private readonly factor: number;
  private readonly symbol: string | undefined;
  /** Text path: the row's cells by role. */
  private readonly cells: (string | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  /** Byte path (once the layout is known, with a suitable delimiter): cells and plain numbers of a line. */
  private scanner: CsvRowScanner | undefined;
  /** The scanner's cell starts, ends and values (columns up to `layout.maxIndex`). */
  private cellStart: Int32Array = new Int32Array(0);
  private cellEnd: Int32Array = new Int32Array(0);
  private cellValue: Float64Array = new Float64Array(0);
  /** Byte path: the buffer of the current row, for decoding a cell when needed. */
  private bytes: Buffer | undefined;
  /** Symbol column: the last symbol's raw bytes and its (trimmed) text, reused while it repeats. */
  private lastSymbolBytes: Uint8Array | undefined;
  private lastSymbol = '';

  constructor(
    private readonly file: string,
    private readonly options: CsvBarSourceOptions,
    private readonly gate: BarGate,
  ) {
    this.delimiter = options.delimiter ?? ',';
    // The byte path needs an ASCII delimiter that cannot be part of a plain number.
    const code = this.delimiter.charCodeAt(0);
    this.delimiterByte = code < 128 && !'0123456789.+-'.includes(this.delimiter) ? code : -1;
    this.factor = options.priceDecimals === undefined ? 0 : 10 ** options.priceDecimals;
    this.symbol = options.symbol;
    if (options.timeFormat !== undefined && options.timeFormat !== 'auto') this.format = options.timeFormat;
  }

  /**
   * Where the last {@link parse} stopped: the start of the first line it did not parse (an incomplete one,
   * which the caller keeps for the next read, or the next one after a full chunk).
   */
  stoppedAt = 0;

  /**
   * Parses the complete lines of `bytes[from, to)` into a chunk of at most {@link CHUNK_BARS} bars, setting
   * {@link stoppedAt}.
   */
  parse(bytes: Buffer, from: number, to: number): Bar[] {
    const out: Bar[] = [];
    let pos = from;
    while (out.length < CHUNK_BARS) {
      const lineStart = pos;
      const layout = this.layout;
      const scanner = this.scanner;
      if (layout === undefined || scanner === undefined) {
        while (pos < to && bytes[pos] !== 10) pos++;
        if (pos >= to) {
          this.stoppedAt = lineStart;
          return out;
        }
        this.line++;
        const end = pos > lineStart && bytes[pos - 1] === 13 ? pos - 1 : pos;
        pos++;
        if (end === lineStart) continue;
        const text = bytes.toString('utf8', lineStart, end);
        if (layout === undefined) this.begin(text, out);
        else this.parseCells(splitCsvLine(text, this.delimiter), out);
        continue;
      }
      const next = scanner.scan(bytes, pos, to);
      if (next < 0) {
        this.stoppedAt = lineStart;
        return out;
      }
      this.line++;
      pos = next;
      const end = scanner.end;
      if (end === lineStart) continue;
      if (scanner.quoted) {
        this.parseCells(splitCsvLine(bytes.toString('utf8', lineStart, end), this.delimiter), out);
        continue;
      }
      if (scanner.cells <= layout.maxIndex) {
        this.missingColumn(scanner.cells);
        continue;
      }
      this.emitBytes(bytes, layout.index, out);
    }
    this.stoppedAt = pos;
    return out;
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
    if (this.delimiterByte >= 0) {
      const scanner = new CsvRowScanner(this.delimiterByte, this.layout.maxIndex + 1);
      this.scanner = scanner;
      this.cellStart = scanner.cellStart;
      this.cellEnd = scanner.cellEnd;
      this.cellValue = scanner.cellValue;
    }
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
    return { index, maxIndex: Math.max(...index) };
  }

  private headerError(role: ColumnRole, reason: string, names: readonly string[] | undefined): RxtradeError {
    return new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `${this.file}:${this.line}: ${reason}${names ? ` (header: ${names.join(', ')})` : ''}`,
      details: { file: this.file, line: this.line, field: FIELD_OF_ROLE[COLUMN_ROLES.indexOf(role)], reason },
    });
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

  /** Text path: collects the bar of a row split into `cells` (header-less first row, quoted rows). */
  private emit(out: Bar[]): void {
    this.bytes = undefined;
    const cells = this.cells;
    const timeText = cells[TIME] ?? '';
    let format = this.format;
    if (format === undefined) {
      format = detectTimestampFormat(timeText);
      this.format = format;
    }
    const ts = parseTimestamp(timeText, format);
    if (Number.isNaN(ts)) {
      this.badTime(format, timeText);
      return;
    }
    const bar: Bar = {
      symbol: this.symbol ?? (cells[SYMBOL] ?? '').trim(),
      ts,
      open: this.round(toNumber(cells[OPEN])),
      high: this.round(toNumber(cells[HIGH])),
      low: this.round(toNumber(cells[LOW])),
      close: this.round(toNumber(cells[CLOSE])),
      volume: this.hasVolume ? toNumber(cells[VOLUME]) : 0,
    };
    this.collect(bar, out);
  }

  /** Byte path (hot): collects the bar of the row whose cells `parse` located in `bytes`. */
  private emitBytes(bytes: Buffer, index: readonly number[], out: Bar[]): void {
    this.bytes = bytes;
    const timeColumn = index[TIME] ?? 0;
    let format = this.format;
    if (format === undefined) {
      format = detectTimestampFormat(this.cellText(timeColumn));
      this.format = format;
    }
    let ts = Number.NaN;
    if (format !== 'iso') {
      const n = this.cellValue[timeColumn] ?? Number.NaN;
      if (!Number.isNaN(n)) ts = epochToMs(n, format);
    }
    if (Number.isNaN(ts)) {
      const timeText = this.cellText(timeColumn);
      ts = parseTimestamp(timeText, format);
      if (Number.isNaN(ts)) {
        this.badTime(format, timeText);
        return;
      }
    }
    const bar: Bar = {
      symbol: this.symbol ?? this.symbolAt(index[SYMBOL] ?? 0),
      ts,
      open: this.round(this.numberAt(index[OPEN] ?? 0)),
      high: this.round(this.numberAt(index[HIGH] ?? 0)),
      low: this.round(this.numberAt(index[LOW] ?? 0)),
      close: this.round(this.numberAt(index[CLOSE] ?? 0)),
      volume: this.hasVolume ? this.numberAt(index[VOLUME] ?? 0) : 0,
    };
    this.collect(bar, out);
  }

  /** `priceDecimals` rounding (identity without it). */
  private round(price: number): number {
    const factor = this.factor;
    return factor === 0 ? price : Math.round(price * factor) / factor;
  }

  /** Byte path: a cell as a number, exactly `toNumber` of its text (decoded only for unusual numbers). */
  private numberAt(column: number): number {
    const n = this.cellValue[column] ?? Number.NaN;
    return Number.isNaN(n) ? toNumber(this.cellText(column)) : n;
  }

  /** Byte path: a cell's text. */
  private cellText(column: number): string {
    return (this.bytes as Buffer).toString('utf8', this.cellStart[column] ?? 0, this.cellEnd[column] ?? 0);
  }

  /** Byte path: the trimmed symbol cell, decoded only when its bytes differ from the previous row's. */
  private symbolAt(column: number): string {
    const bytes = this.bytes as Buffer;
    const start = this.cellStart[column] ?? 0;
    const length = (this.cellEnd[column] ?? 0) - start;
    const last = this.lastSymbolBytes;
    if (last !== undefined && last.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (last[i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastSymbol;
    }
    // A copy: the read buffer is reused (and Buffer#slice would be a view of it).
    this.lastSymbolBytes = new Uint8Array(bytes.subarray(start, start + length));
    this.lastSymbol = bytes.toString('utf8', start, start + length).trim();
    return this.lastSymbol;
  }

  private badTime(format: ResolvedTimestampFormat, timeText: string): void {
    this.gate.failRow(
      { field: 'ts', reason: describeBadTimestamp(timeText, format) },
      { file: this.file, line: this.line },
      timeText,
    );
  }

  /** Checks a bar candidate: keeps it, or applies the bad-row policy with the offending cell's text. */
  private collect(bar: Bar, out: Bar[]): void {
    const violation = this.gate.test(bar);
    if (violation === undefined) {
      out.push(bar);
      return;
    }
    const role = FIELD_OF_ROLE.indexOf(violation.field);
    const column = role >= 0 ? (this.layout?.index[role] ?? -1) : -1;
    let text: string | undefined;
    if (column >= 0) text = this.bytes === undefined ? this.cells[role] : this.cellText(column);
    this.gate.fail(violation, { file: this.file, line: this.line }, text);
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
 * for rows that contain a quote; the hot path locates the cells of unquoted rows in the byte buffer.
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
