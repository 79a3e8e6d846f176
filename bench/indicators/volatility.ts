/**
 * Indicator bench group: Bollinger(20, 2) and ATR(14), each with a plain loop, a hand-written streaming class, rxtrade and the
 * libraries (see bench/indicators.ts for the fairness rules).
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { Atr, atr, BollingerBands, bollingerBands } from '../../packages/core/src/data/indicators/index';
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

// ---------------------------------------------------------------------------------------------- Bollinger(20, 2)

/** Rebuild of the shifted compensated moments (same as RollingMoments.recenter); returns the new shift. */
function recenter(ring: Float64Array, state: Float64Array): number {
  const p = ring.length;
  let mean = 0;
  for (let j = 0; j < p; j++) mean += ring[j] as number;
  mean /= p;
  let shift = ring[0] as number;
  for (let j = 1; j < p; j++) {
    const x = ring[j] as number;
    if (Math.abs(x - mean) < Math.abs(shift - mean)) shift = x;
  }
  let s1 = 0;
  let c1 = 0;
  let s2 = 0;
  let c2 = 0;
  for (let j = 0; j < p; j++) {
    const d = (ring[j] as number) - shift;
    let t = s1 + d;
    let z = t - s1;
    c1 += s1 - (t - z) + (d - z);
    s1 = t;
    const q = d * d;
    t = s2 + q;
    z = t - s2;
    c2 += s2 - (t - z) + (q - z);
    s2 = t;
  }
  state[0] = s1;
  state[1] = c1;
  state[2] = s2;
  state[3] = c2;
  return shift;
}

function plainBollinger(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const p = 20;
  const k = 2;
  const ring = new Float64Array(p);
  const state = new Float64Array(4);
  let idx = 0;
  let shift = xs[0] as number;
  let s1 = 0;
  let c1 = 0;
  let s2 = 0;
  let c2 = 0;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    const dNew = x - shift;
    const dOld = i >= p ? (ring[idx] as number) - shift : 0;
    ring[idx] = x;
    const wrap = ++idx === p;
    if (wrap) idx = 0;
    let a = dNew - dOld;
    let z = a - dNew;
    let e = dNew - (a - z) + (-dOld - z);
    let t = s1 + a;
    z = t - s1;
    c1 += s1 - (t - z) + (a - z) + e;
    if (wrap) {
      const f = t + c1;
      z = f - t;
      c1 = t - (f - z) + (c1 - z);
      t = f;
    }
    s1 = t;
    const qNew = dNew * dNew;
    const qOld = dOld * dOld;
    a = qNew - qOld;
    z = a - qNew;
    e = qNew - (a - z) + (-qOld - z);
    t = s2 + a;
    z = t - s2;
    c2 += s2 - (t - z) + (a - z) + e;
    if (wrap) {
      const f = t + c2;
      z = f - t;
      c2 = t - (f - z) + (c2 - z);
      t = f;
    }
    s2 = t;
    if (i < p - 1) continue;
    let m = (s1 + c1) / p;
    let v = (s2 + c2) / p - m * m;
    if (m * m > 1e4 * v) {
      shift = recenter(ring, state);
      s1 = state[0] as number;
      c1 = state[1] as number;
      s2 = state[2] as number;
      c2 = state[3] as number;
      m = (s1 + c1) / p;
      v = (s2 + c2) / p - m * m;
    }
    const sd = Math.sqrt(Math.max(v, 0));
    const mid = shift + m;
    cs += mid + (mid + k * sd) + (mid - k * sd);
  }
  return cs;
}

function plainBollingerNaive(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const p = 20;
  const k = 2;
  const ring = new Float64Array(p);
  let idx = 0;
  let s1 = 0;
  let s2 = 0;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    const old = ring[idx] as number;
    ring[idx] = x;
    if (++idx === p) idx = 0;
    s1 += x - old;
    s2 += x * x - old * old;
    if (i < p - 1) continue;
    const m = s1 / p;
    const v = s2 / p - m * m;
    const sd = Math.sqrt(Math.max(v, 0));
    cs += m + (m + k * sd) + (m - k * sd);
  }
  return cs;
}

/**
 * Hand-written streaming Bollinger Bands: the plain loop's shifted compensated moments (same TwoSums, fold once per
 * pass, same re-centring) with the state in fields; returns the middle band and leaves the other two in fields.
 */
class HandBollinger {
  upper = Number.NaN;
  lower = Number.NaN;
  private readonly period: number = 0;
  private readonly k: number = Number.NaN;
  private readonly ring: Float64Array;
  private readonly state = new Float64Array(4);
  private idx = 0;
  private count = 0;
  private shift = 0;
  private s1 = 0;
  private c1 = 0;
  private s2 = 0;
  private c2 = 0;

