/**
 * Indicator bench group: DEMA(20), TEMA(20), TRIX(18), HMA(16) and KAMA(10). rxtrade against every library that has each indicator (no plain loop: see
 * bench/indicators.ts); the harness prints one `target:` line per indicator.
 */
import { IndicatorsSync } from '@ixjb94/indicators';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import {
  Dema,
  dema,
  Hma,
  hma,
  Kama,
  kama,
  Tema,
  Trix,
  tema,
  trix,
} from '../../packages/core/src/data/indicators/index';
import { type Case, type Inputs, streaming, sumFinite } from './harness';

// ---------------------------------------------------------------------------------------------- DEMA(20)

function oursDema(ind: Dema, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchDema(inp: Inputs, n: number): number {
  return sumFinite(dema(inp.closes.subarray(0, n), 20));
}

function tsDema(ind: ts.DEMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function ixDema(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().dema(inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- TEMA(20)

function oursTema(ind: Tema, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchTema(inp: Inputs, n: number): number {
  return sumFinite(tema(inp.closes.subarray(0, n), 20));
}

function tsTema(ind: ts.TEMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function ixTema(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().tema(inp.closeArray, 20, n));
}

// ---------------------------------------------------------------------------------------------- TRIX(18)

function oursTrix(ind: Trix, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchTrix(inp: Inputs, n: number): number {
  return sumFinite(trix(inp.closes.subarray(0, n), 18));
}

function tsTrix(ind: ts.TRIX, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function tiTrix(ind: ti.TRIX, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.nextValue(xs[i] as number);
    if (v !== undefined) cs += v;
  }
  return cs;
}

function ixTrix(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().trix(inp.closeArray, 18, n));
}

// ---------------------------------------------------------------------------------------------- HMA(16)

function oursHma(ind: Hma, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchHma(inp: Inputs, n: number): number {
  return sumFinite(hma(inp.closes.subarray(0, n), 16));
}

function tsHma(ind: ts.HMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function ixHma(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().hma(inp.closeArray, 16, n));
}

// ---------------------------------------------------------------------------------------------- KAMA(10)

function oursKama(ind: Kama, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function oursBatchKama(inp: Inputs, n: number): number {
  return sumFinite(kama(inp.closes.subarray(0, n), { period: 10 }));
}

function tsKama(ind: ts.KAMA, inp: Inputs, n: number): number {
  const xs = inp.closes;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(xs[i] as number, false);
    if (v !== null && v !== undefined) cs += v;
  }
  return cs;
}

function ixKama(inp: Inputs, n: number): number {
  return sumFinite(new IndicatorsSync().kama(inp.closeArray, 10, n));
}

/** The cases of this group, in printing order. */
export const cases: Case[] = [
  {
    indicator: 'DEMA(20)',
    implementation: 'rxtrade Dema',
    kind: 'streaming',
    run: streaming(() => new Dema(20), oursDema),
  },
  { indicator: 'DEMA(20)', implementation: 'rxtrade dema (batch)', kind: 'batch', run: oursBatchDema },
  {
    indicator: 'DEMA(20)',
    implementation: 'trading-signals DEMA',
    kind: 'streaming',
    run: streaming(() => new ts.DEMA(20), tsDema),
  },
  { indicator: 'DEMA(20)', implementation: '@ixjb94/indicators dema (batch)', kind: 'batch', run: ixDema },
  {
    indicator: 'TEMA(20)',
    implementation: 'rxtrade Tema',
    kind: 'streaming',
    run: streaming(() => new Tema(20), oursTema),
  },
  { indicator: 'TEMA(20)', implementation: 'rxtrade tema (batch)', kind: 'batch', run: oursBatchTema },
  {
    indicator: 'TEMA(20)',
    implementation: 'trading-signals TEMA',
    kind: 'streaming',
    run: streaming(() => new ts.TEMA(20), tsTema),
  },
  { indicator: 'TEMA(20)', implementation: '@ixjb94/indicators tema (batch)', kind: 'batch', run: ixTema },
  {
    indicator: 'TRIX(18)',
    implementation: 'rxtrade Trix',
    kind: 'streaming',
    run: streaming(() => new Trix(18), oursTrix),
  },
  { indicator: 'TRIX(18)', implementation: 'rxtrade trix (batch)', kind: 'batch', run: oursBatchTrix },
  {
    indicator: 'TRIX(18)',
    implementation: 'trading-signals TRIX',
    kind: 'streaming',
    run: streaming(() => new ts.TRIX(18), tsTrix),
  },
  {
    indicator: 'TRIX(18)',
    implementation: 'technicalindicators TRIX.nextValue',
    kind: 'streaming',
    run: streaming(() => new ti.TRIX({ period: 18, values: [] }), tiTrix),
  },
  { indicator: 'TRIX(18)', implementation: '@ixjb94/indicators trix (batch)', kind: 'batch', run: ixTrix },
  {
    indicator: 'HMA(16)',
    implementation: 'rxtrade Hma',
    kind: 'streaming',
    run: streaming(() => new Hma(16), oursHma),
  },
  { indicator: 'HMA(16)', implementation: 'rxtrade hma (batch)', kind: 'batch', run: oursBatchHma },
  {
    indicator: 'HMA(16)',
    implementation: 'trading-signals HMA',
    kind: 'streaming',
    run: streaming(() => new ts.HMA(16), tsHma),
  },
  { indicator: 'HMA(16)', implementation: '@ixjb94/indicators hma (batch)', kind: 'batch', run: ixHma },
  {
    indicator: 'KAMA(10)',
    implementation: 'rxtrade Kama',
    kind: 'streaming',
    run: streaming(() => new Kama(10), oursKama),
  },
  { indicator: 'KAMA(10)', implementation: 'rxtrade kama (batch)', kind: 'batch', run: oursBatchKama },
  {
    indicator: 'KAMA(10)',
    implementation: 'trading-signals KAMA',
    kind: 'streaming',
    run: streaming(() => new ts.KAMA(10), tsKama),
  },
  { indicator: 'KAMA(10)', implementation: '@ixjb94/indicators kama (batch)', kind: 'batch', run: ixKama },
];
