import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** `rxtrade fleet` run the way a user runs it: a node process on the command line. */
const root = new URL('../../../', import.meta.url).pathname;
const bin = join(root, 'packages/cli/src/bin.ts');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;

function rxtrade(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, '--conditions=rxtrade-source', bin, ...args], {
      cwd: root,
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

describe('rxtrade fleet', () => {
  it.each([
    ['the SMA crossover', 'examples/sma-crossover/src/strategy.ts'],
    ['the ATR breakout', 'examples/breakout-atr/src/strategy.ts'],
  ])('--until-done --json prints what rxtrade backtest --json prints for %s', async (_name, strategy) => {
    const common = ['--strategy', strategy, '--data', 'sp500', '--cash', '50000', '--json'];
    const [backtest, fleet] = await Promise.all([
      rxtrade(['backtest', ...common, '--no-report', '--quiet']),
      rxtrade(['fleet', ...common, '--in-process', '--until-done', '--strategy-replicas', '2']),
    ]);
    expect(backtest.code).toBe(0);
    expect(fleet).toMatchObject({ code: 0 });
    expect(JSON.parse(fleet.out)).toEqual(JSON.parse(backtest.out));
  });

  it('refuses a plan it cannot run with one line saying why, without a stack', async () => {
    const run = await rxtrade([
      'fleet',
      '--strategy',
      'examples/sma-crossover/src/strategy.ts',
      '--data',
      'sp500',
      '--strategy-replicas',
      '0',
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/--strategy-replicas must be a whole number from 1 to 64/);
    expect(run.err).not.toMatch(/^\s+at /m);
  });
});
