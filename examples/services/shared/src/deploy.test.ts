import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANY_ID, fleetBusUse, fleetTopics } from '@rxtrade/fleet';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PERMISSIONS_FILE, permissionsTable } from './broker-permissions.js';
import { loadConfig } from './config.js';
import { STANDIN_IMAGES } from './deploy-smoke/podman.js';
import { GATEWAY_STRATEGY_ID } from './fleet-plan.js';
import { type K8sDoc, referenceErrors, schemaErrors, unknownFields } from './k8s-lint.js';

const SERVICES = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOT = resolve(SERVICES, '../..');
const NAMES = ['data', 'strategy', 'risk', 'order', 'gateway'] as const;
type Doc = K8sDoc;

const load = (path: string): Doc[] =>
  parseAllDocuments(readFileSync(path, 'utf8'), { merge: true }).map((d) => {
    expect(d.errors, path).toEqual([]);
    return d.toJS() as Doc;
  });

describe('docker-compose.yml', () => {
  const text = readFileSync(join(SERVICES, 'docker-compose.yml'), 'utf8');
  const [compose] = load(join(SERVICES, 'docker-compose.yml'));
  const services = compose?.['services'] as Record<string, Doc>;

  it('runs every service, its servers and Prometheus, with 3 strategy replicas', () => {
    for (const name of [...NAMES, 'redis', 'rabbitmq', 'postgres', 'prometheus'])
      expect(services[name], name).toBeDefined();
    expect(services['strategy']?.['deploy']?.['replicas']).toBe(3);
  });

  it('gives every service its Dockerfile, the server URLs, its own broker user and healthy dependencies', () => {
    for (const name of NAMES) {
      const s = services[name] as Doc;
      expect(s['build']['dockerfile'], name).toBe('examples/services/Dockerfile');
      expect(s['build']['args'], name).toEqual({ SERVICE: name });
      for (const v of ['REDIS_URL', 'AMQP_URL', 'PG_URL', 'HTTP_PORT'])
        expect(s['environment'][v], `${name} ${v}`).toBeDefined();
      expect(s['environment']['AMQP_URL'], name).toMatch(new RegExp(`^amqp://${name}:`));
      for (const dep of ['redis', 'rabbitmq', 'postgres'])
        expect(s['depends_on'][dep]?.['condition'], `${name} → ${dep}`).toBe('service_healthy');
    }
    expect(services['redis']?.['command'].join(' ')).toMatch(
      /--appendonly yes .*--maxmemory-policy noeviction/,
    );
  });

  it('runs the services hardened: non-root, read-only root, no capabilities, no new privileges, limits', () => {
    for (const name of NAMES) {
      const s = services[name] as Doc;
      expect(s['user'], name).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(s['read_only'], name).toBe(true);
      expect(s['cap_drop'], name).toEqual(['ALL']);
      expect(s['security_opt'], name).toContain('no-new-privileges:true');
      expect(s['mem_limit'], name).toBeDefined();
      expect(s['cpus'], name).toBeDefined();
    }
  });

  it('has no default credentials: every password is a required variable', () => {
    expect(text).not.toMatch(/guest:|:guest@|USER: guest|rxtrade:rxtrade|postgres:postgres/);
    const urls = [...text.matchAll(/\b(?:amqp|redis|postgres):\/\/([^:@\s]+):(\$\{[^}]*\}|[^@\s]+)@/g)];
    expect(urls.length).toBeGreaterThanOrEqual(7);
    for (const [url, , password] of urls) expect(password, url).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
    for (const [k, v] of [
      ['RABBITMQ_DEFAULT_PASS', services['rabbitmq']?.['environment']['RABBITMQ_DEFAULT_PASS']],
      ['POSTGRES_PASSWORD', services['postgres']?.['environment']['POSTGRES_PASSWORD']],
      ['REDIS_PASSWORD', services['redis']?.['environment']['REDIS_PASSWORD']],
    ])
      expect(v, k).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
  });

  it('protects Redis with an ACL (default user off) and checks it with the password', () => {
    const cmd = ((services['redis'] as Doc)['command'] as string[]).join(' ');
    expect(cmd).toContain('user default off');
    expect(cmd).toMatch(/user rxtrade on >%s .*-@admin -flushall -flushdb/);
    expect(cmd).toContain('--aclfile');
    expect(services['redis']?.['healthcheck']['test'].join(' ')).toContain('--user rxtrade');
  });

  it('serves /metrics on a port of its own, which Prometheus scrapes and nothing publishes', () => {
    const env = (services['gateway'] as Doc)['environment'] as Record<string, string>;
    expect(env['METRICS_PORT']).toBeDefined();
    expect(env['METRICS_PORT']).not.toBe(env['HTTP_PORT']);
    for (const name of NAMES)
      expect(services[name]?.['environment']['METRICS_PORT'], name).toBe(env['METRICS_PORT']);
    const [prometheus] = load(join(SERVICES, 'deploy/prometheus.yml'));
    const sd = prometheus?.['scrape_configs'][0]['dns_sd_configs'][0] as Doc;
    expect(String(sd['port'])).toBe(env['METRICS_PORT']);
    expect([...sd['names']].sort()).toEqual([...NAMES].sort());
    const published = ((services['gateway'] as Doc)['ports'] as string[]).map((p) => p.split(':').at(-1));
    expect(published).not.toContain(env['METRICS_PORT']);
  });

  it('has a local stand-in (npm run test:deploy) for every image it and the Dockerfile name', () => {
    const qualified = (image: string) =>
      image.includes('/')
        ? image.split('/')[0]?.includes('.')
          ? image
          : `docker.io/${image}`
        : `docker.io/library/${image}`;
    const named = Object.values(services)
      .map((s) => s['image'] as string | undefined)
      .filter((i): i is string => i !== undefined);
    const dockerfile = readFileSync(join(SERVICES, 'Dockerfile'), 'utf8');
    named.push(...[...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] as string));
    const tags = STANDIN_IMAGES.flatMap((i) => i.tags);
    for (const image of named) expect(tags, image).toContain(qualified(image));
  });

  it('checks RabbitMQ by its AMQP port (ping is healthy too early) after the per-role users exist', () => {
    const test = ((services['rabbitmq'] as Doc)['healthcheck']['test'] as string[]).join(' ');
    expect(test).toContain('rabbitmq-diagnostics -q check_port_connectivity');
    expect(test).not.toMatch(/\bping\b/);
    expect(test).toContain('rxtrade-users-ready');
    expect(readFileSync(join(SERVICES, 'deploy/rabbitmq/rabbitmq-start.sh'), 'utf8')).toContain(
      'rabbitmq_consistent_hash_exchange',
    );
  });
});

