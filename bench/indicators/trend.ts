/**
 * Indicator bench group: Parabolic SAR, Supertrend(10, 3), Keltner(20, 10, 2), Ichimoku(9, 26, 52) and the Chandelier exit(22, 3). rxtrade against every library that has each indicator (no plain loop: see
 * bench/indicators.ts); the harness prints one `target:` line per indicator.
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import {
  ChandelierExit,
  chandelierExit,
  Ichimoku,
  ichimoku,
  KeltnerChannel,
  keltnerChannel,
  ParabolicSar,
  parabolicSar,
  Supertrend,
  supertrend,
} from '../../packages/core/src/data/indicators/index';
import { type BenchBar, type Case, columns, type Inputs, streaming, sumColumns, sumFinite } from './harness';

// ---------------------------------------------------------------------------------------------- PSAR(0.02,0.2)

function oursPsar(ind: ParabolicSar, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchPsar(inp: Inputs, n: number): number {
  return sumFinite(parabolicSar(columns(inp, n)));
}

function tsPsar(ind: ts.PSAR, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiPsar(ind: ti.PSAR, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixPsar(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().psar(inp.highArray, inp.lowArray, 0.02, 0.2, n));
}

// ---------------------------------------------------------------------------------------------- Supertrend(10,3)

function oursSupertrend(ind: Supertrend, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.direction;
  }
  return cs;
}

function oursBatchSupertrend(inp: Inputs, n: number): number {
  return sumColumns(Object.values(supertrend(columns(inp, n))));
}

function tsSupertrend(ind: ts.SuperTrend, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v.supertrend + (v.trend === ts.TradingSignal.BULLISH ? 1 : -1);
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- Keltner(20,10,2)

function oursKeltner(ind: KeltnerChannel, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.upper + ind.lower;
  }
  return cs;
}

function oursBatchKeltner(inp: Inputs, n: number): number {
  return sumColumns(Object.values(keltnerChannel(columns(inp, n))));
}

function tsKeltner(ind: ts.KeltnerChannels, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v.middle + v.upper + v.lower;
  }
  return cs;
}

function tiKeltner(ind: ti.KeltnerChannels, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v.middle + v.upper + v.lower;
  }
  return cs;
}

function ixKeltner(inp: Inputs, n: number): number {
  return sumColumns(new IndicatorsSync().kc(inp.highArray, inp.lowArray, inp.closeArray, 20, 2, n));
}

// ---------------------------------------------------------------------------------------------- Ichimoku(9,26,52)

function oursIchimoku(ind: Ichimoku, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.base + ind.spanA + ind.spanB;
  }
  return cs;
}

function oursBatchIchimoku(inp: Inputs, n: number): number {
  return sumColumns(Object.values(ichimoku(columns(inp, n))));
}

function tsIchimoku(ind: ts.IchimokuCloud, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v.conversion + v.base + v.spanA + v.spanB;
  }
  return cs;
}

function tiIchimoku(ind: ti.IchimokuCloud, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v.conversion + v.base + v.spanA + v.spanB;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- ChandelierExit(22,3)

function oursChandelier(ind: ChandelierExit, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v + ind.shortStop;
  }
  return cs;
}

function oursBatchChandelier(inp: Inputs, n: number): number {
  return sumColumns(Object.values(chandelierExit(columns(inp, n))));
}

function tsChandelier(ind: ts.ChandelierExit, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as BenchBar, false);
    if (v !== null && v !== undefined) cs += v.long + v.short;
  }
  return cs;
}

function tiChandelier(ind: ti.ChandelierExit, inp: Inputs, n: number): number {
  const xs = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as never);
    if (v !== undefined) cs += v.exitLong + v.exitShort;
  }
  return cs;
}

function ixChandelier(inp: Inputs, n: number): number {
  return sumColumns(new IndicatorsSync().ce(inp.highArray, inp.lowArray, inp.closeArray, 22, 3, n));
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  {
    indicator: 'PSAR(0.02,0.2)',
    implementation: 'rxtrade ParabolicSar',
    kind: 'streaming',
    run: streaming(() => new ParabolicSar(0.02, 0.2), oursPsar),
  },
  {
    indicator: 'PSAR(0.02,0.2)',
    implementation: 'rxtrade parabolicSar (batch)',
    kind: 'batch',
    run: oursBatchPsar,
  },
  {
    indicator: 'PSAR(0.02,0.2)',
    implementation: 'trading-signals PSAR',
    kind: 'streaming',
    run: streaming(() => new ts.PSAR({ accelerationStep: 0.02, accelerationMax: 0.2 }), tsPsar),
  },
  {
    indicator: 'PSAR(0.02,0.2)',
    implementation: 'technicalindicators PSAR.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.PSAR({ step: 0.02, max: 0.2, high: [], low: [] }), tiPsar),
  },
  {
    indicator: 'PSAR(0.02,0.2)',
    implementation: '@ixjb94/indicators psar (batch)',
    kind: 'batch',
    run: ixPsar,
  },
  {
    indicator: 'Supertrend(10,3)',
    implementation: 'rxtrade Supertrend',
    kind: 'streaming',
    run: streaming(() => new Supertrend(10, 3), oursSupertrend),
  },
  {
    indicator: 'Supertrend(10,3)',
    implementation: 'rxtrade supertrend (batch)',
    kind: 'batch',
    run: oursBatchSupertrend,
  },
  {
    indicator: 'Supertrend(10,3)',
    implementation: 'trading-signals SuperTrend',
    kind: 'streaming',
    run: streaming(() => new ts.SuperTrend({ interval: 10, multiplier: 3 }), tsSupertrend),
  },
  {
    indicator: 'Keltner(20,10,2)',
    implementation: 'rxtrade KeltnerChannel',
    kind: 'streaming',
    run: streaming(() => new KeltnerChannel(20, 10, 2), oursKeltner),
  },
  {
    indicator: 'Keltner(20,10,2)',
    implementation: 'rxtrade keltnerChannel (batch)',
    kind: 'batch',
    run: oursBatchKeltner,
  },
  {
    indicator: 'Keltner(20,10,2)',
    implementation: 'trading-signals KeltnerChannels',
    kind: 'streaming',
    run: streaming(
      () => new ts.KeltnerChannels({ atrInterval: 10, emaInterval: 20, multiplier: 2 }),
      tsKeltner,
    ),
  },
  {
    indicator: 'Keltner(20,10,2)',
    implementation: 'technicalindicators KeltnerChannels.nextValue',
    kind: 'streaming',
    run: streaming(
      () =>
        new ti.KeltnerChannels({
          maPeriod: 20,
          atrPeriod: 10,
          useSMA: false,
          multiplier: 2,
          high: [],
          low: [],
          close: [],
        }),
      tiKeltner,
    ),
  },
  {
    indicator: 'Keltner(20,10,2)',
    implementation: '@ixjb94/indicators kc (batch)',
    kind: 'batch',
    run: ixKeltner,
  },
  {
    indicator: 'Ichimoku(9,26,52)',
    implementation: 'rxtrade Ichimoku',
    kind: 'streaming',
    run: streaming(() => new Ichimoku(9, 26, 52), oursIchimoku),
  },
  {
    indicator: 'Ichimoku(9,26,52)',
    implementation: 'rxtrade ichimoku (batch)',
    kind: 'batch',
    run: oursBatchIchimoku,
  },
  {
    indicator: 'Ichimoku(9,26,52)',
    implementation: 'trading-signals IchimokuCloud',
    kind: 'streaming',
    run: streaming(() => new ts.IchimokuCloud(), tsIchimoku),
  },
  {
    indicator: 'Ichimoku(9,26,52)',
    implementation: 'technicalindicators IchimokuCloud.nextValue',
    kind: 'streaming',
    run: streaming(
      () =>
        new ti.IchimokuCloud({
          conversionPeriod: 9,
          basePeriod: 26,
          spanPeriod: 52,
          displacement: 26,
          high: [],
          low: [],
        }),
      tiIchimoku,
    ),
  },
  {
    indicator: 'ChandelierExit(22,3)',
    implementation: 'rxtrade ChandelierExit',
    kind: 'streaming',
    run: streaming(() => new ChandelierExit(22, 3), oursChandelier),
  },
  {
    indicator: 'ChandelierExit(22,3)',
    implementation: 'rxtrade chandelierExit (batch)',
    kind: 'batch',
    run: oursBatchChandelier,
  },
  {
    indicator: 'ChandelierExit(22,3)',
    implementation: 'trading-signals ChandelierExit',
    kind: 'streaming',
    run: streaming(() => new ts.ChandelierExit(), tsChandelier),
  },
  {
    indicator: 'ChandelierExit(22,3)',
    implementation: 'technicalindicators ChandelierExit.nextValue',
    kind: 'streaming',
    run: streaming(
      () => new ti.ChandelierExit({ period: 22, multiplier: 3, high: [], low: [], close: [] }),
      tiChandelier,
    ),
  },
  {
    indicator: 'ChandelierExit(22,3)',
    implementation: '@ixjb94/indicators ce (batch)',
    kind: 'batch',
    run: ixChandelier,
  },
];
