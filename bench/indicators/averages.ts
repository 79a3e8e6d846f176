/**
 * Indicator bench group: SMA(20), EMA(20) and MACD(12, 26, 9), each with a plain loop, a hand-written streaming class, rxtrade and the
 * libraries (see bench/indicators.ts for the fairness rules).
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { Ema, ema, Macd, macd, Sma, sma } from '../../packages/core/src/data/indicators/index';
import { type Case, HAND, type Inputs, streaming, sumFinite, sumRows } from './harness';

// ---------------------------------------------------------------------------------------------- SMA(20)

function plainSma(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const period = 20;
  const ring = new Float64Array(period);
  let idx = 0;
  let sum = 0;
  let comp = 0;
  for (let i = 0; i < period - 1; i++) {
    ring[idx++] = xs[i] as number;
    sum += xs[i] as number; // exact enough for the seed; the steady loop below carries the compensation
  }
  let cs = 0;
  for (let i = period - 1; i < n; i++) {
    const x = xs[i] as number;
    const old = ring[idx] as number;
    ring[idx] = x;
    const d = x - old;
    let z = d - x;
    const ed = x - (d - z) + (-old - z);
    let s = sum + d;
    z = s - sum;
    let c = comp + (sum - (s - z) + (d - z) + ed);
    if (++idx === period) {
      idx = 0;
      const f = s + c;
      z = f - s;
      c = s - (f - z) + (c - z);
      s = f;
    }
    sum = s;
    comp = c;
    cs += (s + c) / period;
  }
  return cs;
}

function plainSmaNaive(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const period = 20;
  const ring = new Float64Array(period);
  let idx = 0;
  let sum = 0;
  for (let i = 0; i < period - 1; i++) {
    ring[idx++] = xs[i] as number;
    sum += xs[i] as number;
  }
  let cs = 0;
  for (let i = period - 1; i < n; i++) {
    const x = xs[i] as number;
    sum += x - (ring[idx] as number);
    ring[idx] = x;
    if (++idx === period) idx = 0;
    cs += sum / period;
  }
  return cs;
}

/**
 * Hand-written streaming SMA: the plain loop's compensated ring sum with its state in fields between calls; no input
 * check, no readiness API (NaN until the ring has wrapped once). The ring starts at zero, so the warm-up inputs go
 * through the same compensated update (removing a zero is exact).
 */
class HandSma {
  private readonly period: number = 0;
  private readonly ring: Float64Array;
  private idx = 0;
  private sum = 0;
  private comp = 0;
  private ready = false;

  constructor(period: number) {
    this.period = period;
    this.ring = new Float64Array(period);
  }

  update(x: number): number {
    const ring = this.ring;
    const i = this.idx;
    const old = ring[i] as number;
    ring[i] = x;
    const d = x - old;
    let z = d - x;
    const ed = x - (d - z) + (-old - z);
    const sum = this.sum;
    let s = sum + d;
    z = s - sum;
    let c = this.comp + (sum - (s - z) + (d - z) + ed);
    if (i + 1 === this.period) {
      this.idx = 0;
      this.ready = true;
      const f = s + c;
      z = f - s;
      c = s - (f - z) + (c - z);
      s = f;
    } else {
      this.idx = i + 1;
    }
    this.sum = s;
    this.comp = c;
    return this.ready ? (s + c) / this.period : Number.NaN;
  }
}

function handSma(ind: HandSma, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursSma(ind: Sma, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchSma(inp: Inputs, n: number): number {
  return sumFinite(sma(inp.closes.subarray(0, n), 20));
}

function tsSma(ind: ts.SMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null) cs += v;
  }
  return cs;
}