describe('deploy/compose.ccxt.yml (ORDER_VENUE=ccxt, optional)', () => {
  const overlay = load(join(SERVICES, 'deploy', 'compose.ccxt.yml'))[0] as Doc;
  const order = (overlay['services'] as Record<string, Doc>)['order'] as Doc;

  it('changes the order service only, to a ccxt venue (sandbox unless said otherwise)', () => {
    expect(Object.keys(overlay['services'] as object)).toEqual(['order']);
    const env = order['environment'] as Record<string, string>;
    expect(env['ORDER_VENUE']).toBe('ccxt');
    expect(env['CCXT_SANDBOX']).toMatch(/^\$\{CCXT_SANDBOX:-true\}$/);
    // What the order service parses, with the variables as compose would fill them.
    const config = loadConfig({
      ...env,
      CCXT_EXCHANGE: 'binance',
      CCXT_SANDBOX: 'true',
      RXTRADE_CREDENTIALS_KEY: 'x',
    });
    expect(config).toMatchObject({
      ORDER_VENUE: 'ccxt',
      CCXT_SANDBOX: true,
      VENUE_CREDENTIALS_FILE: '/run/rxtrade/venue-credentials.json',
    });
  });

  it('takes the API keys from the encrypted file, mounted read-only, and requires it and its key', () => {
    const env = order['environment'] as Record<string, string>;
    expect(env['RXTRADE_CREDENTIALS_KEY']).toMatch(/^\$\{RXTRADE_CREDENTIALS_KEY:\?[^}]+\}$/);
    expect(order['volumes']).toEqual([
      expect.stringMatching(
        /^\$\{VENUE_CREDENTIALS_FILE:\?[^}]+\}:\/run\/rxtrade\/venue-credentials\.json:ro$/,
      ),
    ]);
    expect(JSON.stringify(env)).not.toMatch(/API_KEY|SECRET/);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(SERVICES, 'Dockerfile'), 'utf8');
  const lines = text.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));

  it('builds any service from a SERVICE argument, as a numeric non-root user, with a health check', () => {
    expect(text).toMatch(/^ARG SERVICE$/m);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's shell variable, literally
    expect(text).toContain('examples/services/${SERVICE}/src/main.ts');
    expect(text).toMatch(/^USER [1-9]\d*(:[1-9]\d*)?$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
  });

  it('uses a Node version with upstream support (nodejs.org release schedule)', () => {
    // End of life of each LTS line; a line past it fails here, so the image gets moved on.
    const eol: Record<string, string> = { '22': '2027-04-30', '24': '2028-04-30' };
    const majors = [...text.matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1] as string);
    expect(majors.length).toBeGreaterThan(0);
    for (const major of majors) {
      expect(eol[major], `node ${major}`).toBeDefined();
      expect(new Date(eol[major] as string).getTime(), `node ${major}`).toBeGreaterThan(Date.now());
    }
  });

  it('installs from the manifests alone, before the sources and SERVICE, so the five images share it', () => {
    const install = at(/^RUN npm install /);
    expect(install).toBeGreaterThan(0);
    expect(text).not.toMatch(/^RUN npm ci/m); // npm ci refuses the lock: npm/cli#4828
    expect(at(/^COPY --from=manifests /)).toBeLessThan(install);
    const finalStage = lines.findLastIndex((l) => l.startsWith('FROM '));
    for (let i = finalStage; i < install; i++) {
      expect(lines[i], `line ${i + 1}`).not.toMatch(/^(ARG SERVICE|COPY (packages|examples|\.))/);
      expect(lines[i], `line ${i + 1}`).not.toMatch(/\$\{?SERVICE/);
    }
    expect(at(/^ARG SERVICE$/)).toBeGreaterThan(install);
    expect(at(/^COPY packages /)).toBeGreaterThan(install);
  });

  it('.dockerignore keeps node_modules, git, build output and env files out of the context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['.git', '**/node_modules', '**/dist', '**/.env']) expect(ignore, p).toContain(p);
  });

  it.each(NAMES)('has a main.ts for %s', (name) => {
    expect(existsSync(join(SERVICES, name, 'src', 'main.ts'))).toBe(true);
  });
});

