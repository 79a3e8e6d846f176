import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { describe, expect, it } from 'vitest';
import { type RxtradeRun, rxtrade } from '../test/rxtrade-process';

/**
 * `rxtrade fleet --shadow <dir>`: a simulated venue with a backtest's defaults beside each account's
 * venue at the order role. The fleet's own venue is the paper venue here: without slippage both
 * venues are the same model and every order must come out matched with a difference of exactly 0;
 * with `--slippage-bps` each order's real side is the fleet's (slipped) fill, its simulated side the
 * unslipped backtest's, and the whole difference is slippage and the fees on it.
 */
const RABBITMQ_URL = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const rabbitmq = new URL(RABBITMQ_URL);
const redis = new URL(REDIS_URL);
const up =
  (await requireService('RabbitMQ', () => probeTcp(rabbitmq.hostname, Number(rabbitmq.port || 5672)))) &&
  (await requireService('Redis', () => probeTcp(redis.hostname, Number(redis.port || 6379))));

const STRATEGY = 'examples/sma-crossover/src/strategy.ts';
const settings = [
  '--strategy',
  STRATEGY,
  '--data',
  'sp500',
  '--to',
  '2004-12-31',
  '--cash',
  '50000',
  '--json',
];

interface Printed {
  readonly fills: readonly { time: string; side: string; price: number; quantity: number }[];
}
interface Side {
  readonly status: string;
  readonly filledQty: number;
  readonly avgPx: number | null;
  readonly firstFillTs: number | null;
  readonly fees: string;
}
interface Doc {
  readonly v: number;
  readonly pending: number;
  readonly outcomes: Record<string, number>;
  readonly totals: Record<string, Record<string, string>>;
  readonly orders: readonly {
    readonly clientOrderId: string;
    readonly side: 'buy' | 'sell';
    readonly quantity: number;
    readonly outcome: string;
    readonly delayMs: number | null;
    readonly simulated: Side;
    readonly real: Side;
    readonly attribution: Record<string, string>;
  }[];
}

const shadowOf = (dir: string): Doc =>
  JSON.parse(readFileSync(join(dir, 'shadow-default.json'), 'utf8')) as Doc;
const byFill = (doc: Doc) =>
  [...doc.orders].sort((a, b) => (a.real.firstFillTs ?? 0) - (b.real.firstFillTs ?? 0));
const prices = (run: RxtradeRun) => (JSON.parse(run.out) as Printed).fills.map((f) => f.price);
const ok = (run: RxtradeRun) => expect(run, run.err).toMatchObject({ code: 0 });

describe('rxtrade fleet --shadow', () => {
  it('in process, paper venue, no slippage: every order matched, the difference exactly 0 in every part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxt-shadow-'));
    const fleet = await rxtrade(['fleet', ...settings, '--in-process', '--shadow', dir]);
    ok(fleet);
    const doc = shadowOf(dir);
    const fills = prices(fleet);
    expect(fills.length).toBeGreaterThan(10);
    expect(doc).toMatchObject({ v: 1, pending: 0, outcomes: { matched: fills.length } });
    expect(doc.orders).toHaveLength(fills.length);
    for (const o of doc.orders) {
      expect(o.real).toEqual(o.simulated);
      expect(Object.values(o.attribution).every((part) => part === '0.00')).toBe(true);
    }
    expect(readFileSync(join(dir, 'shadow-default.html'), 'utf8')).toContain('Live vs simulated');
    expect(fleet.err).toMatch(/shadow default: \d+ orders \(\d+ matched, 0 partial, 0 missed/);
  }, 300_000);

  it.skipIf(!up)(
    'as processes on RabbitMQ + Redis (2 order replicas) with --slippage-bps 5: the real side is the fleet’s fills, the simulated side the unslipped backtest’s, the difference slippage and its fees',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rxt-shadow-'));
      const [fleet, backtest] = await Promise.all([
        rxtrade([
          'fleet',
          ...settings,
          '--slippage-bps',
          '5',
          '--until-done',
          '--order-replicas',
          '2',
          '--shadow',
          dir,
        ]),
        rxtrade(['backtest', ...settings, '--no-report', '--quiet']),
      ]);
      ok(fleet);
      ok(backtest);
      const doc = shadowOf(dir);
      const real = prices(fleet);
      const simulated = prices(backtest);
      expect(real.length).toBeGreaterThan(10);
      expect(doc.pending).toBe(0);
      expect(doc.outcomes['matched']).toBe(real.length);
      const orders = byFill(doc);
      expect(orders.map((o) => o.real.avgPx)).toEqual(real);
      expect(orders.map((o) => o.simulated.avgPx)).toEqual(simulated);
      for (const o of orders) {
        // Same bar, so no latency; the slipped price is worse on every order, buy or sell.
        expect(o.delayMs).toBe(0);
        expect(o.attribution['latency']).toBe('0.00');
        const worse = (o.side === 'buy' ? 1 : -1) * ((o.real.avgPx ?? 0) - (o.simulated.avgPx ?? 0));
        expect(worse).toBeGreaterThan(0);
        expect(Number(o.attribution['slippage'])).toBeCloseTo(-worse * o.quantity, 6);
        const fees = Number(o.simulated.fees) - Number(o.real.fees);
        expect(Number(o.attribution['fees'])).toBeCloseTo(fees, 6);
        expect(Number(o.attribution['total'])).toBeCloseTo(-worse * o.quantity + fees, 6);
      }
      expect(fleet.err).toMatch(/stopped; removed \d+ queues/);
      expect(fleet.err).toMatch(/shadow default: \d+ orders/);
    },
    400_000,
  );
});
