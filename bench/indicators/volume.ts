/**
 * Indicator bench group: the A/D line, CMF(20) and the force index(13). rxtrade against every library that has each indicator (no plain loop: see
 * bench/indicators.ts); the harness prints one `target:` line per indicator.
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { Adl, adl, Cmf, cmf, ForceIndex, forceIndex } from '../../packages/core/src/data/indicators/index';
import { type BenchBar, type Case, columns, type Inputs, streaming, sumFinite } from './harness';

// ---------------------------------------------------------------------------------------------- ADL

function oursAdl(ind: Adl, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchAdl(inp: Inputs, n: number): number {
  return sumFinite(adl(columns(inp, n)));
}

function tsAdl(ind: ts.AD, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiAdl(ind: ti.ADL, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixAdl(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().ad(inp.highArray, inp.lowArray, inp.closeArray, inp.volumeArray, n));
}

// ---------------------------------------------------------------------------------------------- CMF(20)

function oursCmf(ind: Cmf, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchCmf(inp: Inputs, n: number): number {
  return sumFinite(cmf(columns(inp, n), 20));
}

function tsCmf(ind: ts.CMF, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function ixCmf(inp: Inputs, n: number): number {
  return sumFinite(
    new IndicatorsSync().cmf(inp.highArray, inp.lowArray, inp.closeArray, inp.volumeArray, 20, n),
  );
}

// ---------------------------------------------------------------------------------------------- ForceIndex(13)

function oursFi(ind: ForceIndex, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchFi(inp: Inputs, n: number): number {
  return sumFinite(forceIndex(columns(inp, n), 13));
}

function tsFi(ind: ts.ForceIndex, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiFi(ind: ti.ForceIndex, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixFi(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().fi(inp.closeArray, inp.volumeArray, 13, n));
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  {
    indicator: 'ADL',
    implementation: 'rxtrade Adl',
    kind: 'streaming',
    run: streaming(() => new Adl(), oursAdl),
  },
  { indicator: 'ADL', implementation: 'rxtrade adl (batch)', kind: 'batch', run: oursBatchAdl },
  {
    indicator: 'ADL',
    implementation: 'trading-signals AD',
    kind: 'streaming',
    run: streaming(() => new ts.AD(), tsAdl),
  },
  {
    indicator: 'ADL',
    implementation: 'technicalindicators ADL.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.ADL({ high: [], low: [], close: [], volume: [] }), tiAdl),
  },
  { indicator: 'ADL', implementation: '@ixjb94/indicators ad (batch)', kind: 'batch', run: ixAdl },
  {
    indicator: 'CMF(20)',
    implementation: 'rxtrade Cmf',
    kind: 'streaming',
    run: streaming(() => new Cmf(20), oursCmf),
  },
  { indicator: 'CMF(20)', implementation: 'rxtrade cmf (batch)', kind: 'batch', run: oursBatchCmf },
  {
    indicator: 'CMF(20)',
    implementation: 'trading-signals CMF',
    kind: 'streaming',
    run: streaming(() => new ts.CMF(20), tsCmf),
  },
  { indicator: 'CMF(20)', implementation: '@ixjb94/indicators cmf (batch)', kind: 'batch', run: ixCmf },
  {
    indicator: 'ForceIndex(13)',
    implementation: 'rxtrade ForceIndex',
    kind: 'streaming',
    run: streaming(() => new ForceIndex(13), oursFi),
  },
  {
    indicator: 'ForceIndex(13)',
    implementation: 'rxtrade forceIndex (batch)',
    kind: 'batch',
    run: oursBatchFi,
  },
  {
    indicator: 'ForceIndex(13)',
    implementation: 'trading-signals ForceIndex',
    kind: 'streaming',
    run: streaming(() => new ts.ForceIndex(13), tsFi),
  },
  {
    indicator: 'ForceIndex(13)',
    implementation: 'technicalindicators ForceIndex.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.ForceIndex({ period: 13, close: [], volume: [] }), tiFi),
  },
  { indicator: 'ForceIndex(13)', implementation: '@ixjb94/indicators fi (batch)', kind: 'batch', run: ixFi },
];