describe('Kubernetes manifests', () => {
  const dir = join(SERVICES, 'deploy', 'k8s');
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => load(join(dir, f)));
  const byKind = (kind: string) => docs.filter((d) => d['kind'] === kind);
  const deployment = (name: string) =>
    byKind('Deployment').find((x) => x['metadata']['name'] === name) as Doc;
  const secret = byKind('Secret')[0] as Doc;

  it('pass the API schema (kubernetes-models)', () => {
    expect(docs.length).toBeGreaterThan(15);
    expect(docs.flatMap(schemaErrors)).toEqual([]);
  });

  it('have no field the API does not know', () => {
    expect(docs.flatMap(unknownFields)).toEqual([]);
  });

  it('reference only what exists: selectors, ConfigMap/Secret names and keys, ports, volumes', () => {
    expect(referenceErrors(docs)).toEqual([]);
  });

  describe('each check fails on a broken copy', () => {
    const broken = (edit: (d: Doc[]) => void): Doc[] => {
      const copy = structuredClone(docs);
      edit(copy);
      return copy;
    };
    const dep = (d: Doc[], name: string) =>
      d.find((x) => x['kind'] === 'Deployment' && x['metadata']['name'] === name) as Doc;
    const container = (d: Doc[], name: string) => dep(d, name)['spec']['template']['spec']['containers'][0];
    const of = (d: Doc[], kind: string, name: string) =>
      d.find((x) => x['kind'] === kind && x['metadata']['name'] === name) as Doc;

    it('schema: a wrong type and a missing required field', () => {
      expect(
        broken((d) => {
          dep(d, 'risk')['spec']['replicas'] = 'two';
        }).flatMap(schemaErrors),
      ).toEqual([expect.stringContaining('Deployment/risk')]);
      expect(
        broken((d) => {
          delete container(d, 'order')['name'];
        }).flatMap(schemaErrors),
      ).toEqual([expect.stringContaining('Deployment/order')]);
    });

    it('unknown fields: misspelt keys at any depth', () => {
      const d = broken((x) => {
        const c = container(x, 'gateway');
        c['readinesProbe'] = c['readinessProbe'];
        c['securityContext']['runAsNonroot'] = true;
        of(x, 'NetworkPolicy', 'default-deny')['spec']['podSelectors'] = {};
      });
      expect(d.flatMap(unknownFields).sort()).toEqual([
        'Deployment/gateway.spec.template.spec.containers[0].readinesProbe: unknown field',
        'Deployment/gateway.spec.template.spec.containers[0].securityContext.runAsNonroot: unknown field',
        'NetworkPolicy/default-deny.spec.podSelectors: unknown field',
      ]);
    });

    it.each<[string, (d: Doc[]) => void, RegExp]>([
      [
        'Deployment selector vs pod labels',
        (d) => {
          dep(d, 'risk')['spec']['selector']['matchLabels']['app.kubernetes.io/name'] = 'riks';
        },
        /Deployment\/risk: spec.selector/,
      ],
      [
        'ConfigMap name',
        (d) => {
          container(d, 'data')['envFrom'][0]['configMapRef']['name'] = 'rxtrade';
        },
        /Deployment\/data: envFrom → no ConfigMap rxtrade/,
      ],
      [
        'Secret key',
        (d) => {
          container(d, 'strategy')['env'][0]['valueFrom']['secretKeyRef']['key'] = 'AMQP_URL';
        },
        /Deployment\/strategy: env AMQP_URL → Secret rxtrade-secrets has no key AMQP_URL/,
      ],
      [
        'Secret volume item',
        (d) => {
          delete of(d, 'Secret', 'rxtrade-secrets')['stringData']['credentials-key'];
        },
        /Deployment\/gateway: volume credentials → Secret rxtrade-secrets has no key credentials-key/,
      ],
      [
        'Service selector',
        (d) => {
          of(d, 'Service', 'order')['spec']['selector'] = { 'app.kubernetes.io/name': 'orders' };
        },
        /Service\/order: selector matches no pod/,
      ],
      [
        'Service targetPort',
        (d) => {
          of(d, 'Service', 'gateway')['spec']['ports'][0]['targetPort'] = 'admin';
        },
        /Service\/gateway: targetPort admin/,
      ],
      [
        'probe port',
        (d) => {
          container(d, 'risk')['startupProbe']['tcpSocket']['port'] = 9001;
        },
        /Deployment\/risk: startupProbe port 9001/,
      ],
      [
        'volume mount',
        (d) => {
          dep(d, 'data')['spec']['template']['spec']['volumes'] = [];
        },
        /Deployment\/data: volumeMount tmp has no volume/,
      ],
      [
        'PodDisruptionBudget selector',
        (d) => {
          of(d, 'PodDisruptionBudget', 'strategy')['spec']['selector']['matchLabels'] = { app: 'strategy' };
        },
        /PodDisruptionBudget\/strategy: selector matches no pod/,
      ],
      [
        'NetworkPolicy selector',
        (d) => {
          of(d, 'NetworkPolicy', 'gateway-ingress')['spec']['podSelector']['matchLabels'] = { app: 'gw' };
        },
        /NetworkPolicy\/gateway-ingress: podSelector matches no pod/,
      ],
      [
        'NetworkPolicy port',
        (d) => {
          of(d, 'NetworkPolicy', 'gateway-ingress')['spec']['ingress'][0]['ports'][0]['port'] = 'https';
        },
        /NetworkPolicy\/gateway-ingress: ingress port https/,
      ],
      [
        'namespace',
        (d) => {
          of(d, 'ConfigMap', 'rxtrade-fleet')['metadata']['namespace'] = 'trading';
        },
        /ConfigMap\/rxtrade-fleet: namespace trading is not declared/,
      ],
    ])('references: %s', (_what, edit, error) => {
      const errors = referenceErrors(broken(edit));
      expect(errors.length, errors.join('\n')).toBeGreaterThan(0);
      expect(
        errors.some((e) => error.test(e)),
        errors.join('\n'),
      ).toBe(true);
    });
  });

  it.each(NAMES)(
    '%s: hardened pod, startup/readiness/liveness probes, limits, its own broker user',
    (name) => {
      const d = deployment(name);
      const pod = d['spec']['template']['spec'];
      const c = pod['containers'][0] as Doc;
      expect(pod['securityContext']).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod['securityContext']['runAsUser']).toBeGreaterThan(0);
      expect(pod['automountServiceAccountToken']).toBe(false);
      expect(c['securityContext']).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c['securityContext']['capabilities']['add']).toBeUndefined();
      expect(c['resources']['limits']).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(c['resources']['requests']).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(c['startupProbe']).toBeDefined();
      expect(c['readinessProbe']['httpGet']['path']).toBe('/health');
      expect(c['livenessProbe']).toBeDefined();
      expect(pod['terminationGracePeriodSeconds']).toBeGreaterThan(20);
      // /metrics on its own port (METRICS_PORT of the ConfigMap), the one Prometheus is told to scrape.
      const metricsPort = (c['ports'] as Doc[]).find((p) => p['name'] === 'metrics')?.['containerPort'];
      expect(String(metricsPort)).toBe(byKind('ConfigMap')[0]?.['data']['METRICS_PORT']);
      expect(d['spec']['template']['metadata']['annotations']['prometheus.io/port']).toBe(
        String(metricsPort),
      );
      const amqp = (c['env'] as Doc[]).find((e) => e['name'] === 'AMQP_URL');
      expect(amqp?.['valueFrom']['secretKeyRef']).toEqual({
        name: 'rxtrade-secrets',
        key: `amqp-url-${name}`,
      });
      expect(secret['stringData'][`amqp-url-${name}`]).toMatch(new RegExp(`^amqp://${name}:`));
      expect(
        byKind('PodDisruptionBudget').some(
          (b) => b['spec']['selector']['matchLabels']['app.kubernetes.io/name'] === name,
        ),
      ).toBe(true);
    },
  );

  it('runs 3+ strategy replicas and a single order and data replica', () => {
    expect(deployment('strategy')['spec']['replicas']).toBeGreaterThanOrEqual(3);
    expect(deployment('order')['spec']['replicas']).toBe(1);
    expect(deployment('data')['spec']['replicas']).toBe(1);
  });

  it('denies all traffic by default; only the gateway is reachable from outside the monitoring namespace', () => {
    const policies = byKind('NetworkPolicy');
    const deny = policies.find((p) => Object.keys(p['spec']['podSelector']).length === 0) as Doc;
    expect(deny['spec']['policyTypes']).toEqual(['Ingress', 'Egress']);
    expect(deny['spec']['ingress']).toBeUndefined();
    expect(deny['spec']['egress']).toBeUndefined();
    for (const p of policies)
      for (const rule of (p['spec']['ingress'] ?? []) as Doc[])
        if (!rule['from'])
          expect(p['spec']['podSelector']['matchLabels'], p['metadata']['name']).toEqual({
            'app.kubernetes.io/name': 'gateway',
          });
  });

  it('keeps credentials in the Secret, as placeholders only', () => {
    const configMap = byKind('ConfigMap')[0] as Doc;
    expect(JSON.stringify(configMap)).not.toMatch(/:\/\/[^/@]*@/);
    for (const [k, v] of Object.entries(secret['stringData'] as Record<string, string>)) {
      expect(v, k).toContain('CHANGE-ME');
      expect(v.replace(/:\/\/[a-z]+:CHANGE-ME@.*$/, ''), k).toMatch(/^(amqp|redis|postgres)?$|^CHANGE-ME$/);
    }
    expect(JSON.stringify(docs)).not.toMatch(/guest/);
  });

  it('can switch the order pod to a ccxt venue: encrypted API keys and their key as files from the Secret', () => {
    const configMap = byKind('ConfigMap')[0] as Doc;
    expect(configMap['data']['ORDER_VENUE']).toBe('simulated');
    const pod = deployment('order')['spec']['template']['spec'];
    const env = Object.fromEntries(
      (pod['containers'][0]['env'] as Doc[]).map((e) => [e['name'], e['value'] ?? e['valueFrom']]),
    );
    const mount = (pod['containers'][0]['volumeMounts'] as Doc[]).find((m) => m['name'] === 'credentials');
    expect(mount).toMatchObject({ readOnly: true });
    const items = (pod['volumes'] as Doc[]).find((v) => v['name'] === 'credentials')?.['secret']['items'];
    for (const [variable, key] of [
      ['VENUE_CREDENTIALS_FILE', 'venue-credentials'],
      ['RXTRADE_CREDENTIALS_KEY_FILE', 'credentials-key'],
    ]) {
      const item = (items as Doc[]).find((i) => i['key'] === key) as Doc;
      expect(env[variable as string], variable).toBe(`${mount?.['mountPath']}/${item['path']}`);
      expect(secret['stringData'][key as string], key).toBe('CHANGE-ME');
    }
  });

  it('the docs exist', () => {
    expect(existsSync(join(ROOT, 'docs/guides/deploy.md'))).toBe(true);
  });
});

