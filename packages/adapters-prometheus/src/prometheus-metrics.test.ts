import { isRxtradeError } from '@rxtrade/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPrometheusMetrics, type PrometheusMetricsOptions } from './prometheus-metrics';

const quiet = (options: PrometheusMetricsOptions = {}) =>
  createPrometheusMetrics({ defaultMetrics: false, ...options });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isRxtradeError(error) ? error.code : `not an RxtradeError: ${String(error)}`;
  }
  return undefined;
}

describe('createPrometheusMetrics', () => {
  it('records counters, gauges and histograms under the prefix', async () => {
    const metrics = quiet();
    metrics.counter('fills_total', { help: 'Fills.', labelNames: ['symbol'] }).add(2, { symbol: 'SPX' });
    metrics
      .counter('fills_total', { help: 'Fills.', labelNames: ['symbol'] })
      .add(undefined, { symbol: 'SPX' });
    metrics.gauge('cash', { help: 'Cash.', labelNames: ['account'] }).set(-12.5, { account: 'A' });
    const h = metrics.histogram('wait_seconds', { help: 'Wait.', buckets: [0.1, 1] });
    h.observe(0.05);
    h.observe(0.5);
    const text = await metrics.metrics();
    expect(text).toContain('# TYPE rxtrade_fills_total counter');
    expect(text).toContain('rxtrade_fills_total{symbol="SPX"} 3');
    expect(text).toContain('rxtrade_cash{account="A"} -12.5');
    expect(text).toContain('rxtrade_wait_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('rxtrade_wait_seconds_bucket{le="1"} 2');
    expect(text).toContain('rxtrade_wait_seconds_count 2');
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('returns the same metric for the same name, and refuses the same name as another kind or label set', () => {
    const metrics = quiet();
    const a = metrics.counter('x_total', { help: 'X.', labelNames: ['a'] });
    expect(metrics.counter('x_total', { help: 'other help', labelNames: ['a'] })).toBe(a);
    expect(codeOf(() => metrics.gauge('x_total', { help: 'X.', labelNames: ['a'] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => metrics.counter('x_total', { help: 'X.', labelNames: ['b'] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => metrics.counter('bad name', { help: 'X.' }))).toBe('INVALID_ARGUMENT');
  });

  it('gives every sink its own registry, so two engines never collide', async () => {
    const one = quiet();
    const two = quiet();
    one.counter('x_total', { help: 'X.' }).add(1);
    two.counter('x_total', { help: 'X.' }).add(5);
    expect(one.registry).not.toBe(two.registry);
    expect(await one.metrics()).toContain('rxtrade_x_total 1');
    expect(await two.metrics()).toContain('rxtrade_x_total 5');
  });

  it('turns a name clash in a shared registry into a typed error', () => {
    const registry = new Registry();
    const one = quiet({ registry });
    const two = quiet({ registry });
    one.counter('x_total', { help: 'X.' });
    expect(codeOf(() => two.counter('x_total', { help: 'X.' }))).toBe('INVALID_ARGUMENT');
    expect(two.counter('y_total', { help: 'Y.' })).toBeDefined();
  });

  it('bounds the series of each metric and counts what it dropped', async () => {
    const metrics = quiet({ maxSeriesPerMetric: 3 });
    const c = metrics.counter('orders_total', { help: 'O.', labelNames: ['id'] });
    for (const id of ['a', 'b', 'c', 'd', 'e']) c.add(1, { id });
    c.add(1, { id: 'a' }); // known series still count after the bound is reached
    c.add(1, { id: 'e' });
    const text = await metrics.metrics();
    expect(text).toContain('rxtrade_orders_total{id="a"} 2');
    expect(text).toContain('rxtrade_orders_total{id="c"} 1');
    expect(text).not.toContain('id="d"');
    expect(text).not.toContain('id="e"');
    expect(text).toContain('rxtrade_dropped_series_total{metric="orders_total"} 3');
  });

  it('never throws while recording: bad values and labels are ignored or normalized', async () => {
    const metrics = quiet();
    const c = metrics.counter('c_total', { help: 'C.', labelNames: ['a', 'b'] });
    c.add(-1, { a: '1' });
    c.add(Number.NaN, { a: '1' });
    c.add(Number.POSITIVE_INFINITY, { a: '1' });
    c.add(1, { a: '1', undeclared: 'x' });
    const h = metrics.histogram('h_seconds', { help: 'H.' });
    h.observe(Number.NaN);
    h.observe(Number.POSITIVE_INFINITY);
    const g = metrics.gauge('g', { help: 'G.' });
    g.set(7);
    g.set(Number.NaN);
    const text = await metrics.metrics();
    expect(text).toContain('rxtrade_c_total{a="1",b=""} 1');
    expect(text).not.toContain('undeclared');
    expect(text).toContain('rxtrade_h_seconds_count 0');
    expect(text).toContain('rxtrade_g 7');
  });

  it('registers the process metrics once when asked', async () => {
    const registry = new Registry();
    createPrometheusMetrics({ registry, prefix: 'a_' });
    createPrometheusMetrics({ registry, prefix: 'b_' });
    const text = await registry.metrics();
    expect(text.match(/^# TYPE process_cpu_seconds_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('refuses bad options with INVALID_CONFIG', () => {
    for (const options of [{ prefix: '9bad' }, { maxSeriesPerMetric: 0 }, { registry: {} }, { extra: 1 }]) {
      expect(codeOf(() => createPrometheusMetrics(options as PrometheusMetricsOptions))).toBe(
        'INVALID_CONFIG',
      );
    }
  });
});
