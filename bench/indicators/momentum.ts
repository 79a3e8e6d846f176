/**
 * Indicator bench group: RSI(14), Stochastic(14, 3, 3) and ADX(14), each with a plain loop, a hand-written streaming class, rxtrade and the
 * libraries (see bench/indicators.ts for the fairness rules).
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { Adx, adx, Rsi, rsi, Stochastic, stochastic } from '../../packages/core/src/data/indicators/index';
import {
  type BenchBar,
  type Case,
  columns,
  HAND,
  type Inputs,
  streaming,
  sumFinite,
  sumRows,
} from './harness';

// ---------------------------------------------------------------------------------------------- RSI(14)

function plainRsi(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const p = 14;
  const keep = (p - 1) / p;
  const rate = 1 / p;
  let g = 0;
  let l = 0;
  for (let i = 1; i <= p; i++) {
    const ch = (xs[i] as number) - (xs[i - 1] as number);
    if (ch > 0) g += ch;
    else l -= ch;
  }
  g /= p;
  l /= p;
  let cs = g + l > 0 ? (100 * g) / (g + l) : 50;
  let prev = xs[p] as number;
  for (let i = p + 1; i < n; i++) {
    const x = xs[i] as number;
    const ch = x - prev;
    prev = x;
    g = g * keep + Math.max(ch, 0) * rate;
    l = l * keep + (ch < 0 ? -ch : 0) * rate;
    const t = g + l;
    cs += t > 0 ? (100 * g) / t : 50;
  }
  return cs;
}

/** Hand-written streaming RSI: Wilder averages seeded with the mean of the first `period` changes, as the plain loop. */
class HandRsi {
  private readonly period: number = 0;
  private readonly keep: number = Number.NaN;
  private readonly rate: number = Number.NaN;
  private count = 0;
  private prev = 0;
  private g = 0;
  private l = 0;

  constructor(period: number) {
    this.period = period;
    this.keep = (period - 1) / period;
    this.rate = 1 / period;
  }

  update(x: number): number {
    const ch = x - this.prev;
    this.prev = x;
    if (this.count > this.period) {
      const g = this.g * this.keep + Math.max(ch, 0) * this.rate;
      const l = this.l * this.keep + (ch < 0 ? -ch : 0) * this.rate;
      this.g = g;
      this.l = l;
      const t = g + l;
      return t > 0 ? (100 * g) / t : 50;
    }
    if (this.count++ === 0) return Number.NaN;
    if (ch > 0) this.g += ch;
    else this.l -= ch;
    if (this.count <= this.period) return Number.NaN;
    const g = this.g / this.period;
    const l = this.l / this.period;
    this.g = g;
    this.l = l;
    return g + l > 0 ? (100 * g) / (g + l) : 50;
  }
}

function handRsi(ind: HandRsi, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursRsi(ind: Rsi, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchRsi(inp: Inputs, n: number): number {
  return sumFinite(rsi(inp.closes.subarray(0, n), 14));
}

function tsRsi(ind: ts.RSI, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null) cs += v;
  }
  return cs;
}

function tiRsi(ind: ti.RSI, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixRsi(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().rsi(inp.closeArray, 14, n));
}

// ---------------------------------------------------------------------------------------------- Stochastic(14, 3, 3)

function plainStochastic(inp: Inputs, n: number): number {
  const bars = inp.bars;
  const kp = 14;
  const sk = 3;
  const dp = 3;
  // Monotonic deques for the highest high and the lowest low (values + insertion index) in power-of-two rings.
  const cap = 16;
  const mask = cap - 1;
  const hv = new Float64Array(cap);
  const hi = new Float64Array(cap);
  const lv = new Float64Array(cap);
  const li = new Float64Array(cap);
  let hHead = 0;
  let hTail = 0;
  let lHead = 0;
  let lTail = 0;
  // Short smoothing windows are re-summed from their rings (as rxtrade does for windows up to 8).
  const kRing = new Float64Array(sk);
  const dRing = new Float64Array(dp);
  let kIdx = 0;
  let kCount = 0;
  let dIdx = 0;
  let dCount = 0;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const b = bars[i] as BenchBar;
    const high = b.high;
    const low = b.low;
    if (hHead !== hTail && hi[hHead] === i - kp) hHead = (hHead + 1) & mask;
    while (hTail !== hHead) {
      const back = (hTail - 1) & mask;
      if ((hv[back] as number) > high) break;
      hTail = back;
    }
    hv[hTail] = high;
    hi[hTail] = i;
    hTail = (hTail + 1) & mask;
    if (lHead !== lTail && li[lHead] === i - kp) lHead = (lHead + 1) & mask;
    while (lTail !== lHead) {
      const back = (lTail - 1) & mask;
      if ((lv[back] as number) < low) break;
      lTail = back;
    }
    lv[lTail] = low;
    li[lTail] = i;
    lTail = (lTail + 1) & mask;
    if (i < kp - 1) continue;
    const hh = hv[hHead] as number;
    const ll = lv[lHead] as number;
    const range = hh - ll;
    const raw = range > 0 ? ((b.close - ll) / range) * 100 : 0;
    // %K = SMA(sk) of raw
    kRing[kIdx] = raw;
    if (++kIdx === sk) kIdx = 0;
    if (kCount < sk && ++kCount < sk) continue;
    const k = ((kRing[0] as number) + (kRing[1] as number) + (kRing[2] as number)) / sk;
    // %D = SMA(dp) of %K
    dRing[dIdx] = k;
    if (++dIdx === dp) dIdx = 0;
    if (dCount < dp && ++dCount < dp) continue;
    cs += k + ((dRing[0] as number) + (dRing[1] as number) + (dRing[2] as number)) / dp;
  }
  return cs;
}

