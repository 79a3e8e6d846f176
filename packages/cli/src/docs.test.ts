import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeBinance } from '@rxtrade/ccxt/testing';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { loadSp500Bars } from '@rxtrade/datasets';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from './cli';
import { root, rxtrade } from './test-fixtures/run-cli';

/**
 * The docs, run. Every `rxtrade …` line in a shell block of the README, docs/ and the examples'
 * READMEs is run as written, in a folder holding the files it names (a copy of the SMA strategy, bars
 * in the layout the line reads); the only changes are the ones listed in {@link ADJUST}, each with
 * its reason. And every `ts` block of docs/guides/cookbook.md is run, its output compared with the
 * `text` block under it.
 */
const STACK = /^\s+at /m;
const PG = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A documented line and the file it is in. */
interface DocLine {
  readonly file: string;
  readonly line: string;
}

async function markdownFiles(): Promise<string[]> {
  const out = ['README.md'];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory() && entry.name !== 'node_modules' && path !== 'docs/api') await walk(path);
      else if (entry.name.endsWith('.md') && (dir.startsWith('docs') || entry.name === 'README.md'))
        out.push(path);
    }
  };
  await walk('docs');
  await walk('examples');
  return out;
}

/** Fenced blocks of a markdown file: their language and lines. */
function fences(text: string): { lang: string; lines: string[] }[] {
  const blocks: { lang: string; lines: string[] }[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      if (open) {
        blocks.push(open);
        open = undefined;
      } else open = { lang: line.slice(3).trim(), lines: [] };
    } else open?.lines.push(line);
  }
  return blocks;
}

