import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type Bar,
  type BarSource,
  computeStatistics,
  createProgressReporter,
  type ParamRange,
  type ParamSet,
  type ParamSpace,
  type ProgressReporter,
} from '@rxtrade/core';
import { type OptimizeMetric, type OptimizeRow, optimize, walkForward } from '@rxtrade/core/node';
import { resolveUserFile } from '@rxtrade/fleet/node';
import { OptionReader, parseOptions } from '../args';
import type { CliIo, Command } from '../command';
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from '../data-options';
import { count, num, pct, shownPath } from '../format';
import { loadData } from '../load-data';

const USAGE = `Usage: rxtrade optimize --strategy <file> --data <source> --param <name=values> … [options]

Runs one backtest per parameter set on worker threads and prints the best sets; or a walk-forward.

Search:
  --strategy <file>          strategy module exporting a BaseStrategy subclass with a zod paramsSchema
  --export <name>            which export to use (default: the default export, else the first subclass)
  --param <name=values>      values to try, repeatable: fast=5,10,20 · fast=5..50 (whole numbers) ·
                             fast=5..50:5 (a step) · mode=a,b · flag=true,false
  --space <json>             the whole space as JSON instead: '{"fast":[5,10],"slow":{"min":20,"max":60,"step":10}}'
  --params <json>            fixed parameters every run gets, e.g. '{"quantity":5}'
  --constraint <rule>        skip sets that break it: 'fast < slow' (<, <=, >, >=, =, != between names or numbers;
                             several rules separated by commas must all hold)
  --random <n>               draw n sets at random instead of the whole grid
  --seed <n>                 seed of the random draws (default 1)
  --metric <name>            what to rank by (default sharpe): totalReturn, cagr, sortino, maxDrawdown, profitFactor, …
  --direction <max|min>      default min for drawdowns, volatility, fees and losses, else max
  --workers <n>              worker threads (default: one per core; 0 runs in this thread)
  --one-pass                 run each worker's sets as variants in one pass of the bars (runVariants):
                             bars read once, indicators declared with indicator() shared; same table

Walk-forward:
  --walk-forward <in,out>    optimise on <in> bars, test the best set on the next <out> bars, move on by <out>
  --warmup <n>               bars each out-of-sample run starts earlier, unscored (indicators warm up)
  --anchored                 in-sample windows all start at the first bar (expanding)

${DATA_USAGE}
Run:
  --cash <n>                 starting cash (default 100000)
  --slippage-bps <n>         slippage on market/stop fills in basis points (default 0)

Output:
  --top <n>                  rows of the table (default 10)
  --json                     print the whole result as JSON
  --out <file>               write it to a file instead of standard output
  --quiet                    no progress bar
  --help                     show this help
`;

const OPTIONS = {
  strategy: { type: 'string' },
  export: { type: 'string' },
  param: { type: 'string', multiple: true },
  space: { type: 'string' },
  params: { type: 'string' },
  constraint: { type: 'string' },
  random: { type: 'string' },
  seed: { type: 'string' },
  metric: { type: 'string' },
  direction: { type: 'string' },
  workers: { type: 'string' },
  'one-pass': { type: 'boolean' },
  'walk-forward': { type: 'string' },
  warmup: { type: 'string' },
  anchored: { type: 'boolean' },
  ...DATA_OPTIONS,
  cash: { type: 'string' },
  'slippage-bps': { type: 'string' },
  top: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const isBarArray = (source: BarSource | readonly Bar[]): source is readonly Bar[] => Array.isArray(source);

/** The numeric statistics an optimisation can rank by, read off a real statistics object. */
function metrics(): string[] {
  const sample = computeStatistics({
    timestamps: [0, 1],
    equity: [1, 1],
    trades: [],
    feesPaid: 0,
    exposure: 0,
  });
  return Object.entries(sample)
    .filter(([, v]) => typeof v === 'number' || v === null)
    .map(([k]) => k);
}

function parseValue(text: string): number | string | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** `fast=5,10,20` · `fast=5..50` · `fast=5..50:5`. */
function parseParam(text: string, read: OptionReader): [string, ParamRange] {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq).trim();
  const values = text.slice(eq + 1).trim();
  if (eq <= 0 || values === '')
    read.fail(`--param takes name=values such as fast=5,10,20 or fast=5..50:5; got ${text}`);
  const range = /^(-?[\d.]+)\.\.(-?[\d.]+)(?::([\d.]+))?$/.exec(values);
  if (range) {
    const [min, max, step] = [
      Number(range[1]),
      Number(range[2]),
      range[3] === undefined ? undefined : Number(range[3]),
    ];
    if (![min, max].every(Number.isFinite) || max < min)
      read.fail(`--param ${name}: ${values} is not a range min..max`);
    if (step !== undefined) return [name, { min, max, step }];
    if (!Number.isInteger(min) || !Number.isInteger(max)) {
      read.fail(`--param ${name}: a range of fractions needs a step, e.g. ${values}:0.1`);
    }
    return [name, { min, max, int: true }];
  }
  return [name, values.split(',').map((v) => parseValue(v.trim()))];
}

