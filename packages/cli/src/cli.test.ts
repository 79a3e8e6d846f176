import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Each test runs the CLI the way the docs show it: a separate `node` process on the command line
 * (`npm run rxtrade -- …` in this repository runs exactly this), asserting on what a user sees:
 * standard output, standard error and the exit code.
 */
const root = new URL('../../../', import.meta.url).pathname;
const bin = join(root, 'packages/cli/src/bin.ts');
// By URL: a user's own directory (the CSV tests run there) has no node_modules to find tsx in.
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const sma = 'examples/sma-crossover/src/strategy.ts';
const fixtures = 'packages/cli/src/test-fixtures';

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

function rxtrade(args: readonly string[], cwd = root): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, '--conditions=rxtrade-source', bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'rxtrade-cli-'));
/** A Node stack frame: what a user must never see without --debug. */
const STACK = /^\s+at /m;

describe('rxtrade (top level)', () => {
  it('--version prints the version; --help lists the commands; no command prints the help and fails', async () => {
    const [version, help, none] = await Promise.all([
      rxtrade(['--version']),
      rxtrade(['--help']),
      rxtrade([]),
    ]);
    const pkg = JSON.parse(await readFile(join(root, 'packages/cli/package.json'), 'utf8')) as {
      version: string;
    };
    expect(version).toMatchObject({ code: 0, out: `${pkg.version}\n`, err: '' });
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^\s+backtest\s+run a strategy/m);
    expect(help.out).toMatch(/^\s+optimize\s+search strategy parameters/m);
    expect(none.code).toBe(1);
    expect(none.out).toContain('Commands:');
  });

  it('an unknown command names the commands', async () => {
    const r = await rxtrade(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'rxtrade: unknown command frobnicate; the commands are backtest, optimize, paper, download, fleet\nRun `rxtrade --help` for more.\n',
    );
  });
});