/** The `rxtrade` command lines of the shell blocks, continuation lines joined, comments cut. */
async function documentedLines(): Promise<DocLine[]> {
  const found: DocLine[] = [];
  for (const file of await markdownFiles()) {
    for (const block of fences(await readFile(join(root, file), 'utf8'))) {
      if (!['sh', 'bash', 'shell', ''].includes(block.lang)) continue;
      for (let i = 0; i < block.lines.length; i++) {
        let line = (block.lines[i] as string).trim();
        if (!/^(npx rxtrade|rxtrade|npm run (-s )?rxtrade) /.test(line)) continue;
        while (line.endsWith('\\'))
          line = `${line.slice(0, -1).trimEnd()} ${(block.lines[++i] ?? '').trim()}`;
        found.push({ file, line: line.replace(/\s+#.*$/, '') });
      }
    }
  }
  return found;
}

/** Shell words: single and double quotes, no expansions (the docs use none). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? (m[3] as string));
  return out;
}

/** The arguments after `rxtrade`. */
const argsOf = (line: string): string[] => {
  const w = words(line);
  const at = w.indexOf('--') >= 0 && w[0] === 'npm' ? w.indexOf('--') + 1 : w.indexOf('rxtrade') + 1;
  return w.slice(at);
};

const schema = `rxtrade_docs_${process.pid}_${randomBytes(3).toString('hex')}`;

/**
 * What changes between a documented line and its run here, and why. A line not matched by any rule
 * runs exactly as written.
 */
const ADJUST: readonly {
  readonly when: RegExp;
  readonly why: string;
  readonly change: (args: string[], fake: string) => string[] | 'not here';
}[] = [
  {
    when: /^(download|paper) /,
    why: 'the exchange is a local fake of Binance (nothing leaves the machine)',
    change: (a, fake) => [...a, '--api-url', fake],
  },
  {
    when: /^download .*postgres:\/\//,
    why: 'the machine’s PostgreSQL, in a schema of this run',
    change: (a) => a.map((w) => (w === 'binance_1h' ? schema : w.startsWith('postgres://') ? PG : w)),
  },
  {
    when: /^paper /,
    why: 'paper runs until Ctrl-C: stop after one live bar; 1-second bars so that takes a second, not a minute',
    change: (a) => [...a.map((w) => (w === '1m' ? '1s' : w)), '--max-bars', '1', '--poll-ms', '200'],
  },
  {
    when: /^fleet (?!.*--in-process)/,
    why: 'processes on RabbitMQ and Redis: run by fleet-parity.rabbitmq-redis.integration.test.ts (--until-done), fleet-shadow.rabbitmq-redis.integration.test.ts (--shadow) and fleet-gateway.rabbitmq-redis.integration.test.ts (the gateway, until Ctrl-C)',
    change: () => 'not here',
  },
  {
    when: /--report|^backtest /,
    why: 'no HTML report files left in the sandbox',
    change: (a) => (a.includes('--report') ? a : [...a, '--no-report']),
  },
];

async function sandbox(): Promise<string> {
  const dir = await mkdtemp(join(root, 'packages/cli/.docs-'));
  const sma = join(root, 'examples/sma-crossover/src/strategy.ts');
  await mkdir(join(dir, 'src'));
  for (const name of ['src/sma.ts', 'src/strategy.ts', 's.ts', 'pairs.ts', 'my-strategy.ts'])
    await copyFile(sma, join(dir, name));
  // Bars in each layout the docs read, from the S&P 500 closes.
  const spx = (await loadSp500Bars()).slice(0, 3_000);
  const iso = (ts: number) => new Date(ts).toISOString();
  const plain = (bars: typeof spx, step = 0, start = 0) =>
    [
      'time,open,high,low,close,volume',
      ...bars.map(
        (b, i) =>
          `${iso(step ? start + i * step : b.ts)},${b.open},${b.high},${b.low},${b.close},${b.volume}`,
      ),
    ].join('\n');
  const hour = 3_600_000;
  await writeFile(join(dir, 'btcusdt.csv'), plain(spx.slice(0, 500)));
  await writeFile(join(dir, 'my-bars.csv'), plain(spx.slice(0, 500)));
  await writeFile(join(dir, 'btc.csv'), plain(spx, hour, Date.UTC(2024, 0, 1)));
  await writeFile(
    join(dir, 'eth.csv'),
    plain(
      spx.map((b) => ({ ...b, close: b.close / 10, open: b.open / 10, high: b.high / 10, low: b.low / 10 })),
      hour,
      Date.UTC(2024, 0, 1),
    ),
  );
  await writeFile(
    join(dir, 'plan.json'),
    JSON.stringify({
      accounts: [
        { id: 'a', initialCash: 100_000 },
        { id: 'b', initialCash: 50_000 },
      ],
      strategies: [
        {
          id: 'sma-btc',
          file: 'src/strategy.ts',
          account: 'a',
          symbol: 'BTC',
          params: { fast: 10, slow: 30 },
        },
        { id: 'sma-eth', file: 'src/strategy.ts', account: 'b', symbol: 'ETH' },
      ],
    }),
  );
  await writeFile(join(dir, 'btc-1m.csv'), plain(spx.slice(0, 3_000), 60_000, Date.UTC(2024, 0, 2)));
  await writeFile(
    join(dir, 'prices.csv'),
    [
      'time;open;high;low;close;volume',
      ...spx.slice(0, 300).map((b) => `${iso(b.ts)};${b.open};${b.high};${b.low};${b.close};${b.volume}`),
    ].join('\n'),
  );
  // Binance's public kline dumps: no header, open time in microseconds, 12 columns.
  const t0 = Date.UTC(2025, 0, 1);
  await writeFile(
    join(dir, 'BTCUSDT-1m-2025-01.csv'),
    spx
      .slice(0, 300)
      .map(
        (b, i) =>
          `${(t0 + i * 60_000) * 1000},${b.open},${b.high},${b.low},${b.close},${b.volume},${(t0 + i * 60_000 + 59_999) * 1000},0,0,0,0,0`,
      )
      .join('\n'),
  );
  await writeFile(
    join(dir, 'spy.csv'),
    [
      'Date,Open,High,Low,Close,Adj Close,Volume',
      ...spx
        .slice(0, 300)
        .map(
          (b) =>
            `${iso(b.ts).slice(0, 10)},${b.open},${b.high},${b.low},${b.close},${((b.low + b.close) / 2).toFixed(2)},${b.volume}`,
        ),
    ].join('\n'),
  );
  return dir;
}

describe('docs: every rxtrade line of the docs', () => {
  let lines: DocLine[];
  beforeAll(async () => {
    lines = await documentedLines();
  });

  it('names a command of the CLI, and only options that command’s --help lists; every command is shown', () => {
    expect(lines.length).toBeGreaterThan(15);
    const shown = new Set<string>();
    for (const { file, line } of lines) {
      const [command, ...rest] = argsOf(line);
      if (command === '--help' || command === '--version') continue;
      expect(Object.keys(COMMANDS), `${file}: ${line}`).toContain(command);
      shown.add(command as string);
      const usage = COMMANDS[command as string]?.usage ?? '';
      for (const option of rest.filter((w) => w.startsWith('--'))) {
        expect(usage, `${file}: ${option} is not in rxtrade ${command} --help`).toContain(`${option} `);
      }
    }
    expect([...shown].sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  describe('run as written', () => {
    let dir: string;
    let fake: FakeBinance;
    let havePostgres = false;
    beforeAll(async () => {
      dir = await sandbox();
      fake = await FakeBinance.start();
      havePostgres = await requireService('PostgreSQL', () => {
        const url = new URL(PG);
        return probeTcp(url.hostname, Number(url.port || 5432));
      });
    });
    afterAll(async () => {
      await fake?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      if (havePostgres) {
        const pool = new Pool({ connectionString: PG, max: 1 });
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pool.end());
      }
    });

    it('each exits 0 with no stack, in the order the docs give them (a download before its backtest)', async () => {
      const skipped: string[] = [];
      for (const { file, line } of lines) {
        let args = argsOf(line);
        const text = args.join(' ');
        for (const rule of ADJUST) {
          if (!rule.when.test(text)) continue;
          const changed = rule.change(args, fake.url);
          if (changed === 'not here') {
            skipped.push(line);
            args = [];
            break;
          }
          args = changed;
        }
        if (args.length === 0) continue;
        if (text.includes('postgres://') && !havePostgres)
          throw new Error('PostgreSQL is needed for the docs');
        // A line naming a file of the repository's examples runs at the repository's root.
        const cwd = args.some((a) => a.startsWith('examples/')) ? root : dir;
        const run = await rxtrade(args, { cwd });
        expect(run.err, `${file}: ${line}`).not.toMatch(STACK);
        expect(run.code, `${file}: ${line}\n${run.err}`).toBe(0);
      }
      // Only the fleet on RabbitMQ and Redis is left to its own integration tests: --until-done
      // (the parity suite), --shadow (fleet-shadow) and the gateway until Ctrl-C (fleet-gateway).
      const multiAccount = /rxtrade (-- )?fleet --plan examples\/multi-account\/plan.json .*--until-done$/;
      expect(skipped.filter((l) => !multiAccount.test(l))).toEqual([
        expect.stringMatching(/^npx rxtrade fleet .*--shadow reports$/),
        expect.stringMatching(/^npx rxtrade fleet .*--strategy-replicas 3/),
        expect.stringMatching(/^npx rxtrade fleet .*--speed 5$/),
      ]);
      // The multi-account example's fleet lines (its README, the fleet guide): the parity suite runs them.
      expect(skipped.filter((l) => multiAccount.test(l))).toHaveLength(2);
      // Every documented line, one after another: minutes on a busy 2-core machine.
    }, 600_000);
  });
});

describe('docs: links', () => {
  it('every relative link of the README, docs/ and the examples names a file that exists', async () => {
    const { existsSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const broken: string[] = [];
    const files = [...(await markdownFiles()), 'CONTRIBUTING.md'];
    for (const file of files) {
      const text = (await readFile(join(root, file), 'utf8')).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target as string)) continue;
        const path = (target as string).split('#')[0] as string;
        if (!existsSync(join(root, dirname(file), path))) broken.push(`${file} -> ${target}`);
      }
    }
    expect(files.length).toBeGreaterThan(30);
    expect(broken).toEqual([]);
  });
});

describe('docs: the cookbook', () => {
  it('every ts block runs and prints the text block under it', async () => {
    const blocks = fences(await readFile(join(root, 'docs/guides/cookbook.md'), 'utf8'));
    const recipes: { code: string; output: string }[] = [];
    blocks.forEach((b, i) => {
      if (b.lang !== 'ts') return;
      const next = blocks[i + 1];
      expect(next?.lang, `the ts block ${recipes.length + 1} has no text block under it`).toBe('text');
      recipes.push({ code: b.lines.join('\n'), output: (next as { lines: string[] }).lines.join('\n') });
    });
    expect(recipes.length).toBeGreaterThanOrEqual(4);
    const dir = await mkdtemp(join(root, 'packages/cli/.docs-'));
    try {
      const runs = await Promise.all(
        recipes.map(async (recipe, i) => {
          const file = join(dir, `recipe-${i + 1}.ts`);
          await writeFile(file, recipe.code);
          return { recipe, run: await runTs(file) };
        }),
      );
      for (const [i, { recipe, run }] of runs.entries()) {
        expect(run.err, `recipe ${i + 1}`).toBe('');
        expect(run.out.trimEnd(), `recipe ${i + 1}`).toBe(recipe.output.trimEnd());
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Runs a TypeScript file with the repository's sources, the way `npx tsx file.ts` would. */
async function runTs(file: string): Promise<{ out: string; err: string; code: number | null }> {
  const { spawn } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, '--conditions=rxtrade-source', file], {
      cwd: root,
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
    child.on('close', (code) => resolve({ out, err, code }));
  });
}
