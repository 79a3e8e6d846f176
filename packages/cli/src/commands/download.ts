import { existsSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type Bar, parseIsoUtc, parseTimeframe } from '@rxtrade/core';
import { OptionReader, parseOptions } from '../args';
import type { CliIo, Command } from '../command';
import {
  EXCHANGE_OPTIONS,
  EXCHANGE_USAGE,
  importCcxtAdapter,
  importOptional,
  openExchange,
} from '../exchange';
import { count, shownPath } from '../format';

const USAGE = `Usage: rxtrade download --symbol <BTC/USDT> --timeframe <1h> --from <date> --out <file.csv | postgres://…> [options]

Downloads OHLCV bars from an exchange into a CSV file that \`rxtrade backtest --data\` reads, or into
PostgreSQL (the bars table of @rxtrade/postgres). Incremental and resumable: when the file or the table
has bars of the symbol, the download continues after the last one (a run that was stopped loses
nothing; run the same command again). Progress goes to standard error.

  rxtrade download --symbol BTC/USDT --timeframe 1h --from 2024-01-01 --to 2024-07-01 --out data/btcusdt-1h.csv
  rxtrade download --symbol BTC/USDT --timeframe 1h --from 2024-01-01 --out postgres://postgres@127.0.0.1:5432/test --schema binance_1h

Bars:
  --symbol <s>               market, as a ccxt symbol (BTC/USDT) or the exchange's id (BTCUSDT)
  --timeframe <tf>           1m, 5m, 1h, 4h, 1d, … (default 1h)
  --from <date>              first bar, a UTC date or date-time (2024-01-01, 2024-01-01T09:30);
                             optional when --out exists (the download continues after its last bar)
  --to <date>                end, exclusive (a date alone includes that whole day); default now
  --out <file.csv | url>     where the bars go: a CSV file (time (ISO, UTC), open, high, low, close,
                             volume), or a postgres:// URL (needs pg and @rxtrade/postgres installed)
  --schema <name>            PostgreSQL only: the schema of the bars table, created or upgraded on the
                             first run (default rxtrade). The table has no timeframe column: keep one
                             timeframe per schema (e.g. binance_1h)
  --as <name>                PostgreSQL only: the symbol the bars are stored under (default the
                             exchange's id, e.g. BTCUSDT)
${EXCHANGE_USAGE}
  --quiet                    no progress
  --debug                    show the stack of an error
  --help                     show this help
`;