/**
 * Hand-written streaming Stochastic: the plain loop's monotonic deques (power-of-two rings) and re-summed smoothing
 * rings, with the state in fields; returns %K and leaves %D in a field.
 */
class HandStochastic {
  d = Number.NaN;
  private readonly kp: number = 0;
  private readonly sk: number = 0;
  private readonly dp: number = 0;
  private readonly mask: number = 0;
  private readonly hv: Float64Array;
  private readonly hi: Float64Array;
  private readonly lv: Float64Array;
  private readonly li: Float64Array;
  private readonly kRing: Float64Array;
  private readonly dRing: Float64Array;
  private t = 0;
  private hHead = 0;
  private hTail = 0;
  private lHead = 0;
  private lTail = 0;
  private kIdx = 0;
  private kCount = 0;
  private dIdx = 0;
  private dCount = 0;

  constructor(kPeriod: number, smoothK: number, dPeriod: number) {
    let cap = 2;
    while (cap < kPeriod + 1) cap *= 2;
    this.kp = kPeriod;
    this.sk = smoothK;
    this.dp = dPeriod;
    this.mask = cap - 1;
    this.hv = new Float64Array(cap);
    this.hi = new Float64Array(cap);
    this.lv = new Float64Array(cap);
    this.li = new Float64Array(cap);
    this.kRing = new Float64Array(smoothK);
    this.dRing = new Float64Array(dPeriod);
  }

  update(bar: BenchBar): number {
    const high = bar.high;
    const low = bar.low;
    const mask = this.mask;
    const t = this.t++;
    const expired = t - this.kp;
    const hv = this.hv;
    const hi = this.hi;
    let head = this.hHead;
    let tail = this.hTail;
    if (head !== tail && hi[head] === expired) head = (head + 1) & mask;
    while (tail !== head) {
      const back = (tail - 1) & mask;
      if ((hv[back] as number) > high) break;
      tail = back;
    }
    hv[tail] = high;
    hi[tail] = t;
    this.hHead = head;
    this.hTail = (tail + 1) & mask;
    const hh = hv[head] as number;
    const lv = this.lv;
    const li = this.li;
    head = this.lHead;
    tail = this.lTail;
    if (head !== tail && li[head] === expired) head = (head + 1) & mask;
    while (tail !== head) {
      const back = (tail - 1) & mask;
      if ((lv[back] as number) < low) break;
      tail = back;
    }
    lv[tail] = low;
    li[tail] = t;
    this.lHead = head;
    this.lTail = (tail + 1) & mask;
    if (t < this.kp - 1) return Number.NaN;
    const ll = lv[head] as number;
    const range = hh - ll;
    const raw = range > 0 ? ((bar.close - ll) / range) * 100 : 0;
    const kRing = this.kRing;
    const sk = this.sk;
    kRing[this.kIdx] = raw;
    if (++this.kIdx === sk) this.kIdx = 0;
    if (this.kCount < sk && ++this.kCount < sk) return Number.NaN;
    let k = kRing[0] as number;
    for (let j = 1; j < sk; j++) k += kRing[j] as number;
    k /= sk;
    const dRing = this.dRing;
    const dp = this.dp;
    dRing[this.dIdx] = k;
    if (++this.dIdx === dp) this.dIdx = 0;
    if (this.dCount < dp && ++this.dCount < dp) return Number.NaN;
    let d = dRing[0] as number;
    for (let j = 1; j < dp; j++) d += dRing[j] as number;
    this.d = d / dp;
    return k;
  }
}

