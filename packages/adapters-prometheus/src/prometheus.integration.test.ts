import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService } from '@rxtrade/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindEngineMetrics } from './bind-engine-metrics';
import { createMetricsHandler } from './metrics-handler';
import { createPrometheusMetrics } from './prometheus-metrics';
import { loadDashboard } from './test-fixtures/dashboard';
import { createSyntheticEngine } from './test-fixtures/synthetic-engine';

// The real Prometheus and promtool, from Debian's `prometheus` package (the README says to install it).
const PROMETHEUS = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';
const PROMTOOL = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';

const available = await requireService(
  'Prometheus',
  async () => {
    await access(PROMETHEUS, constants.X_OK);
    await access(PROMTOOL, constants.X_OK);
  },
  'apt-get install prometheus',
);

/** Runs promtool with `input` on stdin; resolves its exit code and everything it printed. */
async function promtool(args: string[], input: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(PROMTOOL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe.skipIf(!available)('Prometheus scrapes the engine metrics (real prometheus + promtool)', () => {
  const { engine, subjects, run } = createSyntheticEngine();
  const metrics = createPrometheusMetrics();
  const binding = bindEngineMetrics(engine, metrics);
  let target: Server;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let dir: string;
  let api: string;

  /** One instant-vector query; resolves the value of each series keyed by its labels' JSON. */
  async function query(promql: string): Promise<Map<string, number>> {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(body.status).toBe('success');
    return new Map(
      body.data.result.map((r) => {
        const { __name__: _, instance: _i, job: _j, ...labels } = r.metric;
        return [JSON.stringify(labels), Number(r.value[1])];
      }),
    );
  }
  const sampleOf = async (promql: string) => [...(await query(promql)).values()][0];

  beforeAll(async () => {
    run();
    target = createServer(createMetricsHandler(metrics, { path: '/metrics' }));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as AddressInfo).port;

    dir = await mkdtemp(join(tmpdir(), 'rxtrade-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: rxtrade',
        '    scrape_interval: 1s',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${targetPort}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk) => {
      prometheusLog += chunk;
    });
    prometheus.stderr?.on('data', (chunk) => {
      prometheusLog += chunk;
    });
    await waitFor('Prometheus to be ready', async () =>
      (await fetch(`${api}/-/ready`)).ok ? true : undefined,
    );
    await waitFor('the first scrape', async () =>
      (await sampleOf('up{job="rxtrade"}')) === 1 ? true : undefined,
    );
  }, 60_000);

  afterAll(async () => {
    binding.unsubscribe();
    if (prometheus && prometheus.exitCode === null) {
      const exited = once(prometheus, 'exit');
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((resolve) => target?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores every engine series with the values the run produced', async () => {
    const expected: [string, number][] = [
      ['rxtrade_bars_total{symbol="SPX"}', 3],
      ['rxtrade_trades_total{strategy="sma",symbol="SPX"}', 2],
      ['rxtrade_orders_total{status="submitted"}', 2],
      ['rxtrade_orders_total{status="filled"}', 2],
      ['rxtrade_order_denied_total{reason="MAX_NOTIONAL_EXCEEDED"}', 1],
      ['rxtrade_order_rejected_total{reason="VENUE_BUSY"}', 1],
      ['rxtrade_strategy_errors_total{strategy="sma"}', 1],
      ['rxtrade_pnl_current{account="ACC1"}', 250],
      ['rxtrade_equity{account="ACC1"}', 10_250],
      ['rxtrade_position{account="ACC1",symbol="SPX"}', 20],
      ['rxtrade_risk_state{account="ACC1"}', 2],
      ['rxtrade_risk_state{account=""}', 1],
      ['rxtrade_order_submit_ack_seconds_count', 2],
      ['rxtrade_order_submit_ack_seconds_sum', 0.35],
      ['rxtrade_order_submit_ack_seconds_bucket{le="0.1"}', 1],
    ];
    for (const [promql, value] of expected) {
      expect(await sampleOf(promql), promql).toBeCloseTo(value, 9);
    }
    // The per-strategy virtual position is not exported as a net position.
    expect(await query('rxtrade_position')).toEqual(
      new Map([[JSON.stringify({ account: 'ACC1', symbol: 'SPX' }), 20]]),
    );
    // The process metrics come along, unprefixed.
    expect(await sampleOf('process_cpu_seconds_total{job="rxtrade"}')).toBeGreaterThan(0);
  });

  it('keeps scraping: a later fill shows up', async () => {
    subjects.fills$.next({
      type: 'OrderFilled',
      clientOrderId: 'O-9',
      accountId: 'ACC1',
      strategyId: 'sma',
      instrumentId: 'SPX',
      tsEvent: 5_000,
      venueOrderId: 'V-9',
      tradeId: 'T-9',
      side: 'sell',
      lastQty: 1,
      lastPx: 101,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'maker',
    });
    await waitFor('trades_total to reach 3', async () =>
      (await sampleOf('rxtrade_trades_total{strategy="sma",symbol="SPX"}')) === 3 ? true : undefined,
    );
    expect(
      await sampleOf('histogram_quantile(0.5, rxtrade_order_submit_ack_seconds_bucket)'),
    ).toBeLessThanOrEqual(0.25);
    expect(prometheus?.exitCode, prometheusLog).toBeNull();
  });

  it("every query of the Grafana dashboard is valid PromQL, and the engine's return data", async () => {
    const { expressions } = loadDashboard();
    const empty: string[] = [];
    for (const expr of expressions) {
      const series = await query(expr);
      if (series.size === 0) empty.push(expr);
    }
    // Only what the synthetic run never records may be empty (and rates need two scrapes in range).
    expect(empty.filter((e) => !/bar_to_order|circuit_breaker|dropped_|rate\(|increase\(/.test(e))).toEqual(
      [],
    );
  });

  it('promtool check metrics passes on our metrics', async () => {
    const own = createPrometheusMetrics({ defaultMetrics: false });
    const ownBinding = bindEngineMetrics(engine, own);
    run();
    ownBinding.unsubscribe();
    const result = await promtool(['check', 'metrics'], await own.metrics());
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it("promtool's only complaints about the full /metrics are prom-client's own gauge names", async () => {
    const text = await (
      await fetch(`http://127.0.0.1:${(target.address() as AddressInfo).port}/metrics`)
    ).text();
    const result = await promtool(['check', 'metrics'], text);
    const problems = result.output.split('\n').filter((line) => line.trim() !== '');
    // nodejs_active_{handles,requests,resources}_total are gauges named like counters, upstream.
    expect(
      problems.every((line) => /^nodejs_active_\w+_total /.test(line)),
      result.output,
    ).toBe(true);
  });
});
