import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a `/metrics` endpoint needs: a prom-client `Registry`, or the sink from `createPrometheusMetrics`. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** Options of {@link createMetricsHandler}. */
export interface MetricsHandlerOptions {
  /**
   * Serve only this path (query string ignored) and answer 404 elsewhere. Default: serve every path,
   * for mounting under a router that already matched it.
   */
  readonly path?: string;
}

/**
 * A node:http request handler serving the exposition text: GET and HEAD, 405 otherwise, 500 with a
 * short text if collecting fails (a collect callback threw). Never throws.
 *
 * @example
 * const metrics = createPrometheusMetrics();
 * http.createServer(createMetricsHandler(metrics, { path: '/metrics' })).listen(9464, '0.0.0.0');
 */
export function createMetricsHandler(
  source: MetricsSource,
  options: MetricsHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (options.path !== undefined && (req.url ?? '/').split('?')[0] !== options.path) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    source.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}