function handStochastic(ind: HandStochastic, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.d;
  }
  return cs;
}

function oursStochastic(ind: Stochastic, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.d;
  }
  return cs;
}

function oursBatchStochastic(inp: Inputs, n: number): number {
  const s = stochastic(columns(inp, n), { kPeriod: 14, dPeriod: 3, smoothK: 3 });
  return sumRows(s.k, s.d);
}

function tsStochastic(ind: ts.StochasticOscillator, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar, false);
    if (v !== null) cs += v.stochK + v.stochD;
  }
  return cs;
}

/** technicalindicators has no %K slowing: this is the fast stochastic (14, 3), i.e. less work. */
function tiStochastic(ind: ti.Stochastic, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    // Its typings declare the constructor input type for nextValue; it reads high/low/close.
    const v = ind.nextValue(bars[i] as unknown as Parameters<ti.Stochastic['nextValue']>[0]);
    if (v?.d !== undefined) cs += v.k + v.d;
  }
  return cs;
}

function ixStochastic(inp: Inputs, n: number): number {
  const [k, d] = new IndicatorsSync().stoch(inp.highArray, inp.lowArray, inp.closeArray, 14, 3, 3, n);
  return sumFinite(k as number[]) + sumFinite(d as number[]);
}

// ---------------------------------------------------------------------------------------------- ADX(14)

function plainAdx(inp: Inputs, n: number): number {
  const bars = inp.bars;
  const p = 14;
  const keep = (p - 1) / p;
  const rate = 1 / p;
  const first = bars[0] as BenchBar;
  let ph = first.high;
  let pl = first.low;
  let pc = first.close;
  let str = 0;
  let spd = 0;
  let smd = 0;
  let adx = 0;
  let cs = 0;
  for (let i = 1; i < n; i++) {
    const b = bars[i] as BenchBar;
    const h = b.high;
    const l = b.low;
    const up = h - ph;
    const down = pl - l;
    let tr = h - l;
    const u = Math.abs(h - pc);
    const d = Math.abs(l - pc);
    if (u > tr) tr = u;
    if (d > tr) tr = d;
    ph = h;
    pl = l;
    pc = b.close;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    if (i > 2 * p - 1) {
      // steady state (the branch is perfectly predicted after the warm-up)
      str = str * keep + tr;
      spd = spd * keep + pdm;
      smd = smd * keep + mdm;
      const pdi = str > 0 ? (100 * spd) / str : 0;
      const mdi = str > 0 ? (100 * smd) / str : 0;
      const sum = pdi + mdi;
      const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
      adx = adx * keep + dx * rate;
      cs += adx;
      continue;
    }
    if (i <= p) {
      str += tr;
      spd += pdm;
      smd += mdm;
      if (i < p) continue;
    } else {
      str = str * keep + tr;
      spd = spd * keep + pdm;
      smd = smd * keep + mdm;
    }
    const pdi = str > 0 ? (100 * spd) / str : 0;
    const mdi = str > 0 ? (100 * smd) / str : 0;
    const sum = pdi + mdi;
    adx += sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    if (i === 2 * p - 1) {
      adx /= p;
      cs += adx;
    }
  }
  return cs;
}

/** Hand-written streaming ADX: the plain loop's Wilder sums and ADX average with the state in fields. */
class HandAdx {
  private readonly period: number = 0;
  private readonly keep: number = Number.NaN;
  private readonly rate: number = Number.NaN;
  private count = 0;
  private ph = 0;
  private pl = 0;
  private pc = 0;
  private str = 0;
  private spd = 0;
  private smd = 0;
  private adx = 0;

  constructor(period: number) {
    this.period = period;
    this.keep = (period - 1) / period;
    this.rate = 1 / period;
  }

  update(bar: BenchBar): number {
    const h = bar.high;
    const l = bar.low;
    const up = h - this.ph;
    const down = this.pl - l;
    const pc = this.pc;
    this.ph = h;
    this.pl = l;
    this.pc = bar.close;
    let tr = h - l;
    const u = Math.abs(h - pc);
    const d = Math.abs(l - pc);
    if (u > tr) tr = u;
    if (d > tr) tr = d;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    if (this.count >= 2 * this.period) {
      const keep = this.keep;
      const str = this.str * keep + tr;
      const spd = this.spd * keep + pdm;
      const smd = this.smd * keep + mdm;
      this.str = str;
      this.spd = spd;
      this.smd = smd;
      const pdi = str > 0 ? (100 * spd) / str : 0;
      const mdi = str > 0 ? (100 * smd) / str : 0;
      const sum = pdi + mdi;
      const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
      const adx = this.adx * keep + dx * this.rate;
      this.adx = adx;
      return adx;
    }
    return this.warm(tr, pdm, mdm);
  }

