import {
  type Bar,
  BarSchema,
  type Clock,
  type Instrument,
  type Logger,
  type MarketDataClient,
  noopLogger,
  parseTimeframe,
  RxtradeError,
  systemClock,
} from '@rxtrade/core';
import type { Exchange, MarketInterface as Market, OHLCV } from 'ccxt';
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { toRxtradeError } from './errors';
import { instrumentFromMarket } from './instruments';
import { resolveMarkets } from './markets';

/** Options of {@link CcxtMarketDataClient}. */
export interface CcxtMarketDataClientOptions {
  readonly exchange: Exchange;
  /** Venue name. Default the exchange id in capitals. */
  readonly venue?: string;
  /** How often `bars$` asks for new bars. Default 1,000 ms. */
  readonly pollIntervalMs?: number;
  /** Decides which bars are closed. Default the system clock. */
  readonly clock?: Clock;
  /** Timers. Default the RxJS `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
}

/**
 * rxtrade's {@link MarketDataClient} over ccxt's REST OHLCV (`fetchOHLCV`): live bars by polling, history
 * by paging, and instruments with the exchange's grid. Bars are keyed by the exchange's market id
 * (`BTCUSDT`), the instrument id {@link instrumentFromMarket} gives. Only closed bars are emitted (a
 * bar is closed once the clock passed its end), each once, in order; bars from the exchange are
 * validated (`BarSchema`) and a bad one is skipped and logged.
 */
export class CcxtMarketDataClient implements MarketDataClient {
  readonly venue: string;
  readonly exchange: Exchange;
  readonly #pollMs: number;
  readonly #clock: Clock;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;

  constructor(options: CcxtMarketDataClientOptions) {
    this.exchange = options.exchange;
    this.venue = options.venue ?? options.exchange.id.toUpperCase();
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    this.#clock = options.clock ?? systemClock;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#logger = (options.logger ?? noopLogger).child({ venue: this.venue });
    if (!(this.#pollMs > 0))
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'pollIntervalMs must be > 0' });
  }

  /**
   * The instruments of the given markets (ids or ccxt symbols), with tick, lot, limits, fees and the
   * order types the connector takes (`emulateStops` as the execution client's, default true).
   */
  async instruments(
    symbols: readonly string[],
    options: { readonly emulateStops?: boolean } = {},
  ): Promise<Instrument[]> {
    try {
      const markets = await resolveMarkets(this.exchange, symbols);
      return markets.map((m) =>
        instrumentFromMarket(m, { precisionMode: this.exchange.precisionMode ?? 4, ...options }),
      );
    } catch (error) {
      throw error instanceof RxtradeError ? error : toRxtradeError(error, 'loadMarkets', this.venue);
    }
  }

  /**
   * Cold: subscribing starts polling, unsubscribing stops it. The first poll emits the latest closed
   * bar, later polls every bar closed since. A failed poll is logged and retried at the next one.
   */
  bars$(symbol: string, timeframe: string): Observable<Bar> {
    const tfMs = parseTimeframe(timeframe).ms;
    return new Observable<Bar>((subscriber) => {
      let last = Number.NEGATIVE_INFINITY;
      let timer: Subscription | undefined;
      let closed = false;
      const poll = async (): Promise<void> => {
        try {
          const market = await this.#market(symbol);
          const now = this.#clock.now();
          const since = Number.isFinite(last) ? last + 1 : now - 3 * tfMs;
          const rows = await this.exchange.fetchOHLCV(market.symbol, timeframe, since, 1000);
          const bars = this.#bars(market, rows, { tfMs, now }).filter((b) => b.ts > last);
          const fresh = Number.isFinite(last) ? bars : bars.slice(-1);
          for (const bar of fresh) {
            if (closed) return;
            last = bar.ts;
            subscriber.next(bar);
          }
        } catch (error) {
          this.#logger.warn({ err: error, symbol, timeframe }, 'bar poll failed; retrying at the next poll');
        } finally {
          if (!closed) timer = this.#scheduler.schedule(() => void poll(), this.#pollMs);
        }
      };
      timer = this.#scheduler.schedule(() => void poll(), 0);
      return () => {
        closed = true;
        timer?.unsubscribe();
      };
    });
  }

  /** Closed bars with `from ≤ ts < to` (default now), oldest first, paged 1,000 at a time. */
  async history(
    symbol: string,
    options: { timeframe: string; from: number; to?: number },
  ): Promise<readonly Bar[]> {
    const tfMs = parseTimeframe(options.timeframe).ms;
    const market = await this.#market(symbol);
    const to = options.to ?? this.#clock.now();
    const out: Bar[] = [];
    let since = options.from;
    for (let page = 0; page < 1_000 && since < to; page++) {
      let rows: OHLCV[];
      try {
        rows = await this.exchange.fetchOHLCV(market.symbol, options.timeframe, since, 1000);
      } catch (error) {
        throw toRxtradeError(error, 'history', this.venue);
      }
      const bars = this.#bars(market, rows, { tfMs, now: this.#clock.now() }).filter(
        (b) => b.ts >= since && b.ts < to,
      );
      if (bars.length === 0) break;
      out.push(...bars);
      since = (bars.at(-1) as Bar).ts + tfMs;
    }
    return out;
  }

  async #market(symbol: string): Promise<Market> {
    try {
      return (await resolveMarkets(this.exchange, [symbol]))[0] as Market;
    } catch (error) {
      throw error instanceof RxtradeError ? error : toRxtradeError(error, 'loadMarkets', this.venue);
    }
  }

  #bars(market: Market, rows: readonly OHLCV[], window: { tfMs: number; now: number }): Bar[] {
    const { tfMs, now } = window;
    const out: Bar[] = [];
    for (const [ts, open, high, low, close, volume] of rows) {
      if (ts === undefined || ts + tfMs > now) continue; // still forming
      const parsed = BarSchema.safeParse({
        symbol: market.id,
        ts,
        open,
        high,
        low,
        close,
        volume: volume ?? 0,
      });
      if (!parsed.success) {
        this.#logger.warn({ symbol: market.id, ts }, 'invalid bar from the exchange skipped');
        continue;
      }
      out.push(parsed.data);
    }
    return out.sort((a, b) => a.ts - b.ts);
  }
}
