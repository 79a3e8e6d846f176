/**
 * Indicator bench group: the nine candlestick patterns. technicalindicators is the only library with patterns; it has
 * no streaming form and does not export its batch one (`getAllPatternIndex` sits on classes the package does not
 * export), so each bar calls its pattern function on the last bars, the way a streaming caller has to. The window
 * is built in the loop because that is part of that call. Its definitions differ from rxtrade's (see
 * docs/concepts/indicators.md), so the checksums (signal sums) differ too; the target is about speed.
 */
import * as ti from 'technicalindicators';
import {
  Doji,
  doji,
  Engulfing,
  EveningStar,
  engulfing,
  eveningStar,
  Hammer,
  Harami,
  hammer,
  harami,
  MorningStar,
  morningStar,
  ShootingStar,
  shootingStar,
  ThreeBlackCrows,
  ThreeWhiteSoldiers,
  threeBlackCrows,
  threeWhiteSoldiers,
} from '../../packages/core/src/data/indicators/index';
import { type BenchBar, type Case, columns, type Inputs, streaming, sumFinite } from './harness';

interface Window {
  open: number[];
  high: number[];
  low: number[];
  close: number[];
}

/** The `span` bars ending at `end`, as technicalindicators' pattern functions take them. */
function window(inp: Inputs, end: number, span: number): Window {
  const from = end - span + 1;
  return {
    open: inp.openArray.slice(from, end + 1),
    high: inp.highArray.slice(from, end + 1),
    low: inp.lowArray.slice(from, end + 1),
    close: inp.closeArray.slice(from, end + 1),
  };
}

/** The opens as a typed column, made once per input set (outside the timed calls after warm-up). */
const openColumns = new WeakMap<Inputs, Float64Array>();

/** The first `n` bars as the open/high/low/close columns rxtrade's batch pattern functions take (views). */
function candleColumns(inp: Inputs, n: number) {
  let opens = openColumns.get(inp);
  if (opens === undefined) {
    opens = Float64Array.from(inp.openArray);
    openColumns.set(inp, opens);
  }
  const c = columns(inp, n);
  return { open: opens.subarray(0, n), high: c.high, low: c.low, close: c.close };
}

// ---------------------------------------------------------------------------------------------- Doji

