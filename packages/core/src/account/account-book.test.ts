import Decimal from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { fromUnits } from '../model/decimal';
import { defineInstrument, type Instrument } from '../model/instrument';
import { feeMinorUnits } from '../model/money';
import type { Fill } from '../model/order-events';
import type { ClosedTrade } from '../model/position';
import { mulberry32 } from '../strategy/param-space';
import { AccountBook } from './account-book';

// The reference: decimal.js with enough digits that no product here is rounded before we round it.
const D = Decimal.clone({ precision: 60 });
const HALF_EVEN = Decimal.ROUND_HALF_EVEN;

let tradeSeq = 0;
function makeFill(
  instrument: Instrument,
  trade: { side: 'buy' | 'sell'; qty: number; px: number; fee: number; ts: number; strategyId?: string },
): Fill {
  return {
    type: 'OrderFilled',
    clientOrderId: `o-${tradeSeq}`,
    accountId: 'acc',
    strategyId: trade.strategyId ?? 'strat',
    instrumentId: instrument.id,
    tsEvent: trade.ts,
    venueOrderId: `v-${tradeSeq}`,
    tradeId: `t-${++tradeSeq}`,
    side: trade.side,
    lastQty: trade.qty,
    lastPx: trade.px,
    fee: trade.fee,
    feeCurrency: instrument.quoteCurrency,
    liquiditySide: 'taker',
  };
}

/** True when a × b / divisor (integers) lies exactly halfway between two integers. */
function isTie(a: number, b: number, divisor: number): boolean {
  if (divisor % 2 !== 0) return false;
  const product = a * b;
  if (Number.isSafeInteger(product)) return Math.abs(product % divisor) === divisor / 2;
  const big = BigInt(a) * BigInt(b);
  const rest = big % BigInt(divisor);
  return (rest < 0n ? -rest : rest) === BigInt(divisor / 2);
}

const equityIdentityHolds = (a: AccountBook): boolean =>
  a.equityUnits === a.initialCashUnits + a.realizedUnits + a.unrealizedUnits - a.feeUnits;