type Comparison = (a: number, b: number) => boolean;
const COMPARE: Readonly<Record<string, Comparison>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '=': (a, b) => a === b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** `fast < slow, slow <= 200`: every rule must hold. Names must be parameters of the space or fixed params. */
function parseConstraint(
  text: string,
  names: readonly string[],
  read: OptionReader,
): (p: ParamSet) => boolean {
  const rules = text.split(',').map((rule) => {
    const m = /^\s*([\w.-]+)\s*(<=|>=|==|!=|<|>|=)\s*([\w.-]+)\s*$/.exec(rule);
    if (!m) read.fail(`--constraint: cannot read ${JSON.stringify(rule.trim())}; write e.g. 'fast < slow'`);
    const [, left, op, right] = m as unknown as [string, string, string, string];
    for (const side of [left, right]) {
      if (!Number.isFinite(Number(side)) && !names.includes(side)) {
        read.fail(`--constraint: ${side} is neither a number nor a searched parameter (${names.join(', ')})`);
      }
    }
    const compare = COMPARE[op] as Comparison;
    const value = (side: string, p: ParamSet): number =>
      names.includes(side) ? Number(p[side]) : Number(side);
    return (p: ParamSet) => compare(value(left, p), value(right, p));
  });
  return (p) => rules.every((rule) => rule(p));
}

const formatParams = (p: ParamSet): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

function formatScore(metric: string, score: number | null): string {
  return /return|cagr|drawdown$|volatility|winRate|exposure/i.test(metric) && !/Amount|Duration/.test(metric)
    ? pct(score)
    : num(score);
}

