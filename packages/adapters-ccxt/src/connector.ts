import { type Clock, type Instrument, type Logger, type MetricsSink, RxtradeError } from '@rxtrade/core';
import type { Exchange } from 'ccxt';
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { CcxtExecutionClient } from './execution-client';
import { CcxtMarketDataClient } from './market-data-client';
import { type CcxtRateLimitOptions, shareRateLimit } from './rate-limit';

/** Options of {@link createCcxtConnector}. */
export interface CcxtConnectorOptions {
  /** A ready ccxt exchange (keys set, sandbox mode chosen). Its owner closes it. */
  readonly exchange: Exchange;
  /** Markets to trade: exchange ids (`BTCUSDT`) or ccxt symbols (`BTC/USDT`). */
  readonly symbols: readonly string[];
  /** Venue name. Default the exchange id in capitals. */
  readonly venue?: string;
  /** Order polling interval. Default 1,000 ms; 0 turns it off. */
  readonly orderPollIntervalMs?: number;
  /** Bar polling interval. Default 1,000 ms. */
  readonly barPollIntervalMs?: number;
  /**
   * Emulate stop-market orders where the market has none (Binance spot): see
   * `CcxtExecutionClient`'s `emulateStops`. Default true. `instruments()` lists `stop` among the
   * order types accordingly, so a backtest on them refuses what this connector would.
   */
  readonly emulateStops?: boolean;
  /** How long a submission refused for the request rate is resent: see `CcxtExecutionClient`. Default 60,000 ms. */
  readonly rateLimitRetryMs?: number;
  readonly clock?: Clock;
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  /**
   * A rate limiter every REST request of `exchange` goes through ({@link shareRateLimit}), e.g. a
   * `createRedisRateLimiter` shared by every process on the account. Default: ccxt's own per-instance throttle only.
   */
  readonly rateLimit?: CcxtRateLimitOptions;
}

/** A broker connector: execution and market data over one exchange, and its instruments. */
export interface CcxtConnector {
  readonly execution: CcxtExecutionClient;
  readonly marketData: CcxtMarketDataClient;
  /** The traded markets as instruments (tick, lot, min notional, fees and the order types this connector takes). */
  instruments(): Promise<Instrument[]>;
}

const OptionsSchema = z.object({
  symbols: z.array(z.string().min(1)).min(1),
  venue: z.string().min(1).max(32).optional(),
  orderPollIntervalMs: z.number().min(0).optional(),
  barPollIntervalMs: z.number().positive().optional(),
  emulateStops: z.boolean().optional(),
  rateLimitRetryMs: z.number().min(0).optional(),
});

/**
 * Creates the ccxt connector: an {@link CcxtExecutionClient} (live trading) and a
 * {@link CcxtMarketDataClient} (live and historical bars) over one exchange.
 *
 * @example
 * import ccxt from 'ccxt';
 * const exchange = new ccxt.binance({ apiKey, secret });
 * exchange.setSandboxMode(true); // Binance spot testnet
 * const connector = createCcxtConnector({ exchange, symbols: ['BTC/USDT'] });
 * const instruments = await connector.instruments();
 */
export function createCcxtConnector(options: CcxtConnectorOptions): CcxtConnector {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid ccxt connector options: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  if (options.rateLimit) shareRateLimit(options.exchange, options.rateLimit);
  const shared = {
    exchange: options.exchange,
    ...(options.venue === undefined ? {} : { venue: options.venue }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
  const execution = new CcxtExecutionClient({
    ...shared,
    symbols: options.symbols,
    ...(options.orderPollIntervalMs === undefined ? {} : { pollIntervalMs: options.orderPollIntervalMs }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.emulateStops === undefined ? {} : { emulateStops: options.emulateStops }),
    ...(options.rateLimitRetryMs === undefined ? {} : { rateLimitRetryMs: options.rateLimitRetryMs }),
  });
  const marketData = new CcxtMarketDataClient({
    ...shared,
    ...(options.barPollIntervalMs === undefined ? {} : { pollIntervalMs: options.barPollIntervalMs }),
  });
  const emulateStops = options.emulateStops ?? true;
  return {
    execution,
    marketData,
    instruments: () => marketData.instruments(options.symbols, { emulateStops }),
  };
}
