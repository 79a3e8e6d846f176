import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubePlay } from './kube';
import {
  ensureBaseImage,
  ensurePackages,
  ensureStandins,
  hardeningProblems,
  podman,
  podmanEnv,
  processHardening,
  REPO_ROOT,
  run,
  SERVICES_DIR,
  startApiService,
} from './podman';

/**
 * `npm run test:deploy`: brings the project's own docker-compose.yml up, unchanged, with Debian's
 * docker-compose against podman (images built locally: the project's from its Dockerfile, stand-ins
 * for Redis, RabbitMQ, PostgreSQL, Prometheus and the Node base), then uses it as a user would:
 * the first API key, an order through the gateway until it is filled, positions, Prometheus
 * scraping every replica, a strategy container SIGKILLed while the run goes on; then `down -v`
 * must leave no container, network or volume. Prints each check and how long it took; exits 1 on
 * the first failure (after tearing down and printing the failing containers' last log lines).
 *
 * It drives the compose file generically: services are whatever the file lists, every container with
 * a healthcheck must turn healthy, every service container must be a Prometheus target. Settings:
 * DEPLOY_KEEP=1 leaves the fleet up for a look, DEPLOY_INSTRUMENT picks the order's instrument.
 */
const PROJECT = process.env['DEPLOY_PROJECT'] ?? 'rxtrade-deploy-test';
const COMPOSE_FILE = join(SERVICES_DIR, 'docker-compose.yml');
const ACCOUNT = process.env['DEPLOY_ACCOUNT'] ?? 'acc-1';
const INSTRUMENT = process.env['DEPLOY_INSTRUMENT'] ?? 'SPX0';
/** The user's strategy: a copy of examples/sma-crossover's, mounted as a user's own file. */
const USER_STRATEGY_ID = 'usersma';
/** The servers of the compose file; every other service is one of the fleet's. */
const INFRA = ['redis', 'rabbitmq', 'postgres', 'prometheus'];

const t0 = performance.now();
const results: { name: string; seconds: number; detail: string }[] = [];
const secs = (from: number) => (performance.now() - from) / 1000;

let stepInterruption: Promise<never> = new Promise(() => undefined);

async function step(name: string, fn: () => Promise<string> | string): Promise<void> {
  const start = performance.now();
  process.stdout.write(`… ${name}\n`);
  const detail = await Promise.race([fn(), stepInterruption]);
  const seconds = secs(start);
  results.push({ name, seconds, detail });
  process.stdout.write(`ok ${name} (${seconds.toFixed(1)} s): ${detail}\n`);
}

/** Checks that failed; the run goes on to the next check (each says what it found), then fails. */
const checkFailures: string[] = [];

/** A user's check once the fleet is up: a failure is printed and counted, and the next check runs. */
async function check(name: string, fn: () => Promise<string> | string): Promise<void> {
  const start = performance.now();
  try {
    await step(name, fn);
  } catch (error) {
    const seconds = secs(start);
    const message = error instanceof Error ? error.message : String(error);
    if (/^interrupted by/.test(message)) throw error;
    checkFailures.push(name);
    results.push({ name: `FAILED ${name}`, seconds, detail: message });
    process.stdout.write(`FAILED ${name} (${seconds.toFixed(1)} s): ${message}\n`);
  }
}

