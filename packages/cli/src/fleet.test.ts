import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, rxtrade } from '../test/rxtrade-process';

// Parity with rxtrade backtest, in one process and as processes: fleet-parity.rabbitmq-redis.integration.test.ts.
describe('rxtrade fleet', () => {
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

  it('refuses a --plan whose strategy names an account the plan does not have, before anything starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-plan-'));
    const plan = join(dir, 'plan.json');
    await writeFile(
      plan,
      JSON.stringify({
        accounts: [{ id: 'a', initialCash: 1000 }],
        strategies: [{ id: 'sma', file: join(root, 'examples/sma-crossover/src/strategy.ts'), account: 'b' }],
      }),
    );
    const run = await rxtrade(['fleet', '--plan', plan, '--data', 'sp500', '--in-process']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/--plan .*plan\.json: strategy sma: no account b in "accounts"/);
    expect(run.err).not.toMatch(/^\s+at /m);
    const both = await rxtrade(['backtest', '--plan', plan, '--strategy', 'x.ts', '--data', 'sp500']);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/--plan says the strategies and accounts: leave out --strategy/);
    const budget = await rxtrade([
      'fleet',
      '--plan',
      plan,
      '--budget',
      '1000',
      '--data',
      'sp500',
      '--in-process',
    ]);
    expect(budget.code).toBe(1);
    expect(budget.err).toMatch(/--plan says the strategies and accounts: leave out --budget/);
  });

  it('refuses a --budget that is not an amount > 0', async () => {
    const args = ['fleet', '--strategy', 'examples/sma-crossover/src/strategy.ts', '--data', 'sp500'];
    for (const value of ['0', '-5', 'lots']) {
      const run = await rxtrade([...args, '--budget', value, '--in-process']);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/--budget/);
      expect(run.err).not.toMatch(/^\s+at /m);
    }
  });

  it('with RabbitMQ unreachable: says why in one or two lines (password masked) and exits, not hangs', async () => {
    const run = await rxtrade([
      'fleet',
      '--strategy',
      'examples/sma-crossover/src/strategy.ts',
      '--data',
      'sp500',
      '--until-done',
      '--rabbitmq',
      'amqp://guest:secret@127.0.0.1:1',
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^rxtrade: cannot start the fleet on amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 .*exited while starting: .*ECONNREFUSED/,
    );
    expect(run.err).not.toContain('secret');
    expect(run.err.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(run.err).not.toMatch(/^\s+at /m);
  });
});
