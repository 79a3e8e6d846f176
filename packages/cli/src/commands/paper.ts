import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type Bar,
  type Clock,
  createEngine,
  defineInstrument,
  type ExecutionClient,
  type Fill,
  type Instrument,
  type InstrumentSpec,
  ManualClock,
  parseTimeframe,
  renderShadowReport,
  ShadowExecutionClient,
  SimulatedVenue,
  systemClock,
  type TradingEngine,
} from '@rxtrade/core';
import { loadStrategy } from '@rxtrade/fleet/node';
import { merge, type Subscription } from 'rxjs';
import { OptionReader, parseOptions } from '../args';
import type { CliIo, Command } from '../command';
import { DATA_OPTIONS, dataOptions } from '../data-options';
import { EXCHANGE_OPTIONS, EXCHANGE_USAGE, importCcxtAdapter, openExchange } from '../exchange';
import { count, num } from '../format';
import { loadData } from '../load-data';
import { sleep } from '../pace';
import { EXIT_STRATEGY_FAILED } from './backtest';

const USAGE = `Usage: rxtrade paper --strategy <file> --symbol <BTC/USDT> [options]

Paper trading: your strategy on live bars from an exchange (or bars replayed from a file), its orders
filled by rxtrade's simulated venue, so nothing reaches the exchange. With --testnet --orders exchange
the orders go to the exchange's testnet instead. Runs until Ctrl-C or --duration, then prints a summary.

  rxtrade paper --strategy src/strategy.ts --symbol BTC/USDT --timeframe 1m --warmup 200 \\
    --params '{"fast":10,"slow":30,"quantity":0.01}'

Strategy:
  --strategy <file>          strategy module (.ts or .js) exporting a BaseStrategy subclass
  --export <name>            which export to use (default: the default export, else the first strategy)
  --params <json>            strategy parameters; unknown names are refused

Live feed:
  --symbol <s>               market(s), ccxt symbols or exchange ids: BTC/USDT, or BTC/USDT,ETH/USDT
  --timeframe <tf>           bar timeframe: 1s, 1m, 5m, 1h, … (default 1m)
  --warmup <n>               bars of history that warm the strategy's indicators before trading
                             (default 0; no orders, no fills during the warm-up)
  --poll-ms <n>              how often new bars are asked for (default 1000)
${EXCHANGE_USAGE}
Replayed feed (instead of --symbol):
  --data <file.csv|json>     replay these bars (with the data options of \`rxtrade backtest --help\`)
  --speed <n>                bars a second (default 10); --warmup takes the file's first bars

Orders:
  --orders <sim|exchange>    sim (default): the simulated venue fills them at the next bar;
                             exchange: sent to the exchange (requires --testnet and API keys)
  --cash <n>                 starting cash of the simulated account (default 10000)
  --slippage-bps <n>         slippage of simulated market/stop fills in basis points (default 0)
  --shadow <dir>             run rxtrade's simulated venue beside the orders' venue, on the same bars
                             and orders (a backtest's fill model, no slippage); when the run stops,
                             write <dir>/shadow.json and <dir>/shadow.html: per order the simulated vs
                             real price, time, quantity and fees, and the P&L difference split into
                             slippage, latency, fees, partial, missed and extra fills

Run:
  --duration <30s|10m|2h>    stop after this long (default: until Ctrl-C)
  --max-bars <n>             stop after this many live bars
  --quiet                    no line per fill
  --debug                    show the stack of an error
  --help                     show this help

Ctrl-C stops cleanly: the strategy is stopped, the summary printed, the exit code is 0.
`;

