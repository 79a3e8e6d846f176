import { createMemoryMetrics, type EngineStreams, type Logger, noopLogger } from '@rxtrade/core';
import { Subject } from 'rxjs';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { bindEngineMetrics } from './bind-engine-metrics';
import type { MetricsEngineStreams } from './engine-streams';
import { createOrderLatencyTracker } from './order-latency';
import { createPrometheusMetrics } from './prometheus-metrics';
import { createSyntheticEngine } from './test-fixtures/synthetic-engine';

describe('bindEngineMetrics', () => {
  it("accepts core's EngineStreams as it is", () => {
    expectTypeOf<EngineStreams>().toExtend<MetricsEngineStreams>();
  });

  it('maintains every engine metric from the streams', () => {
    const { engine, run } = createSyntheticEngine();
    const metrics = createMemoryMetrics();
    const binding = bindEngineMetrics(engine, metrics);
    run();
    expect(metrics.value('bars_total', { symbol: 'SPX' })).toBe(3);
    expect(metrics.value('trades_total', { strategy: 'sma', symbol: 'SPX' })).toBe(2);
    expect(metrics.value('orders_total', { status: 'submitted' })).toBe(2);
    expect(metrics.value('orders_total', { status: 'accepted' })).toBe(1);
    expect(metrics.value('orders_total', { status: 'filled' })).toBe(2);
    expect(metrics.value('orders_total', { status: 'denied' })).toBe(1);
    expect(metrics.value('orders_total', { status: 'rejected' })).toBe(1);
    expect(metrics.value('order_denied_total', { reason: 'MAX_NOTIONAL_EXCEEDED' })).toBe(1);
    expect(metrics.value('order_rejected_total', { reason: 'VENUE_BUSY' })).toBe(1);
    expect(metrics.value('position', { account: 'ACC1', symbol: 'SPX' })).toBe(20);
    expect(metrics.value('equity', { account: 'ACC1' })).toBe(10_250);
    expect(metrics.value('pnl_current', { account: 'ACC1' })).toBe(250);
    expect(metrics.value('risk_state', { account: '' })).toBe(1);
    expect(metrics.value('risk_state', { account: 'ACC1' })).toBe(2);
    expect(metrics.value('strategy_errors_total', { strategy: 'sma' })).toBe(1);
    // O-1: 1000 → 1250 accepted; O-3: 2000 → 2100 rejected. The fills after the accept add nothing.
    expect(metrics.observations('order_submit_ack_seconds')).toEqual([0.25, 0.1]);
    binding.unsubscribe();
  });

  it('writes the same values through the Prometheus sink', async () => {
    const { engine, run } = createSyntheticEngine();
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    const binding = bindEngineMetrics(engine, metrics);
    run();
    const text = await metrics.metrics();
    for (const line of [
      'rxtrade_trades_total{strategy="sma",symbol="SPX"} 2',
      'rxtrade_pnl_current{account="ACC1"} 250',
      'rxtrade_equity{account="ACC1"} 10250',
      'rxtrade_position{account="ACC1",symbol="SPX"} 20',
      'rxtrade_orders_total{status="denied"} 1',
      'rxtrade_order_denied_total{reason="MAX_NOTIONAL_EXCEEDED"} 1',
      'rxtrade_strategy_errors_total{strategy="sma"} 1',
      'rxtrade_risk_state{account=""} 1',
      'rxtrade_risk_state{account="ACC1"} 2',
      'rxtrade_order_submit_ack_seconds_bucket{le="0.1"} 1',
      'rxtrade_order_submit_ack_seconds_bucket{le="0.25"} 2',
      'rxtrade_order_submit_ack_seconds_sum 0.35',
    ]) {
      expect(text).toContain(line);
    }
    binding.unsubscribe();
  });

  it('tears every subscription down with one unsubscribe, twice harmlessly', () => {
    const { subjects, engine, run } = createSyntheticEngine();
    const metrics = createMemoryMetrics();
    const binding = bindEngineMetrics(engine, metrics);
    expect(Object.values(subjects).filter((s) => s.observed)).toHaveLength(7); // all but closedTrades$
    binding.unsubscribe();
    binding.unsubscribe();
    expect(Object.values(subjects).some((s) => s.observed)).toBe(false);
    run();
    expect(metrics.value('bars_total', { symbol: 'SPX' })).toBeUndefined();
  });

  it('binds what exists of a partial engine, and survives a stream error', () => {
    const fills$ = new Subject<{ strategyId: string; instrumentId: string }>();
    const orderEvents$ = new Subject<{ type: string; clientOrderId: string; tsEvent: number }>();
    const warn = vi.fn();
    const logger: Logger = { ...noopLogger, warn };
    const metrics = createMemoryMetrics();
    const binding = bindEngineMetrics({ fills$, orderEvents$ }, metrics, { logger });
    orderEvents$.error(new Error('bus down'));
    fills$.next({ strategyId: 's', instrumentId: 'X' });
    expect(metrics.value('trades_total', { strategy: 's', symbol: 'X' })).toBe(1);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ stream: 'orderEvents$' }),
      'metrics: stream errored',
    );
    binding.unsubscribe();
  });

  it('leaves order latency to the engine when told to', () => {
    const { engine, run } = createSyntheticEngine();
    const metrics = createMemoryMetrics();
    const binding = bindEngineMetrics(engine, metrics, { orderLatency: false });
    run();
    expect(metrics.observations('order_submit_ack_seconds')).toEqual([]);
    expect(metrics.value('orders_total', { status: 'accepted' })).toBe(1);
    binding.unsubscribe();
  });
});

