/**
 * A Fastify plugin serving /metrics.
 *
 * @module @rxtrade/prometheus/fastify
 */
import type { FastifyPluginAsync } from 'fastify';
import type { MetricsSource } from '../metrics-handler';

/** Options of {@link metricsPlugin}. */
export interface MetricsPluginOptions {
  /** A prom-client `Registry`, or the sink from `createPrometheusMetrics`. */
  readonly source: MetricsSource;
  /** Route path. Default `/metrics`. */
  readonly path?: string;
}

/**
 * A Fastify (v5) plugin adding `GET <path>` (and HEAD) that serves the exposition text. Collecting
 * errors go to Fastify's error handler (500).
 *
 * @example
 * import { metricsPlugin } from '@rxtrade/prometheus/fastify';
 * await app.register(metricsPlugin, { source: metrics });
 */
export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, options) => {
  const { source } = options;
  app.get(options.path ?? '/metrics', async (_request, reply) => {
    const text = await source.metrics();
    return reply.header('content-type', source.contentType).header('cache-control', 'no-store').send(text);
  });
};

export type { MetricsSource } from '../metrics-handler';
