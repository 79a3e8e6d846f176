import { type BarColumns, type ColumnRef, parseIsoUtc, type TimestampFormat } from '@rxtrade/core';
import type { OptionReader } from './args';
import type { DataOptions } from './load-data';

/** The `--data` options every command that reads bars shares, for `parseArgs`. */
export const DATA_OPTIONS = {
  data: { type: 'string', multiple: true },
  symbol: { type: 'string' },
  fee: { type: 'string' },
  'price-precision': { type: 'string' },
  'quantity-precision': { type: 'string' },
  delimiter: { type: 'string' },
  columns: { type: 'string' },
  'time-format': { type: 'string' },
  'no-header': { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  resample: { type: 'string' },
  'on-bad-row': { type: 'string' },
} as const;

/** What `parseArgs` gives for {@link DATA_OPTIONS}. */
export type DataValues = {
  readonly [K in keyof typeof DATA_OPTIONS]?: K extends 'data'
    ? string[]
    : K extends 'no-header'
      ? boolean
      : string;
};

/** Their help text. */
export const DATA_USAGE = `Data:
  --data <source>            sp500 (bundled S&P 500 daily bars) or a CSV/JSON file of OHLCV bars;
                             repeat it for several files (one symbol each, merged by time)
  --symbol <id[,id…]>        instrument id per file (default: the file name, upper-cased)
  --price-precision <n>      price decimals of a file's instrument (default 2)
  --quantity-precision <n>   quantity decimals (default 0: whole units; 3 allows 0.001)
  --fee <rate>               maker and taker fee as a fraction of notional (default 0.001 = 0.1%)
  --delimiter <c>            CSV column separator: a character, or comma, semicolon, tab, pipe
  --columns <map>            where the fields are: time=open_time,close=Close,volume=none;
                             symbol=ticker reads several symbols from one file
                             (header names or 0-based column numbers)
  --time-format <f>          auto (default), iso, s, ms, us or ns
  --no-header                the CSV has no header line (columns in the order time,open,high,low,close,volume)
  --from <date>              only bars at or after this UTC date/time (2020-01-01, 2020-01-01T09:30)
  --to <date>                only bars before the end of this date (a date alone includes that whole day)
  --resample <tf>            aggregate bars to a longer timeframe first: 5m, 1h, 4h, 1d, 1w
  --on-bad-row <p>           stop (default) or skip: report and skip rows that fail validation
`;

const DELIMITERS: Readonly<Record<string, string>> = {
  comma: ',',
  semicolon: ';',
  tab: '\t',
  '\\t': '\t',
  pipe: '|',
  space: ' ',
};

const TIME_FORMATS: Readonly<Record<string, TimestampFormat>> = {
  auto: 'auto',
  iso: 'iso',
  s: 'epoch-s',
  ms: 'epoch-ms',
  us: 'epoch-us',
  ns: 'epoch-ns',
  'epoch-s': 'epoch-s',
  'epoch-ms': 'epoch-ms',
  'epoch-us': 'epoch-us',
  'epoch-ns': 'epoch-ns',
};

const ROLES = ['time', 'open', 'high', 'low', 'close', 'volume', 'symbol'] as const;

function parseColumns(text: string, read: OptionReader): BarColumns {
  const columns: Record<string, ColumnRef | null> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const role = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || value === '') {
      read.fail(
        `--columns takes field=column pairs such as time=open_time,close=Close; got ${JSON.stringify(part)}`,
      );
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      read.fail(`--columns: unknown field ${role}; the fields are ${ROLES.join(', ')}`);
    }
    columns[role] =
      role === 'volume' && (value === 'none' || value === '-')
        ? null
        : /^\d+$/.test(value)
          ? Number(value)
          : value;
  }
  return columns as BarColumns;
}

const DAY_MS = 86_400_000;

function parseDate(name: string, text: string, read: OptionReader): { ts: number; dateOnly: boolean } {
  const ts = parseIsoUtc(text);
  if (Number.isNaN(ts)) {
    read.fail(
      `${name} must be a UTC date or date-time such as 2020-01-31 or 2020-01-31T09:30, got ${JSON.stringify(text)}`,
    );
  }
  return { ts, dateOnly: /^\d{4}-?\d{2}-?\d{2}$/.test(text.trim()) };
}

/** The parsed values of {@link DATA_OPTIONS} as {@link DataOptions} (everything but `cwd`). */
export function dataOptions(values: DataValues, read: OptionReader): Omit<DataOptions, 'cwd'> {
  const delimiterText = values.delimiter;
  let delimiter: string | undefined;
  if (delimiterText !== undefined) {
    delimiter = DELIMITERS[delimiterText.toLowerCase()] ?? delimiterText;
    if (delimiter.length !== 1) {
      read.fail(
        `--delimiter must be one character or one of ${Object.keys(DELIMITERS).join(', ')}; got ${JSON.stringify(delimiterText)}`,
      );
    }
  }
  const timeFormatText = values['time-format'];
  const timeFormat = timeFormatText === undefined ? undefined : TIME_FORMATS[timeFormatText.toLowerCase()];
  if (timeFormatText !== undefined && timeFormat === undefined) {
    read.fail(`--time-format must be one of auto, iso, s, ms, us, ns; got ${JSON.stringify(timeFormatText)}`);
  }
  const from = values.from === undefined ? undefined : parseDate('--from', values.from, read).ts;
  let to: number | undefined;
  if (values.to !== undefined) {
    const parsed = parseDate('--to', values.to, read);
    to = parsed.dateOnly ? parsed.ts + DAY_MS : parsed.ts;
  }
  if (from !== undefined && to !== undefined && from >= to) read.fail('--from must be before --to');
  const resample = values.resample;
  if (resample !== undefined && !/^[1-9]\d*[smhdw]$/.test(resample)) {
    read.fail(
      `--resample must be a count and a unit (s, m, h, d, w) such as 5m, 1h or 1d; got ${JSON.stringify(resample)}`,
    );
  }
  const onBadRow = read.choice('--on-bad-row', values['on-bad-row'], ['stop', 'skip'] as const);
  const pricePrecision = read.number('--price-precision', values['price-precision'], {
    min: 0,
    max: 12,
    integer: true,
  });
  const quantityPrecision = read.number('--quantity-precision', values['quantity-precision'], {
    min: 0,
    max: 12,
    integer: true,
  });
  const symbols = values.symbol?.split(',').map((s) => s.trim());
  if (symbols?.some((s) => s.length === 0))
    read.fail('--symbol: an empty symbol; give e.g. --symbol BTCUSDT or --symbol BTC,ETH');
  return {
    fee: read.number('--fee', values.fee, { min: 0, max: 1 }) ?? 0.001,
    ...(symbols ? { symbols } : {}),
    ...(pricePrecision !== undefined ? { pricePrecision } : {}),
    ...(quantityPrecision !== undefined ? { quantityPrecision } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(values.columns !== undefined ? { columns: parseColumns(values.columns, read) } : {}),
    ...(timeFormat !== undefined ? { timeFormat } : {}),
    ...(values['no-header'] ? { header: false } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(resample !== undefined ? { resample } : {}),
    ...(onBadRow === 'skip' ? { onBadRow: 'skip' as const } : {}),
  };
}