  constructor(period: number, k: number) {
    this.period = period;
    this.k = k;
    this.ring = new Float64Array(period);
  }

  update(x: number): number {
    const p = this.period;
    if (this.count < p) return this.warm(x);
    const ring = this.ring;
    const i = this.idx;
    const shift = this.shift;
    const dNew = x - shift;
    const dOld = (ring[i] as number) - shift;
    ring[i] = x;
    const wrap = i + 1 === p;
    this.idx = wrap ? 0 : i + 1;
    let a = dNew - dOld;
    let z = a - dNew;
    let e = dNew - (a - z) + (-dOld - z);
    let s = this.s1;
    let t = s + a;
    z = t - s;
    let c = this.c1 + (s - (t - z) + (a - z) + e);
    if (wrap) {
      const f = t + c;
      z = f - t;
      c = t - (f - z) + (c - z);
      t = f;
    }
    this.s1 = t;
    this.c1 = c;
    const m = (t + c) / p;
    const qNew = dNew * dNew;
    const qOld = dOld * dOld;
    a = qNew - qOld;
    z = a - qNew;
    e = qNew - (a - z) + (-qOld - z);
    s = this.s2;
    t = s + a;
    z = t - s;
    c = this.c2 + (s - (t - z) + (a - z) + e);
    if (wrap) {
      const f = t + c;
      z = f - t;
      c = t - (f - z) + (c - z);
      t = f;
    }
    this.s2 = t;
    this.c2 = c;
    return this.bands(m, (t + c) / p - m * m);
  }

  /** Warm-up: the first input becomes the shift, later ones are added; nothing leaves the window yet. */
  private warm(x: number): number {
    const p = this.period;
    const i = this.idx;
    this.ring[i] = x;
    this.idx = i + 1 === p ? 0 : i + 1;
    if (this.count++ === 0) this.shift = x;
    const d = x - this.shift;
    let s = this.s1;
    let t = s + d;
    let z = t - s;
    let c = this.c1 + (s - (t - z) + (d - z));
    if (this.count === p) {
      const f = t + c;
      z = f - t;
      c = t - (f - z) + (c - z);
      t = f;
    }
    this.s1 = t;
    this.c1 = c;
    const m = (t + c) / p;
    const q = d * d;
    s = this.s2;
    t = s + q;
    z = t - s;
    c = this.c2 + (s - (t - z) + (q - z));
    if (this.count === p) {
      const f = t + c;
      z = f - t;
      c = t - (f - z) + (c - z);
      t = f;
    }
    this.s2 = t;
    this.c2 = c;
    if (this.count < p) return Number.NaN;
    return this.bands(m, (t + c) / p - m * m);
  }

  private bands(m: number, v: number): number {
    if (m * m > 1e4 * v) {
      const p = this.period;
      const st = this.state;
      this.shift = recenter(this.ring, st);
      this.s1 = st[0] as number;
      this.c1 = st[1] as number;
      this.s2 = st[2] as number;
      this.c2 = st[3] as number;
      m = (this.s1 + this.c1) / p;
      v = (this.s2 + this.c2) / p - m * m;
    }
    const sd = Math.sqrt(Math.max(v, 0));
    const mid = this.shift + m;
    this.upper = mid + this.k * sd;
    this.lower = mid - this.k * sd;
    return mid;
  }
}

function handBollinger(ind: HandBollinger, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v + ind.upper + ind.lower;
  }
  return cs;
}

function oursBollinger(ind: BollingerBands, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v + ind.upper + ind.lower;
  }
  return cs;
}

function oursBatchBollinger(inp: Inputs, n: number): number {
  const b = bollingerBands(inp.closes.subarray(0, n), { period: 20, multiplier: 2 });
  return sumRows(b.middle, b.upper, b.lower);
}

function tsBollinger(ind: ts.BollingerBands, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null) cs += v.middle + v.upper + v.lower;
  }
  return cs;
}

function tiBollinger(ind: ti.BollingerBands, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v.middle + v.upper + v.lower;
  }
  return cs;
}

function ixBollinger(inp: Inputs, n: number): number {
  const [lower, middle, upper] = new IndicatorsSync().bbands(inp.closeArray, 20, 2, n);
  return sumFinite(middle as number[]) + sumFinite(upper as number[]) + sumFinite(lower as number[]);
}

// ---------------------------------------------------------------------------------------------- ATR(14)