function tiSma(ind: ti.SMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixSma(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().sma(inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- EMA(20)

function plainEma(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const period = 20;
  const alpha = 2 / (period + 1);
  const beta = (period - 1) / (period + 1);
  let e = 0;
  for (let i = 0; i < period; i++) e += xs[i] as number;
  e /= period;
  let cs = e;
  for (let i = period; i < n; i++) {
    e = (xs[i] as number) * alpha + e * beta;
    cs += e;
  }
  return cs;
}

/** Hand-written streaming EMA: the plain loop's recurrence with the average in a field; SMA seed, NaN until then. */
class HandEma {
  private readonly period: number = 0;
  private readonly alpha: number = Number.NaN;
  private readonly beta: number = Number.NaN;
  private count = 0;
  private ema = 0;

  constructor(period: number) {
    this.period = period;
    this.alpha = 2 / (period + 1);
    this.beta = (period - 1) / (period + 1);
  }

  update(x: number): number {
    if (this.count === this.period) {
      const e = x * this.alpha + this.ema * this.beta;
      this.ema = e;
      return e;
    }
    this.ema += x;
    if (++this.count < this.period) return Number.NaN;
    this.ema /= this.period;
    return this.ema;
  }
}

function handEma(ind: HandEma, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursEma(ind: Ema, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchEma(inp: Inputs, n: number): number {
  return sumFinite(ema(inp.closes.subarray(0, n), 20));
}

function tsEma(ind: ts.EMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    ind.update(xs[i] as number, false);
    if (ind.isStable) cs += ind.getResultOrThrow();
  }
  return cs;
}

function tiEma(ind: ti.EMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixEma(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().ema(inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- MACD(12, 26, 9)

function plainMacd(inp: Inputs, n: number): number {
  const xs = inp.closes;
  const fp = 12;
  const sp = 26;
  const gp = 9;
  const fa = 2 / (fp + 1);
  const sa = 2 / (sp + 1);
  const ga = 2 / (gp + 1);
  const fb = (fp - 1) / (fp + 1);
  const sb = (sp - 1) / (sp + 1);
  const gb = (gp - 1) / (gp + 1);
  // Warm-up: SMA seeds, then the EMAs until the signal's seed is complete.
  let f = 0;
  let s = 0;
  for (let i = 0; i < sp; i++) {
    const x = xs[i] as number;
    if (i < fp) f += x;
    else {
      if (i === fp) f /= fp;
      f = x * fa + f * fb;
    }
    s += x;
  }
  s /= sp;
  let g = f - s;
  for (let i = sp; i < sp + gp - 1; i++) {
    const x = xs[i] as number;
    f = x * fa + f * fb;
    s = x * sa + s * sb;
    g += f - s;
  }
  g /= gp;
  let cs = f - s + g + (f - s - g);
  for (let i = sp + gp - 1; i < n; i++) {
    const x = xs[i] as number;
    f = x * fa + f * fb;
    s = x * sa + s * sb;
    const line = f - s;
    g = line * ga + g * gb;
    cs += line + g + (line - g);
  }
  return cs;
}

/**
 * Hand-written streaming MACD: the plain loop's three EMAs (each SMA-seeded) with the averages in fields; returns the
 * line and leaves the signal and histogram in fields.
 */
class HandMacd {
  signal = Number.NaN;
  histogram = Number.NaN;
  private readonly fp: number = 0;
  private readonly sp: number = 0;
  private readonly gp: number = 0;
  private readonly fa: number = Number.NaN;
  private readonly sa: number = Number.NaN;
  private readonly ga: number = Number.NaN;
  private readonly fb: number = Number.NaN;
  private readonly sb: number = Number.NaN;
  private readonly gb: number = Number.NaN;
  private count = 0;
  private ready = false;
  private f = 0;
  private s = 0;
  private g = 0;

  constructor(fast: number, slow: number, signal: number) {
    this.fp = fast;
    this.sp = slow;
    this.gp = signal;
    this.fa = 2 / (fast + 1);
    this.sa = 2 / (slow + 1);
    this.ga = 2 / (signal + 1);
    this.fb = (fast - 1) / (fast + 1);
    this.sb = (slow - 1) / (slow + 1);
    this.gb = (signal - 1) / (signal + 1);
  }

  update(x: number): number {
    if (this.ready) {
      const f = x * this.fa + this.f * this.fb;
      const s = x * this.sa + this.s * this.sb;
      this.f = f;
      this.s = s;
      const line = f - s;
      const g = line * this.ga + this.g * this.gb;
      this.g = g;
      this.signal = g;
      this.histogram = line - g;
      return line;
    }
    return this.warm(x);
  }

  /** SMA seeds accumulate in the EMA slots until each period is complete. */
  private warm(x: number): number {
    const n = ++this.count;
    if (n < this.fp) this.f += x;
    else if (n === this.fp) this.f = (this.f + x) / this.fp;
    else this.f = x * this.fa + this.f * this.fb;
    if (n < this.sp) {
      this.s += x;
      return Number.NaN;
    }
    if (n === this.sp) this.s = (this.s + x) / this.sp;
    else this.s = x * this.sa + this.s * this.sb;
    const line = this.f - this.s;
    this.g += line;
    if (n - this.sp + 1 < this.gp) return Number.NaN;
    const g = this.g / this.gp;
    this.g = g;
    this.ready = true;
    this.signal = g;
    this.histogram = line - g;
    return line;
  }
}

function handMacd(ind: HandMacd, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v + ind.signal + ind.histogram;
  }
  return cs;
}

function oursMacd(ind: Macd, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v + ind.signal + ind.histogram;
  }
  return cs;
}

function oursBatchMacd(inp: Inputs, n: number): number {
  const m = macd(inp.closes.subarray(0, n), { fast: 12, slow: 26, signal: 9 });
  return sumRows(m.macd, m.signal, m.histogram);
}

function tsMacd(ind: ts.MACD, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null) cs += v.macd + v.signal + v.histogram;
  }
  return cs;
}

function tiMacd(ind: ti.MACD, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v?.signal !== undefined && v.histogram !== undefined)
      cs += (v.MACD as number) + v.signal + v.histogram;
  }
  return cs;
}

function ixMacd(inp: Inputs, n: number): number {
  const [line, signal, hist] = new IndicatorsSync().macd(inp.closeArray, 12, 26, 9, n);
  return sumFinite(line as number[]) + sumFinite(signal as number[]) + sumFinite(hist as number[]);
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  { indicator: 'SMA(20)', implementation: 'plain loop', kind: 'plain', reference: true, run: plainSma },
  {
    indicator: 'SMA(20)',
    implementation: 'plain loop, uncompensated (drifts)',
    kind: 'plain',
    run: plainSmaNaive,
  },
  {
    indicator: 'SMA(20)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandSma(20), handSma),
  },
  {
    indicator: 'SMA(20)',
    implementation: 'rxtrade Sma',
    kind: 'streaming',
    run: streaming(() => new Sma(20), oursSma),
  },
  { indicator: 'SMA(20)', implementation: 'rxtrade sma (batch)', kind: 'batch', run: oursBatchSma },
  {
    indicator: 'SMA(20)',
    implementation: 'trading-signals SMA',
    kind: 'streaming',
    run: streaming(() => new ts.SMA(20), tsSma),
  },
  {
    indicator: 'SMA(20)',
    implementation: 'technicalindicators SMA.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.SMA({ period: 20, values: [] }), tiSma),
  },
  { indicator: 'SMA(20)', implementation: '@ixjb94/indicators sma (batch)', kind: 'batch', run: ixSma },
  { indicator: 'EMA(20)', implementation: 'plain loop', kind: 'plain', reference: true, run: plainEma },
  {
    indicator: 'EMA(20)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandEma(20), handEma),
  },
  {
    indicator: 'EMA(20)',
    implementation: 'rxtrade Ema',
    kind: 'streaming',
    run: streaming(() => new Ema(20), oursEma),
  },
  { indicator: 'EMA(20)', implementation: 'rxtrade ema (batch)', kind: 'batch', run: oursBatchEma },
  {
    indicator: 'EMA(20)',
    implementation: 'trading-signals EMA',
    kind: 'streaming',
    run: streaming(() => new ts.EMA(20), tsEma),
  },
  {
    indicator: 'EMA(20)',
    implementation: 'technicalindicators EMA.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.EMA({ period: 20, values: [] }), tiEma),
  },
  { indicator: 'EMA(20)', implementation: '@ixjb94/indicators ema (batch)', kind: 'batch', run: ixEma },
  {
    indicator: 'MACD(12,26,9)',
    implementation: 'plain loop',
    kind: 'plain',
    reference: true,
    run: plainMacd,
  },
  {
    indicator: 'MACD(12,26,9)',
    implementation: HAND,
    kind: 'hand-streaming',
    run: streaming(() => new HandMacd(12, 26, 9), handMacd),
  },
  {
    indicator: 'MACD(12,26,9)',
    implementation: 'rxtrade Macd',
    kind: 'streaming',
    run: streaming(() => new Macd(12, 26, 9), oursMacd),
  },
  { indicator: 'MACD(12,26,9)', implementation: 'rxtrade macd (batch)', kind: 'batch', run: oursBatchMacd },
  {
    indicator: 'MACD(12,26,9)',
    implementation: 'trading-signals MACD',
    kind: 'streaming',
    run: streaming(() => new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9)), tsMacd),
  },
  {
    indicator: 'MACD(12,26,9)',
    implementation: 'technicalindicators MACD.nextValue',
    kind: 'streaming',
    run: streaming(
      () =>
        new ti.MACD({
          fastPeriod: 12,
          slowPeriod: 26,
          signalPeriod: 9,
          SimpleMAOscillator: false,
          SimpleMASignal: false,
          values: [],
        }),
      tiMacd,
    ),
  },
  {
    indicator: 'MACD(12,26,9)',
    implementation: '@ixjb94/indicators macd (batch)',
    kind: 'batch',
    run: ixMacd,
  },
];
