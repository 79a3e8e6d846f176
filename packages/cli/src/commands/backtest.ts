import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  AccountManager,
  createProgressReporter,
  renderHtmlReport,
  runBacktest,
  type SkippedRow,
} from '@rxtrade/core';
import { loadStrategy } from '@rxtrade/fleet/node';
import { OptionReader, parseOptions, UsageError } from '../args';
import type { CliIo, Command } from '../command';
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from '../data-options';
import { formatSummary, resultToJson, shownPath, strategyFailures } from '../format';
import { loadData } from '../load-data';
import { planStrategies, readPlanFile } from '../plan-file';

const USAGE = `Usage: rxtrade backtest --strategy <file> --data <sp500|file.csv|file.json> [options]

Runs a strategy over historical bars and prints a summary (or --json), with an HTML report.

Strategy:
  --strategy <file>          strategy module (.ts or .js) exporting a BaseStrategy subclass
  --export <name>            which export to use (default: the default export, else the first strategy)
  --params <json>            strategy parameters, e.g. '{"fast":10,"slow":30}'; unknown names are refused
  --plan <file.json>         several strategies, symbols and accounts instead of --strategy:
                             {"accounts":[{"id":"a","initialCash":100000}],"strategies":[{"id":"sma",
                             "file":"sma.ts","account":"a","symbol":"SPX","params":{}}]} (files relative
                             to the plan); rxtrade fleet --plan runs the same plan. An account may
                             size the strategies' signals and halt: "sizing", "canTrade", "limits",
                             "halts" (core's AccountManager), with "flattenOnHalt" beside "accounts"
                             (examples/multi-account/plan.json)

${DATA_USAGE}
Run:
  --cash <n>                 starting cash (default 100000)
  --slippage-bps <n>         slippage on market/stop fills in basis points (default 0)
  --close-at-end             close open positions at the last close (default: value them there)
  --budget <n>               the strategy's cash budget on the account: orders past it are denied
                             STRATEGY_BUDGET_EXCEEDED; adds its own results (JSON "strategies", a report section)

Output:
  --report <file.html>       where to write the HTML report (default reports/<strategy>.html)
  --no-report                do not write the HTML report
  --json                     print the whole result as one JSON document instead of the table
  --out <file>               write the summary or JSON to a file instead of standard output
  --quiet                    no progress bar
  --debug                    show the stack of an error
  --help                     show this help

Exit codes: 0 done · 1 bad input or error · 2 a strategy threw and was stopped · 3 every order was refused
`;