describe('bindEngineMetrics exclude', () => {
  it('leaves excluded metrics to their other producer', () => {
    const { engine, run } = createSyntheticEngine();
    const metrics = createMemoryMetrics();
    const binding = bindEngineMetrics(engine, metrics, {
      exclude: ['orderDeniedTotal', 'strategyErrorsTotal'],
    });
    run();
    expect(metrics.value('order_denied_total', { reason: 'MAX_NOTIONAL_EXCEEDED' })).toBeUndefined();
    expect(metrics.value('strategy_errors_total', { strategy: 'sma' })).toBeUndefined();
    expect(metrics.value('orders_total', { status: 'denied' })).toBe(1);
    binding.unsubscribe();
  });
});

describe('createOrderLatencyTracker', () => {
  const event = (type: string, clientOrderId: string, tsEvent: number) => ({ type, clientOrderId, tsEvent });

  it('keeps a bounded map of pending orders, forgetting the oldest', () => {
    const metrics = createMemoryMetrics();
    const tracker = createOrderLatencyTracker(metrics, { maxPending: 2 });
    tracker.onEvent(event('OrderSubmitted', 'A', 0));
    tracker.onEvent(event('OrderSubmitted', 'B', 10));
    tracker.onEvent(event('OrderSubmitted', 'C', 20));
    expect(tracker.pending).toBe(2);
    tracker.onEvent(event('OrderAccepted', 'A', 500)); // forgotten: not recorded
    tracker.onEvent(event('OrderFilled', 'B', 510)); // a fill without an accept answers too
    tracker.onEvent(event('OrderCanceled', 'C', 600)); // ends without an answer
    expect(metrics.observations('order_submit_ack_seconds')).toEqual([0.5]);
    expect(tracker.pending).toBe(0);
  });

  it('records the first answer only', () => {
    const metrics = createMemoryMetrics();
    const tracker = createOrderLatencyTracker(metrics);
    tracker.onEvent(event('OrderSubmitted', 'A', 1000));
    tracker.onEvent(event('OrderAccepted', 'A', 1002));
    tracker.onEvent(event('OrderFilled', 'A', 1500));
    expect(metrics.observations('order_submit_ack_seconds')).toEqual([0.002]);
  });
});
