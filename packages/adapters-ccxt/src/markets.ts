import { RxtradeError } from '@rxtrade/core';
import type { Exchange, MarketInterface as Market } from 'ccxt';

/**
 * Loads the exchange's markets (once; ccxt caches them) and resolves each requested market, given as an
 * exchange id (`BTCUSDT`) or a ccxt symbol (`BTC/USDT`). An unknown one is a configuration error. A
 * failed load is forgotten, so the next call asks the exchange again (ccxt would keep answering with
 * the same failure: it caches the promise of the load, not only its result).
 */
export async function resolveMarkets(exchange: Exchange, symbols: readonly string[]): Promise<Market[]> {
  let markets: Awaited<ReturnType<Exchange['loadMarkets']>>;
  try {
    markets = await exchange.loadMarkets();
  } catch (error) {
    (exchange as { marketsLoading?: unknown }).marketsLoading = undefined;
    throw error;
  }
  const out: Market[] = [];
  for (const symbol of symbols) {
    const direct = markets[symbol];
    const byId = (exchange.markets_by_id?.[symbol] as Market[] | undefined)?.[0];
    const market = direct ?? byId;
    if (!market?.id) {
      throw new RxtradeError({
        code: 'UNKNOWN_INSTRUMENT',
        message: `${exchange.id} has no market ${symbol}`,
        details: { symbol },
      });
    }
    out.push(market);
  }
  return out;
}
