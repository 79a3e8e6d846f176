import { type Logger, type MetricsSink, noopLogger, noopMetrics, RxtradeError } from '@rxtrade/core';
import { z } from 'zod';

/** Options of {@link createEventLoopMonitor}. */
export interface EventLoopMonitorOptions {
  /** A timer that fires this much later than asked is a stall. Default 1,000 ms. */
  readonly stallThresholdMs?: number;
  /** How often the timer is asked to fire. Default 100 ms. */
  readonly intervalMs?: number;
  /**
   * How long the monitor stays unhealthy after a stall ended. A stalled loop cannot answer `/health`
   * while it is stalled, so the stall shows on the probes after it. Default 30,000 ms.
   */
  readonly unhealthyForMs?: number;
  /** Each stall is logged at warn with its duration. */
  readonly logger?: Logger;
  /** `event_loop_stalls_total`, `event_loop_lag_seconds` (largest lag of the last interval), `event_loop_stall_seconds` (histogram). */
  readonly metrics?: MetricsSink;
  /** Monotonic milliseconds. Default `performance.now`. */
  readonly now?: () => number;
}

/** What {@link EventLoopMonitor.status} reports, ready for a `/health` body. */
export interface EventLoopStatus {
  /** False from a stall until `unhealthyForMs` after it ended. */
  readonly healthy: boolean;
  /** Why it is unhealthy, for the `/health` body. */
  readonly reason?: string;
  /** Lag of the latest tick, ms. */
  readonly lagMs: number;
  /** Stalls since start. */
  readonly stalls: number;
  /** Duration of the latest stall, ms. */
  readonly lastStallMs?: number;
  /** How long ago the latest stall ended, ms. */
  readonly lastStallAgoMs?: number;
}

/** Watches this process's event loop; feed {@link EventLoopMonitor.status} into `/health`. */
export interface EventLoopMonitor {
  status(): EventLoopStatus;
  /** Stops the timer. Idempotent. */
  stop(): void;
}

const OptionsSchema = z.object({
  stallThresholdMs: z.number().positive().default(1_000),
  intervalMs: z.number().int().positive().default(100),
  unhealthyForMs: z.number().nonnegative().default(30_000),
});

/**
 * Detects event-loop stalls by timer drift: a timer set for `intervalMs` that fires more than
 * `stallThresholdMs` late means the loop was blocked (a synchronous loop, a huge JSON parse, GC, a
 * starved CPU) for about that long. Every stall is counted, logged and makes {@link EventLoopMonitor.status}
 * unhealthy for `unhealthyForMs`, so `/health` tells an orchestrator that the service is not keeping
 * up even though it answered. The timer is unref'd: it never keeps the process alive.
 *
 * @example
 * const loop = createEventLoopMonitor({ logger, metrics });
 * routes.set('/health', (_req, res) => {
 *   const status = loop.status();
 *   res.writeHead(status.healthy ? 200 : 503).end(JSON.stringify({ loop: status }));
 * });
 */
export function createEventLoopMonitor(options: EventLoopMonitorOptions = {}): EventLoopMonitor {
  const { logger: givenLogger, metrics: givenMetrics, now: givenNow, ...rest } = options;
  const parsed = OptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid event loop monitor options: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const { stallThresholdMs, intervalMs, unhealthyForMs } = parsed.data;
  const logger = givenLogger ?? noopLogger;
  const metrics = givenMetrics ?? noopMetrics;
  const now = givenNow ?? (() => performance.now());
  const stallsTotal = metrics.counter('event_loop_stalls_total', {
    help: 'Event-loop stalls longer than the threshold.',
  });
  const lagGauge = metrics.gauge('event_loop_lag_seconds', {
    help: 'How late the event-loop monitor timer fired on its latest tick.',
  });
  const stallHistogram = metrics.histogram('event_loop_stall_seconds', {
    help: 'Duration of event-loop stalls.',
    buckets: [1, 2, 5, 10, 30, 60],
  });

  let expected = now() + intervalMs;
  let lagMs = 0;
  let stalls = 0;
  let lastStallMs: number | undefined;
  let lastStallEnd: number | undefined;
  const timer = setInterval(() => {
    const at = now();
    lagMs = Math.max(0, at - expected);
    // Timers cannot catch up on missed ticks: the next one is due one interval from now.
    expected = at + intervalMs;
    lagGauge.set(lagMs / 1_000);
    if (lagMs < stallThresholdMs) return;
    stalls++;
    lastStallMs = lagMs;
    lastStallEnd = at;
    stallsTotal.add(1);
    stallHistogram.observe(lagMs / 1_000);
    logger.warn({ stallMs: Math.round(lagMs), stallThresholdMs }, 'event loop stalled');
  }, intervalMs);
  timer.unref();

  return {
    status() {
      const ago = lastStallEnd === undefined ? undefined : now() - lastStallEnd;
      const healthy = ago === undefined || ago >= unhealthyForMs;
      return {
        healthy,
        ...(healthy
          ? {}
          : {
              reason: `event loop stalled for ${Math.round(lastStallMs ?? 0)} ms, ${Math.round(ago ?? 0)} ms ago`,
            }),
        lagMs,
        stalls,
        ...(lastStallMs === undefined ? {} : { lastStallMs }),
        ...(ago === undefined ? {} : { lastStallAgoMs: ago }),
      };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
