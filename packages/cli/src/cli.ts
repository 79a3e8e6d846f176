import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createProgressReporter, isRxtradeError, renderHtmlReport, runBacktest } from '@rxtrade/core';
import { formatSummary, resultToJson } from './format';
import { loadData } from './load-data';
import { loadStrategy } from './load-strategy';

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly cwd: string;
}

const USAGE = `Usage: rxtrade backtest --strategy <file> --data <sp500|file.csv|file.json> [options]

Options:
  --strategy <file>          strategy module (.ts or .js) exporting a BaseStrategy subclass
  --data <source>            sp500 (bundled S&P 500 daily bars) or a CSV/JSON file of OHLCV bars
  --params <json>            strategy parameters, e.g. '{"fast":10,"slow":30}'
  --cash <n>                 starting cash (default 100000)
  --fee <rate>               maker and taker fee as a fraction of notional (default 0.001 = 0.1%)
  --symbol <id>              instrument id for a CSV/JSON file (default: the file name)
  --price-precision <n>      price decimals for a CSV/JSON file (default 2)
  --quantity-precision <n>   quantity decimals (default 0)
  --slippage-bps <n>         slippage on market/stop fills in basis points (default 0)
  --close-at-end             close open positions at the last close (default: value them there)
  --report <file.html>       where to write the HTML report (default reports/<strategy>.html)
  --no-report                do not write the HTML report
  --json                     print the whole result as one JSON document instead of the table
  --help                     show this help
`;

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    io.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command !== 'backtest') {
    io.stderr.write(`rxtrade: unknown command ${command}\n\n${USAGE}`);
    return 1;
  }
  let values: ReturnType<typeof parse>;
  try {
    values = parse(rest);
  } catch (error) {
    io.stderr.write(`rxtrade: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.strategy || !values.data) {
    io.stderr.write(`rxtrade: --strategy and --data are required\n\n${USAGE}`);
    return 1;
  }
  try {
    const params = values.params ? parseParams(values.params) : {};
    const fee = numberOption('--fee', values.fee, 0.001);
    const cash = numberOption('--cash', values.cash, 100_000);
    const slippageBps = numberOption('--slippage-bps', values['slippage-bps'], 0);
    const strategy = await loadStrategy(values.strategy, { cwd: io.cwd, params });
    const data = await loadData(values.data, {
      cwd: io.cwd,
      fee,
      ...(values.symbol ? { symbol: values.symbol } : {}),
      ...(values['price-precision']
        ? { pricePrecision: numberOption('--price-precision', values['price-precision'], 2) }
        : {}),
      ...(values['quantity-precision']
        ? { quantityPrecision: numberOption('--quantity-precision', values['quantity-precision'], 0) }
        : {}),
    });
    const progress = createProgressReporter({
      ...(data.total !== undefined ? { total: data.total } : {}),
      stream: io.stderr,
      label: strategy.id,
    });
    const result = await runBacktest({
      strategies: strategy,
      data: data.source,
      instruments: [data.instrument],
      initialCash: cash,
      ...(slippageBps > 0 ? { slippage: { type: 'bps', bps: slippageBps } } : {}),
      closeAtEnd: values['close-at-end'] ?? false,
      recordPrices: !values['no-report'],
      ...(data.total !== undefined ? { total: data.total } : {}),
      onProgress: (p) => progress.update(p.bars),
    });
    progress.finish();
    let reportPath: string | undefined;
    if (!values['no-report']) {
      const file = values.report ?? `reports/${strategy.id}.html`;
      reportPath = isAbsolute(file) ? file : resolve(io.cwd, file);
      await mkdir(dirname(reportPath), { recursive: true });
      await writeFile(
        reportPath,
        renderHtmlReport({
          title: `${strategy.id} on ${data.instrument.id}`,
          statistics: result.statistics,
          equity: { timestamps: result.equity.timestamps, values: result.equity.values },
          prices: result.prices.map((p) => ({ symbol: p.symbol, timestamps: p.timestamps, close: p.close })),
          fills: result.fills.map((f) => ({
            ts: f.tsEvent,
            symbol: f.instrumentId,
            side: f.side,
            price: f.lastPx,
            quantity: f.lastQty,
            fee: f.fee,
          })),
          params: strategy.params as Record<string, unknown>,
        }),
      );
    }
    if (values.json) {
      io.stdout.write(
        `${resultToJson(result, { strategy: strategy.id, params: strategy.params, data: data.label })}\n`,
      );
    } else {
      io.stdout.write(
        formatSummary(result, `${strategy.id} · ${data.label} · params ${JSON.stringify(strategy.params)}`),
      );
      if (reportPath) io.stdout.write(`\nReport: ${relative(io.cwd, reportPath) || reportPath}\n`);
    }
    return result.strategyEvents.length > 0 ? 2 : 0;
  } catch (error) {
    const message = isRxtradeError(error)
      ? `${error.code}: ${error.message}`
      : ((error as Error).stack ?? String(error));
    io.stderr.write(`rxtrade: ${message}\n`);
    return 1;
  }
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      strategy: { type: 'string' },
      data: { type: 'string' },
      params: { type: 'string' },
      cash: { type: 'string' },
      fee: { type: 'string' },
      symbol: { type: 'string' },
      'price-precision': { type: 'string' },
      'quantity-precision': { type: 'string' },
      'slippage-bps': { type: 'string' },
      'close-at-end': { type: 'boolean' },
      report: { type: 'string' },
      'no-report': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values;
}

function parseParams(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--params must be a JSON object, got ${text}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`--params must be a JSON object, got ${text}`);
  }
  return value as Record<string, unknown>;
}

function numberOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got ${text}`);
  return value;
}
