import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RxtradeError } from '../errors';
import { prepareTasks, type Task, type TaskResult, type TaskRunner, type TaskSetup } from './optimize-task';

/** Batches queued per worker: the next one is already there when a batch's results leave. */
const IN_FLIGHT = 2;
/** Most tasks per message: fewer messages for the main thread to handle, still a fair split at the end. */
const MAX_BATCH = 16;

/** @internal The error an aborted optimisation rejects with. */
export const canceled = (): RxtradeError =>
  new RxtradeError({ code: 'CANCELED', message: 'optimisation canceled' });

/** The URL of this module, in ESM (source or dist) and in the CJS build. */
function moduleUrl(): string {
  // In the CJS build `import.meta` is empty but `__filename` exists; in ESM the reverse.
  return typeof __filename === 'string' && __filename.length > 0
    ? pathToFileURL(__filename).href
    : import.meta.url;
}

const isTypeScript = (path: string): boolean => /\.[cm]?tsx?$/.test(path);

/** The worker entry: the .ts source beside this file, or the built dist/strategy/optimize-worker.{js,cjs}. */
function workerEntry(): string {
  const here = moduleUrl();
  if (isTypeScript(new URL(here).pathname)) return new URL('./optimize-worker.ts', here).href;
  return new URL(
    here.endsWith('.cjs') ? './strategy/optimize-worker.cjs' : './strategy/optimize-worker.js',
    here,
  ).href;
}

/** file: URL of tsx's ESM register API, from the app's directory or from rxtrade's; undefined when not installed. */
function resolveTsxApi(): string | undefined {
  for (const base of [join(process.cwd(), 'noop.js'), fileURLToPath(moduleUrl())]) {
    try {
      const manifest = createRequire(base).resolve('tsx/package.json');
      const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> })
        .exports;
      const api = exports?.['./esm/api'] as { import?: { default?: string } | string } | undefined;
      const target = typeof api?.import === 'string' ? api.import : api?.import?.default;
      if (typeof target === 'string') return pathToFileURL(join(dirname(manifest), target)).href;
    } catch {
      // not installed here; try the next base
    }
  }
  return undefined;
}

/** The parent's `--conditions` flags, plus `rxtrade-source` when the worker entry is a source file. */
function defaultExecArgv(entry: string): string[] {
  const argv: string[] = [];
  const parent = process.execArgv;
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i] as string;
    if (arg.startsWith('--conditions=')) argv.push(arg);
    else if ((arg === '--conditions' || arg === '-C') && parent[i + 1] !== undefined) {
      argv.push(`--conditions=${parent[++i]}`);
    }
  }
  if (isTypeScript(entry) && !argv.includes('--conditions=rxtrade-source')) {
    argv.push('--conditions=rxtrade-source');
  }
  return argv;
}

