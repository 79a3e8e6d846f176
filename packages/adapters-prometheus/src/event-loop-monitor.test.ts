import { createMemoryMetrics, isRxtradeError, type Logger } from '@rxtrade/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventLoopMonitor, type EventLoopMonitor } from './event-loop-monitor';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Blocks the event loop, as a synchronous hot loop in a handler would. */
const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
};

describe('createEventLoopMonitor', () => {
  let monitor: EventLoopMonitor | undefined;
  afterEach(() => monitor?.stop());

  it('turns unhealthy after a stall, counts and logs it, and recovers after unhealthyForMs', async () => {
    const metrics = createMemoryMetrics();
    const warnings: unknown[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (fields: object | string) => void warnings.push(fields),
      error() {},
      child: () => logger,
    };
    monitor = createEventLoopMonitor({
      stallThresholdMs: 400,
      intervalMs: 20,
      unhealthyForMs: 400,
      metrics,
      logger,
    });
    await sleep(60);
    expect(monitor.status()).toMatchObject({ healthy: true, stalls: 0 });

    block(1_000);
    await sleep(60); // the monitor's timer runs once the loop is free again
    const stalled = monitor.status();
    expect(stalled.healthy).toBe(false);
    expect(stalled.stalls).toBeGreaterThanOrEqual(1);
    expect(stalled.lastStallMs).toBeGreaterThanOrEqual(900);
    expect(stalled.reason).toMatch(/^event loop stalled for \d+ ms/);
    expect(metrics.value('event_loop_stalls_total')).toBe(stalled.stalls);
    expect(metrics.observations('event_loop_stall_seconds')[0]).toBeGreaterThanOrEqual(0.9);
    expect(warnings[0]).toMatchObject({ stallThresholdMs: 400 });

    await sleep(500);
    expect(monitor.status()).toMatchObject({ healthy: true });
    expect(monitor.status().reason).toBeUndefined();
  });

  it('refuses bad options with INVALID_CONFIG', () => {
    for (const bad of [{ intervalMs: 0 }, { stallThresholdMs: -1 }, { unhealthyForMs: -5 }]) {
      let caught: unknown;
      try {
        createEventLoopMonitor(bad);
      } catch (error) {
        caught = error;
      }
      expect(isRxtradeError(caught) && caught.code).toBe('INVALID_CONFIG');
    }
  });
});