describe('RabbitMQ users per role (deploy/rabbitmq/permissions.tsv)', () => {
  const E = 'rxt-fleet-prod';
  const text = readFileSync(PERMISSIONS_FILE, 'utf8');
  const rows = text
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => l.replaceAll('{E}', E).trim().split(/\s+/));
  const perm = (user: string, what: 'configure' | 'write' | 'read', name: string) => {
    const row = rows.find((r) => r[0] === 'perm' && r[1] === user);
    const i = { configure: 2, write: 3, read: 4 }[what];
    return row !== undefined && new RegExp(row[i] as string).test(name);
  };
  /** RabbitMQ topic authorisation: publish (write) / bind (read) with this routing key on that exchange. */
  const topic = (user: string, what: 'write' | 'read', exchange: string, key: string) => {
    const row = rows.find((r) => r[0] === 'topic' && r[1] === user && r[2] === exchange);
    return row !== undefined && new RegExp(row[what === 'write' ? 3 : 4] as string).test(key);
  };
  const publishers = (key: string) => NAMES.filter((u) => topic(u, 'write', E, key));
  const use = fleetBusUse({ gatewayStrategyId: GATEWAY_STRATEGY_ID });

  it('is generated from what the roles do on the bus (npm run -s services:permissions), not edited', () => {
    expect(text).toBe(permissionsTable());
  });

  it('has one configure/write/read line per role and five columns everywhere', () => {
    for (const name of NAMES) expect(rows.filter((r) => r[0] === 'perm' && r[1] === name)).toHaveLength(1);
    for (const r of rows) expect(r, r.join(' ')).toHaveLength(5);
  });

  it('only risk may publish orders.submit.<account> (the bus is no way around risk)', () => {
    expect(publishers(fleetTopics.orderSubmit('acc-1'))).toEqual(['risk']);
    expect(publishers(fleetTopics.orderSubmit('Acc_2:x-y'))).toEqual(['risk']);
  });

  it('each role publishes what it produces and nothing it does not', () => {
    expect(publishers(fleetTopics.bars('AAPL'))).toEqual(['data']);
    expect(publishers(fleetTopics.riskRequests('acc-1')).sort()).toEqual(['gateway', 'strategy']);
    expect(publishers(fleetTopics.riskReports('acc-1'))).toEqual(['order']);
    expect(publishers(fleetTopics.fills('acc-1'))).toEqual(['order']);
    // The gateway: pause and resume on a strategy's own queue.
    expect(publishers(fleetTopics.orderEvents('sma')).sort()).toEqual(['gateway', 'order', 'risk']);
    expect(publishers(fleetTopics.riskState)).toEqual(['risk']);
    expect(publishers(fleetTopics.status)).toEqual(['risk']);
    for (const key of ['orders.submit', 'orders.submit.a.b', 'bars.x.y', 'bars.*', '#', 'anything'])
      expect(publishers(key), key).toEqual([]);
  });

  it('each role may bind its own subscriptions, and no other role may bind them', () => {
    for (const [role, u] of Object.entries(use)) {
      const patterns = [...u.groups.map((g) => g.pattern), ...u.subscribes].map((p) =>
        p.replaceAll(ANY_ID, 'sma'),
      );
      for (const p of patterns) expect(topic(role, 'read', E, p), `${role} ${p}`).toBe(true);
    }
    expect(topic('strategy', 'read', E, fleetTopics.orderInbox)).toBe(false);
    expect(topic('gateway', 'read', E, fleetTopics.orderInbox)).toBe(false);
    expect(topic('gateway', 'read', E, fleetTopics.orderEvents('sma'))).toBe(false);
    expect(topic('gateway', 'read', E, fleetTopics.orderEvents(GATEWAY_STRATEGY_ID))).toBe(true);
    expect(topic('data', 'read', E, '#')).toBe(false);
    expect(topic('risk', 'read', E, fleetTopics.allFills)).toBe(false);
  });

  it('each role declares and consumes only its own queues (the adapter’s group topology names)', () => {
    const own: Record<string, string[]> = {
      strategy: [`${E}.fleet-strategy.bars.*.p0`, `${E}.fleet-strategy-events-sma.orders.events.sma.p11`],
      risk: [`${E}.fleet-risk.risk.*.*.p3`, `${E}.fleet-risk.risk.*.*.members`],
      order: [
        `${E}.fleet-order.orders.submit.*.p0`,
        `${E}.fleet-order-bars-rxt-fleet-prod-order-0.bars.*.p1`,
        `${E}.fleet-history.fills.*.p2`,
      ],
    };
    for (const [user, queues] of Object.entries(own))
      for (const q of queues) {
        expect(perm(user, 'configure', q), `${user} configure ${q}`).toBe(true);
        expect(perm(user, 'read', q), `${user} read ${q}`).toBe(true);
        for (const other of NAMES.filter((n) => n !== user))
          expect(perm(other, 'read', q), `${other} read ${q}`).toBe(false);
      }
    for (const name of NAMES) {
      // The adapter declares both exchanges at connect (an existing exchange too needs configure).
      expect(perm(name, 'configure', E), name).toBe(true);
      expect(perm(name, 'configure', `${E}.rpc`), name).toBe(true);
      expect(perm(name, 'write', `${E}.rpc`), name).toBe(false);
    }
    expect(perm('data', 'read', `${E}.fleet-strategy.bars.*.p0`)).toBe(false);
    expect(perm('gateway', 'read', 'amq.gen-abc')).toBe(true);
    expect(perm('strategy', 'read', 'amq.gen-abc')).toBe(false);
  });

  it('rabbitmq-users.sh refuses to run without a password for every role', () => {
    const run = () =>
      execFileSync('sh', [join(SERVICES, 'deploy/rabbitmq/rabbitmq-users.sh')], {
        env: { PATH: process.env['PATH'], FLEET_PREFIX: 'prod' },
        stdio: 'pipe',
      });
    expect(run).toThrow(/RABBITMQ_DATA_PASSWORD is not set/);
  });
});
