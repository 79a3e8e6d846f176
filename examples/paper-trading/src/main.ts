import { FakeBinance, pointCcxtAtFakeBinance } from '@rxtrade/ccxt/testing';
import ccxt from 'ccxt';
import { runPaperTrading } from './paper';

// A local fake of Binance spot stands in for the exchange: nothing leaves this machine. To paper trade
// on live Binance market data instead, drop the fake and use `new ccxt.binance()` (see the README).
const seconds = Number(process.env['SECONDS_TO_RUN'] ?? 12);
const fake = await FakeBinance.start();
const exchange = new ccxt.binance();
pointCcxtAtFakeBinance(exchange as never, fake);
try {
  await runPaperTrading({ exchange, durationMs: seconds * 1000 });
} finally {
  await fake.close();
}
