/**
 * Indicator bench group: WMA(20), ROC(10), the rolling standard deviation(20), OBV, VWAP and the Donchian
 * channel(20), the indicators of the first set that had no timing yet. rxtrade's streaming class and batch function
 * against every library that has each indicator (no plain loop: see bench/indicators.ts); the harness prints one
 * `target:` line per rxtrade form.
 *
 * Conventions that differ, so checksums do too: technicalindicators' ROC is in percent (rxtrade, trading-signals and
 * @ixjb94 give a fraction); trading-signals' OBV starts a bar later. @ixjb94's `vwap` is a rolling window of `period`
 * bars, not a session VWAP, so it is left out of the VWAP group (a different indicator); its `dc` has no size argument,
 * so it gets arrays of exactly `n` bars, cut before timing.
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import {
  DonchianChannel,
  donchianChannel,
  Obv,
  obv,
  Roc,
  RollingStdDev,
  roc,
  rollingStdDev,
  Vwap,
  vwap,
  Wma,
  wma,
} from '../../packages/core/src/data/indicators/index';
import { type BenchBar, type Case, columns, type Inputs, streaming, sumColumns, sumFinite } from './harness';

// ---------------------------------------------------------------------------------------------- WMA(20)

function oursWma(ind: Wma, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchWma(inp: Inputs, n: number): number {
  return sumFinite(wma(inp.closes.subarray(0, n), 20));
}

function tsWma(ind: ts.WMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiWma(ind: ti.WMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixWma(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().wma(inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- ROC(10)

function oursRoc(ind: Roc, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchRoc(inp: Inputs, n: number): number {
  return sumFinite(roc(inp.closes.subarray(0, n), 10));
}

function tsRoc(ind: ts.ROC, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiRoc(ind: ti.ROC, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixRoc(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().roc(inp.closeArray, 10, n));
}

// ---------------------------------------------------------------------------------------------- StdDev(20)

function oursStdDev(ind: RollingStdDev, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchStdDev(inp: Inputs, n: number): number {
  return sumFinite(rollingStdDev(inp.closes.subarray(0, n), 20));
}

function tiStdDev(ind: ti.SD, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixStdDev(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().stddev(inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- OBV

function oursObv(ind: Obv, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchObv(inp: Inputs, n: number): number {
  const c = columns(inp, n);
  return sumFinite(obv({ close: c.close, volume: c.volume }));
}

function tsObv(ind: ts.OBV, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiObv(ind: ti.OBV, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixObv(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().obv(inp.closeArray, inp.volumeArray, n));
}

// ---------------------------------------------------------------------------------------------- VWAP

function oursVwap(ind: Vwap, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchVwap(inp: Inputs, n: number): number {
  return sumFinite(vwap(columns(inp, n)));
}

function tsVwap(ind: ts.VWAP, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiVwap(ind: ti.VWAP, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- Donchian(20)

function oursDonchian(ind: DonchianChannel, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const middle = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(middle)) cs += ind.upper + middle + ind.lower;
  }
  return cs;
}

function oursBatchDonchian(inp: Inputs, n: number): number {
  const { upper, middle, lower } = donchianChannel(columns(inp, n), 20);
  return sumColumns([upper, middle, lower]);
}

function tsDonchian(ind: ts.DonchianChannels, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const r = ind.update(xs[i] as BenchBar, false);
    if (r !== null && r !== undefined) cs += r.upper + r.middle + r.lower;
  }
  return cs;
}

/** `dc` takes no size: the first `n` highs and lows, cut once per `n` (outside the timed call after warm-up). */
const cut = new Map<number, { highs: number[]; lows: number[] }>();
function ixDonchian(inp: Inputs, n: number): number {
  let arrays = cut.get(n);
  if (arrays === undefined) {
    arrays = { highs: inp.highArray.slice(0, n), lows: inp.lowArray.slice(0, n) };
    cut.set(n, arrays);
  }
  return sumColumns(new IndicatorsSync().dc(arrays.highs, arrays.lows, 20));
}

// ---------------------------------------------------------------------------------------------- cases

