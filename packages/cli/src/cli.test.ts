import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli';

const root = new URL('../../../', import.meta.url).pathname;
const strategy = join(root, 'examples/sma-crossover/src/strategy.ts');

function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => chunks.join('');
  return stream;
}

async function run(args: string[], cwd = root) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, { stdout, stderr, cwd });
  return { code, out: stdout.text(), err: stderr.text() };
}

describe('rxtrade backtest', () => {
  it('prints the whole result as one JSON document with --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-cli-'));
    const { code, out, err } = await run([
      'backtest',
      '--strategy',
      strategy,
      '--data',
      'sp500',
      '--json',
      '--report',
      join(dir, 'r.html'),
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as {
      statistics: { finalEquity: number; cash: number; numberOfTrades: number };
      fills: { time: string; side: string; price: number; quantity: number; fee: number }[];
    };
    expect(doc.statistics.finalEquity).toBe(104_237.98);
    expect(doc.statistics.cash).toBe(75_492.38);
    expect(doc.fills).toHaveLength(175);
    expect(doc.fills[0]).toMatchObject({
      time: '2000-03-17T00:00:00.000Z',
      side: 'buy',
      price: 1458.47,
      quantity: 10,
      fee: 14.58,
    });
    const html = await readFile(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('prints a summary table and the report path by default, and passes --params through', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-cli-'));
    const { code, out } = await run([
      'backtest',
      '--strategy',
      strategy,
      '--data',
      'sp500',
      '--params',
      '{"fast":5,"slow":20}',
      '--report',
      join(dir, 'r.html'),
    ]);
    expect(code).toBe(0);
    expect(out).toContain('"fast":5');
    expect(out).toMatch(/Final equity\s+[\d,]+\.\d\d/);
    expect(out).toContain('Report: ');
  });

  it('runs on a CSV file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-cli-'));
    const lines = ['date,open,high,low,close,volume'];
    let px = 100;
    for (let d = 0; d < 200; d++) {
      const next = px + Math.sin(d / 7) * 2;
      const day = new Date(Date.UTC(2021, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
      lines.push(
        `${day},${px.toFixed(2)},${(Math.max(px, next) + 1).toFixed(2)},${(Math.min(px, next) - 1).toFixed(2)},${next.toFixed(2)},1000`,
      );
      px = next;
    }
    await writeFile(join(dir, 'abc.csv'), lines.join('\n'));
    const { code, out, err } = await run([
      'backtest',
      '--strategy',
      strategy,
      '--data',
      join(dir, 'abc.csv'),
      '--json',
      '--no-report',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { bars: number; fills: { symbol: string }[] };
    expect(doc.bars).toBe(200);
    expect(doc.fills.length).toBeGreaterThan(0);
    expect(doc.fills[0]?.symbol).toBe('ABC');
  });

  it('refuses bad input with a clear message and exit code 1', async () => {
    expect((await run(['backtest', '--data', 'sp500'])).code).toBe(1);
    const badParams = await run([
      'backtest',
      '--strategy',
      strategy,
      '--data',
      'sp500',
      '--params',
      '{"fast":-1}',
      '--no-report',
    ]);
    expect(badParams.code).toBe(1);
    expect(badParams.err).toContain('INVALID_CONFIG');
    expect(badParams.err).toContain('fast');
    const notJson = await run(['backtest', '--strategy', strategy, '--data', 'sp500', '--params', 'fast=1']);
    expect(notJson.err).toContain('--params must be a JSON object');
    const badData = await run(['backtest', '--strategy', strategy, '--data', 'bars.parquet']);
    expect(badData.err).toContain('--data must be sp500');
    const missing = await run(['backtest', '--strategy', 'nope.ts', '--data', 'sp500']);
    expect(missing.err).toContain('cannot load strategy file');
    expect((await run(['frobnicate'])).code).toBe(1);
  });
});