function plainAtr(inp: Inputs, n: number): number {
  const bars = inp.bars;
  const p = 14;
  const keep = (p - 1) / p;
  const rate = 1 / p;
  let pc = (bars[0] as BenchBar).close;
  let atr = 0;
  for (let i = 1; i <= p; i++) {
    const b = bars[i] as BenchBar;
    atr += Math.max(b.high - b.low, Math.abs(b.high - pc), Math.abs(b.low - pc));
    pc = b.close;
  }
  atr /= p;
  let cs = atr;
  for (let i = p + 1; i < n; i++) {
    const b = bars[i] as BenchBar;
    const h = b.high;
    const l = b.low;
    let tr = h - l;
    const u = Math.abs(h - pc);
    const d = Math.abs(l - pc);
    if (u > tr) tr = u;
    if (d > tr) tr = d;
    pc = b.close;
    atr = atr * keep + tr * rate;
    cs += atr;
  }
  return cs;
}

/** Hand-written streaming ATR: Wilder average of the true range seeded with the mean of the first `period`. */
class HandAtr {
  private readonly period: number = 0;
  private readonly keep: number = Number.NaN;
  private readonly rate: number = Number.NaN;
  private count = 0;
  private pc = 0;
  private atr = 0;

  constructor(period: number) {
    this.period = period;
    this.keep = (period - 1) / period;
    this.rate = 1 / period;
  }

  update(bar: BenchBar): number {
    const h = bar.high;
    const l = bar.low;
    const pc = this.pc;
    this.pc = bar.close;
    let tr = h - l;
    const u = Math.abs(h - pc);
    const d = Math.abs(l - pc);
    if (u > tr) tr = u;
    if (d > tr) tr = d;
    if (this.count > this.period) {
      const atr = this.atr * this.keep + tr * this.rate;
      this.atr = atr;
      return atr;
    }
    if (this.count++ === 0) return Number.NaN;
    this.atr += tr;
    if (this.count <= this.period) return Number.NaN;
    this.atr /= this.period;
    return this.atr;
  }
}

function handAtr(ind: HandAtr, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursAtr(ind: Atr, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchAtr(inp: Inputs, n: number): number {
  return sumFinite(atr(columns(inp, n), 14));
}

function tsAtr(ind: ts.ATR, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar, false);
    if (v !== null) cs += v;
  }
  return cs;
}

function tiAtr(ind: ti.ATR, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(bars[i] as BenchBar) as number | undefined;
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixAtr(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().atr(inp.highArray, inp.lowArray, inp.closeArray, 14, n));
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  {
    indicator: 'Bollinger(20,2)',
    implementation: 'plain loop',
    kind: 'plain',
    reference: true,
    run: plainBollinger,
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: 'plain loop, textbook sum/sum² (drifts, cancels)',
    kind: 'plain',
    run: plainBollingerNaive,
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandBollinger(20, 2), handBollinger),
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: 'rxtrade BollingerBands',
    kind: 'streaming',
    run: streaming(() => new BollingerBands(20, 2), oursBollinger),
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: 'rxtrade bollingerBands (batch)',
    kind: 'batch',
    run: oursBatchBollinger,
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: 'trading-signals BollingerBands',
    kind: 'streaming',
    run: streaming(() => new ts.BollingerBands(20, 2), tsBollinger),
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: 'technicalindicators BollingerBands.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.BollingerBands({ period: 20, stdDev: 2, values: [] }), tiBollinger),
  },
  {
    indicator: 'Bollinger(20,2)',
    implementation: '@ixjb94/indicators bbands (batch)',
    kind: 'batch',
    run: ixBollinger,
  },
  { indicator: 'ATR(14)', implementation: 'plain loop', kind: 'plain', reference: true, run: plainAtr },
  {
    indicator: 'ATR(14)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandAtr(14), handAtr),
  },
  {
    indicator: 'ATR(14)',
    implementation: 'rxtrade Atr',
    kind: 'streaming',
    run: streaming(() => new Atr(14), oursAtr),
  },
  { indicator: 'ATR(14)', implementation: 'rxtrade atr (batch)', kind: 'batch', run: oursBatchAtr },
  {
    indicator: 'ATR(14)',
    implementation: 'trading-signals ATR',
    kind: 'streaming',
    run: streaming(() => new ts.ATR(14), tsAtr),
  },
  {
    indicator: 'ATR(14)',
    implementation: 'technicalindicators ATR.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.ATR({ period: 14, high: [], low: [], close: [] }), tiAtr),
  },
  { indicator: 'ATR(14)', implementation: '@ixjb94/indicators atr (batch)', kind: 'batch', run: ixAtr },
];
