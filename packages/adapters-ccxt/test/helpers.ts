import dns from 'node:dns';
import { createEngine, type EngineOptions, type TradingEngine } from '@rxtrade/core';
import ccxt, { type Exchange } from 'ccxt';
import { FakeBinance, type FakeBinanceOptions, pointCcxtAtFakeBinance } from '../src/testing/index';

/** A ccxt binance pointed at a fake venue, with every URL it fetches recorded. */
export function fakeExchange(
  fake: FakeBinance,
  options: { timeoutMs?: number } = {},
): Exchange & { fetched: string[] } {
  const exchange = new ccxt.binance({ enableRateLimit: false, timeout: options.timeoutMs ?? 5_000 });
  pointCcxtAtFakeBinance(exchange as never, fake);
  const fetched: string[] = [];
  const fetch = exchange.fetch.bind(exchange);
  exchange.fetch = (url: string, ...rest: unknown[]) => {
    fetched.push(url);
    return (fetch as (...args: unknown[]) => Promise<unknown>)(url, ...rest);
  };
  return Object.assign(exchange, { fetched });
}

/** Starts a fake venue; returns it with a close function for afterEach. */
export async function startFake(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  return FakeBinance.start(options);
}

/**
 * Records every DNS lookup made while the test runs. Node resolves host names through `dns.lookup`
 * (net.connect calls it for any non-IP host), so an empty list means no real host was looked up.
 */
export function recordDnsLookups(): { hosts: string[]; restore: () => void } {
  const hosts: string[] = [];
  const original = dns.lookup;
  (dns as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) => {
    hosts.push(hostname);
    return (original as (...args: unknown[]) => unknown)(hostname, ...rest);
  };
  return { hosts, restore: () => ((dns as { lookup: unknown }).lookup = original) };
}

/** An engine trading BTCUSDT for one USDT account on the given execution client. */
export function usdtEngine(options: Omit<EngineOptions, 'accounts'>): TradingEngine {
  return createEngine({
    accounts: [{ id: 'acc', initialCash: 10_000, currency: 'USDT', currencyPrecision: 8 }],
    ...options,
  });
}

export const position = (engine: TradingEngine): number =>
  engine.positions('acc').find((p) => p.instrumentId === 'BTCUSDT')?.quantity ?? 0;