const OPTIONS = {
  symbol: { type: 'string' },
  timeframe: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  schema: { type: 'string' },
  as: { type: 'string' },
  ...EXCHANGE_OPTIONS,
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const HEADER = 'time,open,high,low,close,volume\n';
const DAY_MS = 86_400_000;
/** Bars asked for per request (most exchanges serve 500 to 1,000). */
const PAGE = 1_000;

function date(name: string, text: string, read: OptionReader): number {
  const ts = parseIsoUtc(text);
  if (Number.isNaN(ts)) {
    read.fail(
      `${name} must be a UTC date or date-time such as 2024-01-31 or 2024-01-31T09:30, got ${JSON.stringify(text)}`,
    );
  }
  return /^\d{4}-?\d{2}-?\d{2}$/.test(text.trim()) && name === '--to' ? ts + DAY_MS : ts;
}

const row = (b: Bar): string =>
  `${new Date(b.ts).toISOString()},${b.open},${b.high},${b.low},${b.close},${b.volume}\n`;

/**
 * The time of the last whole bar of an existing download, or undefined for an empty file. A last line
 * without its newline (a run killed while writing) is cut off, so it is fetched again.
 */
async function resumePoint(path: string, read: OptionReader): Promise<number | undefined> {
  const text = await readFile(path, 'utf8');
  if (text.length === 0) return undefined;
  let body = text;
  if (!text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    await truncate(path, Buffer.byteLength(text.slice(0, cut)));
    body = text.slice(0, cut);
  }
  if (body.length === 0) return undefined;
  if (!body.startsWith(HEADER)) {
    read.fail(
      `--out ${path} exists and is not a download of rxtrade (its first line is not ${HEADER.trim()}); pick another file`,
    );
  }
  const lines = body.trimEnd().split('\n');
  if (lines.length === 1) return undefined;
  const last = lines.at(-1) as string;
  const ts = parseIsoUtc(last.slice(0, last.indexOf(',')));
  if (Number.isNaN(ts))
    read.fail(`--out ${path}: cannot read the time of its last line ${JSON.stringify(last)}`);
  return ts;
}

/** Where a download goes: a CSV file or PostgreSQL's bars table. */
interface BarSink {
  /** How messages name it (a PostgreSQL URL without its password). */
  readonly shown: string;
  /** The time of its last bar of the symbol, or undefined when it has none. */
  readonly resumeAfter: number | undefined;
  /** Called once before the first page of a download that has bars to write. */
  begin(): Promise<void>;
  /** Writes one page (all or nothing), oldest first, only bars after `resumeAfter`. */
  write(bars: readonly Bar[]): Promise<void>;
  close(): Promise<void>;
}

const isPostgresUrl = (out: string): boolean => /^postgres(ql)?:\/\//i.test(out);

async function csvSink(values: { out: string }, io: CliIo, read: OptionReader): Promise<BarSink> {
  const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
  const resumeAfter = existsSync(out) ? await resumePoint(out, read) : undefined;
  return {
    shown: shownPath(io.cwd, out),
    resumeAfter,
    async begin() {
      await mkdir(dirname(out), { recursive: true });
      if (resumeAfter === undefined) {
        const handle = await open(out, 'w');
        await handle.write(HEADER);
        await handle.close();
      }
    },
    // Written page by page: a stopped run keeps every whole page, and the next run continues after it.
    write: (bars) => appendFile(out, bars.map(row).join('')),
    close: async () => {},
  };
}

async function postgresSink(url: string, schema: string, symbol: string): Promise<BarSink> {
  const { createPostgresHistory } = await importOptional<typeof import('@rxtrade/postgres')>(
    '@rxtrade/postgres',
    'download',
    'npm install pg @rxtrade/postgres',
  );
  const history = createPostgresHistory({ connectionString: url, schema, poolSize: 2 });
  const safe = new URL(url);
  safe.password = '';
  try {
    await history.migrate();
    const last = await history.bars.last(symbol);
    return {
      shown: `${safe.toString()} (schema ${schema}, symbol ${symbol})`,
      resumeAfter: last?.ts,
      begin: async () => {},
      // One transaction per page: a stopped run keeps every whole page; the next asks for what follows.
      write: async (bars) => {
        await history.bars.ingest(bars.map((b) => (b.symbol === symbol ? b : { ...b, symbol })));
      },
      close: () => history.close(),
    };
  } catch (error) {
    await history.close();
    throw error;
  }
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, OPTIONS, 'download');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const read: OptionReader = new OptionReader('download');
  if (!values.symbol) read.fail('--symbol is required: the market, e.g. --symbol BTC/USDT');
  if (!values.out)
    read.fail(
      '--out is required: the CSV file or the postgres:// URL the bars go to, e.g. --out data/btcusdt-1h.csv',
    );
  const toPostgres = isPostgresUrl(values.out);
  if (!toPostgres && (values.schema !== undefined || values.as !== undefined))
    read.fail('--schema and --as are for a download into PostgreSQL (--out postgres://…)');
  const schema = values.schema ?? 'rxtrade';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    read.fail(`--schema must be a lower-case SQL name such as binance_1h, got ${JSON.stringify(schema)}`);
  const timeframe = values.timeframe ?? '1h';
  let tfMs = 0;
  try {
    tfMs = parseTimeframe(timeframe).ms;
  } catch {
    read.fail(
      `--timeframe must be a count and a unit such as 1m, 5m, 1h or 1d; got ${JSON.stringify(timeframe)}`,
    );
  }
  const requested = values.from === undefined ? undefined : date('--from', values.from, read);
  const to = values.to === undefined ? Date.now() : date('--to', values.to, read);
  if (requested !== undefined && to <= requested) read.fail('--from must be before --to');
  // A CSV is checked before the exchange is asked anything; PostgreSQL needs the symbol's id first.
  let sink = toPostgres ? undefined : await csvSink({ out: values.out }, io, read);
  if (sink && values.from === undefined && sink.resumeAfter === undefined)
    read.fail(
      `--from is required for a new download (${sink.shown} has no bars yet), e.g. --from 2024-01-01`,
    );

  const { createCcxtConnector } = await importCcxtAdapter('download');
  const exchange = await openExchange({
    id: values.exchange ?? 'binance',
    testnet: values.testnet ?? false,
    apiUrl: values['api-url'],
    needKeys: false,
    env: process.env,
    command: 'download',
  });
  const connector = createCcxtConnector({ exchange, symbols: [values.symbol] });
  const [instrument] = await connector.instruments();
  const symbol = instrument?.id ?? values.symbol;
  sink ??= await postgresSink(values.out, schema, values.as ?? symbol);
  try {
    const resumeAfter = sink.resumeAfter;
    if (values.from === undefined && resumeAfter === undefined)
      read.fail(
        `--from is required for a new download (${sink.shown} has no bars yet), e.g. --from 2024-01-01`,
      );
    const from = resumeAfter === undefined ? (requested as number) : resumeAfter + tfMs;
    const progress = (text: string): void => {
      if (!values.quiet) io.stderr.write(`rxtrade: ${text}\n`);
    };
    if (resumeAfter !== undefined) {
      progress(`${sink.shown} ends at ${new Date(resumeAfter).toISOString()}; continuing from there`);
    }
    if (from >= to) {
      progress(`${sink.shown} is up to date (${symbol} ${timeframe} until ${new Date(to).toISOString()})`);
      return 0;
    }
    await sink.begin();
    const span = to - from;
    let since = from;
    let written = 0;
    let last: number | undefined;
    while (since < to) {
      const end = Math.min(to, since + PAGE * tfMs);
      const bars = await connector.marketData.history(symbol, { timeframe, from: since, to: end });
      const fresh = bars.filter((b) => last === undefined || b.ts > last);
      if (fresh.length > 0) {
        await sink.write(fresh);
        written += fresh.length;
        last = (fresh.at(-1) as Bar).ts;
      }
      since = end;
      const done = Math.min(1, (since - from) / span);
      progress(
        `${symbol} ${timeframe}: ${count(written)} bars, up to ${new Date(Math.min(since, to)).toISOString().slice(0, 16)}Z (${Math.round(done * 100)} %)`,
      );
    }
    io.stdout.write(
      `${count(written)} bars of ${symbol} ${timeframe} written to ${sink.shown}${resumeAfter === undefined ? '' : ' (appended)'}\n`,
    );
    return 0;
  } finally {
    await sink.close();
  }
}

/** `rxtrade download`. */
export const downloadCommand: Command = {
  summary: 'download OHLCV bars from an exchange into a CSV file or PostgreSQL; incremental, resumable',
  usage: USAGE,
  run,
};
