import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import {
  type BaseStrategy,
  createMemoryStateStore,
  type SkippedRow,
  type StrategyOptions,
} from '@rxtrade/core';
import type { FleetRunResult, StrategyFactory } from '@rxtrade/fleet';
import { OptionReader, parseOptions, UsageError } from '../args';
import type { CliIo, Command } from '../command';
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from '../data-options';
import { formatSummary, resultToJson, strategyFailures } from '../format';
import { loadData } from '../load-data';
import { loadStrategy } from '../load-strategy';
import { EXIT_ALL_REFUSED, EXIT_STRATEGY_FAILED } from './backtest';

const USAGE = `Usage: rxtrade fleet --strategy <file> --data <sp500|file.csv|file.json> [options]

Runs a strategy through the fleet's roles (data, strategy ×N, risk ×M, order ×K) until every bar was
handled, and prints the same summary (or --json) as rxtrade backtest: the same fills and final equity.
All roles run in this process on the in-memory bus and store (on RabbitMQ and Redis, start the roles
from @rxtrade/fleet). Guide: docs/guides/fleet.md.

Strategy:
  --strategy <file>          strategy module (.ts or .js) exporting a BaseStrategy subclass
  --export <name>            which export to use (default: the default export, else the first strategy)
  --params <json>            strategy parameters, e.g. '{"fast":10,"slow":30}'

${DATA_USAGE}
Run:
  --cash <n>                 starting cash (default 100000)
  --strategy-replicas <n>    strategy role replicas (default 1)
  --risk-replicas <n>        risk role replicas (default 1)
  --order-replicas <n>       order role replicas (default 1)
  --until-done               run until every bar was handled (the only mode on historical data)

Output:
  --json                     print the whole result as one JSON document instead of the table
  --out <file>               write the summary or JSON to a file instead of standard output
  --help                     show this help
`;

const OPTIONS = {
  strategy: { type: 'string' },
  export: { type: 'string' },
  params: { type: 'string' },
  ...DATA_OPTIONS,
  cash: { type: 'string' },
  'strategy-replicas': { type: 'string' },
  'risk-replicas': { type: 'string' },
  'order-replicas': { type: 'string' },
  'until-done': { type: 'boolean' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

type StrategyClass = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, OPTIONS, 'fleet');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const read: OptionReader = new OptionReader('fleet');
  if (!values.strategy)
    read.fail('--strategy is required: the file of your strategy, e.g. --strategy src/strategy.ts');
  if (!values.data) read.fail('--data is required: sp500, or a CSV/JSON file of bars, e.g. --data bars.csv');
  const params = values.params ? read.jsonObject('--params', values.params) : {};
  const cash = read.number('--cash', values.cash, { min: 0.01 }) ?? 100_000;
  const replicas = {
    strategy:
      read.number('--strategy-replicas', values['strategy-replicas'], { min: 1, max: 64, integer: true }) ??
      1,
    risk: read.number('--risk-replicas', values['risk-replicas'], { min: 1, max: 64, integer: true }) ?? 1,
    order: read.number('--order-replicas', values['order-replicas'], { min: 1, max: 64, integer: true }) ?? 1,
  };
  const skipped: SkippedRow[] = [];
  const data = await loadData(values.data, {
    cwd: io.cwd,
    ...dataOptions(values, read),
    onSkip: (row) => skipped.push(row),
  });
  if (data.instruments.length !== 1) {
    throw new UsageError('rxtrade fleet runs one symbol for now: give one --data file', 'fleet');
  }
  const strategy = await loadStrategy(values.strategy, {
    cwd: io.cwd,
    params,
    ...(values.export ? { export: values.export } : {}),
  });
  // A class is built once per strategy instance of the plan; a factory's or module's ready instance is used as it is.
  const Class = strategy.constructor as StrategyClass;
  let used = false;
  const create: StrategyFactory =
    Object.getPrototypeOf(strategy) === Class.prototype && Class.length <= 1
      ? (options) => new Class({ ...options, params })
      : () => {
          if (used) throw new UsageError('a strategy module exporting an instance runs once', 'fleet');
          used = true;
          return strategy;
        };
  const instrument = data.instruments[0] as (typeof data.instruments)[number];
  const plan = {
    instruments: [instrument],
    accounts: [{ id: 'default', initialCash: cash }],
    strategies: [{ id: strategy.id, symbol: instrument.id, accountId: 'default', create }],
  };
  // Loaded here, not at the top: the other commands never need it.
  const { fleetReport, ResolvedPlan, runFleet } = await import('@rxtrade/fleet');
  // Frames and each partition's inputs journaled in the in-memory store, as between processes.
  const result: FleetRunResult = await runFleet({
    plan,
    data: data.source,
    replicas,
    store: createMemoryStateStore(),
  });
  const report = await fleetReport({
    data: data.source,
    run: result,
    instruments: new ResolvedPlan(plan).instruments,
    accounts: plan.accounts,
  });
  if (report.bars === 0) throw new UsageError(`no bars in ${data.label}`, 'fleet');
  if (skipped.length > 0)
    io.stderr.write(
      `rxtrade: skipped ${skipped.length} bad row${skipped.length === 1 ? '' : 's'} (--on-bad-row skip)\n`,
    );
  const text = values.json
    ? `${resultToJson(report, { strategy: strategy.id, params: strategy.params, data: data.label, instruments: data.instruments })}\n`
    : formatSummary(
        report,
        `${strategy.id} · ${data.label} · params ${JSON.stringify(strategy.params)} · fleet (${replicas.strategy} strategy, ${replicas.risk} risk, ${replicas.order} order)`,
      );
  if (values.out) {
    const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, text);
    io.stderr.write(`rxtrade: wrote ${relative(io.cwd, out) || out}\n`);
  } else io.stdout.write(text);
  if (strategyFailures(report).length > 0) return EXIT_STRATEGY_FAILED;
  if (report.statistics.ordersRefused > 0 && report.fills.length === 0) return EXIT_ALL_REFUSED;
  return 0;
}

/** `rxtrade fleet`. */
export const fleetCommand: Command = {
  summary:
    'run a strategy through the fleet (strategy, risk, order roles over a bus): the same fills as a backtest',
  usage: USAGE,
  run,
};
