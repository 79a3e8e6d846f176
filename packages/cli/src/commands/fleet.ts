import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  type BacktestResult,
  createMemoryStateStore,
  type ShadowReport,
  SimulatedVenue,
  type SkippedRow,
} from '@rxtrade/core';
import {
  type FilePlan,
  LOCAL_POSTGRES_URL as LOCAL_POSTGRES,
  LOCAL_RABBITMQ_URL as LOCAL_RABBITMQ,
  LOCAL_REDIS_URL as LOCAL_REDIS,
  loadStrategy,
} from '@rxtrade/fleet/node';
import { OptionReader, parseOptions, UsageError } from '../args';
import type { CliIo, Command } from '../command';
import { DATA_OPTIONS, DATA_USAGE, dataOptions } from '../data-options';
import { formatSummary, resultToJson, shownPath, strategyFailures } from '../format';
import { loadData } from '../load-data';
import { paced } from '../pace';
import { readPlanFile } from '../plan-file';
import { EXIT_ALL_REFUSED, EXIT_STRATEGY_FAILED } from './backtest';

const USAGE = `Usage: rxtrade fleet --strategy <file> --data <sp500|file.csv|file.json> [options]

Runs a strategy through the fleet's roles (data, strategy ×N, risk ×M, order ×K). By default every
role replica is its own local process on RabbitMQ and Redis (the local servers unless --rabbitmq and
--redis say otherwise); --in-process runs them all in this process on the in-memory bus and store.
With --until-done it prints the same summary (or --json) as rxtrade backtest — the same fills and
final equity — then stops the processes and removes every queue, exchange and Redis key the run
created. Without it, the gateway role starts too: it prints the gateway's URL and a first API key
(on standard error), prints the summary when the replay is done, and keeps running until Ctrl-C,
which stops it and removes what it created the same way. Guide: docs/guides/fleet.md.

Strategy:
  --strategy <file>          strategy module (.ts or .js) exporting a BaseStrategy subclass
  --export <name>            which export to use (default: the default export, else the first strategy)
  --params <json>            strategy parameters, e.g. '{"fast":10,"slow":30}'
  --plan <file.json>         several strategies, symbols and accounts instead of --strategy, in the
                             shape rxtrade backtest --plan takes (see rxtrade backtest --help)

${DATA_USAGE}
Fleet:
  --rabbitmq <url>           RabbitMQ of the role processes (default ${LOCAL_RABBITMQ})
  --redis <url>              Redis of their journals (default ${LOCAL_REDIS})
  --in-process               every role in this process, on the in-memory bus and store (no servers)
  --strategy-replicas <n>    strategy role replicas (default 1)
  --risk-replicas <n>        risk role replicas (default 1)
  --order-replicas <n>       order role replicas (default 1)
  --cash <n>                 starting cash (default 100000)
  --budget <n>               the strategy's cash budget on the account, checked by the risk role as
                             rxtrade backtest --budget is: orders past it are denied
  --slippage-bps <n>         slippage on market/stop fills in basis points, at the order role's
                             simulated venue as in rxtrade backtest (default 0)
  --close-at-end             when the data ends, close open positions at the last close, as
                             rxtrade backtest --close-at-end (default: value them there)
  --until-done               stop once every bar was handled and every order settled, print the
                             summary and remove what the run created (always so with --in-process)
  --speed <n>                replay n bar times a second (default: as fast as the roles go), e.g.
                             to trade through the gateway while the bars still come
  --gateway-port <n>         the gateway's port without --until-done (default 0: any free port)
  --postgres <url>           without --until-done, the order replicas write every fill to PostgreSQL
                             in the run's schema (dropped at Ctrl-C), as npm run services does
                             (default ${LOCAL_POSTGRES})
  --no-history               no PostgreSQL history
  --shadow <dir>             run rxtrade's simulated venue, with a backtest's defaults, beside each
                             account's venue at the order role, on the same bars and orders; when the
                             fleet stops, write <dir>/shadow-<account>.json and .html: per order the
                             simulated vs real fill and the P&L difference by cause (with
                             --slippage-bps, what that slippage costs)

Output:
  --verbose                  copy the role processes' JSON log lines, and each fill as it
                             arrives, to standard error
  --json                     print the whole result as one JSON document instead of the table
  --out <file>               write the summary or JSON to a file instead of standard output
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
  rabbitmq: { type: 'string' },
  redis: { type: 'string' },
  'in-process': { type: 'boolean' },
  'strategy-replicas': { type: 'string' },
  'risk-replicas': { type: 'string' },
  'order-replicas': { type: 'string' },
  'until-done': { type: 'boolean' },
  speed: { type: 'string' },
  'gateway-port': { type: 'string' },
  postgres: { type: 'string' },
  'no-history': { type: 'boolean' },
  shadow: { type: 'string' },
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, OPTIONS, 'fleet');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const read: OptionReader = new OptionReader('fleet');
  if (values.plan) {
    for (const name of ['strategy', 'export', 'params', 'cash', 'budget'] as const)
      if (values[name] !== undefined)
        read.fail(`--plan says the strategies and accounts: leave out --${name}`);
  } else if (!values.strategy)
    read.fail('--strategy is required: the file of your strategy, e.g. --strategy src/strategy.ts');
  if (!values.data) read.fail('--data is required: sp500, or a CSV/JSON file of bars, e.g. --data bars.csv');
  const inProcess = values['in-process'] === true;
  if (inProcess && (values.rabbitmq || values.redis))
    read.fail('--in-process runs without servers: leave out --rabbitmq and --redis');
  const params = values.params ? read.jsonObject('--params', values.params) : {};
  const cash = read.number('--cash', values.cash, { min: 0.01 }) ?? 100_000;
  const slippageBps = read.number('--slippage-bps', values['slippage-bps']) ?? 0;
  const budget = read.number('--budget', values.budget, { min: 0.01 });
  // The order role's simulated venue takes what runBacktest's does (JSON, to reach its processes).
  const venue = slippageBps > 0 ? { slippage: { type: 'bps' as const, bps: slippageBps } } : undefined;
  if (values.shadow === '')
    read.fail('--shadow needs a folder for the shadow documents, e.g. --shadow reports');
  const shadowDir = values.shadow === undefined ? undefined : resolve(io.cwd, values.shadow);
  const replicas = {
    strategy:
      read.number('--strategy-replicas', values['strategy-replicas'], { min: 1, max: 64, integer: true }) ??
      1,
    risk: read.number('--risk-replicas', values['risk-replicas'], { min: 1, max: 64, integer: true }) ?? 1,
    order: read.number('--order-replicas', values['order-replicas'], { min: 1, max: 64, integer: true }) ?? 1,
  };
  const untilDone = inProcess || values['until-done'] === true;
  const speed = read.number('--speed', values.speed, { min: 0.001 });
  const gatewayPort = read.number('--gateway-port', values['gateway-port'], {
    min: 0,
    max: 65_535,
    integer: true,
  });
  if (values.postgres && values['no-history']) read.fail('--postgres and --no-history do not go together');
  if (untilDone && (values.postgres || values['no-history']))
    read.fail('the history is for a fleet that keeps running: leave out --until-done and --in-process');
  if (untilDone && gatewayPort !== undefined)
    read.fail('--gateway-port is for a fleet that keeps running: leave out --until-done and --in-process');
  const skipped: SkippedRow[] = [];
  const data = await loadData(values.data, {
    cwd: io.cwd,
    ...dataOptions(values, read),
    onSkip: (row) => skipped.push(row),
  });
  const fromPlan = values.plan
    ? await readPlanFile(values.plan, { cwd: io.cwd, instruments: data.instruments, command: 'fleet' })
    : undefined;
  let plan: FilePlan;
  let strategy: { readonly id: string; readonly params: unknown };
  if (fromPlan) {
    plan = fromPlan.plan;
    strategy = { id: fromPlan.ids.join(','), params: fromPlan.params };
  } else {
    if (data.instruments.length !== 1) {
      throw new UsageError(
        'rxtrade fleet runs a --strategy on one symbol: give one --data file, or a --plan with a strategy per symbol',
        'fleet',
      );
    }
    // Loaded here first: a bad file or bad params fail before any process starts.
    const loaded = await loadStrategy(values.strategy as string, {
      cwd: io.cwd,
      params,
      ...(values.export ? { export: values.export } : {}),
    });
    strategy = loaded;
    const instrument = data.instruments[0] as (typeof data.instruments)[number];
    plan = {
      instruments: [instrument],
      accounts: [{ id: 'default', initialCash: cash }],
      strategies: [
        {
          id: loaded.id,
          symbol: instrument.id,
          accountId: 'default',
          file: values.strategy as string,
          params,
          ...(values.export ? { export: values.export } : {}),
        },
      ],
      cwd: io.cwd,
    };
  }
  // As rxtrade backtest --budget: the one strategy's budget on its account.
  const budgets = budget === undefined ? undefined : { [strategy.id]: budget };
  const closeAtEnd = values['close-at-end'] === true;
  const where = inProcess ? 'in process' : 'processes on RabbitMQ + Redis';
  const header = `${strategy.id} · ${data.label} · params ${JSON.stringify(strategy.params)} · fleet ${where} (${replicas.strategy} strategy, ${replicas.risk} risk, ${replicas.order} order)`;
  const print = async (report: BacktestResult): Promise<number> => {
    if (report.bars === 0) throw new UsageError(`no bars in ${data.label}`, 'fleet');
    if (skipped.length > 0)
      io.stderr.write(
        `rxtrade: skipped ${skipped.length} bad row${skipped.length === 1 ? '' : 's'} (--on-bad-row skip)\n`,
      );
    const text = values.json
      ? `${resultToJson(report, { strategy: strategy.id, params: strategy.params, data: data.label, instruments: data.instruments })}\n`
      : formatSummary(report, header);
    if (values.out) {
      const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, text);
      io.stderr.write(`rxtrade: wrote ${shownPath(io.cwd, out)}\n`);
    } else io.stdout.write(text);
    if (strategyFailures(report).length > 0) return EXIT_STRATEGY_FAILED;
    if (report.statistics.ordersRefused > 0 && report.fills.length === 0) return EXIT_ALL_REFUSED;
    return 0;
  };
  // Loaded here, not at the top: the other commands never need it.
  const { fleetReport, ResolvedPlan, runFleet, shadowExecution } = await import('@rxtrade/fleet');
  const { launchFleet, resolveFilePlan, writeShadowFiles } = await import('@rxtrade/fleet/node');
  const resolved = await resolveFilePlan(plan);
  const report = async (run: Awaited<ReturnType<typeof runFleet>>): Promise<BacktestResult> =>
    fleetReport({
      data: data.source,
      run,
      instruments: new ResolvedPlan(resolved).instruments,
      accounts: resolved.accounts,
    });
  if (shadowDir !== undefined) {
    // This run's documents only: an old one left in the folder would be read as this run's.
    for (const account of plan.accounts) {
      const file = shadowFile(shadowDir, account.id);
      await rm(file, { force: true });
      await rm(file.replace(/\.json$/, '.html'), { force: true });
    }
  }
  if (inProcess) {
    const instruments = [...new ResolvedPlan(resolved).instruments.values()];
    // Frames and each partition's inputs journaled in the in-memory store, as between processes.
    const code = await print(
      await report(
        await runFleet({
          plan: resolved,
          data: data.source,
          replicas,
          store: createMemoryStateStore(),
          ...(venue ? { venue } : {}),
          ...(budgets ? { budgets } : {}),
          ...(closeAtEnd ? { closeAtEnd } : {}),
          ...(shadowDir !== undefined
            ? {
                execution: shadowExecution({
                  instruments,
                  real: (_accountId, clock) => new SimulatedVenue({ ...venue, instruments, clock }),
                  onDocument: async (accountId, doc) => {
                    await writeShadowFiles(doc, {
                      dir: shadowDir,
                      name: `shadow-${accountId}`,
                      title: `Fleet account ${accountId}: live vs simulated`,
                    });
                  },
                }),
              }
            : {}),
        }),
      ),
    );
    if (shadowDir !== undefined) await noteShadow(shadowDir, plan.accounts, io);
    return code;
  }

  const rabbitmqUrl = values.rabbitmq ?? LOCAL_RABBITMQ;
  const redisUrl = values.redis ?? LOCAL_REDIS;
  const replay = new AbortController();
  const postgresUrl = values.postgres ?? LOCAL_POSTGRES;
  const fleet = await launchFleet({
    plan,
    // Paced, the bars travel one a frame: each reaches the roles when its time comes.
    ...(speed === undefined
      ? { data: data.source }
      : { data: paced(data.source, speed, replay.signal), frameSize: 1 }),
    rabbitmqUrl,
    redisUrl,
    replicas,
    ...(venue ? { venue } : {}),
    ...(budgets ? { budgets } : {}),
    ...(closeAtEnd ? { closeAtEnd } : {}),
    ...(untilDone ? {} : { gateway: { port: gatewayPort ?? 0 } }),
    ...(untilDone || values['no-history'] ? {} : { historyUrl: postgresUrl }),
    ...(shadowDir !== undefined ? { shadow: { dir: shadowDir } } : {}),
    ...(values.verbose
      ? {
          onLine: (_replica, line) => io.stderr.write(`${JSON.stringify(line)}\n`),
          onFill: (fill) =>
            io.stderr.write(
              `${JSON.stringify({ msg: 'fill', accountId: fill.accountId, ts: fill.tsEvent, side: fill.side, price: fill.lastPx, quantity: fill.lastQty })}\n`,
            ),
        }
      : {}),
  }).catch((error: unknown) => {
    throw new UsageError(
      `cannot start the fleet on ${redact(rabbitmqUrl)} and ${redact(redisUrl)}${untilDone || values['no-history'] ? '' : ` (history in ${redact(postgresUrl)})`}: ${(error as Error).message} (start RabbitMQ and Redis${untilDone || values['no-history'] ? '' : ' and PostgreSQL, or give --no-history'}, or run with --in-process)`,
      'fleet',
    );
  });
  const teardown = async (): Promise<void> => {
    replay.abort();
    const removed = await fleet.stop();
    io.stderr.write(
      `rxtrade: fleet ${fleet.runId} stopped; removed ${removed.queues} queues, ${removed.exchanges} exchanges and ${removed.keys} Redis keys${removed.schema ? `; dropped the PostgreSQL schema ${removed.schema}` : ''}\n`,
    );
  };
  let interrupted = false;
  const interrupt = new Promise<void>((resolveInterrupt) => {
    process.once('SIGINT', () => {
      interrupted = true;
      resolveInterrupt();
    });
  });
  const pids = fleet.replicas.map((r) => `${r.role}-${r.replica} ${r.process.pid}`).join(', ');
  io.stderr.write(
    `rxtrade: fleet ${fleet.runId} running: RabbitMQ ${redact(rabbitmqUrl)} exchange ${fleet.exchange}, Redis ${redact(redisUrl)} prefix ${fleet.redisPrefix}; processes ${pids}\n`,
  );
  if (fleet.historySchema)
    io.stderr.write(`rxtrade: fills history in ${redact(postgresUrl)} schema ${fleet.historySchema}\n`);
  if (fleet.gateway) {
    const { url, apiKey } = fleet.gateway;
    const account = plan.accounts[0]?.id ?? 'default';
    io.stderr.write(
      [
        `gateway: ${url}`,
        `API key: ${apiKey}   (shown once; scopes read, trade, admin; accounts ${plan.accounts.map((a) => a.id).join(', ')})`,
        `try:     curl -H "authorization: Bearer ${apiKey}" ${url}/api/accounts/${account}/fills`,
        '',
      ].join('\n'),
    );
  }
  try {
    const outcome = await Promise.race([
      fleet.result.then((r) => ({ run: r })),
      interrupt.then(() => undefined),
    ]);
    if (outcome === undefined) return 130;
    const code = await print(await report(outcome.run));
    if (untilDone) return code;
    io.stderr.write(
      'rxtrade: replay done; the fleet keeps running. Ctrl-C stops it and removes what it created.\n',
    );
    await interrupt;
    return code;
  } finally {
    if (interrupted) io.stderr.write('rxtrade: stopping the fleet (Ctrl-C)\n');
    await teardown();
    // The order replicas write their documents as they stop.
    if (shadowDir !== undefined) await noteShadow(shadowDir, plan.accounts, io);
  }
}

const shadowFile = (dir: string, accountId: string): string => join(dir, `shadow-${accountId}.json`);

/** A line per account's shadow document: what it found, and where it is. */
async function noteShadow(dir: string, accounts: readonly { id: string }[], io: CliIo): Promise<void> {
  for (const { id } of accounts) {
    const file = shadowFile(dir, id);
    let doc: ShadowReport;
    try {
      doc = JSON.parse(await readFile(file, 'utf8')) as ShadowReport;
    } catch {
      io.stderr.write(
        `rxtrade: no shadow document for account ${id} (its order replica did not stop cleanly)\n`,
      );
      continue;
    }
    const o = doc.outcomes;
    const totals = Object.entries(doc.totals).map(([currency, t]) => `${t.total} ${currency}`);
    io.stderr.write(
      `rxtrade: shadow ${id}: ${doc.orders.length} orders (${o.matched} matched, ${o.partial} partial, ${o.missed} missed, ${o.extra} extra, ${o.unfilled} unfilled), real − simulated P&L ${totals.length > 0 ? totals.join(', ') : '0'}; wrote ${shownPath(io.cwd, file)} and .html\n`,
    );
  }
}

/** A URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** `rxtrade fleet`. */
export const fleetCommand: Command = {
  summary:
    'run a strategy through the fleet (strategy, risk, order roles over a bus): the same fills as a backtest',
  usage: USAGE,
  run,
};
