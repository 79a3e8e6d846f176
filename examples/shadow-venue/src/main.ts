import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeBinance, pointCcxtAtFakeBinance } from '@rxtrade/ccxt/testing';
import ccxt from 'ccxt';
import { runShadowDemo } from './shadow';

// A local fake of Binance spot stands in for the exchange: nothing leaves this machine.
const bars = Number(process.env['BARS'] ?? 40);
const out = process.env['OUT'] ?? 'reports';
const fake = await FakeBinance.start();
const exchange = new ccxt.binance({ enableRateLimit: false });
pointCcxtAtFakeBinance(exchange as never, fake);
try {
  const { report, html } = await runShadowDemo({ fake, exchange, bars });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'shadow.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'shadow.html'), html);
  console.log(`wrote ${join(out, 'shadow.json')} and ${join(out, 'shadow.html')}`);
} finally {
  await fake.close();
}
