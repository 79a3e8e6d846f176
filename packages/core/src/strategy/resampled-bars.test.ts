import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sma, sma } from '../data/indicators/index';
import { resampleBars } from '../data/resample';
import { runBacktest } from '../engine/backtest';
import { TradingEngine } from '../engine/trading-engine';
import { isRxtradeError } from '../errors';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import { ManualClock } from '../ports/clock';
import { BaseStrategy, type StrategyOptions } from './base-strategy';
import type { ResampledBars, ResampleStrategyOptions } from './resampled-bars';
import { type OrderCommandSink, StrategyHost } from './strategy-host';

const MIN = 60_000;
const H = 60 * MIN;
const T = Date.UTC(2024, 2, 5); // a Tuesday, 00:00 UTC
const X = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });
const Y = defineInstrument({ id: 'Y', pricePrecision: 2, quantityPrecision: 0 });

/** `b(ts, open, high, low, close, volume)` of symbol X. */
const b = (ts: number, ...[open, high, low, close, volume]: number[]): Bar => ({
  symbol: 'X',
  ts,
  open: open as number,
  high: high as number,
  low: low as number,
  close: close as number,
  volume: volume as number,
});
const hhmm = (ts: number): string => new Date(ts).toISOString().slice(11, 16);
const ohlcv = (bar: Bar): string =>
  `${hhmm(bar.ts)} ${bar.open}/${bar.high}/${bar.low}/${bar.close}/${bar.volume}`;

// Minute bars (ts = the minute's open). 11:59 is missing, no bar at all in 12:00-13:58, and the 13:00
// hour's only bar is its last minute.
const minutes: Bar[] = [
  b(T + 9 * H + 58 * MIN, 100, 101, 99, 100.5, 10),
  b(T + 9 * H + 59 * MIN, 100.5, 102, 100, 101, 20),
  b(T + 10 * H, 101, 101.5, 100.2, 101.2, 5),
  b(T + 10 * H + 17 * MIN, 101.2, 104, 101, 103, 7),
  b(T + 10 * H + 59 * MIN, 103, 103.5, 98.5, 99, 8),
  b(T + 11 * H + 30 * MIN, 99, 99.5, 98, 98.8, 1),
  b(T + 13 * H + 59 * MIN, 97, 98, 96, 97.5, 4),
  b(T + 14 * H, 97.5, 98.2, 97, 98, 2),
];

/** Records, at each onBar, the hourly bars the minute completed and the SMA(2) of hourly closes. */
class Recorder extends BaseStrategy<Record<string, never>> {
  readonly hourly: ResampledBars;
  readonly hourlySma: Sma;
  readonly seen: string[] = [];
  constructor(options: StrategyOptions<Record<string, never>>, resample: ResampleStrategyOptions = {}) {
    super(options);
    this.hourly = this.resample('1h', resample);
    this.hourlySma = this.hourly.track(new Sma(2));
  }
  override onBar(bar: Bar): void {
    const { hourly } = this;
    this.seen.push(
      `${hhmm(bar.ts)} new=${hourly.isNew} [${hourly.completed.map(ohlcv).join(', ')}] last=${hourly.last ? hhmm(hourly.last.ts) : '-'} n=${hourly.count} sma=${this.hourlySma.value}`,
    );
  }
}

const nullSink: OrderCommandSink = { submit: () => undefined, cancel: () => false };

function hostWith(strategy: BaseStrategy<object>, instruments = [X]): StrategyHost {
  const host = new StrategyHost({ instruments, sink: nullSink, clock: new ManualClock(T) });
  host.add(strategy);
  host.start();
  return host;
}