function oursDoji(ind: Doji, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiDoji(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 0; i < n; i++) {
    if (ti.doji(window(inp, i, 1))) cs += 1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- Hammer

function oursHammer(ind: Hammer, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiHammer(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 4; i < n; i++) {
    if (ti.hammerpattern(window(inp, i, 5))) cs += 1;
    if (ti.hangingman(window(inp, i, 5))) cs += -1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- ShootingStar

function oursShootingStar(ind: ShootingStar, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiShootingStar(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 4; i < n; i++) {
    if (ti.shootingstar(window(inp, i, 5))) cs += -1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- Engulfing

function oursEngulfing(ind: Engulfing, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiEngulfing(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 1; i < n; i++) {
    if (ti.bullishengulfingpattern(window(inp, i, 2))) cs += 1;
    if (ti.bearishengulfingpattern(window(inp, i, 2))) cs += -1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- Harami

function oursHarami(ind: Harami, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiHarami(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 1; i < n; i++) {
    if (ti.bullishharami(window(inp, i, 2))) cs += 1;
    if (ti.bearishharami(window(inp, i, 2))) cs += -1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- MorningStar

function oursMorningStar(ind: MorningStar, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiMorningStar(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 2; i < n; i++) {
    if (ti.morningstar(window(inp, i, 3))) cs += 1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- EveningStar

function oursEveningStar(ind: EveningStar, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiEveningStar(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 2; i < n; i++) {
    if (ti.eveningstar(window(inp, i, 3))) cs += -1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- ThreeWhiteSoldiers

function oursThreeWhiteSoldiers(ind: ThreeWhiteSoldiers, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiThreeWhiteSoldiers(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 2; i < n; i++) {
    if (ti.threewhitesoldiers(window(inp, i, 3))) cs += 1;
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------- ThreeBlackCrows

function oursThreeBlackCrows(ind: ThreeBlackCrows, inp: Inputs, n: number): number {
  const bars = inp.bars;
  let cs = 0;
  for (let i = 0; i < n; i++) {
    const v = ind.update(bars[i] as BenchBar);
    if (!Number.isNaN(v)) cs += v;
  }
  return cs;
}

function tiThreeBlackCrows(inp: Inputs, n: number): number {
  let cs = 0;
  for (let i = 2; i < n; i++) {
    if (ti.threeblackcrows(window(inp, i, 3))) cs += -1;
  }
  return cs;
}

/** The cases of this group, in printing order. */
// ---------------------------------------------------------------------------------------------- batch forms

function oursBatchDoji(inp: Inputs, n: number): number {
  return sumFinite(doji(candleColumns(inp, n)));
}

function oursBatchHammer(inp: Inputs, n: number): number {
  return sumFinite(hammer(candleColumns(inp, n)));
}

function oursBatchShootingStar(inp: Inputs, n: number): number {
  return sumFinite(shootingStar(candleColumns(inp, n)));
}

function oursBatchEngulfing(inp: Inputs, n: number): number {
  return sumFinite(engulfing(candleColumns(inp, n)));
}

function oursBatchHarami(inp: Inputs, n: number): number {
  return sumFinite(harami(candleColumns(inp, n)));
}

function oursBatchMorningStar(inp: Inputs, n: number): number {
  return sumFinite(morningStar(candleColumns(inp, n)));
}

function oursBatchEveningStar(inp: Inputs, n: number): number {
  return sumFinite(eveningStar(candleColumns(inp, n)));
}

function oursBatchThreeWhiteSoldiers(inp: Inputs, n: number): number {
  return sumFinite(threeWhiteSoldiers(candleColumns(inp, n)));
}

function oursBatchThreeBlackCrows(inp: Inputs, n: number): number {
  return sumFinite(threeBlackCrows(candleColumns(inp, n)));
}

export const cases: Case[] = [
  {
    indicator: 'Doji',
    implementation: 'rxtrade Doji',
    kind: 'streaming',
    run: streaming(() => new Doji(), oursDoji),
  },
  { indicator: 'Doji', implementation: 'rxtrade doji (batch)', kind: 'batch', run: oursBatchDoji },
  {
    indicator: 'Doji',
    implementation: 'technicalindicators doji (per bar, last 1 bars)',
    kind: 'streaming',
    run: tiDoji,
  },
  {
    indicator: 'Hammer',
    implementation: 'rxtrade Hammer',
    kind: 'streaming',
    run: streaming(() => new Hammer(), oursHammer),
  },
  { indicator: 'Hammer', implementation: 'rxtrade hammer (batch)', kind: 'batch', run: oursBatchHammer },
  {
    indicator: 'Hammer',
    implementation: 'technicalindicators hammerpattern + hangingman (per bar, last 5 bars)',
    kind: 'streaming',
    run: tiHammer,
  },
  {
    indicator: 'ShootingStar',
    implementation: 'rxtrade ShootingStar',
    kind: 'streaming',
    run: streaming(() => new ShootingStar(), oursShootingStar),
  },
  {
    indicator: 'ShootingStar',
    implementation: 'rxtrade shootingStar (batch)',
    kind: 'batch',
    run: oursBatchShootingStar,
  },
  {
    indicator: 'ShootingStar',
    implementation: 'technicalindicators shootingstar (per bar, last 5 bars)',
    kind: 'streaming',
    run: tiShootingStar,
  },
  {
    indicator: 'Engulfing',
    implementation: 'rxtrade Engulfing',
    kind: 'streaming',
    run: streaming(() => new Engulfing(), oursEngulfing),
  },
  {
    indicator: 'Engulfing',
    implementation: 'rxtrade engulfing (batch)',
    kind: 'batch',
    run: oursBatchEngulfing,
  },
  {
    indicator: 'Engulfing',
    implementation:
      'technicalindicators bullishengulfingpattern + bearishengulfingpattern (per bar, last 2 bars)',
    kind: 'streaming',
    run: tiEngulfing,
  },
  {
    indicator: 'Harami',
    implementation: 'rxtrade Harami',
    kind: 'streaming',
    run: streaming(() => new Harami(), oursHarami),
  },
  { indicator: 'Harami', implementation: 'rxtrade harami (batch)', kind: 'batch', run: oursBatchHarami },
  {
    indicator: 'Harami',
    implementation: 'technicalindicators bullishharami + bearishharami (per bar, last 2 bars)',
    kind: 'streaming',
    run: tiHarami,
  },
  {
    indicator: 'MorningStar',
    implementation: 'rxtrade MorningStar',
    kind: 'streaming',
    run: streaming(() => new MorningStar(), oursMorningStar),
  },
  {
    indicator: 'MorningStar',
    implementation: 'rxtrade morningStar (batch)',
    kind: 'batch',
    run: oursBatchMorningStar,
  },
  {
    indicator: 'MorningStar',
    implementation: 'technicalindicators morningstar (per bar, last 3 bars)',
    kind: 'streaming',
    run: tiMorningStar,
  },
  {
    indicator: 'EveningStar',
    implementation: 'rxtrade EveningStar',
    kind: 'streaming',
    run: streaming(() => new EveningStar(), oursEveningStar),
  },
  {
    indicator: 'EveningStar',
    implementation: 'rxtrade eveningStar (batch)',
    kind: 'batch',
    run: oursBatchEveningStar,
  },
  {
    indicator: 'EveningStar',
    implementation: 'technicalindicators eveningstar (per bar, last 3 bars)',
    kind: 'streaming',
    run: tiEveningStar,
  },
  {
    indicator: 'ThreeWhiteSoldiers',
    implementation: 'rxtrade ThreeWhiteSoldiers',
    kind: 'streaming',
    run: streaming(() => new ThreeWhiteSoldiers(), oursThreeWhiteSoldiers),
  },
  {
    indicator: 'ThreeWhiteSoldiers',
    implementation: 'rxtrade threeWhiteSoldiers (batch)',
    kind: 'batch',
    run: oursBatchThreeWhiteSoldiers,
  },
  {
    indicator: 'ThreeWhiteSoldiers',
    implementation: 'technicalindicators threewhitesoldiers (per bar, last 3 bars)',
    kind: 'streaming',
    run: tiThreeWhiteSoldiers,
  },
  {
    indicator: 'ThreeBlackCrows',
    implementation: 'rxtrade ThreeBlackCrows',
    kind: 'streaming',
    run: streaming(() => new ThreeBlackCrows(), oursThreeBlackCrows),
  },
  {
    indicator: 'ThreeBlackCrows',
    implementation: 'rxtrade threeBlackCrows (batch)',
    kind: 'batch',
    run: oursBatchThreeBlackCrows,
  },
  {
    indicator: 'ThreeBlackCrows',
    implementation: 'technicalindicators threeblackcrows (per bar, last 3 bars)',
    kind: 'streaming',
    run: tiThreeBlackCrows,
  },
];