describe('AccountBook ledger (1,000,000 random fills against decimal.js)', () => {
  it('keeps cash to the last minor unit and equity = initial + realized + unrealized − fees exactly', () => {
    const SEED = 20240607;
    // LEDGER_FILLS: fewer for a mutation run (a multiple of CHECKPOINTS); the same seeded fills, cut short.
    const FILLS = Number(process.env['LEDGER_FILLS'] ?? 1_000_000);
    const CHECKPOINTS = 10;
    const rand = mulberry32(SEED); // the same million fills on every run
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    const randomRate = (lo: number, hi: number): number => int(lo, hi) / 1e8; // up to 8 decimals

    // 2 and 4 price decimals × 0 and 3 quantity decimals; coarse ticks and lots; round and random 8-decimal rates.
    const specs = [
      { id: 'P2Q0', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.0005 },
      {
        id: 'P2Q3',
        pricePrecision: 2,
        quantityPrecision: 3,
        tickSize: 0.05,
        lotSize: 0.005,
        takerFee: 0.00075,
        makerFee: -0.00025,
      },
      {
        id: 'P4Q0',
        pricePrecision: 4,
        quantityPrecision: 0,
        tickSize: 0.0005,
        lotSize: 10,
        takerFee: 0.0025,
        makerFee: 0,
      },
      { id: 'P4Q3', pricePrecision: 4, quantityPrecision: 3, takerFee: 0.0002, makerFee: 0.00000001 },
      {
        id: 'R2Q0',
        pricePrecision: 2,
        quantityPrecision: 0,
        takerFee: randomRate(1, 300_000),
        makerFee: randomRate(-50_000, 200_000),
      },
      {
        id: 'R2Q3',
        pricePrecision: 2,
        quantityPrecision: 3,
        takerFee: randomRate(1, 300_000),
        makerFee: randomRate(-50_000, 200_000),
      },
      {
        id: 'R4Q0',
        pricePrecision: 4,
        quantityPrecision: 0,
        takerFee: randomRate(1, 300_000),
        makerFee: randomRate(-50_000, 200_000),
      },
      {
        id: 'R4Q3',
        pricePrecision: 4,
        quantityPrecision: 3,
        lotSize: 0.01,
        takerFee: randomRate(1, 300_000),
        makerFee: randomRate(-50_000, 200_000),
      },
    ];
    const instruments = specs.map((spec) => defineInstrument(spec));
    const n = instruments.length;
    // Per instrument: the model's position (quantity units), price (in ticks), decimal.js rates.
    const position = new Array<number>(n).fill(0);
    const priceTicks = instruments.map((inst) =>
      Math.round((inst.pricePrecision === 2 ? 250_00 : 12_3456) / inst.tickUnits),
    );
    const maxTicks = priceTicks.map((t) => t * 8);
    const makerRate = instruments.map((inst) => new D(inst.makerFee));
    const takerRate = instruments.map((inst) => new D(inst.takerFee));
    const maxLots = 2_000;

    const account = new AccountBook({ id: 'acc', initialCash: 1_000_000 });
    // Σ signed notional (buys +, sells −) and Σ fees; cash = initial − both.
    let refSpent = new D(0);
    let refFees = new D(0);
    const refCash = (): Decimal => new D(1_000_000).minus(refSpent).minus(refFees);
    const cents = (d: Decimal): number => d.times(100).toNumber();
    let notionalTies = 0;
    let feeTies = 0;
    let flips = 0;
    let flats = 0;
    let closedTrades = 0;

    const checkpoint = (ts: number): void => {
      const cash = refCash();
      expect(account.cashUnits).toBe(cents(cash));
      expect(account.feeUnits).toBe(cents(refFees));
      // Mark every instrument and check each position's value against decimal.js.
      for (let i = 0; i < n; i++) {
        const inst = instruments[i] as Instrument;
        const markPx = fromUnits((priceTicks[i] as number) * inst.tickUnits, inst.pricePrecision);
        account.mark(inst, markPx, ts);
        const book = account.positions.get(inst.id);
        const q = position[i] as number;
        expect(book?.qtyUnits ?? 0).toBe(q);
        if (book === undefined) continue;
        const value = new D(markPx)
          .times(fromUnits(Math.abs(q), inst.quantityPrecision))
          .toDecimalPlaces(2, HALF_EVEN);
        expect(book.valueUnits).toBe(Math.sign(q) * cents(value));
        // The strategy's virtual book saw the same fills.
        const virtual = account.strategyPositions.get('strat')?.get(inst.id);
        expect(
          virtual && [virtual.qtyUnits, virtual.costUnits, virtual.realizedUnits, virtual.feeUnits],
        ).toEqual([book.qtyUnits, book.costUnits, book.realizedUnits, book.feeUnits]);
      }
      expect(account.openPositions).toBe(position.filter((q) => q !== 0).length);
      let value = 0;
      for (const book of account.positions.values()) value += book.valueUnits;
      expect(account.valueUnits).toBe(value);
      expect(equityIdentityHolds(account)).toBe(true);
      const snap = account.snapshot();
      expect(snap.cash).toBe(cash.toNumber());
      expect(account.cashString()).toBe(cash.toFixed(2));
    };

    for (let k = 1; k <= FILLS; k++) {
      const i = int(0, n - 1);
      const inst = instruments[i] as Instrument;
      const q = position[i] as number;
      const lot = inst.lotUnits;
      // Choose the signed fill in lots: close, flip through zero, or a random trade; stay within ±maxLots.
      const r = rand();
      let lots: number;
      if (q !== 0 && r < 0.08) lots = -q / lot;
      else if (q !== 0 && r < 0.2) lots = -q / lot + (q > 0 ? -1 : 1) * int(1, 300);
      else lots = (rand() < 0.5 ? -1 : 1) * int(1, r > 0.97 ? maxLots : 150);
      if (Math.abs(q / lot + lots) > maxLots) lots = -lots;
      const signedUnits = lots * lot;
      if (q !== 0 && Math.sign(q) !== Math.sign(q + signedUnits) && q + signedUnits !== 0) flips++;
      if (q + signedUnits === 0) flats++;
      position[i] = q + signedUnits;
      // Price: a random walk on the tick grid.
      const ticks = Math.min(maxTicks[i] as number, Math.max(1, (priceTicks[i] as number) + int(-40, 40)));
      priceTicks[i] = ticks;
      const pxUnits = ticks * inst.tickUnits;
      const qtyUnits = Math.abs(signedUnits);
      const maker = rand() < 0.5;
      const rateUnits = maker ? inst.makerFeeUnits : inst.takerFeeUnits;
      // The fee as the venue computes it.
      const feeUnits = feeMinorUnits(inst, { pxUnits, qtyUnits, rateUnits }, 2);
      const fill = makeFill(inst, {
        side: signedUnits > 0 ? 'buy' : 'sell',
        qty: fromUnits(qtyUnits, inst.quantityPrecision),
        px: fromUnits(pxUnits, inst.pricePrecision),
        fee: fromUnits(feeUnits, 2),
        ts: k,
      });
      if (account.applyFill(fill, inst).closed) closedTrades++;

      // The reference, from the fill's decimal numbers.
      const gross = new D(fill.lastPx).times(fill.lastQty);
      const notional = gross.toDecimalPlaces(2, HALF_EVEN);
      const feeExact = gross.times(maker ? (makerRate[i] as Decimal) : (takerRate[i] as Decimal));
      const fee = feeExact.toDecimalPlaces(2, HALF_EVEN);
      // Both are the double nearest to a 2-decimal value, so equal doubles mean equal decimals.
      if (fee.toNumber() !== fill.fee) expect(feeUnits, `fee of fill ${k}`).toBe(cents(fee));
      refSpent = signedUnits > 0 ? refSpent.plus(notional) : refSpent.minus(notional);
      refFees = refFees.plus(fee);
      // Count exact half-cent ties, where half-even and half-up differ.
      const shift = 10 ** (inst.pricePrecision + inst.quantityPrecision - 2);
      if (isTie(pxUnits * qtyUnits, 1, shift)) notionalTies++;
      if (isTie(pxUnits * qtyUnits, rateUnits, shift * 1e8)) feeTies++;

      if (!equityIdentityHolds(account)) expect.fail(`equity identity broken at fill ${k}`);
      if (position[i] === 0) {
        const book = account.positions.get(inst.id);
        if (book?.costUnits !== 0 || book.unrealizedUnits !== 0)
          expect.fail(`flat book keeps a cost at fill ${k}`);
      }
      if (k % (FILLS / CHECKPOINTS) === 0) checkpoint(k);
    }
    checkpoint(FILLS + 1);
    // The full run went through the places that matter (a cut-short one may see few fee ties).
    if (FILLS >= 1_000_000) {
      expect(notionalTies).toBeGreaterThan(1_000);
      expect(feeTies).toBeGreaterThan(1_000);
      expect(flips).toBeGreaterThan(10_000);
      expect(flats).toBeGreaterThan(10_000);
    }
    expect(closedTrades).toBe(flips + flats);
  });
});

