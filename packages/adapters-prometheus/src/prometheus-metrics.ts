import {
  type Counter,
  type Gauge,
  type Histogram,
  type HistogramOptions,
  type Labels,
  type MetricOptions,
  type MetricsSink,
  RxtradeError,
} from '@rxtrade/core';
import {
  collectDefaultMetrics,
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry,
  validateMetricName,
} from 'prom-client';
import { z } from 'zod';

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Where the metrics are registered. Default: a new `Registry`, so engines and tests never collide. */
  readonly registry?: Registry;
  /** Put before every metric name. Default `rxtrade_`. */
  readonly prefix?: string;
  /**
   * Also register prom-client's process and Node.js metrics (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, …), unprefixed as usual. Skipped if the registry already has them.
   * Default true. They install process-wide monitors that live until exit: turn off in tests.
   */
  readonly defaultMetrics?: boolean;
  /**
   * Most label sets one metric keeps. A new label set beyond it is not recorded; it is counted in
   * `<prefix>dropped_series_total{metric}` instead. Default 1,000.
   */
  readonly maxSeriesPerMetric?: number;
}

/** A {@link MetricsSink} backed by a prom-client registry. */
export interface PrometheusMetrics extends MetricsSink {
  readonly registry: Registry;
  readonly prefix: string;
  /** The exposition text, as `/metrics` serves it. */
  metrics(): Promise<string>;
  /** The `Content-Type` of {@link PrometheusMetrics.metrics}. */
  readonly contentType: string;
}

/** Name (after the prefix) of the counter of label sets refused by the series bound. */
export const DROPPED_SERIES_METRIC = 'dropped_series_total';

const OptionsSchema = z.strictObject({
  // Duck-typed: a Registry from another copy of prom-client is still a registry.
  registry: z
    .custom<Registry>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Registry).registerMetric === 'function',
      'must be a prom-client Registry',
    )
    .optional(),
  prefix: z
    .string()
    .regex(/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/, 'must be empty or a valid metric name start')
    .optional(),
  defaultMetrics: z.boolean().optional(),
  maxSeriesPerMetric: z.number().int().positive().optional(),
});

type Kind = 'counter' | 'gauge' | 'histogram';

interface Entry {
  readonly kind: Kind;
  readonly labelNames: readonly string[];
  readonly handle: Counter | Gauge | Histogram;
}

/**
 * A MetricsSink over prom-client. Asking for the same name twice returns the same metric; asking for
 * it as another kind, or with other label names, throws `INVALID_ARGUMENT` (a wiring bug, found at
 * startup). Recording never throws: it runs inside the trading loop. So non-finite values (and
 * negative counter increments) are ignored, keeping the previous value; labels that were not
 * declared are ignored; a declared label left out is recorded as `""`.
 *
 * @example
 * const metrics = createPrometheusMetrics();
 * const engine = createEngine({ metrics, … });
 * http.createServer(createMetricsHandler(metrics)).listen(9464);
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `createPrometheusMetrics: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'rxtrade_';
  const maxSeries = options.maxSeriesPerMetric ?? 1_000;
  if ((options.defaultMetrics ?? true) && !registry.getSingleMetric('process_cpu_seconds_total')) {
    collectDefaultMetrics({ register: registry });
  }

  // Reused when the registry is shared with another sink: one counter of drops per registry.
  const droppedName = `${prefix}${DROPPED_SERIES_METRIC}`;
  const existingDropped = registry.getSingleMetric(droppedName);
  const dropped =
    existingDropped instanceof PromCounter
      ? (existingDropped as PromCounter<'metric'>)
      : register(
          () =>
            new PromCounter({
              name: droppedName,
              help: `Label sets not recorded because the metric already had maxSeriesPerMetric (${maxSeries}) series.`,
              labelNames: ['metric'],
              registers: [registry],
            }),
        );
  const entries = new Map<string, Entry>();

  const get = <T extends Counter | Gauge | Histogram>(
    kind: Kind,
    name: string,
    options: MetricOptions & { readonly buckets?: readonly number[] },
  ): T => {
    const labelNames = [...(options.labelNames ?? [])];
    const existing = entries.get(name);
    if (existing) {
      if (existing.kind !== kind || existing.labelNames.join(',') !== labelNames.join(',')) {
        throw new RxtradeError({
          code: 'INVALID_ARGUMENT',
          message: `metric ${name} exists as a ${existing.kind} with labels [${existing.labelNames.join(', ')}]; asked for a ${kind} with [${labelNames.join(', ')}]`,
        });
      }
      return existing.handle as T;
    }
    const fullName = `${prefix}${name}`;
    if (!validateMetricName(fullName)) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `invalid metric name ${JSON.stringify(fullName)}`,
      });
    }
    const config = { name: fullName, help: options.help, labelNames, registers: [registry] };
    const bound = createSeriesBound(labelNames, maxSeries, () => dropped.inc({ metric: name }));
    let handle: Counter | Gauge | Histogram;
    switch (kind) {
      case 'counter': {
        const metric = register(() => new PromCounter(config));
        handle = {
          add(value = 1, labels) {
            if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) return;
            const series = bound(labels);
            if (series) metric.inc(series, value);
          },
        };
        break;
      }
      case 'gauge': {
        const metric = register(() => new PromGauge(config));
        handle = {
          set(value, labels) {
            if (!Number.isFinite(value)) return;
            const series = bound(labels);
            if (series) metric.set(series, value);
          },
        };
        break;
      }
      case 'histogram': {
        const buckets = options.buckets ? [...options.buckets] : undefined;
        const metric = register(() => new PromHistogram({ ...config, ...(buckets ? { buckets } : {}) }));
        handle = {
          observe(value, labels) {
            if (!Number.isFinite(value)) return;
            const series = bound(labels);
            if (series) metric.observe(series, value);
          },
        };
        break;
      }
    }
    entries.set(name, { kind, labelNames, handle });
    return handle as T;
  };

  return {
    registry,
    prefix,
    get contentType() {
      return registry.contentType;
    },
    metrics: () => registry.metrics(),
    counter: (name, opts) => get<Counter>('counter', name, opts),
    gauge: (name, opts) => get<Gauge>('gauge', name, opts),
    histogram: (name, opts: HistogramOptions) => get<Histogram>('histogram', name, opts),
  };
}

/** prom-client throws a plain Error on a duplicate name (e.g. in a shared registry); make it ours. */
function register<T>(create: () => T): T {
  try {
    return create();
  } catch (cause) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: cause instanceof Error ? cause.message : String(cause),
      cause,
    });
  }
}

/**
 * Normalizes labels to exactly the declared names and enforces the series bound. Returns the label
 * object to record, or undefined when the series is refused (after reporting it).
 */
function createSeriesBound(
  labelNames: readonly string[],
  maxSeries: number,
  onDrop: () => void,
): (labels: Labels | undefined) => Record<string, string> | undefined {
  const seen = new Set<string>();
  return (labels) => {
    const series: Record<string, string> = {};
    let key = '';
    for (const name of labelNames) {
      const value = labels?.[name];
      const text = value === undefined ? '' : String(value);
      series[name] = text;
      // \u0000 cannot appear in a sane label value; it only separates them in the key.
      key += `${text}\u0000`;
    }
    if (!seen.has(key)) {
      if (seen.size >= maxSeries) {
        onDrop();
        return undefined;
      }
      seen.add(key);
    }
    return series;
  };
}
