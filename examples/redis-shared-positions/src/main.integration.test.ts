import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { describe, expect, it } from 'vitest';
import { expectedPosition, formatCents } from './desk';

const url = new URL(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
const redisUp = await requireService('Redis', () => probeTcp(url.hostname, Number(url.port || 6379)));

describe.skipIf(!redisUp)('example: two processes share one position through Redis', () => {
  it('runs with one command and both desks end on the exact combined position', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=rxtrade-source', main], {
      encoding: 'utf8',
      timeout: 45_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const expected = expectedPosition();
    const final = `qty ${expected.qty}, cost ${formatCents(expected.costCents)}, fills ${expected.fills}`;
    expect(run.stdout).toContain(`[desk-a] final position:acct-1:BTCUSD: ${final}`);
    expect(run.stdout).toContain(`[desk-b] final position:acct-1:BTCUSD: ${final}`);
    expect(run.stdout).toContain('[desk-a] redelivered a-1: duplicate');
    expect(run.stdout).toContain('OK: both desks see every fill exactly once');
    // Each desk printed a read-back that already included fills of the other desk.
    expect(run.stdout).toMatch(/\[desk-a\].*\(\d mine, [1-9] from the other desk\)/);
    expect(run.stdout).toMatch(/\[desk-b\].*\(\d mine, [1-9] from the other desk\)/);
  });
});