describe('AccountBook (examples)', () => {
  const spx = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001 });
  const noFee = defineInstrument({ id: 'THIRD', pricePrecision: 4, quantityPrecision: 0 });

  /** Applies a taker fill with the venue's fee; returns the closed trade, if any. */
  function trade(
    account: AccountBook,
    instrument: Instrument,
    t: { side: 'buy' | 'sell'; qty: number; px: number; ts: number; strategyId?: string },
  ): ClosedTrade | undefined {
    const pxUnits = Math.round(t.px * 10 ** instrument.pricePrecision);
    const qtyUnits = Math.round(t.qty * 10 ** instrument.quantityPrecision);
    const feeUnits = feeMinorUnits(instrument, { pxUnits, qtyUnits, rateUnits: instrument.takerFeeUnits }, 2);
    return account.applyFill(makeFill(instrument, { ...t, fee: fromUnits(feeUnits, 2) }), instrument).closed;
  }

  const units = (a: AccountBook) => ({
    cash: a.cashUnits,
    realized: a.realizedUnits,
    unrealized: a.unrealizedUnits,
    fees: a.feeUnits,
    equity: a.equityUnits,
  });

  it('a closed trade names its strategy only when one strategy made it (a flip opens a new one)', () => {
    const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
    trade(a, spx, { side: 'buy', qty: 10, px: 100, ts: 1, strategyId: 'A' });
    trade(a, spx, { side: 'buy', qty: 5, px: 100, ts: 2, strategyId: 'B' });
    expect(
      trade(a, spx, { side: 'sell', qty: 15, px: 101, ts: 3, strategyId: 'A' })?.strategyId,
    ).toBeUndefined();
    trade(a, spx, { side: 'buy', qty: 10, px: 100, ts: 4, strategyId: 'A' });
    const flipped = trade(a, spx, { side: 'sell', qty: 15, px: 101, ts: 5, strategyId: 'B' });
    expect(flipped?.strategyId).toBeUndefined();
    expect(trade(a, spx, { side: 'buy', qty: 5, px: 100, ts: 6, strategyId: 'B' })?.strategyId).toBe('B');
    trade(a, spx, { side: 'buy', qty: 3, px: 100.01, ts: 7, strategyId: 'A' });
    const one = trade(a, spx, { side: 'sell', qty: 3, px: 100.02, ts: 8, strategyId: 'A' });
    expect(one).toMatchObject({ strategyId: 'A', entryPx: 100.01, exitPx: 100.02 });
  });

  it("a strategy's own round trip is reported from its virtual book, whatever the net book did", () => {
    const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
    const fill = (t: { side: 'buy' | 'sell'; qty: number; px: number; ts: number; strategyId: string }) =>
      a.applyFill(makeFill(spx, { ...t, fee: 0 }), spx);
    expect(fill({ side: 'buy', qty: 10, px: 100, ts: 1, strategyId: 'A' }).strategyClosed).toBeUndefined();
    expect(fill({ side: 'buy', qty: 5, px: 100, ts: 2, strategyId: 'B' }).strategyClosed).toBeUndefined();
    // A sells its 10: the account stays long 5 (no net round trip), A's own trip ends.
    const out = fill({ side: 'sell', qty: 10, px: 103, ts: 3, strategyId: 'A' });
    expect(out.closed).toBeUndefined();
    expect(out.strategyClosed).toMatchObject({
      strategyId: 'A',
      side: 'long',
      quantity: 10,
      pnl: 30,
      entryTs: 1,
      exitTs: 3,
    });
    const b = fill({ side: 'sell', qty: 5, px: 99, ts: 4, strategyId: 'B' });
    expect(b.strategyClosed).toMatchObject({ strategyId: 'B', quantity: 5, pnl: -5 });
    expect(b.closed).toMatchObject({ strategyId: undefined, quantity: 15 });
    const none = a.applyFill(
      makeFill(spx, { side: 'buy', qty: 1, px: 100, ts: 5, fee: 0, strategyId: '' }),
      spx,
    );
    expect(none.strategyClosed).toBeUndefined();
  });

  it("builds a strategy's round trip only when asked; the books move the same either way", () => {
    const run = (describe: boolean) => {
      const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
      const fill = (t: { side: 'buy' | 'sell'; qty: number; px: number; ts: number }) =>
        a.applyFill(makeFill(spx, { ...t, fee: 0.5, strategyId: 'A' }), spx, describe);
      fill({ side: 'buy', qty: 10, px: 100, ts: 1 });
      const out = fill({ side: 'sell', qty: 10, px: 103, ts: 2 });
      const virtual = a.strategyPositions.get('A')?.get(spx.id);
      return { out, cash: a.cashUnits, virtual: virtual?.snapshot() };
    };
    const asked = run(true);
    const not = run(false);
    expect(asked.out.strategyClosed).toMatchObject({ strategyId: 'A', quantity: 10 });
    expect(not.out.strategyClosed).toBeUndefined();
    // The account's own round trip is built regardless.
    expect(not.out.closed).toEqual(asked.out.closed);
    expect(not.cash).toBe(asked.cash);
    expect(not.virtual).toEqual(asked.virtual);
  });

  it('long round trip: cash, PnL and the closed trade', () => {
    const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
    expect(trade(a, spx, { side: 'buy', qty: 10, px: 100, ts: 1 })).toBeUndefined(); // fee 1.00
    expect(units(a)).toEqual({
      cash: 9_899_900,
      realized: 0,
      unrealized: 0,
      fees: 100,
      equity: 9_899_900 + 100_000,
    });
    // Fee 1045 × 0.001 = 1.045 → 1.04 (half-even; half-up would say 1.05).
    const closed = trade(a, spx, { side: 'sell', qty: 10, px: 104.5, ts: 2 });
    expect(units(a)).toEqual({
      cash: 10_004_296,
      realized: 4_500,
      unrealized: 0,
      fees: 204,
      equity: 10_004_296,
    });
    expect(closed).toEqual({
      accountId: 'acc',
      strategyId: 'strat',
      symbol: 'SPX',
      side: 'long',
      entryTs: 1,
      exitTs: 2,
      entryPx: 100,
      exitPx: 104.5,
      quantity: 10,
      pnl: 42.96,
      fees: 2.04,
      returnPct: 0.04296,
    });
    expect(a.snapshot()).toEqual({
      accountId: 'acc',
      currency: 'USD',
      initialCash: 100_000,
      cash: 100_042.96,
      equity: 100_042.96,
      realizedPnl: 45,
      unrealizedPnl: 0,
      feesPaid: 2.04,
      tsLast: 2,
    });
    expect(a.positions.get('SPX')?.snapshot()).toMatchObject({
      quantity: 0,
      avgPx: Number.NaN,
      realizedPnl: 45,
    });
  });

  it('short round trip', () => {
    const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
    trade(a, spx, { side: 'sell', qty: 5, px: 200, ts: 1 }); // +1000.00, fee 1.00
    a.mark(spx, 195, 2);
    expect(a.positions.get('SPX')?.snapshot()).toMatchObject({
      quantity: -5,
      avgPx: 200,
      marketValue: -975,
      unrealizedPnl: 25,
    });
    expect(units(a)).toMatchObject({ cash: 10_099_900, unrealized: 2_500, equity: 10_099_900 - 97_500 });
    // 950.50 back, fee 0.9505 → 0.95.
    const closed = trade(a, spx, { side: 'buy', qty: 5, px: 190.1, ts: 3 });
    expect(units(a)).toEqual({
      cash: 10_004_755,
      realized: 4_950,
      unrealized: 0,
      fees: 195,
      equity: 10_004_755,
    });
    expect(closed).toMatchObject({
      side: 'short',
      entryTs: 1,
      exitTs: 3,
      entryPx: 200,
      exitPx: 190.1,
      quantity: 5,
    });
    expect(closed?.pnl).toBe(47.55);
    expect(closed?.fees).toBe(1.95);
    expect(closed?.returnPct).toBe(4_755 / 100_000);
  });

  it('flips long → short in one fill, splitting that fill’s fee between the two trades', () => {
    const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
    trade(a, spx, { side: 'buy', qty: 10, px: 100, ts: 1 }); // fee 1.00
    // Sell 25 @ 110: closes 10 (+100.00), opens 15 short; fee 2.75 = 1.10 (closing) + 1.65 (opening).
    const first = trade(a, spx, { side: 'sell', qty: 25, px: 110, ts: 2 });
    expect(first).toMatchObject({
      side: 'long',
      entryTs: 1,
      exitTs: 2,
      entryPx: 100,
      exitPx: 110,
      quantity: 10,
      pnl: 97.9,
    });
    expect(first?.fees).toBe(2.1);
    const book = a.positions.get('SPX');
    expect(book && [book.qtyUnits, book.costUnits, book.realizedUnits]).toEqual([-15, -165_000, 10_000]);
    expect(book?.snapshot()).toMatchObject({ quantity: -15, avgPx: 110 });
    const second = trade(a, spx, { side: 'buy', qty: 15, px: 100, ts: 3 }); // fee 1.50, +150.00
    expect(second).toMatchObject({
      side: 'short',
      entryTs: 2,
      exitTs: 3,
      entryPx: 110,
      exitPx: 100,
      quantity: 15,
    });
    expect(second?.fees).toBe(3.15);
    expect(second?.pnl).toBe(146.85);
    expect(units(a)).toEqual({
      cash: 10_024_475,
      realized: 25_000,
      unrealized: 0,
      fees: 525,
      equity: 10_024_475,
    });
  });

  it('closes in parts with a cost basis that does not divide evenly, and loses no cent', () => {
    const a = new AccountBook({ id: 'acc', initialCash: 1_000 });
    // 3 × 33.3333 = 99.9999 → 100.00 paid; each 33.3333 sold → 33.33 received.
    trade(a, noFee, { side: 'buy', qty: 3, px: 33.3333, ts: 1 });
    const book = a.positions.get('THIRD');
    expect(book?.costUnits).toBe(10_000);
    const steps: [number, number, number][] = [];
    for (let ts = 2; ts <= 4; ts++) {
      trade(a, noFee, { side: 'sell', qty: 1, px: 33.3333, ts });
      steps.push([book?.qtyUnits ?? Number.NaN, book?.costUnits ?? Number.NaN, a.realizedUnits]);
    }
    // Cost removed: round(10000/3) = 3333, round(6667/2 = 3333.5) = 3334 (half-even), the last 3333.
    expect(steps).toEqual([
      [2, 6_667, 0],
      [1, 3_333, -1],
      [0, 0, -1],
    ]);
    expect(a.cashUnits).toBe(100_000 - 10_000 + 3 * 3_333);
    expect(a.cashUnits - a.initialCashUnits).toBe(a.realizedUnits);
    expect(equityIdentityHolds(a)).toBe(true);
  });

  it('keeps a strategy’s virtual book beside the account’s net book', () => {
    const a = new AccountBook({ id: 'acc', initialCash: 100_000 });
    a.applyFill(makeFill(spx, { side: 'buy', qty: 10, px: 100, fee: 1, ts: 1, strategyId: 'a' }), spx);
    a.applyFill(makeFill(spx, { side: 'sell', qty: 4, px: 101, fee: 0.4, ts: 2, strategyId: 'b' }), spx);
    expect(a.positions.get('SPX')?.qtyUnits).toBe(6);
    expect(a.strategyPositions.get('a')?.get('SPX')?.snapshot()).toMatchObject({
      quantity: 10,
      strategyId: 'a',
      markPx: 100,
    });
    expect(a.strategyPositions.get('b')?.get('SPX')?.snapshot()).toMatchObject({
      quantity: -4,
      strategyId: 'b',
      markPx: 100,
    });
    // Virtual books follow the net book's mark (fills do not move the mark; bars do).
    a.mark(spx, 102, 3);
    expect(a.strategyPositions.get('a')?.get('SPX')?.snapshot().unrealizedPnl).toBe(20);
    expect(a.strategyPositions.get('b')?.get('SPX')?.snapshot().unrealizedPnl).toBe(-4);
  });

  it('refuses a fill in another currency', () => {
    const eur = defineInstrument({
      id: 'DAX',
      pricePrecision: 2,
      quantityPrecision: 0,
      quoteCurrency: 'EUR',
    });
    const a = new AccountBook({ id: 'acc', initialCash: 100 });
    expect(() => a.applyFill(makeFill(eur, { side: 'buy', qty: 1, px: 1, fee: 0, ts: 1 }), eur)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(a.cashUnits).toBe(10_000);
  });
});