describe('BaseStrategy.resample: completed bars only, by hand', () => {
  it('without the input timeframe, an hour arrives with the first bar of a later hour', () => {
    const s = new Recorder({ symbols: ['X'] });
    const host = hostWith(s);
    for (const m of minutes) host.onBar(m);
    // 09:00 = [100 / max(101,102) / min(99,100) / 101 / 30]; 10:00 = [101 / 104 / 98.5 / 99 / 20];
    // 11:00 = [99 / 99.5 / 98 / 98.8 / 1]; 13:00 = [97 / 98 / 96 / 97.5 / 4]. SMA(2) of 101, 99, 98.8, 97.5.
    expect(s.seen).toEqual([
      '09:58 new=false [] last=- n=0 sma=NaN',
      '09:59 new=false [] last=- n=0 sma=NaN',
      '10:00 new=true [09:00 100/102/99/101/30] last=09:00 n=1 sma=NaN',
      '10:17 new=false [] last=09:00 n=1 sma=NaN',
      '10:59 new=false [] last=09:00 n=1 sma=NaN',
      '11:30 new=true [10:00 101/104/98.5/99/20] last=10:00 n=2 sma=100',
      '13:59 new=true [11:00 99/99.5/98/98.8/1] last=11:00 n=3 sma=98.9',
      '14:00 new=true [13:00 97/98/96/97.5/4] last=13:00 n=4 sma=98.15',
    ]);
  });

  it("with inputTimeframe '1m', an hour arrives with its 59th minute; a missing one, with the next bar", () => {
    const s = new Recorder({ symbols: ['X'] }, { inputTimeframe: '1m' });
    const host = hostWith(s);
    for (const m of minutes) host.onBar(m);
    expect(s.seen).toEqual([
      '09:58 new=false [] last=- n=0 sma=NaN',
      '09:59 new=true [09:00 100/102/99/101/30] last=09:00 n=1 sma=NaN',
      '10:00 new=false [] last=09:00 n=1 sma=NaN',
      '10:17 new=false [] last=09:00 n=1 sma=NaN',
      '10:59 new=true [10:00 101/104/98.5/99/20] last=10:00 n=2 sma=100',
      '11:30 new=false [] last=10:00 n=2 sma=100',
      // 11:59 never came: 11:00 completes with 13:59, which also completes 13:00 (its only bar).
      '13:59 new=true [11:00 99/99.5/98/98.8/1, 13:00 97/98/96/97.5/4] last=13:00 n=4 sma=98.15',
      '14:00 new=false [] last=13:00 n=4 sma=98.15',
    ]);
  });

  it('resamples a second feed: only its bars count, and isNew holds for the bar that completed it', () => {
    class TwoFeeds extends BaseStrategy {
      readonly yHourly = this.resample('1h', { symbol: 'Y', inputTimeframe: '1m' });
      readonly seen: string[] = [];
      override onBar(bar: Bar): void {
        this.seen.push(`${bar.symbol} ${hhmm(bar.ts)} ${this.yHourly.isNew} ${this.yHourly.last?.close}`);
      }
    }
    const s = new TwoFeeds({ symbols: ['X', 'Y'] });
    const host = hostWith(s, [X, Y]);
    for (const m of minutes.slice(0, 3)) {
      host.onBar(m);
      host.onBar({ ...m, symbol: 'Y', close: m.close + 1000 });
    }
    expect(s.seen).toEqual([
      'X 09:58 false undefined',
      'Y 09:58 false undefined',
      'X 09:59 false undefined',
      'Y 09:59 true 1101',
      'X 10:00 false 1101',
      'Y 10:00 false 1101',
    ]);
  });

  it('warm-up (engine.warmUp, as `rxtrade paper` runs it) resamples without onBar; the live bars go on from there', async () => {
    const s = new Recorder({ symbols: ['X'] }, { inputTimeframe: '1m' });
    const clock = new ManualClock(T);
    const engine = new TradingEngine({ instruments: [X], strategies: [s], clock });
    await engine.start();
    for (const m of minutes.slice(0, 5)) {
      clock.set(m.ts);
      engine.warmUp(m);
    }
    expect(s.seen).toEqual([]);
    expect(s.hourly.count).toBe(2);
    expect(s.hourlySma.value).toBe(100);
    for (const m of minutes.slice(5)) {
      clock.set(m.ts);
      engine.processBar(m);
    }
    expect(s.seen).toEqual([
      '11:30 new=false [] last=10:00 n=2 sma=100',
      '13:59 new=true [11:00 99/99.5/98/98.8/1, 13:00 97/98/96/97.5/4] last=13:00 n=4 sma=98.15',
      '14:00 new=false [] last=13:00 n=4 sma=98.15',
    ]);
    await engine.stop();
  });

  it('refuses a bad timeframe, an input timeframe it is not a multiple of, and a symbol the strategy does not trade', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (error) {
        return isRxtradeError(error) ? error.code : 'not an RxtradeError';
      }
      return undefined;
    };
    expect(code(() => new Recorder({ symbols: ['X'] }, { inputTimeframe: '7m' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new Recorder({ symbols: ['X'] }, { inputTimeframe: '2h' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new Recorder({ symbols: ['X'] }, { inputTimeframe: '1x' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new Recorder({ symbols: ['X'] }, { symbol: 'Y' }))).toBe('INVALID_CONFIG');
    expect(
      code(
        () => new Recorder({ symbols: ['X'] }, { inputTimeframe: '1m', extra: 1 } as ResampleStrategyOptions),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => new Recorder({ symbols: ['X'] }, { inputTimeframe: '5m' }))).toBeUndefined();
    class Bad extends BaseStrategy {
      readonly h = this.resample('1 hour');
      override onBar(): void {}
    }
    expect(code(() => new Bad())).toBe('INVALID_ARGUMENT');
  });

  it('fails the strategy (INVALID_MESSAGE) on a bar off the grid its inputTimeframe declares', () => {
    const events: string[] = [];
    const s = new Recorder({ symbols: ['X'] }, { inputTimeframe: '5m' });
    const host = new StrategyHost({
      instruments: [X],
      sink: nullSink,
      onStrategyEvent: (e) => events.push(e.type === 'StrategyFailed' ? `failed: ${e.message}` : e.type),
    });
    host.add(s);
    host.start();
    host.onBar(b(T + 10 * H + 55 * MIN, 1, 1, 1, 1, 1));
    host.onBar(b(T + 10 * H + 57 * MIN, 1, 1, 1, 1, 1));
    expect(s.seen).toHaveLength(1);
    expect(events).toEqual([
      'StrategyStarted',
      "failed: resample('1h'): a X bar at 2024-03-05T10:57:00.000Z is not on the 5m grid its inputTimeframe declares",
      'StrategyStopped',
    ]);
  });

  it('a strategy of every symbol that names none resamples the first symbol and fails on a second (INVALID_CONFIG)', () => {
    const events: string[] = [];
    const s = new Recorder({});
    const host = new StrategyHost({
      instruments: [X, Y],
      sink: nullSink,
      onStrategyEvent: (e) => events.push(e.type === 'StrategyFailed' ? `failed: ${e.message}` : e.type),
    });
    host.add(s);
    host.start();
    host.onBar(minutes[0] as Bar);
    expect(s.hourly.symbol).toBe('X');
    host.onBar({ ...(minutes[1] as Bar), symbol: 'Y' });
    expect(events).toEqual([
      'StrategyStarted',
      "failed: resample('1h'): got a Y bar after X bars; the strategy gets several symbols, so say which one with { symbol }",
      'StrategyStopped',
    ]);
  });
});

/** Bars of one symbol on a `step`-ms grid with random gaps (1 to 200 steps between bars), from a random start. */
const barsEvery = (step: number) =>
  fc
    .record({
      start: fc.integer({ min: 0, max: 20_000 }),
      gaps: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 300 }),
      prices: fc.array(fc.integer({ min: 5, max: 10_000 }), { minLength: 300, maxLength: 300 }),
    })
    .map(({ start, gaps, prices }) => {
      let ts = T + start * step;
      return gaps.map((gap, i): Bar => {
        ts += gap * step;
        const p = prices[i] as number;
        return { symbol: 'X', ts, open: p, high: p + 3, low: p - 4, close: p + (i % 5) - 2, volume: i };
      });
    });

describe('BaseStrategy.resample == resampleBars (property)', () => {
  it.each([
    ['15m', undefined],
    ['1h', undefined],
    ['1h', '1m'],
    ['4h', '5m'],
    ['1d', '1m'],
    ['1w', '1h'],
  ] as const)(
    '%s (input %s): the same bars, each delivered from the bars before it only; SMA on them == sma()',
    (timeframe, inputTimeframe) => {
      const inputMs = inputTimeframe ? ms(inputTimeframe) : 0;
      fc.assert(
        fc.property(barsEvery(inputMs || MIN), (bars) => {
          const delivered: { bar: Bar; at: number }[] = [];
          const smaSeen: number[] = [];
          class Collect extends BaseStrategy {
            readonly tf = this.resample(timeframe, inputTimeframe ? { inputTimeframe } : {});
            readonly avg = this.tf.track(new Sma(3));
            i = 0;
            override onBar(): void {
              for (const bar of this.tf.completed) delivered.push({ bar, at: this.i });
              if (this.tf.isNew) smaSeen.push(this.avg.value);
              this.i++;
            }
          }
          const host = hostWith(new Collect({ symbols: ['X'] }));
          for (const bar of bars) host.onBar(bar);
          const all = resampleBars(bars, { timeframe });
          // Every bucket but the last is complete; the last too when its last input bar came (and was declared).
          const last = all[all.length - 1] as Bar;
          const lastDone =
            inputMs > 0 && (bars[bars.length - 1] as Bar).ts + inputMs === last.ts + ms(timeframe);
          const complete = lastDone ? all : all.slice(0, -1);
          expect(delivered.map((d) => d.bar)).toEqual(complete);
          for (const { bar, at } of delivered) {
            // No look-ahead: a bar delivered at input `at` is what resampling the inputs up to `at` gives, and no
            // later input belongs to it.
            const upTo = resampleBars(bars.slice(0, at + 1), { timeframe });
            expect(upTo.find((u) => u.ts === bar.ts)).toEqual(bar);
            expect(bars.slice(at + 1).every((later) => later.ts >= bar.ts + ms(timeframe))).toBe(true);
          }
          // Indicators tracked on the timeframe see exactly its bars.
          const batch = Array.from(
            sma(
              complete.map((c) => c.close),
              3,
            ),
          );
          expect(smaSeen).toEqual(lastOfEachGroup(delivered, batch));
        }),
        { numRuns: 60 },
      );
    },
  );
});

function ms(timeframe: string): number {
  const unit = { m: MIN, h: H, d: 24 * H, w: 7 * 24 * H } as Record<string, number>;
  return Number(timeframe.slice(0, -1)) * (unit[timeframe.slice(-1)] as number);
}

/** The batch value after the last bar delivered at each input (one entry per input that completed any). */
function lastOfEachGroup(delivered: { at: number }[], batch: number[]): number[] {
  const out: number[] = [];
  delivered.forEach((d, k) => {
    if (delivered[k + 1]?.at !== d.at) out.push(batch[k] as number);
  });
  return out;
}

describe('runBacktest with a resampled timeframe (golden, by hand)', () => {
  it('buys on the minute that completes an up hour, sells on the one that completes a down hour', async () => {
    class HourlyDirection extends BaseStrategy {
      readonly hourly = this.resample('1h', { inputTimeframe: '1m' });
      override onBar(): void {
        const h = this.hourly.last;
        if (!this.hourly.isNew || h === undefined) return;
        if (h.close > h.open && this.position() === 0) this.buy(10);
        else if (h.close < h.open && this.position() > 0) this.close();
      }
    }
    const result = await runBacktest({
      strategies: new HourlyDirection({ symbols: ['X'] }),
      data: minutes,
      instruments: [X],
      accounts: [{ id: 'main', initialCash: 10_000 }],
    });
    // 09:00 is up (100 -> 101): buy at 09:59; a market order fills at the next bar's open, 10:00's 101.
    // 10:00 is down (101 -> 99): sell at 10:59, filled at 11:30's open 99. 11:00 down (flat: nothing),
    // 13:00 up (97 -> 97.5): buy at 13:59, filled at 14:00's open 97.5.
    expect(result.fills.map((f) => `${hhmm(f.tsEvent)} ${f.side} ${f.lastQty}@${f.lastPx}`)).toEqual([
      '10:00 buy 10@101',
      '11:30 sell 10@99',
      '14:00 buy 10@97.5',
    ]);
  });
});
