import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintApiKey } from '@rxtrade/fleet/gateway';

const SERVICES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPO_ROOT = resolve(SERVICES_DIR, '../..');

/** One running service process. */
export interface ServiceProcess {
  readonly name: string;
  readonly replica: string;
  child: ChildProcess;
  port: number;
  readonly url: () => string;
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** Environment for every service (FLEET_PREFIX, SYMBOLS, BARS, …); merged over process.env. */
  readonly env: Readonly<Record<string, string>>;
  readonly strategyReplicas: number;
  /** Services to start; default all (gateway only if `gateway/src/main.ts` exists). */
  readonly services?: readonly string[];
  /** Each process's JSON log lines go to `<logDir>/<name>-<replica>.log`. Default: inherit stdout. */
  readonly logDir?: string;
  /** Called with every parsed log line of every child. */
  readonly onLog?: (service: string, line: Record<string, unknown>) => void;
  /** Starts the data service (the replay) last, once everything else is healthy. Default true. */
  readonly startData?: boolean;
}

/** A running fleet of local processes. */
export interface Fleet {
  readonly processes: ServiceProcess[];
  /** A first API key (scopes read, trade, admin; all accounts), installed in the gateway by hash. */
  readonly apiKey: string;
  get(name: string, replica?: string): ServiceProcess;
  /** Starts one more process (e.g. the data service later, a restarted order service). */
  start(name: string, replica?: string, env?: Readonly<Record<string, string>>): Promise<ServiceProcess>;
  /** SIGKILLs one process (no cleanup), resolves when it is gone. */
  kill(name: string, replica?: string): Promise<void>;
  /** SIGINT to every child, waits for all to exit; resolves with their exit codes. */
  stop(): Promise<Record<string, number | null>>;
}

/**
 * Starts the fleet as local child processes (`node --import tsx --conditions=rxtrade-source
 * <service>/src/main.ts`): risk, order, strategy ×N, gateway, each awaited until `/health` answers
 * 200, then data (which starts the replay). Used by `npm run services` and the e2e tests.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  const minted = mintApiKey({ scopes: ['read', 'trade', 'admin'], accounts: '*', label: 'bootstrap' });
  const logs = new Map<ServiceProcess, WriteStream>();

  const start = async (
    name: string,
    replica = '0',
    extraEnv: Readonly<Record<string, string>> = {},
  ): Promise<ServiceProcess> => {
    const entry = join(SERVICES_DIR, name, 'src', 'main.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=rxtrade-source', entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...options.env,
        ...extraEnv,
        REPLICA: replica,
        HTTP_PORT: '0',
        ...(name === 'gateway' ? { GATEWAY_BOOTSTRAP_KEY_RECORD: JSON.stringify(minted.record) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: ServiceProcess = {
      name,
      replica,
      child,
      port: 0,
      url: () => `http://127.0.0.1:${proc.port}`,
    };
    const existing = processes.findIndex((p) => p.name === name && p.replica === replica);
    if (existing >= 0) processes.splice(existing, 1, proc);
    else processes.push(proc);
    const log = options.logDir
      ? createWriteStream(join(options.logDir, `${name}-${replica}.log`), { flags: 'a' })
      : undefined;
    if (log) logs.set(proc, log);
    const ready = new Promise<number>((resolveReady, rejectReady) => {
      let buffer = '';
      const onData = (chunk: Buffer): void => {
        if (log) log.write(chunk);
        else process.stdout.write(chunk);
        buffer += chunk.toString('utf8');
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const text = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf('\n');
          let line: Record<string, unknown> | undefined;
          try {
            line = JSON.parse(text) as Record<string, unknown>;
          } catch {
            continue;
          }
          options.onLog?.(name, line);
          if (line['event'] === 'ready' && typeof line['port'] === 'number') resolveReady(line['port']);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (log ? log.write(chunk) : process.stderr.write(chunk)));
      child.once('exit', (code) =>
        rejectReady(new Error(`${name}-${replica} exited with ${code} before it was ready`)),
      );
    });
    proc.port = await ready;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${proc.url()}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${name}-${replica} not healthy after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return proc;
  };

  const exited = (p: ServiceProcess): Promise<number | null> =>
    p.child.exitCode !== null || p.child.signalCode !== null
      ? Promise.resolve(p.child.exitCode)
      : new Promise((r) => p.child.once('exit', (code) => r(code)));

  const fleet: Fleet = {
    processes,
    apiKey: minted.key,
    get(name, replica = '0') {
      const p = processes.find((x) => x.name === name && x.replica === replica);
      if (!p) throw new Error(`no process ${name}-${replica}`);
      return p;
    },
    start,
    async kill(name, replica = '0') {
      const p = fleet.get(name, replica);
      p.child.kill('SIGKILL');
      await exited(p);
    },
    async stop() {
      const codes: Record<string, number | null> = {};
      // Data first (no new bars), then the rest together.
      const order = [...processes].sort((a, b) => (a.name === 'data' ? -1 : b.name === 'data' ? 1 : 0));
      const data = order.filter((p) => p.name === 'data');
      for (const p of data) {
        p.child.kill('SIGINT');
        codes[`${p.name}-${p.replica}`] = await exited(p);
      }
      const rest = order.filter((p) => p.name !== 'data');
      for (const p of rest) p.child.kill('SIGINT');
      for (const p of rest) codes[`${p.name}-${p.replica}`] = await exited(p);
      for (const log of logs.values()) log.end();
      return codes;
    },
  };

  const all = options.services ?? ['risk', 'order', 'strategy', 'gateway', 'data'];
  try {
    const first = all.filter((s) => s !== 'strategy' && s !== 'data' && s !== 'gateway');
    await Promise.all(first.map((s) => start(s)));
    if (all.includes('strategy')) {
      await Promise.all(
        Array.from({ length: options.strategyReplicas }, (_, i) => start('strategy', String(i))),
      );
    }
    if (all.includes('gateway')) await start('gateway');
    if (all.includes('data') && options.startData !== false) await start('data');
  } catch (error) {
    await fleet.stop().catch(() => undefined);
    throw error;
  }
  return fleet;
}
