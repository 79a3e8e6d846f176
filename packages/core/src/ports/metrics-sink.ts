/** Metric labels. Keep their values to a bounded set (symbols, accounts, reason codes), never ids. */
export type Labels = Readonly<Record<string, string>>;

export interface MetricOptions {
  readonly help: string;
  readonly labelNames?: readonly string[];
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets. */
  readonly buckets?: readonly number[];
}

export interface Counter {
  add(value?: number, labels?: Labels): void;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
}
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/**
 * Where the engine reports numbers. Asking for the same name twice returns the same metric.
 * Implementations: {@link noopMetrics} (default), {@link createMemoryMetrics} (tests), `@rxtrade/prometheus`.
 */
export interface MetricsSink {
  counter(name: string, options: MetricOptions): Counter;
  gauge(name: string, options: MetricOptions): Gauge;
  histogram(name: string, options: HistogramOptions): Histogram;
}

const noop = { add() {}, set() {}, observe() {} };

/** Discards everything. The default. */
export const noopMetrics: MetricsSink = {
  counter: () => noop,
  gauge: () => noop,
  histogram: () => noop,
};

/** A sink that keeps the latest values in memory, for tests and small tools. */
export interface MemoryMetrics extends MetricsSink {
  /** Counter total or latest gauge value for a name and exact label set. */
  value(name: string, labels?: Labels): number | undefined;
  /** Every observation of a histogram for a name and label set. */
  observations(name: string, labels?: Labels): readonly number[];
}

const seriesKey = (name: string, labels?: Labels): string =>
  labels
    ? `${name}{${Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(',')}}`
    : name;

export function createMemoryMetrics(): MemoryMetrics {
  const values = new Map<string, number>();
  const observed = new Map<string, number[]>();
  return {
    counter: (name) => ({
      add(value = 1, labels) {
        const key = seriesKey(name, labels);
        values.set(key, (values.get(key) ?? 0) + value);
      },
    }),
    gauge: (name) => ({
      set(value, labels) {
        values.set(seriesKey(name, labels), value);
      },
    }),
    histogram: (name) => ({
      observe(value, labels) {
        const key = seriesKey(name, labels);
        const list = observed.get(key) ?? [];
        list.push(value);
        observed.set(key, list);
      },
    }),
    value: (name, labels) => values.get(seriesKey(name, labels)),
    observations: (name, labels) => observed.get(seriesKey(name, labels)) ?? [],
  };
}
