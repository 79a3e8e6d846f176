import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { invalidArgument, RxtradeError } from '../../errors';
import type { Bar } from '../../model/market-data';
import {
  type BarCheckOptions,
  BarGate,
  type BarReadStats,
  barCheckOptionsShape,
  checkOptions,
} from './bar-checks';
import type { BarSource } from './bar-source';
import { type BarColumns, barColumnsSchema, type ColumnRole, DEFAULT_COLUMN_NAMES } from './columns';
import {
  describeBadTimestamp,
  detectTimestampFormat,
  parseTimestamp,
  type ResolvedTimestampFormat,
  TIMESTAMP_FORMATS,
  type TimestampFormat,
} from './timestamp';

/** Options of {@link fromJsonFile}. */
export interface JsonBarSourceOptions extends BarCheckOptions {
  /** Symbol given to every bar, overriding a `symbol` property. Required when records have none. */
  readonly symbol?: string;
  /** Property names of each field (numbers are not allowed here); defaults as for CSV headers. */
  readonly columns?: BarColumns;
  /**
   * How to read the time property; default `'auto'`: strings as in {@link TimestampFormat}; numbers under
   * `ts` are epoch ms (the `Bar` shape), other numeric times use the seconds/milliseconds magnitude rule.
   */
  readonly timeFormat?: TimestampFormat;
  /** Round open/high/low/close to this many decimals before validation. */
  readonly priceDecimals?: number;
  /** Bars per chunk of `chunks()`; default 8192. */
  readonly chunkSize?: number;
}

/** A JSON file as a {@link BarSource}; `stats` counts the current (or last) read. */
export interface JsonBarSource extends BarSource {
  readonly path: string;
  readonly stats: Readonly<BarReadStats>;
}

const jsonOptionsSchema = z
  .object({
    ...barCheckOptionsShape,
    symbol: z.string().min(1).optional(),
    columns: barColumnsSchema
      .refine((c) => Object.values(c).every((v) => typeof v !== 'number'), 'JSON columns are property names')
      .optional(),
    timeFormat: z.enum(TIMESTAMP_FORMATS).optional(),
    priceDecimals: z.number().int().min(0).max(12).optional(),
    chunkSize: z.number().int().positive().optional(),
  })
  .strict();

/**
 * Reads bars from a JSON file holding an array of `Bar`s (`{ symbol, ts, open, … }`) or of OHLCV records with
 * a date/time property (`{ date: '2020-01-02', open: …, volume: … }`). Numeric strings are accepted for prices.
 *
 * JSON cannot be parsed incrementally without a streaming parser, so the whole file is loaded on each read:
 * fine for the sizes people keep as JSON; use {@link fromCsvFile} for large data. Validation, ordering and the
 * skip policies are those of the CSV source; errors name the file and the 0-based record index
 * (`details: { file, index, field, reason, value }`).
 */
export function fromJsonFile(path: string, options: JsonBarSourceOptions = {}): JsonBarSource {
  if (typeof path !== 'string' || path.length === 0)
    throw invalidArgument('fromJsonFile: path must be a non-empty string');
  checkOptions(jsonOptionsSchema, options, 'fromJsonFile');
  const chunkSize = options.chunkSize ?? 8192;
  const factor = options.priceDecimals === undefined ? 0 : 10 ** options.priceDecimals;
  let stats: BarReadStats = { rows: 0, bars: 0, skipped: 0 };

  async function* chunks(): AsyncGenerator<readonly Bar[]> {
    const gate = new BarGate(options);
    stats = gate.stats;
    const records = await load(path);
    let format: ResolvedTimestampFormat | undefined =
      options.timeFormat === undefined || options.timeFormat === 'auto' ? undefined : options.timeFormat;
    let out: Bar[] = [];
    for (let index = 0; index < records.length; index++) {
      const record: unknown = records[index];
      const location = { file: path, index };
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        gate.failRow({ field: 'row', reason: 'must be an object' }, location, JSON.stringify(record));
        continue;
      }
      const fields = record as Record<string, unknown>;
      const timeKey = findKey(fields, 'time', options.columns);
      const rawTime = timeKey === undefined ? undefined : fields[timeKey];
      if (typeof rawTime !== 'number' && typeof rawTime !== 'string') {
        gate.failRow(
          {
            field: 'ts',
            reason: timeKey === undefined ? 'missing time property' : 'must be a number or a string',
          },
          location,
          rawTime === undefined ? undefined : JSON.stringify(rawTime),
        );
        continue;
      }
      let ts: number;
      if (typeof rawTime === 'number' && timeKey === 'ts' && format === undefined) {
        ts = rawTime;
      } else {
        const text = String(rawTime);
        format ??= detectTimestampFormat(text);
        ts = parseTimestamp(text, format);
      }
      if (Number.isNaN(ts)) {
        gate.failRow(
          { field: 'ts', reason: describeBadTimestamp(String(rawTime), format ?? 'epoch-ms') },
          location,
          String(rawTime),
        );
        continue;
      }
      const symbolKey = options.symbol === undefined ? findKey(fields, 'symbol', options.columns) : undefined;
      const symbol = options.symbol ?? (symbolKey === undefined ? undefined : fields[symbolKey]);
      let missing: ColumnRole | undefined;
      const value = (role: ColumnRole): number => {
        if (role === 'volume' && options.columns?.volume === null) return 0;
        const key = findKey(fields, role, options.columns);
        if (key === undefined) {
          missing ??= role;
          return Number.NaN;
        }
        return toNumber(fields[key]);
      };
      let open = value('open');
      let high = value('high');
      let low = value('low');
      let close = value('close');
      const volume = value('volume');
      if (missing !== undefined) {
        gate.failRow(
          { field: missing === 'time' ? 'ts' : missing, reason: `missing ${missing} property` },
          location,
        );
        continue;
      }
      if (factor !== 0) {
        open = Math.round(open * factor) / factor;
        high = Math.round(high * factor) / factor;
        low = Math.round(low * factor) / factor;
        close = Math.round(close * factor) / factor;
      }
      const bar = { symbol, ts, open, high, low, close, volume } as Bar;
      if (!gate.admit(bar, location)) continue;
      out.push(bar);
      if (out.length >= chunkSize) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
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

async function load(path: string): Promise<readonly unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `fromJsonFile: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
      details: { file: path },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `${path}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
      details: { file: path },
    });
  }
  if (!Array.isArray(parsed)) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `${path}: expected a JSON array of bars`,
      details: { file: path },
    });
  }
  return parsed;
}

/** The record's key for a field: the configured name, else the first default name present (any case). */
function findKey(
  fields: Record<string, unknown>,
  role: ColumnRole,
  columns: BarColumns | undefined,
): string | undefined {
  const configured = columns?.[role];
  const wanted = typeof configured === 'string' ? [configured.toLowerCase()] : DEFAULT_COLUMN_NAMES[role];
  for (const name of wanted) if (name in fields) return name;
  const lower = new Map(Object.keys(fields).map((k) => [k.toLowerCase(), k]));
  for (const name of wanted) {
    const key = lower.get(name);
    if (key !== undefined) return key;
  }
  return undefined;
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim().length > 0) return Number(value);
  return Number.NaN;
}
