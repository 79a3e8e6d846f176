import { FakeBinance, pointCcxtAtFakeBinance } from '@rxtrade/ccxt/testing';
import { ATTRIBUTION_PARTS, parseUnits } from '@rxtrade/core';
import ccxt from 'ccxt';
import { expect, it } from 'vitest';
import { runShadowDemo } from './shadow';

it('trades on the misbehaving fake Binance and explains every difference with the simulation', async () => {
  const fake = await FakeBinance.start();
  const exchange = new ccxt.binance({ enableRateLimit: false });
  pointCcxtAtFakeBinance(exchange as never, fake);
  const lines: string[] = [];
  try {
    const { report, html } = await runShadowDemo({
      fake,
      exchange,
      bars: 36,
      barMs: 200,
      print: (l) => lines.push(l),
    });
    // 36 bars, an order every 3rd: 12 orders, all settled at both venues.
    expect(report.orders).toHaveLength(12);
    expect(report.pending).toBe(0);
    // Each misbehaviour shows: delayed ones slip by the market's move, halves are partial, refusals missed.
    expect(report.outcomes.partial).toBeGreaterThanOrEqual(2);
    expect(report.outcomes.missed).toBeGreaterThanOrEqual(1);
    expect(report.orders.filter((o) => o.real.reason === 'INSUFFICIENT_FUNDS').length).toBe(
      report.outcomes.missed,
    );
    const usdt = report.totals['USDT'];
    if (usdt === undefined) throw new Error('no USDT totals');
    expect(usdt.slippage.startsWith('-')).toBe(true); // every taker fill 4 bp worse
    const sum = ATTRIBUTION_PARTS.reduce((n, part) => n + parseUnits(usdt[part], 12), 0);
    expect(sum).toBe(parseUnits(usdt.total, 12));
    // The orders reached the exchange; the simulated venue's never did.
    // The orders reached the exchange (a held request is recorded when held and when answered).
    const sent = new Set(fake.requestsTo('POST', '/api/v3/order').map((r) => r.params['newClientOrderId']));
    expect(sent.size).toBe(12);
    expect(html).toContain('Live vs simulated');
    expect(
      lines.filter((l) => /^Flipper-\d+ +(buy|sell) +(matched|partial|missed|extra|unfilled) /.test(l)),
    ).toHaveLength(12);
    expect(lines.at(-1)).toMatch(/^real − simulated P&L: -?[\d.]+ USDT = slippage /);
  } finally {
    await fake.close();
  }
});
