import { type Bar, BaseStrategy, createEngine, type Logger, type TradingEngine } from '@rxtrade/core';
import {
  createEngineBackend,
  createGatewayApp,
  createMemoryKeyStore,
  createMemoryRateLimiter,
  type EngineBackend,
  mintApiKey,
  type RateLimiter,
} from '@rxtrade/fleet/gateway';
import type { FastifyInstance } from 'fastify';

/** A logger that keeps every line, to assert on (and to check no secret is ever logged). */
export function captureLogger(): Logger & { readonly lines: unknown[] } {
  const lines: unknown[] = [];
  const make = (bindings: Record<string, unknown>): Logger & { readonly lines: unknown[] } => {
    const fn =
      (level: string) =>
      (a: unknown, b?: unknown): void => {
        lines.push({
          level,
          ...bindings,
          ...(typeof a === 'object' ? a : { msg: a }),
          ...(b ? { msg: b } : {}),
        });
      };
    return {
      lines,
      debug: fn('debug'),
      info: fn('info'),
      warn: fn('warn'),
      error: fn('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

let ts = Date.UTC(2026, 0, 1);
/** A flat bar at `price` one minute after the previous one. */
export function bar(symbol: string, price: number): Bar {
  ts += 60_000;
  return { symbol, ts, open: price, high: price, low: price, close: price, volume: 1_000 };
}

/** A gateway over a started engine with accounts `acct-a` and `acct-b`, and keys of every kind. */
export interface GatewayFixture {
  readonly engine: TradingEngine;
  /** The engine's strategy `sma` (its `bars`: how many bars reached its `onBar`). */
  readonly strategy: { readonly bars: number };
  readonly backend: EngineBackend;
  readonly app: FastifyInstance;
  readonly logger: ReturnType<typeof captureLogger>;
  /** Plaintext keys. */
  readonly keys: {
    readonly readA: string;
    readonly tradeA: string;
    readonly tradeB: string;
    readonly adminAll: string;
    readonly all: string;
  };
  close(): Promise<void>;
}

/** Options of {@link createFixture}. */
export interface FixtureOptions {
  readonly rateLimit?: RateLimiter;
  /** Extra keys to register. */
  readonly records?: readonly ReturnType<typeof mintApiKey>['record'][];
}

/** The fixture's strategy: trades nothing, and throws on a bar closing at {@link FAILING_PRICE}. */
class Quiet extends BaseStrategy {
  bars = 0;
  override onBar(b: Bar): void {
    this.bars++;
    if (b.close === FAILING_PRICE) throw new Error('a bar the strategy cannot take');
  }
}

/** A bar at this close makes the fixture's strategy `sma` fail (and stop). */
export const FAILING_PRICE = 13;

/** Builds a {@link GatewayFixture}; call `close()` after. */
export async function createFixture(options: FixtureOptions = {}): Promise<GatewayFixture> {
  const engine = createEngine({
    instruments: [{ id: 'BTCUSD', pricePrecision: 2, quantityPrecision: 3 }],
    accounts: [
      { id: 'acct-a', initialCash: 100_000 },
      { id: 'acct-b', initialCash: 50_000 },
    ],
  });
  const sma = new Quiet({ id: 'sma', symbols: ['BTCUSD'], accountId: 'acct-a' });
  engine.addStrategy(sma);
  await engine.start();
  engine.processBar(bar('BTCUSD', 100));
  const backend = createEngineBackend({ engine, strategies: [{ id: 'sma', symbols: ['BTCUSD'] }] });
  const readA = mintApiKey({ scopes: ['read'], accounts: ['acct-a'] });
  const tradeA = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acct-a'] });
  const tradeB = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acct-b'] });
  const adminAll = mintApiKey({ scopes: ['read', 'admin'], accounts: '*' });
  const all = mintApiKey({ scopes: ['read', 'trade', 'admin'], accounts: '*' });
  const keys = createMemoryKeyStore([
    readA.record,
    tradeA.record,
    tradeB.record,
    adminAll.record,
    all.record,
    ...(options.records ?? []),
  ]);
  const logger = captureLogger();
  const app = createGatewayApp({
    backend,
    keys,
    rateLimit:
      options.rateLimit ?? createMemoryRateLimiter({ capacity: 1_000_000, refillPerSecond: 1_000_000 }),
    logger,
    heartbeatMs: 1_000,
  });
  await app.ready();
  return {
    engine,
    strategy: sma,
    backend,
    app,
    logger,
    keys: { readA: readA.key, tradeA: tradeA.key, tradeB: tradeB.key, adminAll: adminAll.key, all: all.key },
    async close() {
      await app.close();
      backend.close();
      await engine.stop();
    },
  };
}

/** `authorization` header for a key. */
export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** The key with its last character changed: same length and format, wrong secret. */
export const tamper = (key: string) => `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
