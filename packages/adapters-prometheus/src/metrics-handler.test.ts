import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsPlugin } from './fastify/index';
import { createMetricsHandler, type MetricsHandlerOptions, type MetricsSource } from './metrics-handler';
import { createPrometheusMetrics } from './prometheus-metrics';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(source: MetricsSource, options?: MetricsHandlerOptions): Promise<string> {
  const server = createServer(createMetricsHandler(source, options));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function sampleSource() {
  const metrics = createPrometheusMetrics({ defaultMetrics: false });
  metrics.counter('trades_total', { help: 'Fills.', labelNames: ['symbol'] }).add(3, { symbol: 'SPX' });
  return metrics;
}

describe('createMetricsHandler (node:http)', () => {
  it('serves the exposition text with its content type', async () => {
    const url = await serve(sampleSource());
    const response = await fetch(`${url}/anything`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain('rxtrade_trades_total{symbol="SPX"} 3');
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers 404 off its path and 405 to other methods', async () => {
    const url = await serve(sampleSource(), { path: '/metrics' });
    expect((await fetch(`${url}/metrics?x=1`)).status).toBe(200);
    expect((await fetch(`${url}/other`)).status).toBe(404);
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 500 when collecting fails', async () => {
    const url = await serve({
      contentType: 'text/plain',
      metrics: () => Promise.reject(new Error('collect')),
    });
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('collect');
  });
});

describe('metricsPlugin (Fastify)', () => {
  it('adds a /metrics route, at a custom path too', async () => {
    const app = Fastify();
    await app.register(metricsPlugin, { source: sampleSource() });
    await app.register(metricsPlugin, { source: sampleSource(), path: '/internal/metrics' });
    for (const url of ['/metrics', '/internal/metrics']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.body).toContain('rxtrade_trades_total{symbol="SPX"} 3');
    }
    expect((await app.inject({ method: 'POST', url: '/metrics' })).statusCode).toBe(404);
    await app.close();
  });

  it('turns a collecting failure into a 500', async () => {
    const app = Fastify();
    await app.register(metricsPlugin, {
      source: { contentType: 'text/plain', metrics: () => Promise.reject(new Error('collect')) },
    });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(500);
    await app.close();
  });
});