const OPTIONS = {
  strategy: { type: 'string' },
  export: { type: 'string' },
  params: { type: 'string' },
  ...DATA_OPTIONS,
  timeframe: { type: 'string' },
  warmup: { type: 'string' },
  'poll-ms': { type: 'string' },
  ...EXCHANGE_OPTIONS,
  speed: { type: 'string' },
  orders: { type: 'string' },
  cash: { type: 'string' },
  'slippage-bps': { type: 'string' },
  shadow: { type: 'string' },
  duration: { type: 'string' },
  'max-bars': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const ACCOUNT = 'paper';

function fillLine(fill: Fill): string {
  const time = new Date(fill.tsEvent).toISOString().replace('T', ' ').slice(0, 19);
  return `${time}  ${fill.side.toUpperCase().padEnd(4)} ${fill.lastQty} ${fill.instrumentId} @ ${fill.lastPx}  fee ${num(fill.fee, 8).replace(/\.?0+$/, '')} ${fill.feeCurrency}\n`;
}

interface RunCounts {
  readonly bars: number;
  readonly warmed: number;
  readonly fills: number;
  readonly why: string;
}

function summary(engine: TradingEngine, { bars, warmed, fills, why }: RunCounts): string {
  const a = engine.account(ACCOUNT);
  const positions = engine
    .positions()
    .filter((p) => p.accountId === ACCOUNT && p.strategyId === undefined && p.quantity !== 0)
    .map((p) => `${p.quantity} ${p.instrumentId}`);
  const pnl = a.equity - a.initialCash;
  return [
    `Stopped (${why}).`,
    `  bars        ${count(bars)} live${warmed > 0 ? `, ${count(warmed)} warm-up` : ''}`,
    `  fills       ${count(fills)}`,
    `  cash        ${num(a.cash)} ${a.currency}`,
    `  equity      ${num(a.equity)} ${a.currency} (${pnl >= 0 ? '+' : ''}${num(pnl)})`,
    `  fees        ${num(a.feesPaid)} ${a.currency}`,
    `  positions   ${positions.length > 0 ? positions.join(', ') : 'none'}`,
    '',
  ].join('\n');
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, OPTIONS, 'paper');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const read = new OptionReader('paper');
  if (!values.strategy)
    read.fail('--strategy is required: the file of your strategy, e.g. --strategy src/strategy.ts');
  const replay = values.data !== undefined;
  if (!replay && !values.symbol)
    read.fail('--symbol is required for a live feed (e.g. --symbol BTC/USDT), or replay a file with --data');
  if (replay && (values.exchange || values.testnet || values['api-url']))
    read.fail(
      '--data replays a file: drop --exchange, --testnet and --api-url (or drop --data for a live feed)',
    );
  const orders = read.choice('--orders', values.orders, ['sim', 'exchange'] as const) ?? 'sim';
  if (orders === 'exchange' && !values.testnet)
    read.fail('--orders exchange sends real orders: the CLI does this on a testnet only, add --testnet');
  if (orders === 'exchange' && (values.cash || values['slippage-bps']))
    read.fail('--cash and --slippage-bps are for the simulated venue; the testnet account has its own');
  const params = values.params ? read.jsonObject('--params', values.params) : {};
  const warmup = read.number('--warmup', values.warmup, { min: 0, integer: true }) ?? 0;
  const cash = read.number('--cash', values.cash, { min: 0.01 }) ?? 10_000;
  const slippageBps = read.number('--slippage-bps', values['slippage-bps']) ?? 0;
  const pollMs = read.number('--poll-ms', values['poll-ms'], { min: 10, integer: true }) ?? 1_000;
  const speed = read.number('--speed', values.speed, { min: 0.001 }) ?? 10;
  const maxBars = read.number('--max-bars', values['max-bars'], { min: 1, integer: true });
  const timeframe = values.timeframe ?? '1m';
  const durationMs = values.duration === undefined ? undefined : duration(values.duration, read);
  if (values.shadow === '')
    read.fail('--shadow needs a folder for shadow.json and shadow.html, e.g. --shadow reports');
  const shadowDir = values.shadow === undefined ? undefined : resolve(io.cwd, values.shadow);
  try {
    parseTimeframe(timeframe);
  } catch {
    read.fail(
      `--timeframe must be a count and a unit such as 1s, 1m, 5m, 1h or 1d; got ${JSON.stringify(timeframe)}`,
    );
  }

  // Ctrl-C (and SIGTERM) end the run the same way --duration does.
  const stop = new AbortController();
  let why = 'Ctrl-C';
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** --duration counts from the first live bar on, not from the start-up. */
  const startClock = (): void => {
    if (durationMs === undefined || timer !== undefined) return;
    timer = setTimeout(() => {
      why = `--duration ${values.duration}`;
      stop.abort();
    }, durationMs);
  };
  try {
    const strategy = await loadStrategy(values.strategy as string, {
      cwd: io.cwd,
      params,
      ...(values.export ? { export: values.export } : {}),
    });
    const fills: Fill[] = [];
    let bars = 0;
    let warmed = 0;
    let failed = 0;
    let shadow: ShadowExecutionClient | undefined;
    const engineFor = (
      instruments: readonly (Instrument | InstrumentSpec)[],
      given: { clock?: Clock; execution?: ExecutionClient; currency?: string | undefined },
    ): TradingEngine => {
      let extra = given;
      if (shadowDir !== undefined) {
        // The orders' venue, as the engine would make it, with the simulated venue beside it.
        const clock = extra.clock ?? systemClock;
        const real =
          extra.execution ??
          new SimulatedVenue({
            instruments: instruments.map((i) => ('tickUnits' in i ? i : defineInstrument(i))),
            clock,
            currencyPrecision: 8,
            ...(slippageBps > 0 ? { slippage: { type: 'bps' as const, bps: slippageBps } } : {}),
          });
        shadow = new ShadowExecutionClient({ real, instruments, clock, venue: { currencyPrecision: 8 } });
        extra = { ...extra, execution: shadow };
      }
      const engine = createEngine({
        instruments,
        accounts: [
          {
            id: ACCOUNT,
            initialCash: cash,
            ...(extra.currency ? { currency: extra.currency } : {}),
            currencyPrecision: 8,
          },
        ],
        strategies: [strategy],
        ...(extra.clock ? { clock: extra.clock } : {}),
        ...(extra.execution ? { execution: extra.execution } : {}),
        ...(slippageBps > 0 ? { venue: { slippage: { type: 'bps' as const, bps: slippageBps } } } : {}),
      });
      engine.strategyEvents$.subscribe((event) => {
        if (event.type !== 'StrategyFailed') return;
        failed++;
        io.stderr.write(
          `rxtrade: strategy ${event.strategyId} threw in ${event.hook} and was stopped: ${event.message}\n`,
        );
      });
      engine.orderEvents$.subscribe((event) => {
        if (event.type === 'OrderDenied')
          io.stderr.write(
            `rxtrade: order ${event.clientOrderId} refused: ${event.message} [${event.reason}]\n`,
          );
        else if (event.type === 'OrderRejected')
          io.stderr.write(`rxtrade: order ${event.clientOrderId} rejected by the venue: ${event.reason}\n`);
      });
      engine.fills$.subscribe((fill) => {
        fills.push(fill);
        if (!values.quiet) io.stdout.write(fillLine(fill));
      });
      return engine;
    };
    const live = (): boolean => {
      if (stop.signal.aborted) return false;
      if (maxBars !== undefined && bars >= maxBars) {
        why = `--max-bars ${maxBars}`;
        stop.abort();
        return false;
      }
      return true;
    };

    let engine: TradingEngine;
    if (replay) {
      const data = await loadData(values.data as string[], { cwd: io.cwd, ...dataOptions(values, read) });
      const clock = new ManualClock(0);
      engine = engineFor(data.instruments, { clock });
      await engine.start();
      io.stderr.write(
        `rxtrade: paper trading ${strategy.id} on ${data.label}, replayed at ${speed} bars/s; Ctrl-C stops\n`,
      );
      why = 'end of the data';
      for await (const bar of data.source as AsyncIterable<Bar>) {
        clock.set(bar.ts);
        if (warmed < warmup) {
          engine.warmUp(bar);
          warmed++;
          continue;
        }
        if (!live()) break;
        startClock();
        engine.processBar(bar);
        bars++;
        await sleep(1000 / speed, stop.signal);
      }
      if (stop.signal.aborted && why === 'end of the data') why = 'Ctrl-C';
    } else {
      const { createCcxtConnector } = await importCcxtAdapter('paper');
      const exchange = await openExchange({
        id: values.exchange ?? 'binance',
        testnet: values.testnet ?? false,
        apiUrl: values['api-url'],
        needKeys: orders === 'exchange',
        env: process.env,
        command: 'paper',
      });
      const symbols = (values.symbol as string).split(',').map((s) => s.trim());
      const connector = createCcxtConnector({ exchange, symbols, barPollIntervalMs: pollMs });
      const instruments = await connector.instruments();
      engine = engineFor(instruments, {
        ...(orders === 'exchange' ? { execution: connector.execution } : {}),
        currency: instruments[0]?.quoteCurrency,
      });
      await engine.start();
      if (warmup > 0) {
        const tf = parseTimeframe(timeframe).ms;
        const history = await Promise.all(
          instruments.map((i) =>
            connector.marketData.history(i.id, { timeframe, from: Date.now() - (warmup + 1) * tf }),
          ),
        );
        const all = history.flatMap((h) => h.slice(-warmup)).sort((a, b) => a.ts - b.ts);
        for (const bar of all) engine.warmUp(bar);
        warmed = all.length;
      }
      io.stderr.write(
        `rxtrade: paper trading ${strategy.id} on ${instruments.map((i) => i.id).join(', ')} ${timeframe} bars from ${exchange.id}${values.testnet ? ' (testnet)' : ''}, orders ${orders === 'sim' ? 'simulated' : 'on the testnet'}${warmed > 0 ? `, warmed up with ${warmed} bars` : ''}; Ctrl-C stops\n`,
      );
      let subscription: Subscription | undefined;
      startClock();
      await new Promise<void>((resolve, reject) => {
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
        if (stop.signal.aborted) return resolve();
        subscription = merge(
          ...instruments.map((i) => connector.marketData.bars$(i.id, timeframe)),
        ).subscribe({
          next: (bar) => {
            if (!live()) return;
            engine.processBar(bar);
            bars++;
            live();
          },
          error: reject,
        });
      });
      subscription?.unsubscribe();
    }
    await engine.stop();
    io.stdout.write(summary(engine, { bars, warmed, fills: fills.length, why }));
    if (shadow !== undefined && shadowDir !== undefined) await writeShadow(shadow, shadowDir, io);
    return failed > 0 ? EXIT_STRATEGY_FAILED : 0;
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Writes the shadow venue's document and page, and a line saying what they found. */
async function writeShadow(shadow: ShadowExecutionClient, dir: string, io: CliIo): Promise<void> {
  const report = shadow.report();
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'shadow.json');
  const html = join(dir, 'shadow.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderShadowReport(report, { title: 'rxtrade paper: live vs simulated' }));
  const o = report.outcomes;
  const totals = Object.entries(report.totals).map(([currency, t]) => `${t.total} ${currency}`);
  io.stdout.write(
    [
      `  shadow      ${count(report.orders.length)} orders: ${o.matched} matched, ${o.partial} partial, ${o.missed} missed, ${o.extra} extra, ${o.unfilled} unfilled`,
      `              real − simulated P&L ${totals.length > 0 ? totals.join(', ') : '0'}`,
      `              ${json}, ${html}`,
      '',
    ].join('\n'),
  );
}

function duration(text: string, read: OptionReader): number {
  try {
    return parseTimeframe(text).ms;
  } catch {
    return read.fail(
      `--duration must be a count and a unit such as 30s, 10m, 2h or 1d; got ${JSON.stringify(text)}`,
    );
  }
}

/** `rxtrade paper`. */
export const paperCommand: Command = {
  summary: 'paper trade a strategy on live (or replayed) bars: simulated fills or an exchange testnet',
  usage: USAGE,
  run,
};
