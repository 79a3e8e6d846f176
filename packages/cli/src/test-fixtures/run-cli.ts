import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root, where the docs' commands run. */
export const root = new URL('../../../../', import.meta.url).pathname;
const bin = join(root, 'packages/cli/src/bin.ts');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;

/** What a user sees of one CLI run. */
export interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** A running `rxtrade …` process: its output so far, a wait for a pattern, and its end. */
export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<Run>;
  output(): string;
  /** Resolves once standard output or error matches (rejects if the process ends first). */
  waitFor(pattern: RegExp): Promise<void>;
}

/** `rxtrade <args>` as a separate node process, the way `npm run rxtrade -- …` runs it. */
export function startRxtrade(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const child = spawn(process.execPath, ['--import', tsx, '--conditions=rxtrade-source', bin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(out) || w.pattern.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    check();
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
  return {
    child,
    done,
    output: () => `${out}${err}`,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void done.then(() => reject(new Error(`rxtrade ended before ${pattern}:\n${out}${err}`)));
      }),
  };
}

/** Runs `rxtrade <args>` to its end. */
export function rxtrade(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return startRxtrade(args, options).done;
}