describe('rxtrade backtest', () => {
  it('prints a summary and writes the HTML report (getting-started)', async () => {
    const dir = await tmp();
    const r = await rxtrade([
      'backtest',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--params',
      '{"fast":5,"slow":20}',
      '--report',
      join(dir, 'r.html'),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('params {"fast":5,"slow":20,"quantity":10}');
    expect(r.out).toMatch(/Final equity\s+[\d,]+\.\d\d\n/);
    expect(r.out).toMatch(/Orders refused\s+0\n/);
    expect(r.out).toContain('Report: ');
    const html = await readFile(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toContain('class="alert');
    expect(html).toContain('Round trips');
    expect(html).toContain('Monthly returns');
    expect(html).toContain('Buy and hold SPX');
  });

  it('--budget denies entries past the budget and adds the strategy’s own results to --json and the report', async () => {
    const dir = await tmp();
    const args = [
      'backtest',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--json',
      '--report',
      join(dir, 'b.html'),
    ];
    const r = await rxtrade([...args, '--budget', '20000']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      refusals: { reason: string; count: number; firstMessage: string }[];
      strategies: {
        strategyId: string;
        capital: number;
        budget: { budget: number; used: number; reserved: number; available: number };
        statistics: { endEquity: number; refusalsByReason: Record<string, number> };
        equity: { timestamps: number[]; values: number[] };
      }[];
    };
    expect(doc.refusals.map((x) => x.reason)).toEqual(['STRATEGY_BUDGET_EXCEEDED']);
    expect(doc.refusals[0]?.firstMessage).toMatch(/available of 20,000 \(strategy /);
    expect(doc.strategies).toHaveLength(1);
    const [mine] = doc.strategies;
    expect(mine?.capital).toBe(20_000);
    expect(mine?.budget).toMatchObject({ budget: 20_000, reserved: 0 });
    expect(mine?.statistics.refusalsByReason).toEqual({ STRATEGY_BUDGET_EXCEEDED: doc.refusals[0]?.count });
    expect(mine?.equity.values[0]).toBe(20_000);
    expect(mine?.equity.values.at(-1)).toBe(mine?.statistics.endEquity);
    const html = await readFile(join(dir, 'b.html'), 'utf8');
    expect(html).toContain(`<h2>Strategy ${mine?.strategyId}</h2>`);
    expect(html).toContain('Used + reserved');
    // Without --budget, one strategy: no per-strategy results, the JSON as it was.
    const plain = await rxtrade([...args.slice(0, -2), '--no-report']);
    expect(JSON.parse(plain.out)).not.toHaveProperty('strategies');
  });

  it('--json --out writes one JSON document with prices at the instrument precision', async () => {
    const dir = await tmp();
    const r = await rxtrade([
      'backtest',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--json',
      '--no-report',
      '--out',
      join(dir, 'result.json'),
    ]);
    expect(r).toMatchObject({ code: 0, out: '' });
    // Outside the working directory: the absolute path, not ../../../tmp/…
    expect(r.err).toBe(`rxtrade: wrote ${join(dir, 'result.json')}\n`);
    const doc = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as {
      statistics: { finalEquity: number; cash: number; ordersRefused: number };
      fills: {
        time: string;
        side: string;
        price: number;
        quantity: number;
        fee: number;
        strategyId: string;
      }[];
      closedTrades: { strategyId: string; entryPx: number; exitPx: number }[];
    };
    expect(doc.statistics.finalEquity).toBe(104_237.98);
    expect(doc.statistics.cash).toBe(75_492.38);
    expect(doc.statistics.ordersRefused).toBe(0);
    expect(doc.fills).toHaveLength(175);
    expect(doc.fills[0]).toMatchObject({
      time: '2000-03-17T00:00:00.000Z',
      side: 'buy',
      price: 1458.47,
      quantity: 10,
      fee: 14.58,
      strategyId: 'SmaCrossover',
    });
    expect(doc.closedTrades[0]).toMatchObject({
      strategyId: 'SmaCrossover',
      entryPx: 1458.47,
      exitPx: 1441.61,
    });
    // No float noise anywhere in a price: at most the instrument's 2 decimals (averages excepted).
    for (const t of doc.closedTrades) expect(String(t.exitPx)).toMatch(/^\d+(\.\d{1,2})?$/);
    // Sums of money in cents read in cents (22690.06, not 22690.060000000005); averages keep 12 digits.
    const stats = doc.statistics as unknown as Record<string, number>;
    expect(stats['grossProfit']).toBe(22_690.06);
    expect(stats['maxDrawdownAmount']).toBe(5_121.65);
    for (const value of Object.values(stats)) {
      if (typeof value === 'number') expect(Number(value.toPrecision(12))).toBe(value);
    }
  });

  it('refuses bad input in one or two lines that say what to change, without a stack', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--params', '{bad}'],
        /^rxtrade: --params must be a JSON object such as '\{"fast":10,"slow":30\}', got \{bad\}/,
      ],
      [['--fee', 'abc'], /^rxtrade: --fee must be a number from 0 to 1, got "abc"\n/],
      [['--fee'], /^rxtrade: --fee needs a value\n/],
      [['--frob'], /^rxtrade: unknown option --frob\n/],
      [
        ['--params', '{"fats":3}'],
        /unknown parameter fats \(did you mean fast\?\): strategy SmaCrossover takes fast, slow, quantity/,
      ],
      [['--export', 'Nope'], /has no export Nope; its strategy exports: SmaCrossover/],
    ];
    const runs = await Promise.all(
      cases.map(([extra]) =>
        rxtrade(['backtest', '--strategy', sma, '--data', 'sp500', '--no-report', ...extra]),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.code, cases[i]?.[0].join(' ')).toBe(1);
      expect(r.err).toMatch(cases[i]?.[1] as RegExp);
      expect(r.err).not.toMatch(STACK);
      expect(r.err.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
      expect(r.out).toBe('');
    });
    const missing = await Promise.all([
      rxtrade(['backtest', '--strategy', 'nope.ts', '--data', 'sp500']),
      rxtrade(['backtest', '--strategy', sma, '--data', 'nope.csv']),
      rxtrade(['backtest', '--data', 'sp500']),
    ]);
    expect(missing[0]?.err).toMatch(/^rxtrade: strategy file nope\.ts not found \(looked at .*nope\.ts\)/);
    expect(missing[1]?.err).toMatch(/^rxtrade: data file nope\.csv not found/);
    expect(missing[2]?.err).toMatch(/^rxtrade: --strategy is required/);
    for (const r of missing) {
      expect(r.code).toBe(1);
      expect(r.err).not.toMatch(STACK);
    }
  });

  it('--debug shows the stack', async () => {
    const r = await rxtrade([
      'backtest',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--params',
      '{bad}',
      '--debug',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(STACK);
  });

  it('says when every order was refused, with the reason and a hint, and exits 3', async () => {
    const dir = await tmp();
    const r = await rxtrade([
      'backtest',
      '--strategy',
      `${fixtures}/buys-half.ts`,
      '--data',
      'sp500',
      '--report',
      join(dir, 'r.html'),
    ]);
    expect(r.code).toBe(3);
    expect(r.out).toContain('! NOTHING TRADED: all 5,105 orders were refused');
    expect(r.out).toMatch(
      /QUANTITY_OFF_LOT\s+5,105\s+first: QUANTITY_OFF_LOT: 0\.5 is not a multiple of lot 1/,
    );
    expect(r.out).toContain('hint: quantities must be whole multiples of the lot: --quantity-precision 3');
    // The problems come before the figures.
    expect(r.out.indexOf('NOTHING TRADED')).toBeLessThan(r.out.indexOf('Total return'));
    const html = await readFile(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('No order reached the market: all 5,105 were refused');
    // With a quantity precision that allows halves, the same strategy trades.
    const ok = await rxtrade([
      'backtest',
      '--strategy',
      `${fixtures}/buys-half.ts`,
      '--data',
      'sp500',
      '--quantity-precision',
      '1',
      '--no-report',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.out) as { fills: unknown[] }).fills.length).toBeGreaterThan(0);
  });

  it('shows a strategy that threw first, in the summary and the report, and exits 2', async () => {
    const dir = await tmp();
    const r = await rxtrade([
      'backtest',
      '--strategy',
      `${fixtures}/throws.ts`,
      '--data',
      'sp500',
      '--report',
      join(dir, 'r.html'),
    ]);
    expect(r.code).toBe(2);
    const first = r.out.split('\n')[1];
    expect(first).toBe(
      '  ✗ STRATEGY FAILED: ThrowsOnTenth threw in onBar on 2000-01-14: division by zero in my signal',
    );
    const html = await readFile(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('Strategy ThrowsOnTenth failed in onBar on 2000-01-14 and was stopped');
    expect(html.indexOf('class="alert err"')).toBeLessThan(html.indexOf('class="kpis"'));
  });

  it('reads a semicolon CSV in microseconds with mapped columns, a date range and resampling (importing-data)', async () => {
    const dir = await tmp();
    // Binance-style 1-minute klines: open_time in µs; columns in Binance's order, no header.
    const t0 = Date.UTC(2025, 0, 1) * 1000;
    const lines: string[] = [];
    let px = 100;
    for (let m = 0; m < 3 * 24 * 60; m++) {
      const next = px * (1 + Math.sin(m / 97) * 0.002);
      const hi = Math.max(px, next) + 0.05;
      const lo = Math.min(px, next) - 0.05;
      lines.push(
        `${t0 + m * 60_000_000};${px.toFixed(2)};${hi.toFixed(2)};${lo.toFixed(2)};${next.toFixed(2)};12.5;${t0 + m * 60_000_000 + 59_999_999}`,
      );
      px = next;
    }
    await writeFile(join(dir, 'btcusdt.csv'), lines.join('\n'));
    const r = await rxtrade(
      [
        'backtest',
        '--strategy',
        join(root, fixtures, 'rsi.ts'),
        '--data',
        'btcusdt.csv',
        '--delimiter',
        'semicolon',
        '--no-header',
        '--columns',
        'time=0,open=1,high=2,low=3,close=4,volume=5',
        '--from',
        '2025-01-02',
        '--to',
        '2025-01-02',
        '--resample',
        '15m',
        '--quantity-precision',
        '3',
        '--params',
        '{"quantity":0.5}',
        '--json',
        '--no-report',
      ],
      dir,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      bars: number;
      statistics: { startTs: number; endTs: number };
      fills: { symbol: string; quantity: number }[];
    };
    expect(doc.bars).toBe(96); // one day of 15-minute bars
    expect(new Date(doc.statistics.startTs).toISOString()).toBe('2025-01-02T00:00:00.000Z');
    expect(new Date(doc.statistics.endTs).toISOString()).toBe('2025-01-02T23:45:00.000Z');
    expect(doc.fills.length).toBeGreaterThan(0);
    expect(doc.fills[0]).toMatchObject({ symbol: 'BTCUSDT', quantity: 0.5 });
  });

  it('names the row of an implausible timestamp, and skips bad rows when asked', async () => {
    const dir = await tmp();
    const ms = Date.UTC(2025, 0, 1);
    const rows = ['time,open,high,low,close,volume'];
    for (let i = 0; i < 50; i++) rows.push(`${ms + i * 60_000},10,11,9,10.5,1`);
    rows.push(`${(ms + 50 * 60_000) * 1000},10,11,9,10.5,1`);
    rows.push(`${ms + 51 * 60_000},10,9,11,10.5,1`);
    await writeFile(join(dir, 'x.csv'), rows.join('\n'));
    const args = ['backtest', '--strategy', join(root, sma), '--data', 'x.csv', '--no-report'];
    const stop = await rxtrade(args, dir);
    expect(stop.code).toBe(1);
    expect(stop.err).toMatch(
      /x\.csv:52: invalid bar field "ts": \d+ read as epoch-ms is the year 56971, outside 1970\.\.2099/,
    );
    expect(stop.err).not.toMatch(STACK);
    const skip = await rxtrade([...args, '--on-bad-row', 'skip'], dir);
    expect(skip.code).toBe(0);
    expect(skip.out).toContain('(50 bars)');
    // 49 minutes of data: the annualised figures say so.
    expect(skip.out).toContain('note: CAGR, volatility and Sharpe are annualised from 0.8 hours of data');
    expect(skip.err).toContain('rxtrade: skipped 2 bad rows (--on-bad-row skip); the first: ');
  });

  it('--columns symbol=… reads several symbols from one file, each its own instrument', async () => {
    const dir = await tmp();
    const day = Date.UTC(2024, 0, 1);
    const rows = ['date;ticker;o;h;l;c;v'];
    for (let i = 0; i < 60; i++) {
      const d = new Date(day + i * 86_400_000).toISOString().slice(0, 10);
      const wave = (x: number) => (100 + 10 * Math.sin(i / 4 + x)).toFixed(2);
      rows.push(`${d};AAA;${wave(0)};${wave(0)};${wave(0)};${wave(0)};1000`);
      rows.push(`${d};BBB;${wave(2)};${wave(2)};${wave(2)};${wave(2)};1000`);
    }
    await writeFile(join(dir, 'two.csv'), rows.join('\n'));
    const args = ['backtest', '--strategy', join(root, sma), '--params', '{"fast":2,"slow":5,"quantity":1}'];
    const data = ['--data', 'two.csv', '--delimiter', 'semicolon', '--no-report', '--json'];
    const columns = ['--columns', 'time=date,symbol=ticker,open=o,high=h,low=l,close=c,volume=v'];
    const run = await rxtrade([...args, ...data, ...columns], dir);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.out) as { bars: number; fills: { symbol: string }[] };
    expect(doc.bars).toBe(120);
    expect(new Set(doc.fills.map((f) => f.symbol))).toEqual(new Set(['AAA', 'BBB']));
    const both = await rxtrade([...args, ...data, ...columns, '--symbol', 'X'], dir);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/--symbol and --columns symbol=… do not go together/);
  });
});

describe('rxtrade optimize', () => {
  it('ranks a grid with a constraint, and refuses an unknown parameter', async () => {
    const r = await rxtrade([
      'optimize',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--param',
      'fast=5,10,20',
      '--param',
      'slow=20..40:10',
      '--constraint',
      'fast < slow',
      '--metric',
      'totalReturn',
      '--workers',
      '1',
      '--top',
      '3',
    ]);
    expect(r.err).not.toMatch(STACK);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: 8 sets ranked by totalReturn \(max\), 1 worker/);
    const rows = r.out.split('\n').filter((l) => /^\s+\d+\s+fast=/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\s+1\s+fast=\d+ slow=\d+\s+-?[\d.]+%/);
    expect(r.out).toContain('… 5 more');
    const bad = await rxtrade([
      'optimize',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--param',
      'fats=5,10',
      '--workers',
      '0',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^rxtrade: unknown parameter fats \(did you mean fast\?\)/);
  });

  it('--one-pass runs the grid as variants in one pass, to the same table as separate runs', async () => {
    const grid = ['--param', 'fast=5,10,20', '--param', 'slow=20..60:20', '--constraint', 'fast < slow'];
    const base = ['optimize', '--strategy', sma, '--data', 'sp500', ...grid, '--metric', 'sharpe', '--json'];
    const separate = await rxtrade([...base, '--workers', '0']);
    expect(separate.code).toBe(0);
    for (const workers of ['0', '2']) {
      const onePass = await rxtrade([...base, '--workers', workers, '--one-pass']);
      expect(onePass.err).not.toMatch(STACK);
      expect(onePass.code).toBe(0);
      const rows = (out: string) => (JSON.parse(out) as { rows: unknown[] }).rows;
      expect(rows(onePass.out)).toHaveLength(8);
      expect(rows(onePass.out)).toEqual(rows(separate.out));
    }
    const table = await rxtrade([
      ...base.filter((a) => a !== '--json'),
      '--workers',
      '0',
      '--one-pass',
      '--top',
      '2',
    ]);
    expect(table.out).toMatch(/: 8 sets ranked by sharpe \(max\), 0 workers/);
    expect(table.out.split('\n').filter((l) => /^\s+\d+\s+fast=/.test(l))).toHaveLength(2);
  });

  it('runs a walk-forward', async () => {
    const r = await rxtrade([
      'optimize',
      '--strategy',
      sma,
      '--data',
      'sp500',
      '--param',
      'fast=5,10',
      '--param',
      'slow=50',
      '--walk-forward',
      '1000,1000',
      '--workers',
      '0',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { windows: { best: { params: { fast: number } } }[] };
    expect(doc.windows.length).toBe(4);
    expect([5, 10]).toContain(doc.windows[0]?.best.params.fast);
  });
});
