import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const SERVICES = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NAMES = ['data', 'strategy', 'risk', 'order', 'gateway'] as const;

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field by the assertions below
type Doc = Record<string, any>;

const load = (path: string): Doc[] =>
  parseAllDocuments(readFileSync(path, 'utf8'), { merge: true }).map((d) => {
    expect(d.errors, path).toEqual([]);
    return d.toJS() as Doc;
  });

describe('docker-compose.yml', () => {
  const [compose] = load(join(SERVICES, 'docker-compose.yml'));
  const services = compose?.['services'] as Record<string, Doc>;

  it('runs every service, its servers and Prometheus, with 3 strategy replicas', () => {
    for (const name of [...NAMES, 'redis', 'rabbitmq', 'postgres', 'prometheus'])
      expect(services[name], name).toBeDefined();
    expect(services['strategy']?.['deploy']?.['replicas']).toBe(3);
  });

  it('gives every service its Dockerfile, the server URLs and healthy dependencies', () => {
    for (const name of NAMES) {
      const s = services[name] as Doc;
      expect(s['build']['dockerfile'], name).toBe('examples/services/Dockerfile');
      expect(s['build']['args'], name).toEqual({ SERVICE: name });
      for (const v of ['REDIS_URL', 'AMQP_URL', 'PG_URL', 'HTTP_PORT'])
        expect(s['environment'][v], `${name} ${v}`).toBeDefined();
      for (const dep of ['redis', 'rabbitmq', 'postgres']) {
        expect(s['depends_on'][dep]?.['condition'], `${name} → ${dep}`).toBe('service_healthy');
      }
    }
    expect(String(services['rabbitmq']?.['command'])).toContain('rabbitmq_consistent_hash_exchange');
    expect(services['redis']?.['command']).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(SERVICES, 'Dockerfile'), 'utf8');
  it('builds any service from a SERVICE argument, as a non-root user, with a health check', () => {
    expect(text).toMatch(/^FROM node:20/m);
    expect(text).toMatch(/^ARG SERVICE$/m);
    expect(text).toContain('examples/services/${SERVICE}/src/main.ts');
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
  });
  it('installs with npm install (npm ci refuses the lock: npm/cli#4828)', () => {
    expect(text).toMatch(/^RUN npm install /m);
    expect(text).not.toMatch(/^RUN npm ci/m);
  });
  it.each(NAMES)('has a main.ts for %s', (name) => {
    expect(() => readFileSync(join(SERVICES, name, 'src', 'main.ts'))).not.toThrow();
  });
});

describe('Kubernetes manifests', () => {
  const dir = join(SERVICES, 'deploy', 'k8s');
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => load(join(dir, f)));
  const byKind = (kind: string) => docs.filter((d) => d['kind'] === kind);
  const configMap = byKind('ConfigMap')[0] as Doc;
  const secret = byKind('Secret')[0] as Doc;

  it('has a Deployment and a Service per service, a ConfigMap and a Secret with the encryption key', () => {
    for (const name of NAMES) {
      expect(
        byKind('Deployment').find((d) => d['metadata']['name'] === name),
        name,
      ).toBeDefined();
      expect(
        byKind('Service').find((d) => d['metadata']['name'] === name),
        name,
      ).toBeDefined();
    }
    expect(configMap['data']['REDIS_URL']).toBeDefined();
    expect(secret['stringData']['credentials-key']).toBeDefined();
    expect(secret['stringData']['AMQP_URL']).toBeDefined();
    expect(JSON.stringify(configMap)).not.toMatch(/amqp:\/\/[^@]*:[^@]*@/); // no password in the ConfigMap
  });

  it.each(NAMES)('%s: limits, probes on /health, config from the ConfigMap, selector matches', (name) => {
    const d = byKind('Deployment').find((x) => x['metadata']['name'] === name) as Doc;
    const pod = d['spec']['template'];
    const [c] = pod['spec']['containers'] as Doc[];
    expect(c?.['resources']['limits']['cpu']).toBeDefined();
    expect(c?.['resources']['limits']['memory']).toBeDefined();
    expect(c?.['resources']['requests']['memory']).toBeDefined();
    expect(c?.['readinessProbe']['httpGet']['path']).toBe('/health');
    expect(c?.['livenessProbe']).toBeDefined();
    expect(c?.['envFrom']).toContainEqual({ configMapRef: { name: configMap['metadata']['name'] } });
    expect(d['spec']['selector']['matchLabels']).toEqual(
      expect.objectContaining({
        'app.kubernetes.io/name': pod['metadata']['labels']['app.kubernetes.io/name'],
      }),
    );
    expect(pod['spec']['terminationGracePeriodSeconds']).toBeGreaterThan(20);
    const svc = byKind('Service').find((x) => x['metadata']['name'] === name) as Doc;
    expect(svc['spec']['selector']).toEqual(d['spec']['selector']['matchLabels']);
  });

  it('runs 3+ strategy replicas and a single order and data replica; the gateway mounts the key', () => {
    const replicas = (n: string) =>
      byKind('Deployment').find((x) => x['metadata']['name'] === n)?.['spec']['replicas'];
    expect(replicas('strategy')).toBeGreaterThanOrEqual(3);
    expect(replicas('order')).toBe(1);
    expect(replicas('data')).toBe(1);
    const gw = byKind('Deployment').find((x) => x['metadata']['name'] === 'gateway') as Doc;
    const volumes = gw['spec']['template']['spec']['volumes'] as Doc[];
    expect(volumes.find((v) => v['secret']?.['secretName'] === secret['metadata']['name'])).toBeDefined();
  });

  it('the docs exist', () => {
    expect(existsSync(resolve(SERVICES, '../../docs/guides/deploy.md'))).toBe(true);
  });
});
