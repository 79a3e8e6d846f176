import { CcxtExecutionClient, CcxtMarketDataClient } from '@rxtrade/ccxt';
import { defaultPrice, type FakeBinance } from '@rxtrade/ccxt/testing';
import {
  type Bar,
  BaseStrategy,
  createEngine,
  renderShadowReport,
  ShadowExecutionClient,
  type ShadowOrderReport,
  type ShadowReport,
} from '@rxtrade/core';
import type { Exchange } from 'ccxt';
import { z } from 'zod';

/** Flips between long and flat every `every` bars: many market orders in a short run. */
export class Flipper extends BaseStrategy<{ every: number; quantity: number }> {
  static override paramsSchema = z.object({
    every: z.number().int().positive().default(3),
    quantity: z.number().positive().default(0.01),
  });
  #bars = 0;

  override onBar(): void {
    if (++this.#bars % this.params.every !== 0) return;
    if (this.position() === 0) this.buy(this.params.quantity);
    else this.close();
  }
}

/** Options of {@link runShadowDemo}. */
export interface ShadowDemoOptions {
  /** The fake exchange (its price is `defaultPrice`); its orders are configured to misbehave here. */
  readonly fake: FakeBinance;
  /** A ccxt binance pointed at the fake, with its keys. */
  readonly exchange: Exchange;
  /** Bars to trade. */
  readonly bars: number;
  /** Length of a bar, ms of wall-clock time. Default 250. */
  readonly barMs?: number;
  readonly print?: (line: string) => void;
}

/** What a run gives: the shadow document and its HTML page. */
export interface ShadowDemoResult {
  readonly report: ShadowReport;
  readonly html: string;
}

/**
 * A strategy trades on a fake Binance through the ccxt connector, with a {@link ShadowExecutionClient}
 * in between: every order also goes to a simulated venue fed the same bars. The fake exchange is told
 * to slip every taker fill by 4 bp, and, order by order, to hold one 600 ms, fill one half, and
 * refuse one — the shadow report says what each of these cost against the simulation.
 */
export async function runShadowDemo(options: ShadowDemoOptions): Promise<ShadowDemoResult> {
  const { fake, exchange } = options;
  const print = options.print ?? ((line: string) => console.log(line));
  const barMs = options.barMs ?? 250;
  const connector = new CcxtExecutionClient({ exchange, symbols: ['BTC/USDT'], pollIntervalMs: 0 });
  const instruments = await new CcxtMarketDataClient({ exchange }).instruments(['BTCUSDT']);
  const shadow = new ShadowExecutionClient({ real: connector, instruments });
  const engine = createEngine({
    instruments,
    accounts: [{ id: 'live', initialCash: 10_000, currency: 'USDT', currencyPrecision: 8 }],
    strategies: [new Flipper({ symbols: ['BTCUSDT'], params: { every: 3, quantity: 0.01 } })],
    execution: shadow,
  });

  // How the exchange treats each order, by its number.
  fake.takerSlippageBps = 4;
  let sent = 0;
  engine.orderEvents$.subscribe((event) => {
    if (event.type !== 'OrderSubmitted') return;
    const n = ++sent;
    fake.partialFillRatio = n % 5 === 3 ? 0.5 : 1;
    if (n % 5 === 1)
      fake.fault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'timeout', ms: 600 } });
    if (n % 7 === 5) fake.fault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'reject' } });
  });
  shadow.reports$.subscribe((r) => print(line(r)));

  await engine.start();
  print(`trading BTCUSDT on ${barMs} ms bars for ${options.bars} bars; shadow: rxtrade's simulated venue`);
  for (let i = 0; i < options.bars; i++) {
    const ts = Date.now();
    engine.processBar(barAt(ts, barMs));
    await new Promise((resolve) => setTimeout(resolve, barMs));
  }
  // Let the last orders settle at both venues, then one more bar fixes their market time.
  await new Promise((resolve) => setTimeout(resolve, 700));
  engine.processBar(barAt(Date.now(), barMs));
  await engine.stop();
  const report = shadow.report();
  for (const [currency, t] of Object.entries(report.totals)) {
    print(
      `real − simulated P&L: ${t.total} ${currency} = slippage ${t.slippage} + latency ${t.latency} + fees ${t.fees} + partial ${t.partialFills} + missed ${t.missedFills} + extra ${t.extraFills}`,
    );
  }
  return { report, html: renderShadowReport(report, { title: 'Shadow venue: fake Binance vs simulation' }) };
}

/** A bar of the fake's price from `ts` to `ts + ms`: what a market-data feed would deliver. */
function barAt(ts: number, ms: number): Bar {
  const samples = Array.from({ length: 6 }, (_, k) => round(defaultPrice('BTCUSDT', ts + (ms * k) / 5)));
  return {
    symbol: 'BTCUSDT',
    ts,
    open: samples[0] as number,
    high: Math.max(...samples),
    low: Math.min(...samples),
    close: samples[5] as number,
    volume: 10,
  };
}

const round = (px: number): number => Math.round(px * 100) / 100;

function line(r: ShadowOrderReport): string {
  const px = (n: number | null): string => (n === null ? '—' : n.toFixed(2));
  return `${r.clientOrderId.padEnd(14)} ${r.side.padEnd(4)} ${r.outcome.padEnd(8)} sim ${px(r.simulated.avgPx)} real ${px(r.real.avgPx)}${r.real.reason ? ` (${r.real.reason})` : ''}  → ${r.attribution.total} ${r.currency}`;
}
