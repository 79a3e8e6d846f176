import { createCcxtConnector } from '@rxtrade/ccxt';
import { type AccountState, type Clock, createEngine, type Fill, systemClock } from '@rxtrade/core';
import type { Exchange } from 'ccxt';
import { SmaCrossover } from '../../sma-crossover/src/strategy';

/** Options of {@link runPaperTrading}. */
export interface PaperTradingOptions {
  /** A ccxt exchange; only its public market data is used. */
  readonly exchange: Exchange;
  /** The market, as a ccxt symbol or exchange id. Default `BTC/USDT`. */
  readonly symbol?: string;
  /** Bar timeframe. Default `1s`. */
  readonly timeframe?: string;
  /** How long to trade, by `clock`. */
  readonly durationMs: number;
  /** SMA crossover parameters. Default fast 2, slow 3, quantity 0.01. */
  readonly params?: { readonly fast?: number; readonly slow?: number; readonly quantity?: number };
  /** Starting cash in the quote currency. Default 10,000. */
  readonly cash?: number;
  /** Time of the engine, the simulated venue and the bar poller. Default the system clock. */
  readonly clock?: Clock;
  /** How often bars are polled (wall-clock ms). Default 250. */
  readonly pollIntervalMs?: number;
  /** Where lines go. Default console.log. */
  readonly print?: (line: string) => void;
}

/** What a paper run did. */
export interface PaperTradingResult {
  readonly bars: number;
  readonly fills: readonly Fill[];
  readonly account: AccountState;
}

/**
 * Paper trading: live bars from the ccxt connector (polled), orders filled by the engine's
 * `SimulatedVenue` at the next bar's open — no order ever reaches the exchange. The strategy is the
 * SMA crossover of `examples/sma-crossover`, unchanged.
 */
export async function runPaperTrading(options: PaperTradingOptions): Promise<PaperTradingResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  const symbol = options.symbol ?? 'BTC/USDT';
  const timeframe = options.timeframe ?? '1s';
  const connector = createCcxtConnector({
    exchange: options.exchange,
    symbols: [symbol],
    clock,
    barPollIntervalMs: options.pollIntervalMs ?? 250,
  });
  const instruments = await connector.instruments();
  const instrument = instruments[0];
  if (!instrument) throw new Error(`no instrument for ${symbol}`);
  const engine = createEngine({
    instruments,
    accounts: [
      {
        id: 'paper',
        initialCash: options.cash ?? 10_000,
        currency: instrument.quoteCurrency,
        currencyPrecision: 8,
      },
    ],
    strategies: [
      new SmaCrossover({
        symbols: [instrument.id],
        params: {
          fast: options.params?.fast ?? 2,
          slow: options.params?.slow ?? 3,
          quantity: options.params?.quantity ?? 0.01,
        },
      }),
    ],
    clock,
  });
  const fills: Fill[] = [];
  engine.fills$.subscribe((fill) => {
    fills.push(fill);
    const time = new Date(fill.tsEvent).toISOString().slice(11, 19);
    print(
      `${time}  ${fill.side.toUpperCase().padEnd(4)} ${fill.lastQty} ${fill.instrumentId} @ ${fill.lastPx.toFixed(instrument.pricePrecision)}  fee ${fill.fee} ${fill.feeCurrency}`,
    );
  });
  await engine.start();
  let bars = 0;
  const started = clock.now();
  print(
    `paper trading ${instrument.id} on ${timeframe} bars from ${options.exchange.id} for ${Math.round(options.durationMs / 1000)} s`,
  );
  await new Promise<void>((resolve, reject) => {
    const subscription = connector.marketData.bars$(instrument.id, timeframe).subscribe({
      next: (bar) => {
        bars++;
        engine.processBar(bar);
        if (clock.now() - started >= options.durationMs) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await engine.stop();
  const account = engine.account('paper');
  print(
    `${bars} bars, ${fills.length} fills; cash ${account.cash.toFixed(2)}, equity ${account.equity.toFixed(2)} ${account.currency}, fees ${account.feesPaid}`,
  );
  return { bars, fills, account };
}