// A CommonJS bootstrap (eval) so that a TypeScript entry can be loaded: Node 20 workers do not
// apply `--import tsx` to their entry module, so tsx's register() runs first, then the entry.
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ type: 'fatal', message: String((error && error.stack) || error) }));
`;

/** @internal Messages a worker sends. */
export type WorkerMessage =
  | { type: 'ready'; paramKeys: string[] | undefined; timestamps: number[] | undefined }
  | { type: 'results'; results: TaskResult[] }
  | { type: 'fatal'; message: string };

function workerFailure(message: string, cause?: unknown): RxtradeError {
  return new RxtradeError({
    code: 'INVALID_ARGUMENT',
    message: `optimisation worker failed: ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** @internal Rejects with CANCELED as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(canceled());
  return new Promise<T>((resolveValue, reject) => {
    const onAbort = (): void => reject(canceled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolveValue(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * @internal N worker threads (or this thread, for `workers: 0`), each holding the loaded strategy
 * and bars, running batches of tasks. Whoever starts it closes it.
 */
export class TaskPool {
  readonly size: number;
  readonly paramKeys: readonly string[] | undefined;
  readonly timestamps: readonly number[];
  readonly #workers: Worker[];
  readonly #inline: TaskRunner | undefined;
  /** The setup's `onePass`: one batch per worker, so each runs its share in one pass. */
  readonly #onePass: boolean;
  #closed = false;

  private constructor(init: {
    workers: Worker[];
    inline: TaskRunner | undefined;
    paramKeys: readonly string[] | undefined;
    timestamps: readonly number[];
    onePass: boolean;
  }) {
    this.#workers = init.workers;
    this.#inline = init.inline;
    this.#onePass = init.onePass;
    this.size = init.workers.length;
    this.paramKeys = init.paramKeys;
    this.timestamps = init.timestamps;
  }

  static async start(
    setup: TaskSetup,
    options: { workers: number; execArgv: readonly string[] | undefined; signal: AbortSignal | undefined },
  ): Promise<TaskPool> {
    if (options.workers === 0) {
      const inline = await prepareTasks(setup);
      return new TaskPool({
        workers: [],
        inline,
        paramKeys: inline.paramKeys,
        timestamps: inline.timestamps(),
        onePass: setup.onePass === true,
      });
    }
    const entry = workerEntry();
    const needsTsx =
      isTypeScript(entry) ||
      isTypeScript(setup.strategy.path) ||
      (setup.data.kind === 'module' && isTypeScript(setup.data.path));
    const tsx = needsTsx ? resolveTsxApi() : undefined;
    if (needsTsx && tsx === undefined) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message:
          'loading TypeScript in worker threads needs tsx (npm install -D tsx), or point at compiled .js files',
      });
    }
    const execArgv = [...(options.execArgv ?? defaultExecArgv(entry))];
    const workers: Worker[] = [];
    const ready: Promise<Extract<WorkerMessage, { type: 'ready' }>>[] = [];
    for (let i = 0; i < options.workers; i++) {
      const worker = new Worker(BOOTSTRAP, {
        eval: true,
        execArgv,
        workerData: { setup, sendTimestamps: i === 0, entry, tsx },
      });
      workers.push(worker);
      ready.push(
        new Promise((resolveReady, reject) => {
          worker.once('message', (message: WorkerMessage) => {
            if (message.type === 'ready') resolveReady(message);
            else reject(workerFailure(message.type === 'fatal' ? message.message : 'unexpected message'));
          });
          worker.once('error', (error) => reject(workerFailure(error.message, error)));
        }),
      );
    }
    const starting = new TaskPool({
      workers,
      inline: undefined,
      paramKeys: undefined,
      timestamps: [],
      onePass: false,
    });
    try {
      const answers = await abortable(Promise.all(ready), options.signal);
      const first = answers[0] as Extract<WorkerMessage, { type: 'ready' }>;
      return new TaskPool({
        workers,
        inline: undefined,
        paramKeys: first.paramKeys,
        timestamps: first.timestamps ?? [],
        onePass: setup.onePass === true,
      });
    } catch (error) {
      await starting.close();
      throw error;
    }
  }

  /** Runs every task, in batches on whichever worker is free; `onResult` sees results as they arrive. */
  async run(
    tasks: readonly Task[],
    onResult: (result: TaskResult) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.#inline) {
      if (this.#onePass) {
        if (signal?.aborted) throw canceled();
        for (const result of await this.#inline.runBatch(tasks)) onResult(result);
        return;
      }
      for (const task of tasks) {
        if (signal?.aborted) throw canceled();
        onResult(await this.#inline.run(task));
      }
      return;
    }
    // At least 8 batches per worker, so the last ones finish close together; in one pass, one
    // batch per worker, so each reads the bars once for its whole share.
    const size = this.#onePass
      ? Math.max(1, Math.ceil(tasks.length / this.size))
      : Math.max(1, Math.min(MAX_BATCH, Math.floor(tasks.length / (this.size * 8))));
    const batches: Task[][] = [];
    for (let i = 0; i < tasks.length; i += size) batches.push(tasks.slice(i, i + size));
    let next = 0;
    let done = 0;
    await abortable(
      new Promise<void>((resolveAll, reject) => {
        if (tasks.length === 0) {
          resolveAll();
          return;
        }
        const cleanups: (() => void)[] = [];
        const finish = (error?: unknown): void => {
          for (const cleanup of cleanups) cleanup();
          if (error) reject(error);
          else resolveAll();
        };
        for (const worker of this.#workers) {
          const onMessage = (message: WorkerMessage): void => {
            if (message.type === 'fatal') {
              finish(workerFailure(message.message));
              return;
            }
            if (message.type !== 'results') return;
            for (const result of message.results) onResult(result);
            done += message.results.length;
            if (done === tasks.length) {
              finish();
              return;
            }
            if (next < batches.length) worker.postMessage(batches[next++]);
          };
          const onError = (error: Error): void => finish(workerFailure(error.message, error));
          const onExit = (code: number): void => {
            if (!this.#closed) finish(workerFailure(`a worker exited with code ${code}`));
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
          worker.on('exit', onExit);
          cleanups.push(() => {
            worker.off('message', onMessage);
            worker.off('error', onError);
            worker.off('exit', onExit);
          });
          for (let k = 0; k < IN_FLIGHT && next < batches.length; k++) worker.postMessage(batches[next++]);
        }
      }),
      signal,
    );
  }

  /** Terminates the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
