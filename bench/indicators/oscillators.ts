/**
 * Indicator bench group: CCI(20), Williams %R(14), MFI(14), Aroon(25) and the awesome oscillator(5, 34). rxtrade against every library that has each indicator (no plain loop: see
 * bench/indicators.ts); the harness prints one `target:` line per indicator.
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import {
  Aroon,
  AwesomeOscillator,
  aroon,
  awesomeOscillator,
  Cci,
  cci,
  Mfi,
  mfi,
  WilliamsR,
  williamsR,
} from '../../packages/core/src/data/indicators/index';
import { type BenchBar, type Case, columns, type Inputs, streaming, sumColumns, sumFinite } from './harness';

// ---------------------------------------------------------------------------------------------- CCI(20)

function oursCci(ind: Cci, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchCci(inp: Inputs, n: number): number {
  return sumFinite(cci(columns(inp, n), 20));
}

function tsCci(ind: ts.CCI, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiCci(ind: ti.CCI, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixCci(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().cci(inp.highArray, inp.lowArray, inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- WilliamsR(14)

function oursWilliamsR(ind: WilliamsR, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchWilliamsR(inp: Inputs, n: number): number {
  return sumFinite(williamsR(columns(inp, n), 14));
}

function tsWilliamsR(ind: ts.WilliamsR, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiWilliamsR(ind: ti.WilliamsR, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixWilliamsR(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().willr(inp.highArray, inp.lowArray, inp.closeArray, 14, n));
}

// ---------------------------------------------------------------------------------------------- MFI(14)

function oursMfi(ind: Mfi, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchMfi(inp: Inputs, n: number): number {
  return sumFinite(mfi(columns(inp, n), 14));
}

function tsMfi(ind: ts.MFI, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiMfi(ind: ti.MFI, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixMfi(inp: Inputs, n: number): number {
  return sumFinite(
    new IndicatorsSync().mfi(inp.highArray, inp.lowArray, inp.closeArray, inp.volumeArray, 14, n),
  );
}

// ---------------------------------------------------------------------------------------------- Aroon(25)

function oursAroon(ind: Aroon, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.up + ind.down;
  }
  return cs;
}

function oursBatchAroon(inp: Inputs, n: number): number {
  return sumColumns(Object.values(aroon(columns(inp, n), 25)));
}

function tsAroon(ind: ts.Aroon, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v.aroonUp + v.aroonDown;
  }
  return cs;
}

function ixAroon(inp: Inputs, n: number): number {
  return sumColumns(new IndicatorsSync().aroon(inp.highArray, inp.lowArray, 25, n));
}

// ---------------------------------------------------------------------------------------------- AwesomeOscillator(5,34)

function oursAo(ind: AwesomeOscillator, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchAo(inp: Inputs, n: number): number {
  return sumFinite(awesomeOscillator(columns(inp, n)));
}

function tsAo(ind: ts.AO, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiAo(ind: ti.AwesomeOscillator, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixAo(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().ao(inp.highArray, inp.lowArray, n));
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  {
    indicator: 'CCI(20)',
    implementation: 'rxtrade Cci',
    kind: 'streaming',
    run: streaming(() => new Cci(20), oursCci),
  },
  { indicator: 'CCI(20)', implementation: 'rxtrade cci (batch)', kind: 'batch', run: oursBatchCci },
  {
    indicator: 'CCI(20)',
    implementation: 'trading-signals CCI',
    kind: 'streaming',
    run: streaming(() => new ts.CCI(20), tsCci),
  },
  {
    indicator: 'CCI(20)',
    implementation: 'technicalindicators CCI.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.CCI({ period: 20, high: [], low: [], close: [] }), tiCci),
  },
  { indicator: 'CCI(20)', implementation: '@ixjb94/indicators cci (batch)', kind: 'batch', run: ixCci },
  {
    indicator: 'WilliamsR(14)',
    implementation: 'rxtrade WilliamsR',
    kind: 'streaming',
    run: streaming(() => new WilliamsR(14), oursWilliamsR),
  },
  {
    indicator: 'WilliamsR(14)',
    implementation: 'rxtrade williamsR (batch)',
    kind: 'batch',
    run: oursBatchWilliamsR,
  },
  {
    indicator: 'WilliamsR(14)',
    implementation: 'trading-signals WilliamsR',
    kind: 'streaming',
    run: streaming(() => new ts.WilliamsR(14), tsWilliamsR),
  },
  {
    indicator: 'WilliamsR(14)',
    implementation: 'technicalindicators WilliamsR.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.WilliamsR({ period: 14, high: [], low: [], close: [] }), tiWilliamsR),
  },
  {
    indicator: 'WilliamsR(14)',
    implementation: '@ixjb94/indicators willr (batch)',
    kind: 'batch',
    run: ixWilliamsR,
  },
  {
    indicator: 'MFI(14)',
    implementation: 'rxtrade Mfi',
    kind: 'streaming',
    run: streaming(() => new Mfi(14), oursMfi),
  },
  { indicator: 'MFI(14)', implementation: 'rxtrade mfi (batch)', kind: 'batch', run: oursBatchMfi },
  {
    indicator: 'MFI(14)',
    implementation: 'trading-signals MFI',
    kind: 'streaming',
    run: streaming(() => new ts.MFI(14), tsMfi),
  },
  {
    indicator: 'MFI(14)',
    implementation: 'technicalindicators MFI.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.MFI({ period: 14, high: [], low: [], close: [], volume: [] }), tiMfi),
  },
  { indicator: 'MFI(14)', implementation: '@ixjb94/indicators mfi (batch)', kind: 'batch', run: ixMfi },
  {
    indicator: 'Aroon(25)',
    implementation: 'rxtrade Aroon',
    kind: 'streaming',
    run: streaming(() => new Aroon(25), oursAroon),
  },
  { indicator: 'Aroon(25)', implementation: 'rxtrade aroon (batch)', kind: 'batch', run: oursBatchAroon },
  {
    indicator: 'Aroon(25)',
    implementation: 'trading-signals Aroon',
    kind: 'streaming',
    run: streaming(() => new ts.Aroon(25), tsAroon),
  },
  { indicator: 'Aroon(25)', implementation: '@ixjb94/indicators aroon (batch)', kind: 'batch', run: ixAroon },
  {
    indicator: 'AwesomeOscillator(5,34)',
    implementation: 'rxtrade AwesomeOscillator',
    kind: 'streaming',
    run: streaming(() => new AwesomeOscillator(5, 34), oursAo),
  },
  {
    indicator: 'AwesomeOscillator(5,34)',
    implementation: 'rxtrade awesomeOscillator (batch)',
    kind: 'batch',
    run: oursBatchAo,
  },
  {
    indicator: 'AwesomeOscillator(5,34)',
    implementation: 'trading-signals AO',
    kind: 'streaming',
    run: streaming(() => new ts.AO(5, 34), tsAo),
  },
  {
    indicator: 'AwesomeOscillator(5,34)',
    implementation: 'technicalindicators AwesomeOscillator.nextValue',
    kind: 'streaming',
    run: streaming(
      () => new ti.AwesomeOscillator({ fastPeriod: 5, slowPeriod: 34, high: [], low: [] }),
      tiAo,
    ),
  },
  {
    indicator: 'AwesomeOscillator(5,34)',
    implementation: '@ixjb94/indicators ao (batch)',
    kind: 'batch',
    run: ixAo,
  },
];