describe('AccountBook edges', () => {
  const spx = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });
  const fill = (f: Partial<Fill>): Fill =>
    ({
      type: 'OrderFilled',
      clientOrderId: 'c',
      accountId: 'acc',
      strategyId: 's1',
      instrumentId: 'SPX',
      tsEvent: 1,
      venueOrderId: 'v',
      tradeId: `t${Math.random()}`,
      side: 'buy',
      lastQty: 1,
      lastPx: 100,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'taker',
      ...f,
    }) as Fill;

  it('initial cash must be a finite amount ≥ 0 on the currency grid', () => {
    for (const initialCash of [-0.01, Number.NaN, Number.POSITIVE_INFINITY, 1.005]) {
      let error: unknown;
      try {
        new AccountBook({ id: 'a', initialCash });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({
        code: 'INVALID_CONFIG',
        message: `account a: initialCash ${initialCash} must be ≥ 0 with at most 2 decimals`,
      });
    }
    expect(new AccountBook({ id: 'a', initialCash: 0 }).cashUnits).toBe(0);
  });

  it('refuses a fill quoted in another currency, naming both', () => {
    const book = new AccountBook({ id: 'a', initialCash: 100, currency: 'EUR' });
    expect(() => book.applyFill(fill({}), spx)).toThrow('account a holds EUR; SPX is quoted in USD');
  });

  it('counts the instruments with a position: open, add, flip, close', () => {
    const eth = defineInstrument({ id: 'ETH', pricePrecision: 2, quantityPrecision: 0 });
    const book = new AccountBook({ id: 'acc', initialCash: 100_000 });
    const counts: number[] = [];
    const step = (f: Partial<Fill>, instrument = spx) => {
      book.applyFill(fill({ instrumentId: instrument.id, ...f }), instrument);
      counts.push(book.openPositions);
    };
    step({ side: 'buy', lastQty: 2 }); // SPX +2
    step({ side: 'buy', lastQty: 1 }); // SPX +3
    step({ side: 'sell', lastQty: 1 }, eth); // ETH -1
    step({ side: 'sell', lastQty: 5 }); // SPX flips to -2
    step({ side: 'buy', lastQty: 2 }); // SPX flat
    step({ side: 'buy', lastQty: 1 }, eth); // ETH flat
    expect(counts).toEqual([1, 1, 2, 2, 1, 0]);
  });

  it("a fill without a strategy moves only the account's book; marks reach books with or without strategies", () => {
    const book = new AccountBook({ id: 'acc', initialCash: 10_000 });
    book.applyFill(fill({ strategyId: '' }), spx);
    expect(book.strategyPositions.size).toBe(0);
    book.mark(spx, 110, 2);
    expect(book.valueUnits).toBe(11_000);
    book.applyFill(fill({ strategyId: 's1', tsEvent: 3 }), spx);
    book.mark(spx, 120, 4);
    expect(book.strategyPositions.get('s1')?.get('SPX')?.markPxUnits).toBe(12_000);
  });
});
