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
  podman,
  podmanEnv,
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

    await step('the API key opens the gateway (and nothing else does)', async () => {
      const anonymous = await fetch(`${gw}/api/accounts`);
      if (anonymous.status !== 401)
        throw new Error(`GET /api/accounts without a key: ${anonymous.status}, want 401`);
      const { status, json } = await api('GET', '/api/accounts');
      if (status !== 200) throw new Error(`GET /api/accounts: ${status} ${JSON.stringify(json)}`);
      const accounts = (json as { accounts: { accountId: string }[] }).accounts.map((a) => a.accountId);
      if (!accounts.includes(ACCOUNT)) throw new Error(`account ${ACCOUNT} not in ${accounts.join(', ')}`);
      const metrics = await fetch(`${gw}/metrics`);
      return `accounts ${accounts.join(', ')}; /metrics on the gateway's public port: ${metrics.status}`;
    });

    await step(`a market order through the gateway, filled (${ACCOUNT} ${INSTRUMENT})`, async () => {
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

    await step('positions', async () => {
      const { status, json } = await api('GET', `/api/accounts/${ACCOUNT}/positions`);
      if (status !== 200) throw new Error(`GET positions: ${status}`);
      const positions = (json as { positions: { instrumentId: string; quantity: number }[] }).positions;
      if (!positions.some((p) => p.instrumentId === INSTRUMENT))
        throw new Error(`no ${INSTRUMENT} position after a fill: ${JSON.stringify(positions)}`);
      return positions.map((p) => `${p.instrumentId} ${p.quantity}`).join(', ');
    });

    await step('Prometheus scrapes every service replica (up)', async () => {
      const want = containers().filter(
        (c) => !['redis', 'rabbitmq', 'postgres', 'prometheus'].includes(c.service),
      );
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

    await step('SIGKILL one strategy container; the run goes on', async () => {
      const strategies = containers().filter((c) => c.service === 'strategy');
      const victim = strategies[0];
      if (!victim) throw new Error('no strategy container');
      const filled = async () => {
        return (await allOrders()).filter((o) => o.status === 'filled').length;
      };
      const before = await filled();
      podman('kill', '--signal', 'KILL', victim.id);
      const after = await waitFor('new fills after the kill', { timeoutMs: 90_000 }, async () => {
        const n = await filled();
        return n > before ? n : undefined;
      });
      // `restart: unless-stopped`: reported, not required (podman restarts from its exit hook).
      let state = '';
      for (let i = 0; i < 15 && state !== 'running'; i++) {
        await new Promise((r) => setTimeout(r, 1_000));
        state = containers().find((c) => c.id === victim.id)?.state ?? 'gone';
      }
      return `${victim.name} killed; fills ${before} → ${after}; the killed container 15 s later: ${state}`;
    });

    await step(
      `the user's strategy file (${USER_STRATEGY_ID}, mounted from STRATEGIES_DIR) trades`,
      async () => {
        const mine = (await allOrders()).filter((o) => o.strategyId?.startsWith(`${USER_STRATEGY_ID}-`));
        if (mine.length === 0) throw new Error(`no order of strategy ${USER_STRATEGY_ID}`);
        return `${mine.length} orders of ${[...new Set(mine.map((o) => o.strategyId))].slice(0, 3).join(', ')}…`;
      },
    );

    if (process.env['DEPLOY_KUBE'] === '1') {
      await step(
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
          const played = await kubePlay({
            work,
            network: `${PROJECT}_default`,
            images,
            timeoutMs: 240_000,
            secret: {
              'amqp-url-data': amqp('data'),
              'amqp-url-strategy': amqp('strategy'),
              'amqp-url-risk': amqp('risk'),
              'amqp-url-order': amqp('order'),
              'amqp-url-gateway': amqp('gateway'),
              'redis-url': `redis://rxtrade:${pw('REDIS_PASSWORD')}@redis:6379`,
              'pg-url': `postgres://rxtrade:${pw('POSTGRES_PASSWORD')}@postgres:5432/rxtrade`,
              'credentials-key': randomBytes(32).toString('base64'),
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
          if (left.length > 0) throw new Error(`left behind: ${left.join(', ')}`);
          podman('image', 'prune', '-f'); // dangling layers of replaced builds; tagged images stay cached
          return 'nothing left';
        });
      } catch (error) {
        failed = true;
        process.stderr.write(`\nFAILED: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    await stopService?.();
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`\ntest:deploy ${failed ? 'FAILED' : 'passed'} in ${secs(t0).toFixed(0)} s\n`);
  for (const r of results) process.stdout.write(`  ${r.seconds.toFixed(1).padStart(6)} s  ${r.name}\n`);
  process.exit(failed ? 1 : 0);
}

void main();