async function waitFor<T>(
  what: string,
  { timeoutMs, everyMs = 1_000 }: { timeoutMs: number; everyMs?: number },
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A command that must not block the event loop (the healthcheck loop runs meanwhile). */
function runAsync(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-6000);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${stderr}`)),
    );
  });
}

const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });

interface ContainerInfo {
  Id: string;
  Names: string[];
  State: string;
  Image: string;
  Labels: Record<string, string> | null;
}

/** The project's containers (compose labels them with project and service). */
function containers(): {
  id: string;
  name: string;
  service: string;
  state: string;
  health: string;
  image: string;
}[] {
  const list = JSON.parse(
    podman('ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', 'json'),
  ) as ContainerInfo[];
  // One inspect for all: the health status (empty without a healthcheck) by id.
  const healths = new Map<string, string>();
  if (list.length > 0) {
    const out = spawnSync(
      'podman',
      [
        'inspect',
        '--format',
        '{{.Id}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
        ...list.map((c) => c.Id),
      ],
      { env: podmanEnv(), encoding: 'utf8' },
    ).stdout;
    for (const line of out.split('\n')) {
      const [id, health = ''] = line.trim().split(' ');
      if (id) healths.set(id, health);
    }
  }
  return list.map((c) => ({
    id: c.Id,
    name: c.Names[0] ?? c.Id,
    service: c.Labels?.['com.docker.compose.service'] ?? '?',
    state: c.State,
    image: c.Image,
    health: healths.get(c.Id) ?? '',
  }));
}

/** Go-style duration as podman prints it (`10s`, `1m30s`, `500ms`) in milliseconds; 0 if unknown. */
function durationMs(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)(ms|s|m|h)/g))
    ms += Number(n) * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'] ?? 0);
  return ms;
}

/**
 * Podman runs healthchecks from systemd timers, which this machine lacks: this loop runs them, each
 * container's at its own healthcheck interval (so `retries` means what the file says), one at a time.
 */
function startHealthLoop(): () => Promise<void> {
  let stopped = false;
  const lastRun = new Map<string, number>();
  const intervals = new Map<string, number>();
  const intervalOf = (id: string): number => {
    let ms = intervals.get(id);
    if (ms === undefined) {
      const text = spawnSync('podman', ['inspect', '--format', '{{.Config.Healthcheck.Interval}}', id], {
        env: podmanEnv(),
        encoding: 'utf8',
      }).stdout;
      ms = durationMs(text) || 30_000; // Docker's default interval
      intervals.set(id, ms);
    }
    return ms;
  };
  const loop = async () => {
    while (!stopped) {
      try {
        for (const c of containers()) {
          if (stopped) break;
          if (c.state !== 'running' || c.health === '') continue;
          if (Date.now() - (lastRun.get(c.id) ?? 0) < intervalOf(c.id)) continue;
          lastRun.set(c.id, Date.now());
          await new Promise<void>((done) => {
            const child = spawn('podman', ['healthcheck', 'run', c.id], {
              env: podmanEnv(),
              stdio: 'ignore',
            });
            child.once('exit', () => done());
            child.once('error', () => done());
          });
        }
      } catch {
        // a container vanished mid-listing: try again
      }
      for (let i = 0; i < 10 && !stopped; i++) await new Promise((r) => setTimeout(r, 100));
    }
  };
  const current = loop();
  return async () => {
    stopped = true;
    await current;
  };
}

/**
 * What `down -v` left (a crash-looping container it could not stop in time, a half-created network):
 * removed by label, so a failed run leaves the machine clean for the next.
 */
function forceRemove(): void {
  const label = `label=com.docker.compose.project=${PROJECT}`;
  const quiet = (...args: string[]) => spawnSync('podman', args, { env: podmanEnv(), stdio: 'ignore' });
  const names = (...args: string[]) =>
    spawnSync('podman', args, { env: podmanEnv(), encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  quiet('rm', '-f', '-t', '0', ...names('ps', '-a', '-q', '--filter', label));
  quiet('network', 'rm', '-f', ...names('network', 'ls', '-q', '--filter', label));
  quiet('volume', 'rm', '-f', ...names('volume', 'ls', '-q', '--filter', label));
}

async function main(): Promise<void> {
  // Stopped from outside (CI's time limit, Ctrl-C): fail the current step, which tears everything down.
  let interrupted: ((error: Error) => void) | undefined;
  const interruption = new Promise<never>((_, reject) => {
    interrupted = reject;
  });
  interruption.catch(() => undefined);
  stepInterruption = interruption;
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => interrupted?.(new Error(`interrupted by ${signal}`)));
  const work = mkdtempSync(join(tmpdir(), 'rxtrade-deploy-'));
  let stopService: (() => Promise<void>) | undefined;
  let stopHealth: (() => Promise<void>) | undefined;
  let compose: ((...args: string[]) => string) | undefined;
  let failed = false;
  let kubeTeardown: (() => void) | undefined;
  try {
    await step('podman and docker-compose', () => ensurePackages());
    const service = await startApiService();
    stopService = service.stop;
    const userStrategies = join(work, 'strategies');
    mkdirSync(userStrategies);
    copyFileSync(
      join(REPO_ROOT, 'examples/sma-crossover/src/strategy.ts'),
      join(userStrategies, `${USER_STRATEGY_ID}.ts`),
    );
    chmodSync(userStrategies, 0o755);
    chmodSync(join(userStrategies, `${USER_STRATEGY_ID}.ts`), 0o644);
    const ports = { gateway: await freePort(), prometheus: await freePort(), rabbitmqUi: await freePort() };
    const env: NodeJS.ProcessEnv = {
      ...podmanEnv(),
      DOCKER_HOST: `unix://${service.socket}`,
      COMPOSE_HTTP_TIMEOUT: '300',
      // A replay long enough for every check to run while it goes (3,000 bars × 150 ms = 7.5 min).
      BARS: process.env['BARS'] ?? '3000',
      BAR_INTERVAL_MS: process.env['BAR_INTERVAL_MS'] ?? '150',
      // The user's own strategy, as docs/guides/deploy.md shows: a file in a folder mounted into the
      // strategy containers, named in STRATEGIES by its path from the repository root.
      STRATEGIES_DIR: userStrategies,
      STRATEGIES: JSON.stringify([
        {
          id: USER_STRATEGY_ID,
          module: `examples/services/strategies/${USER_STRATEGY_ID}.ts`,
          params: { fast: 10, slow: 30, quantity: 10 },
        },
      ]),
      GATEWAY_PORT: String(ports.gateway),
      PROMETHEUS_PORT: String(ports.prometheus),
      RABBITMQ_UI_PORT: String(ports.rabbitmqUi),
    };
    const envFile = join(work, 'compose.env');
    compose = (...args: string[]) =>
      run('docker-compose', ['-p', PROJECT, '--env-file', envFile, '-f', COMPOSE_FILE, ...args], { env });
    const up = compose;

    await step('stand-in base image (debootstrap bookworm, cached a week)', () => ensureBaseImage());
    await step('stand-in images (node 24, redis, rabbitmq, postgres, prometheus)', () => ensureStandins());

    // The user's steps: an .env with every secret set, and the first API key.
    let apiKey = '';
    const secrets = new Map<string, string>();
    await step('secrets and the first API key (npm run -s services:key)', () => {
      const hex = () => randomBytes(24).toString('hex');
      const minted = spawnSync('npm', ['run', '-s', 'services:key'], { cwd: REPO_ROOT, encoding: 'utf8' });
      if (minted.status !== 0) throw new Error(`services:key failed: ${minted.stderr}`);
      apiKey = /rxk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/.exec(minted.stderr)?.[0] ?? '';
      if (!apiKey) throw new Error('services:key printed no key');
      const lines = [
        'REDIS_PASSWORD',
        'POSTGRES_PASSWORD',
        'RABBITMQ_ADMIN_PASSWORD',
        'RABBITMQ_DATA_PASSWORD',
        'RABBITMQ_STRATEGY_PASSWORD',
        'RABBITMQ_RISK_PASSWORD',
        'RABBITMQ_ORDER_PASSWORD',
        'RABBITMQ_GATEWAY_PASSWORD',
      ].map((k) => {
        secrets.set(k, hex());
        return `${k}=${secrets.get(k)}`;
      });
      lines.push(`RXTRADE_CREDENTIALS_KEY=${randomBytes(32).toString('base64')}`, minted.stdout.trim());
      writeFileSync(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });
      return `key ${apiKey.slice(0, 20)}…`;
    });

    // Leftovers of an interrupted run first.
    up('down', '-v', '--remove-orphans', '-t', '5');
    forceRemove();
    await step('docker-compose build (the Dockerfile, 5 images)', () => {
      up('build');
      const images = podman('images', '--format', '{{.Repository}}', '--filter', `reference=*${PROJECT}*`);
      return `${images.trim().split('\n').filter(Boolean).length} images`;
    });

    stopHealth = startHealthLoop();
    await step(
      'docker-compose up -d; every container running, healthy where it has a healthcheck',
      async () => {
        // Not a blocking call: the healthcheck loop has to run while compose waits for service_healthy.
        await runAsync(
          'docker-compose',
          ['-p', PROJECT, '--env-file', envFile, '-f', COMPOSE_FILE, 'up', '-d'],
          env,
        );
        const list = await waitFor('all containers healthy', { timeoutMs: 300_000, everyMs: 2_000 }, () => {
          const cs = containers();
          const bad = cs.filter((c) => c.state !== 'running' || (c.health !== '' && c.health !== 'healthy'));
          return cs.length > 0 && bad.length === 0 ? cs : undefined;
        });
        const byService = new Map<string, number>();
        for (const c of list) byService.set(c.service, (byService.get(c.service) ?? 0) + 1);
        return `${list.length} containers (${[...byService].map(([s, n]) => (n > 1 ? `${s} ×${n}` : s)).join(', ')})`;
      },
    );

    await check(
      'every service container runs hardened (non-root, no capabilities, no_new_privs, seccomp, read-only /)',
      () => {
        const services = containers().filter((c) => !INFRA.includes(c.service));
        for (const c of services) {
          const problems = hardeningProblems(processHardening(c.id));
          if (problems.length > 0) throw new Error(`${c.name}: ${problems.join(', ')}`);
        }
        // Memory in use now (after start-up, the replay running), to size the manifests' limits by.
        const usage = new Map<string, string>();
        for (const line of podman(
          'stats',
          '--no-stream',
          '--format',
          '{{.ID}} {{.MemUsage}}',
          ...services.map((c) => c.id),
        ).split('\n')) {
          const [id, used] = line.trim().split(/\s+/);
          const c = services.find((x) => id !== undefined && x.id.startsWith(id));
          if (c && used) usage.set(c.service, [usage.get(c.service), used].filter(Boolean).join('/'));
        }
        return `${services.length} containers, read from each one's /proc/1/status and a write to /; memory ${[...usage].map(([k, v]) => `${k} ${v}`).join(', ')}`;
      },
    );

    const gw = `http://127.0.0.1:${ports.gateway}`;
    const auth = { authorization: `Bearer ${apiKey}` };
    const api = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: unknown }> => {
      const response = await fetch(`${gw}${path}`, {
        method,
        headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
    };

    interface Order {
      clientOrderId: string;
      status: string;
      instrumentId: string;
      strategyId?: string;
    }
    /** Every order of the account, page after page (`nextCursor`) where the gateway pages them. */
    const allOrders = async (): Promise<Order[]> => {
      const out: Order[] = [];
      let cursor: string | null | undefined;
      do {
        const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
        const { status, json } = await api('GET', `/api/accounts/${ACCOUNT}/orders${query}`);
        if (status !== 200) throw new Error(`GET orders: ${status} ${JSON.stringify(json)}`);
        const page = json as { orders: Order[]; nextCursor?: string | null };
        out.push(...page.orders);
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };

    await check('the API key opens the gateway (and nothing else does)', async () => {
      const anonymous = await fetch(`${gw}/api/accounts`);
      if (anonymous.status !== 401)
        throw new Error(`GET /api/accounts without a key: ${anonymous.status}, want 401`);
      const { status, json } = await api('GET', '/api/accounts');
      if (status !== 200) throw new Error(`GET /api/accounts: ${status} ${JSON.stringify(json)}`);
      const accounts = (json as { accounts: { accountId: string }[] }).accounts.map((a) => a.accountId);
      if (!accounts.includes(ACCOUNT)) throw new Error(`account ${ACCOUNT} not in ${accounts.join(', ')}`);
      // /metrics lives on METRICS_PORT, which is not published: the public port must not serve it.
      const metrics = await fetch(`${gw}/metrics`);
      if (metrics.status !== 404)
        throw new Error(`GET /metrics on the gateway's public port: ${metrics.status}, want 404`);
      return `accounts ${accounts.join(', ')}; no key: 401; /metrics on the public port: 404`;
    });

    await check(`a market order through the gateway, filled (${ACCOUNT} ${INSTRUMENT})`, async () => {
      const clientOrderId = `deploy-${Date.now().toString(36)}`;
      const placed = await api('POST', '/api/orders', {
        accountId: ACCOUNT,
        clientOrderId,
        instrumentId: INSTRUMENT,
        side: 'buy',
        type: 'market',
        quantity: 1,
      });
      if (placed.status !== 201)
        throw new Error(`POST /api/orders: ${placed.status} ${JSON.stringify(placed.json)}`);
      const order = await waitFor('the order filled', { timeoutMs: 60_000 }, async () => {
        const found = (await allOrders()).find((o) => o.clientOrderId === clientOrderId);
        if (found && ['denied', 'rejected', 'canceled', 'expired'].includes(found.status))
          throw new Error(`order ${clientOrderId} ended ${found.status}`);
        return found?.status === 'filled' ? found : undefined;
      });
      return `${clientOrderId} ${order.status}`;
    });

    await check('positions', async () => {
      const { status, json } = await api('GET', `/api/accounts/${ACCOUNT}/positions`);
      if (status !== 200) throw new Error(`GET positions: ${status}`);
      const positions = (json as { positions: { instrumentId: string; quantity: number }[] }).positions;
      if (!positions.some((p) => p.instrumentId === INSTRUMENT))
        throw new Error(`no ${INSTRUMENT} position after a fill: ${JSON.stringify(positions)}`);
      return positions.map((p) => `${p.instrumentId} ${p.quantity}`).join(', ');
    });

    await check('Prometheus scrapes every service replica (up)', async () => {
      const want = containers().filter((c) => !INFRA.includes(c.service));
      const targets = await waitFor(
        `${want.length} targets up`,
        { timeoutMs: 120_000, everyMs: 2_000 },
        async () => {
          const response = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/targets?state=active`);
          const body = (await response.json()) as {
            data: { activeTargets: { labels: { instance: string }; health: string }[] };
          };
          const up = body.data.activeTargets.filter((t) => t.health === 'up');
          return up.length >= want.length ? up : undefined;
        },
      );
      return `${targets.length} targets up: ${targets.map((t) => t.labels.instance).join(' ')}`;
    });

    await check(
      'SIGKILL one strategy container; every symbol keeps trading (its symbols taken over)',
      async () => {
        const strategies = containers().filter((c) => c.service === 'strategy');
        const victim = strategies[0];
        if (!victim) throw new Error('no strategy container');
        const symbols = Array.from({ length: Number(process.env['SYMBOLS'] ?? 5) }, (_, i) => `SPX${i}`);
        const seen = new Set((await allOrders()).map((o) => o.clientOrderId));
        // A crash, not a stop: the container's process gets SIGKILL from the host, as from the OOM
        // killer (`podman kill` counts as stopped by the user, so no restart policy would act).
        const pid = Number(podman('inspect', '--format', '{{.State.Pid}}', victim.id).trim());
        if (!(pid > 1)) throw new Error(`${victim.name}: no process id (${pid})`);
        process.kill(pid, 'SIGKILL');
        const killedAt = performance.now();
        // Each symbol's strategies run on some replica: new orders of every symbol after the kill show
        // the killed replica's symbols were taken over (by a survivor, or by the restarted one). Two
        // rounds, so orders already on their way when it died cannot pass for the run going on.
        let fresh = 0;
        for (const round of [1, 2]) {
          let missing: string[] = [];
          fresh += await waitFor(
            `round ${round}: a new order of every symbol after the kill`,
            { timeoutMs: 180_000, everyMs: 2_000 },
            async () => {
              const after = (await allOrders()).filter((o) => !seen.has(o.clientOrderId));
              const traded = new Set(after.map((o) => o.instrumentId));
              missing = symbols.filter((s) => !traded.has(s));
              if (missing.length > 0) return undefined;
              for (const o of after) seen.add(o.clientOrderId);
              return after.length;
            },
          ).catch((error: unknown) => {
            throw new Error(`${String(error)}; no new order of ${missing.join(', ')}`);
          });
        }
        const took = (performance.now() - killedAt) / 1000;
        // `restart: unless-stopped`: the crashed container comes back and turns healthy again.
        const back = await waitFor(
          'the killed container restarted and healthy',
          { timeoutMs: 180_000, everyMs: 2_000 },
          () => {
            const c = containers().find((x) => x.id === victim.id);
            const restarts = Number(podman('inspect', '--format', '{{.RestartCount}}', victim.id).trim());
            return c?.state === 'running' && c.health === 'healthy' && restarts > 0 ? restarts : undefined;
          },
        );
        return `${victim.name} (pid ${pid}) killed; ${fresh} new orders, all ${symbols.length} symbols twice over within ${took.toFixed(0)} s; restarted by its policy (${back}×) and healthy after ${((performance.now() - killedAt) / 1000).toFixed(0)} s`;
      },
    );

    await check(
      `the user's strategy file (${USER_STRATEGY_ID}, mounted from STRATEGIES_DIR) trades`,
      async () => {
        const mine = (await allOrders()).filter((o) => o.strategyId?.startsWith(`${USER_STRATEGY_ID}-`));
        if (mine.length === 0) throw new Error(`no order of strategy ${USER_STRATEGY_ID}`);
        return `${mine.length} orders of ${[...new Set(mine.map((o) => o.strategyId))].slice(0, 3).join(', ')}…`;
      },
    );

    if (process.env['DEPLOY_KUBE'] === '1') {
      await check(
        'podman kube play of the k8s Deployments (ConfigMap, Secret) against the stand-in servers',
        async () => {
          const infra = ['redis', 'rabbitmq', 'postgres'];
          const images: Record<string, string> = {};
          for (const c of containers()) if (!infra.includes(c.service)) images[c.service] = c.image;
          delete images['prometheus'];
          up('rm', '-s', '-f', ...Object.keys(images), 'prometheus');
          const pw = (k: string) => secrets.get(k) ?? '';
          const amqp = (role: string) =>
            `amqp://${role}:${pw(`RABBITMQ_${role.toUpperCase()}_PASSWORD`)}@rabbitmq:5672`;
          // A fleet of its own (exchange, Redis keys, schema), so nothing of the compose run's
          // journals is read back: the operator's step for a new prefix, the broker's users applied
          // for it with rabbitmq-users.sh (the role passwords are in the broker container's env).
          const fleetPrefix = 'kube';
          const broker = containers().find((c) => c.service === 'rabbitmq');
          if (!broker) throw new Error('no rabbitmq container');
          podman(
            'exec',
            '-e',
            `FLEET_PREFIX=${fleetPrefix}`,
            broker.id,
            'sh',
            '/etc/rxtrade/rabbitmq-users.sh',
            '/etc/rxtrade/permissions.tsv',
          );
          const played = await kubePlay({
            work,
            fleetPrefix,
            onTeardown: (teardown) => {
              kubeTeardown = teardown;
            },
            network: `${PROJECT}_default`,
            images,
            // Nine containers start at once, each compiling the sources under a CPU limit of 0.5-1.
            timeoutMs: 600_000,
            secret: {
              'amqp-url-data': amqp('data'),
              'amqp-url-strategy': amqp('strategy'),
              'amqp-url-risk': amqp('risk'),
              'amqp-url-order': amqp('order'),
              'amqp-url-gateway': amqp('gateway'),
              'redis-url': `redis://rxtrade:${pw('REDIS_PASSWORD')}@redis:6379`,
              'pg-url': `postgres://rxtrade:${pw('POSTGRES_PASSWORD')}@postgres:5432/rxtrade`,
              'credentials-key': randomBytes(32).toString('base64'),
              // ORDER_VENUE stays `simulated` in this run: the file is mounted into the order pod, not
              // read. Base64 text, as podman writes a volume Secret's values as they stand (kube.ts).
              'venue-credentials': randomBytes(24).toString('base64'),
            },
          });
          kubeTeardown = played.teardown;
          return played.summary;
        },
      );
      kubeTeardown?.();
      kubeTeardown = undefined;
    }
  } catch (error) {
    failed = true;
    process.stderr.write(`\nFAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    try {
      for (const c of containers()) {
        if (c.state === 'running' && (c.health === '' || c.health === 'healthy')) continue;
        const logs = spawnSync('podman', ['logs', '--tail', '20', c.id], {
          env: podmanEnv(),
          encoding: 'utf8',
        });
        process.stderr.write(`\n--- ${c.name} (${c.state} ${c.health}) ---\n${logs.stdout}${logs.stderr}`);
      }
    } catch {
      // nothing to show
    }
  } finally {
    stepInterruption = new Promise(() => undefined); // the teardown runs whatever stopped the checks
    kubeTeardown?.();
    await stopHealth?.();
    if (compose && process.env['DEPLOY_KEEP'] !== '1') {
      try {
        await step('docker-compose down -v leaves no container, network or volume', () => {
          (compose as (...args: string[]) => string)('down', '-v', '--remove-orphans', '-t', '30');
          const left = [
            ...podman(
              'ps',
              '-a',
              '--filter',
              `label=com.docker.compose.project=${PROJECT}`,
              '--format',
              '{{.Names}}',
            ).split('\n'),
            ...podman(
              'network',
              'ls',
              '--filter',
              `label=com.docker.compose.project=${PROJECT}`,
              '--format',
              '{{.Name}}',
            ).split('\n'),
            ...podman(
              'volume',
              'ls',
              '--filter',
              `label=com.docker.compose.project=${PROJECT}`,
              '--format',
              '{{.Name}}',
            ).split('\n'),
          ].filter(Boolean);
          if (left.length > 0) {
            forceRemove();
            throw new Error(`left behind: ${left.join(', ')} (removed by force afterwards)`);
          }
          podman('image', 'prune', '-f'); // dangling layers of replaced builds; tagged images stay cached
          return 'nothing left';
        });
      } catch (error) {
        failed = true;
        forceRemove();
        process.stderr.write(`\nFAILED: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    await stopService?.();
    rmSync(work, { recursive: true, force: true });
  }
  if (checkFailures.length > 0) {
    failed = true;
    process.stderr.write(`\nFAILED checks: ${checkFailures.join('; ')}\n`);
  }
  process.stdout.write(`\ntest:deploy ${failed ? 'FAILED' : 'passed'} in ${secs(t0).toFixed(0)} s\n`);
  for (const r of results) process.stdout.write(`  ${r.seconds.toFixed(1).padStart(6)} s  ${r.name}\n`);
  process.exit(failed ? 1 : 0);
}

void main();