export const cases: Case[] = [
  {
    indicator: 'WMA(20)',
    implementation: 'rxtrade Wma',
    kind: 'streaming',
    run: streaming(() => new Wma(20), oursWma),
  },
  { indicator: 'WMA(20)', implementation: 'rxtrade wma (batch)', kind: 'batch', run: oursBatchWma },
  {
    indicator: 'WMA(20)',
    implementation: 'trading-signals WMA',
    kind: 'streaming',
    run: streaming(() => new ts.WMA(20), tsWma),
  },
  {
    indicator: 'WMA(20)',
    implementation: 'technicalindicators WMA.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.WMA({ period: 20, values: [] }), tiWma),
  },
  { indicator: 'WMA(20)', implementation: '@ixjb94/indicators wma (batch)', kind: 'batch', run: ixWma },
  {
    indicator: 'ROC(10)',
    implementation: 'rxtrade Roc',
    kind: 'streaming',
    run: streaming(() => new Roc(10), oursRoc),
  },
  { indicator: 'ROC(10)', implementation: 'rxtrade roc (batch)', kind: 'batch', run: oursBatchRoc },
  {
    indicator: 'ROC(10)',
    implementation: 'trading-signals ROC',
    kind: 'streaming',
    run: streaming(() => new ts.ROC(10), tsRoc),
  },
  {
    indicator: 'ROC(10)',
    implementation: 'technicalindicators ROC.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.ROC({ period: 10, values: [] }), tiRoc),
  },
  { indicator: 'ROC(10)', implementation: '@ixjb94/indicators roc (batch)', kind: 'batch', run: ixRoc },
  {
    indicator: 'StdDev(20)',
    implementation: 'rxtrade RollingStdDev',
    kind: 'streaming',
    run: streaming(() => new RollingStdDev(20), oursStdDev),
  },
  {
    indicator: 'StdDev(20)',
    implementation: 'rxtrade rollingStdDev (batch)',
    kind: 'batch',
    run: oursBatchStdDev,
  },
  {
    indicator: 'StdDev(20)',
    implementation: 'technicalindicators SD.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.SD({ period: 20, values: [] }), tiStdDev),
  },
  {
    indicator: 'StdDev(20)',
    implementation: '@ixjb94/indicators stddev (batch)',
    kind: 'batch',
    run: ixStdDev,
  },
  {
    indicator: 'OBV',
    implementation: 'rxtrade Obv',
    kind: 'streaming',
    run: streaming(() => new Obv(), oursObv),
  },
  { indicator: 'OBV', implementation: 'rxtrade obv (batch)', kind: 'batch', run: oursBatchObv },
  {
    indicator: 'OBV',
    implementation: 'trading-signals OBV',
    kind: 'streaming',
    run: streaming(() => new ts.OBV(2), tsObv),
  },
  {
    indicator: 'OBV',
    implementation: 'technicalindicators OBV.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.OBV({ close: [], volume: [] }), tiObv),
  },
  { indicator: 'OBV', implementation: '@ixjb94/indicators obv (batch)', kind: 'batch', run: ixObv },
  {
    indicator: 'VWAP',
    implementation: 'rxtrade Vwap',
    kind: 'streaming',
    run: streaming(() => new Vwap(), oursVwap),
  },
  { indicator: 'VWAP', implementation: 'rxtrade vwap (batch)', kind: 'batch', run: oursBatchVwap },
  {
    indicator: 'VWAP',
    implementation: 'trading-signals VWAP',
    kind: 'streaming',
    run: streaming(() => new ts.VWAP(), tsVwap),
  },
  {
    indicator: 'VWAP',
    implementation: 'technicalindicators VWAP.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.VWAP({ high: [], low: [], close: [], volume: [] }), tiVwap),
  },
  {
    indicator: 'Donchian(20)',
    implementation: 'rxtrade DonchianChannel',
    kind: 'streaming',
    run: streaming(() => new DonchianChannel(20), oursDonchian),
  },
  {
    indicator: 'Donchian(20)',
    implementation: 'rxtrade donchianChannel (batch)',
    kind: 'batch',
    run: oursBatchDonchian,
  },
  {
    indicator: 'Donchian(20)',
    implementation: 'trading-signals DonchianChannels',
    kind: 'streaming',
    run: streaming(() => new ts.DonchianChannels(20), tsDonchian),
  },
  {
    indicator: 'Donchian(20)',
    implementation: '@ixjb94/indicators dc (batch)',
    kind: 'batch',
    run: ixDonchian,
  },
];