function table(rows: readonly OptimizeRow[], metric: string, top: number): string {
  const shown = rows.slice(0, top);
  const header = ['#', 'params', metric, 'return', 'max DD', 'trades', 'refused'];
  const body = shown.map((r) => [
    String(r.rank),
    formatParams(r.params),
    formatScore(metric, r.score),
    pct(r.statistics?.totalReturn ?? null),
    pct(r.statistics?.maxDrawdown ?? null),
    r.statistics ? count(r.statistics.numberOfTrades) : '—',
    r.statistics ? count(r.statistics.ordersRefused) : '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i === 1 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`;
  const errors = rows.filter((r) => r.error !== undefined);
  const out = [line(header), ...body.map(line)];
  if (rows.length > top) out.push(`  … ${count(rows.length - top)} more (--top to see them, --json for all)`);
  if (errors.length > 0) {
    out.push(
      `  ! ${count(errors.length)} set${errors.length === 1 ? '' : 's'} failed; the first: ${formatParams(errors[0]?.params ?? {})}: ${errors[0]?.error}`,
    );
  }
  return `${out.join('\n')}\n`;
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, OPTIONS, 'optimize');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const read: OptionReader = new OptionReader('optimize');
  if (!values.strategy) read.fail('--strategy is required: the file of your strategy');
  if (!values.data) read.fail('--data is required: sp500, or a CSV/JSON file of bars');
  if (!values.param && !values.space)
    read.fail('give the values to try with --param fast=5,10,20 (repeatable) or --space');
  if (values.param && values.space) read.fail('--param and --space do not go together: use one');
  const space: ParamSpace = values.space
    ? (read.jsonObject('--space', values.space, `'{"fast":[5,10,20]}'`) as ParamSpace)
    : Object.fromEntries((values.param ?? []).map((p) => parseParam(p, read)));
  const params = values.params ? read.jsonObject('--params', values.params, `'{"quantity":5}'`) : {};
  const names = [...Object.keys(space), ...Object.keys(params)];
  const constraint = values.constraint ? parseConstraint(values.constraint, names, read) : undefined;
  const known = metrics();
  const metric = values.metric ?? 'sharpe';
  if (!known.includes(metric)) read.fail(`--metric must be one of ${known.join(', ')}; got ${metric}`);
  const direction = read.choice('--direction', values.direction, ['max', 'min'] as const);
  const samples = read.number('--random', values.random, { min: 1, integer: true });
  const seed = read.number('--seed', values.seed, { integer: true, min: 0 }) ?? 1;
  const workers = read.number('--workers', values.workers, { min: 0, max: 256, integer: true });
  const top = read.number('--top', values.top, { min: 1, integer: true }) ?? 10;
  const cash = read.number('--cash', values.cash, { min: 0.01 }) ?? 100_000;
  const slippageBps = read.number('--slippage-bps', values['slippage-bps']) ?? 0;
  let windows: { inSample: number; outOfSample: number; warmup?: number; anchored?: boolean } | undefined;
  if (values['walk-forward']) {
    const [a, b, extra] = values['walk-forward'].split(',');
    const inSample = read.number('--walk-forward (in-sample bars)', a, { min: 1, integer: true });
    const outOfSample = read.number('--walk-forward (out-of-sample bars)', b, { min: 1, integer: true });
    if (inSample === undefined || outOfSample === undefined || extra !== undefined) {
      read.fail(
        `--walk-forward takes in-sample and out-of-sample bar counts such as 1260,252; got ${values['walk-forward']}`,
      );
    }
    const warmup = read.number('--warmup', values.warmup, { min: 0, integer: true });
    windows = {
      inSample,
      outOfSample,
      ...(warmup !== undefined ? { warmup } : {}),
      ...(values.anchored ? { anchored: true } : {}),
    };
  } else if (values.warmup || values.anchored) {
    read.fail('--warmup and --anchored apply to --walk-forward only');
  }

  const path = resolveUserFile(values.strategy, io.cwd, 'strategy file');
  const data = await loadData(values.data, { cwd: io.cwd, ...dataOptions(values, read) });
  const bars: Bar[] = [];
  const source = data.source;
  if (isBarArray(source)) bars.push(...source);
  else for await (const chunk of source.chunks()) for (const bar of chunk) bars.push(bar);
  if (bars.length === 0) read.fail(`no bars to optimise on in ${data.label}`);

  let progress: ProgressReporter | undefined;
  const report = (completed: number, total: number, label: string): void => {
    if (values.quiet) return;
    progress ??= createProgressReporter({ total, stream: io.stderr, label, unit: 'backtests' });
    progress.update(completed);
  };
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const common = {
    strategy: { path, ...(values.export ? { export: values.export } : {}) },
    data: { kind: 'bars' as const, bars },
    instruments: data.instruments,
    space,
    params,
    ...(samples !== undefined ? { search: { type: 'random' as const, samples, seed } } : {}),
    metric: metric as OptimizeMetric,
    ...(direction ? { direction } : {}),
    ...(constraint ? { constraint } : {}),
    backtest: {
      initialCash: cash,
      ...(slippageBps > 0 ? { slippage: { type: 'bps' as const, bps: slippageBps } } : {}),
    },
    ...(workers !== undefined ? { workers } : {}),
    ...(values['one-pass'] ? { onePass: true } : {}),
    signal: abort.signal,
  };
  let text: string;
  try {
    if (windows) {
      let window = -1;
      const result = await walkForward({
        ...common,
        windows,
        onProgress: (p) => {
          if (p.window !== window) {
            progress?.finish();
            progress = undefined;
            window = p.window;
          }
          report(p.completed, p.total, `window ${p.window + 1}/${p.windows}`);
        },
      });
      progress?.finish();
      const day = (ts: number | undefined): string =>
        ts === undefined ? 'end' : new Date(ts).toISOString().slice(0, 10);
      text = values.json
        ? `${JSON.stringify(result)}\n`
        : `Walk-forward of ${values.strategy} on ${data.label}, ranked by ${result.metric} (${result.direction})\n${result.windows
            .map(
              (w, i) =>
                `  ${String(i + 1).padStart(2)}  in ${day(w.inSample.from)}..${day(w.inSample.to)}  out ${day(w.outOfSample.from)}..${day(w.outOfSample.to)}  best ${w.best ? formatParams(w.best.params) : '—'}  in ${formatScore(result.metric, w.best?.score ?? null)}  out ${formatScore(result.metric, w.outOfSampleScore)}${w.outOfSampleError ? `  ! ${w.outOfSampleError}` : ''}`,
            )
            .join(
              '\n',
            )}\n  mean in-sample ${formatScore(result.metric, result.meanInSampleScore)} · mean out-of-sample ${formatScore(result.metric, result.meanOutOfSampleScore)}\n`;
    } else {
      const result = await optimize({
        ...common,
        onProgress: (p) => report(p.completed, p.total, 'optimize'),
      });
      progress?.finish();
      text = values.json
        ? `${JSON.stringify(result)}\n`
        : `${values.strategy} on ${data.label}: ${count(result.rows.length)} sets ranked by ${result.metric} (${result.direction}), ${result.workers} worker${result.workers === 1 ? '' : 's'}, ${num(result.elapsedMs / 1000, 1)} s\n${table(result.rows, result.metric, top)}`;
      if (result.rows.length === 0)
        read.fail('no parameter set to try: the --constraint rules out every one');
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (values.out) {
    const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, text);
    io.stderr.write(`rxtrade: wrote ${shownPath(io.cwd, out)}\n`);
  } else {
    io.stdout.write(text);
  }
  return 0;
}

/** `rxtrade optimize`. */
export const optimizeCommand: Command = {
  summary: 'search strategy parameters (grid, random, walk-forward) on worker threads',
  usage: USAGE,
  run,
};