  private warm(tr: number, pdm: number, mdm: number): number {
    const i = this.count++;
    if (i === 0) return Number.NaN;
    const p = this.period;
    if (i <= p) {
      this.str += tr;
      this.spd += pdm;
      this.smd += mdm;
      if (i < p) return Number.NaN;
    } else {
      this.str = this.str * this.keep + tr;
      this.spd = this.spd * this.keep + pdm;
      this.smd = this.smd * this.keep + mdm;
    }
    const str = this.str;
    const pdi = str > 0 ? (100 * this.spd) / str : 0;
    const mdi = str > 0 ? (100 * this.smd) / str : 0;
    const sum = pdi + mdi;
    this.adx += sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    if (i < 2 * p - 1) return Number.NaN;
    this.adx /= p;
    return this.adx;
  }
}

function handAdx(ind: HandAdx, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursAdx(ind: Adx, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchAdx(inp: Inputs, n: number): number {
  return sumFinite(adx(columns(inp, n), 14).adx);
}

function tsAdx(ind: ts.ADX, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar, false);
    if (v !== null) cs += v;
  }
  return cs;
}

function tiAdx(ind: ti.ADX, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(bars[i] as unknown as number);
    if (v !== undefined) cs += v.adx;
  }
  return cs;
}

function ixAdx(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().adx(inp.highArray, inp.lowArray, 14, n));
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  { indicator: 'RSI(14)', implementation: 'plain loop', kind: 'plain', reference: true, run: plainRsi },
  {
    indicator: 'RSI(14)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandRsi(14), handRsi),
  },
  {
    indicator: 'RSI(14)',
    implementation: 'rxtrade Rsi',
    kind: 'streaming',
    run: streaming(() => new Rsi(14), oursRsi),
  },
  { indicator: 'RSI(14)', implementation: 'rxtrade rsi (batch)', kind: 'batch', run: oursBatchRsi },
  {
    indicator: 'RSI(14)',
    implementation: 'trading-signals RSI',
    kind: 'streaming',
    run: streaming(() => new ts.RSI(14), tsRsi),
  },
  {
    indicator: 'RSI(14)',
    implementation: 'technicalindicators RSI.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.RSI({ period: 14, values: [] }), tiRsi),
  },
  { indicator: 'RSI(14)', implementation: '@ixjb94/indicators rsi (batch)', kind: 'batch', run: ixRsi },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: 'plain loop',
    kind: 'plain',
    reference: true,
    run: plainStochastic,
  },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandStochastic(14, 3, 3), handStochastic),
  },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: 'rxtrade Stochastic',
    kind: 'streaming',
    run: streaming(() => new Stochastic(14, 3, 3), oursStochastic),
  },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: 'rxtrade stochastic (batch)',
    kind: 'batch',
    run: oursBatchStochastic,
  },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: 'trading-signals StochasticOscillator',
    kind: 'streaming',
    run: streaming(
      () => new ts.StochasticOscillator({ kPeriod: 14, kSlowingPeriod: 3, dPeriod: 3 }),
      tsStochastic,
    ),
  },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: 'technicalindicators Stochastic.nextValue (fast 14,3: no %K slowing)',
    kind: 'streaming',
    run: streaming(
      () => new ti.Stochastic({ period: 14, signalPeriod: 3, high: [], low: [], close: [] }),
      tiStochastic,
    ),
  },
  {
    indicator: 'Stochastic(14,3,3)',
    implementation: '@ixjb94/indicators stoch (batch)',
    kind: 'batch',
    run: ixStochastic,
  },
  { indicator: 'ADX(14)', implementation: 'plain loop', kind: 'plain', reference: true, run: plainAdx },
  {
    indicator: 'ADX(14)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandAdx(14), handAdx),
  },
  {
    indicator: 'ADX(14)',
    implementation: 'rxtrade Adx',
    kind: 'streaming',
    run: streaming(() => new Adx(14), oursAdx),
  },
  { indicator: 'ADX(14)', implementation: 'rxtrade adx (batch)', kind: 'batch', run: oursBatchAdx },
  {
    indicator: 'ADX(14)',
    implementation: 'trading-signals ADX',
    kind: 'streaming',
    run: streaming(() => new ts.ADX(14), tsAdx),
  },
  {
    indicator: 'ADX(14)',
    implementation: 'technicalindicators ADX.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.ADX({ period: 14, high: [], low: [], close: [] }), tiAdx),
  },
  { indicator: 'ADX(14)', implementation: '@ixjb94/indicators adx (batch)', kind: 'batch', run: ixAdx },
];