const OPTIONS = {
  strategy: { type: 'string' },
  export: { type: 'string' },
  params: { type: 'string' },
  plan: { type: 'string' },
  ...DATA_OPTIONS,
  cash: { type: 'string' },
  'slippage-bps': { type: 'string' },
  'close-at-end': { type: 'boolean' },
  budget: { type: 'string' },
  report: { type: 'string' },
  'no-report': { type: 'boolean' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** Exit code of a run whose every order was refused: it traded nothing, and not by choice. */
export const EXIT_ALL_REFUSED = 3;
/** Exit code of a run in which a strategy threw and was stopped. */
export const EXIT_STRATEGY_FAILED = 2;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, OPTIONS, 'backtest');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const read: OptionReader = new OptionReader('backtest');
  if (values.plan) {
    for (const name of ['strategy', 'export', 'params', 'cash', 'budget'] as const)
      if (values[name] !== undefined)
        read.fail(`--plan says the strategies and accounts: leave out --${name}`);
  } else if (!values.strategy)
    read.fail('--strategy is required: the file of your strategy, e.g. --strategy src/strategy.ts');
  if (!values.data) read.fail('--data is required: sp500, or a CSV/JSON file of bars, e.g. --data bars.csv');
  if (values.report && values['no-report']) read.fail('--report and --no-report do not go together');
  const params = values.params ? read.jsonObject('--params', values.params) : {};
  const cash = read.number('--cash', values.cash, { min: 0.01 }) ?? 100_000;
  const slippageBps = read.number('--slippage-bps', values['slippage-bps']) ?? 0;
  const budget = read.number('--budget', values.budget, { min: 0.01 });
  const skipped: SkippedRow[] = [];
  const data = await loadData(values.data, {
    cwd: io.cwd,
    ...dataOptions(values, read),
    onSkip: (row) => skipped.push(row),
  });
  const plan = values.plan
    ? await readPlanFile(values.plan, { cwd: io.cwd, instruments: data.instruments, command: 'backtest' })
    : undefined;
  const strategies = plan
    ? await planStrategies(plan.plan)
    : [
        await loadStrategy(values.strategy as string, {
          cwd: io.cwd,
          params,
          ...(values.export ? { export: values.export } : {}),
        }),
      ];
  // One strategy: its id and params; a plan: its strategies' ids and each one's params.
  const strategy = plan
    ? { id: plan.ids.join(','), params: plan.params }
    : (strategies[0] as (typeof strategies)[number]);
  const progress = createProgressReporter({
    ...(data.total !== undefined ? { total: data.total } : {}),
    stream: values.quiet ? { write: () => true } : io.stderr,
    label: strategy.id,
  });
  // A plan's managed accounts: core's AccountManager sizes the signals and watches the halts.
  const manager = plan?.accountManager && new AccountManager(plan.accountManager);
  const result = await runBacktest({
    strategies,
    data: data.source,
    instruments: data.instruments,
    ...(plan ? { accounts: plan.accounts } : { initialCash: cash }),
    ...(manager ? { rules: manager.rules(), onEngine: (engine) => manager.attach(engine) } : {}),
    ...(slippageBps > 0 ? { slippage: { type: 'bps', bps: slippageBps } } : {}),
    closeAtEnd: values['close-at-end'] ?? false,
    ...(budget === undefined ? {} : { budgets: { [strategy.id]: budget } }),
    recordPrices: !values['no-report'],
    ...(data.total !== undefined ? { total: data.total } : {}),
    onProgress: (p) => progress.update(p.bars),
  });
  progress.finish();
  if (result.bars === 0) {
    throw new UsageError(
      `no bars to test on in ${data.label}${values.from || values.to ? ' between --from and --to' : ''}`,
      'backtest',
    );
  }
  if (skipped.length > 0) {
    const first = skipped[0] as SkippedRow;
    io.stderr.write(
      `rxtrade: skipped ${skipped.length} bad row${skipped.length === 1 ? '' : 's'} (--on-bad-row skip); the first: ${first.file ?? ''}${first.line !== undefined ? `:${first.line}` : ''} ${first.field}: ${first.reason}\n`,
    );
  }
  // A plan of several accounts: the curve and statistics are the first account's (the fills are all).
  const [first, ...others] = result.accounts;
  const title = `${strategy.id} on ${data.instruments.map((i) => i.id).join(', ')}${
    first !== undefined && others.length > 0
      ? ` · equity and statistics of ${first.accountId} (fills of every account)`
      : ''
  }`;
  let reportPath: string | undefined;
  if (!values['no-report']) {
    const file = values.report ?? `reports/${plan ? 'plan' : strategy.id}.html`;
    reportPath = isAbsolute(file) ? file : resolve(io.cwd, file);
    await mkdir(dirname(reportPath), { recursive: true });
    await writeFile(
      reportPath,
      renderHtmlReport({
        title,
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
        strategyErrors: strategyFailures(result),
        refusals: result.refusals,
        trades: result.closedTrades,
        strategies: result.strategies,
      }),
    );
  }
  const text = values.json
    ? `${resultToJson(result, { strategy: strategy.id, params: strategy.params, data: data.label, instruments: data.instruments })}\n`
    : `${formatSummary(result, `${strategy.id} · ${data.label} · params ${JSON.stringify(strategy.params)}`)}${
        reportPath ? `\nReport: ${shownPath(io.cwd, reportPath)}\n` : ''
      }`;
  if (values.out) {
    const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, text);
    io.stderr.write(`rxtrade: wrote ${shownPath(io.cwd, out)}\n`);
  } else {
    io.stdout.write(text);
  }
  if (strategyFailures(result).length > 0) return EXIT_STRATEGY_FAILED;
  if (result.statistics.ordersRefused > 0 && result.fills.length === 0) return EXIT_ALL_REFUSED;
  return 0;
}

/** `rxtrade backtest`. */
export const backtestCommand: Command = {
  summary: 'run a strategy over historical bars: summary, JSON, HTML report',
  usage: USAGE,
  run,
};
