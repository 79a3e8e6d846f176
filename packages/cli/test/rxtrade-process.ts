import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root: examples and `--data` paths in tests are relative to it. */
export const root = new URL('../../../', import.meta.url).pathname;
const bin = join(root, 'packages/cli/src/bin.ts');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;

/** What a finished `rxtrade` process printed. */
export interface RxtradeRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * `rxtrade <args>` run the way a user runs it: a node process on the command line, from the
 * repository root. `onErrLine` sees each line of standard error as it comes; `started` the process.
 */
export function rxtrade(
  args: readonly string[],
  hooks: { onErrLine?: (line: string) => void; started?: (child: ChildProcess) => void } = {},
): Promise<RxtradeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, '--conditions=rxtrade-source', bin, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    hooks.started?.(child);
    let out = '';
    let err = '';
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const lines = (rest + d).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) hooks.onErrLine?.(line);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
