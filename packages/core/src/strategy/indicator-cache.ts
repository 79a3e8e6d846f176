import type { Bar } from '../model/market-data';

/** An indicator class and the arguments it is built with: the "kind + params" an indicator is shared by. */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters of any indicator class
export type IndicatorKind<TIndicator> = new (...args: any[]) => TIndicator;

/** One shared indicator: built once, updated at most once per step of the shared bar stream. */
interface Entry {
  readonly indicator: unknown;
  step: number;
}

const kindIds = new WeakMap<object, number>();
let nextKindId = 0;

/**
 * Indicators shared between strategies that read the same bar stream: K parameter variants of one
 * strategy in one pass ({@link runVariants}). Keyed by the indicator's class (its identity, not its
 * name), its constructor arguments, the price it is fed and the symbol: two variants asking for
 * `Sma` of 20 on the close get one instance, updated once per bar, whose value both read. Variants
 * with different periods get their own.
 *
 * The runner calls {@link advance} before each bar; a shared indicator updates on the first of its
 * strategies to see that bar and is left alone by the others. Arguments that are not plain data
 * (numbers, strings, booleans, null, arrays and plain objects of them) make the indicator private to
 * its strategy: a function or a class instance has no key that proves two of them equal.
 */
export class IndicatorCache {
  readonly #entries = new Map<string, Entry>();
  #step = 0;
  #hits = 0;

  /** Moves to the next bar of the shared stream. */
  advance(): void {
    this.#step++;
  }

  /** Distinct indicators built. */
  get size(): number {
    return this.#entries.size;
  }

  /** Requests served by an indicator another strategy built first. */
  get hits(): number {
    return this.#hits;
  }

  /**
   * @internal The shared instance for `key` (built with `create` on first use) and its updater: it
   * updates the instance with `update` once per step. Without a key (arguments not plain data),
   * a private instance and a plain updater.
   */
  share<TIndicator>(
    key: string | undefined,
    create: () => TIndicator,
    update: (indicator: TIndicator, bar: Bar) => void,
  ): { indicator: TIndicator; update: (bar: Bar) => void } {
    if (key === undefined) {
      const indicator = create();
      return { indicator, update: (bar) => update(indicator, bar) };
    }
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { indicator: create(), step: -1 };
      this.#entries.set(key, entry);
    } else this.#hits++;
    const shared = entry;
    const indicator = shared.indicator as TIndicator;
    return {
      indicator,
      update: (bar) => {
        if (shared.step === this.#step) return;
        shared.step = this.#step;
        update(indicator, bar);
      },
    };
  }
}

/**
 * The key of an indicator: its class, its arguments, what it is fed and on which symbol; undefined
 * when an argument is not plain data (then it is not shared).
 */
export function indicatorKey(
  kind: object,
  args: readonly unknown[],
  feed: { readonly source: string; readonly symbol: string | undefined },
): string | undefined {
  let id = kindIds.get(kind);
  if (id === undefined) {
    id = nextKindId++;
    kindIds.set(kind, id);
  }
  const params = plain(args);
  if (params === undefined) return undefined;
  return `${id}|${feed.source}|${feed.symbol ?? '*'}|${params}`;
}

/** A canonical text of plain data (object keys sorted), or undefined for anything else. */
function plain(value: unknown): string | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const item of value) {
      const text = plain(item);
      if (text === undefined) return undefined;
      parts.push(text);
    }
    return `[${parts.join(',')}]`;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const parts: string[] = [];
    for (const key of Object.keys(value as object).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      const text = plain(item);
      if (text === undefined) return undefined;
      parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  }
  return undefined;
}

let active: IndicatorCache | undefined;

/**
 * @internal Builds strategies with `cache` in reach: the indicators they declare with
 * `indicator()` / `barIndicator()` while being constructed come from it.
 */
export function withIndicatorCache<T>(cache: IndicatorCache, build: () => T): T {
  const previous = active;
  active = cache;
  try {
    return build();
  } finally {
    active = previous;
  }
}

/** @internal The cache strategies being built now share, if any. */
export function activeIndicatorCache(): IndicatorCache | undefined {
  return active;
}
