import { describe, expect, it } from 'vitest';
import * as indicators from './index';
import type { StreamingIndicator } from './types';

const bar = { open: 10, high: 11, low: 9, close: 10, volume: 100 };

/** Every streaming class with default-ish constructor arguments and a sample input. */
const classes: [string, () => StreamingIndicator<never>, unknown][] = [
  ['Sma', () => new indicators.Sma(3), 10],
  ['Ema', () => new indicators.Ema(3), 10],
  ['Wma', () => new indicators.Wma(3), 10],
  ['Rsi', () => new indicators.Rsi(), 10],
  ['Macd', () => new indicators.Macd(), 10],
  ['BollingerBands', () => new indicators.BollingerBands(), 10],
  ['Atr', () => new indicators.Atr(), bar],
  ['Stochastic', () => new indicators.Stochastic(), bar],
  ['Adx', () => new indicators.Adx(), bar],
  ['Obv', () => new indicators.Obv(), bar],
  ['Vwap', () => new indicators.Vwap(), bar],
  ['DonchianChannel', () => new indicators.DonchianChannel(), bar],
  ['Roc', () => new indicators.Roc(3), 10],
  ['RollingStdDev', () => new indicators.RollingStdDev(3), 10],
  ['Dema', () => new indicators.Dema(3), 10],
  ['Tema', () => new indicators.Tema(3), 10],
  ['Trix', () => new indicators.Trix(3), 10],
  ['Hma', () => new indicators.Hma(4), 10],
  ['Kama', () => new indicators.Kama(), 10],
  ['Cci', () => new indicators.Cci(), bar],
  ['WilliamsR', () => new indicators.WilliamsR(), bar],
  ['Mfi', () => new indicators.Mfi(), bar],
  ['Aroon', () => new indicators.Aroon(), bar],
  ['AwesomeOscillator', () => new indicators.AwesomeOscillator(), bar],
  ['ParabolicSar', () => new indicators.ParabolicSar(), bar],
  ['Supertrend', () => new indicators.Supertrend(), bar],
  ['KeltnerChannel', () => new indicators.KeltnerChannel(), bar],
  ['Ichimoku', () => new indicators.Ichimoku(), bar],
  ['ChandelierExit', () => new indicators.ChandelierExit(), bar],
  ['Adl', () => new indicators.Adl(), bar],
  ['Cmf', () => new indicators.Cmf(), bar],
  ['ForceIndex', () => new indicators.ForceIndex(), bar],
  ['Doji', () => new indicators.Doji(), bar],
  ['Hammer', () => new indicators.Hammer(), bar],
  ['ShootingStar', () => new indicators.ShootingStar(), bar],
  ['Engulfing', () => new indicators.Engulfing(), bar],
  ['Harami', () => new indicators.Harami(), bar],
  ['MorningStar', () => new indicators.MorningStar(), bar],
  ['EveningStar', () => new indicators.EveningStar(), bar],
  ['ThreeWhiteSoldiers', () => new indicators.ThreeWhiteSoldiers(), bar],
  ['ThreeBlackCrows', () => new indicators.ThreeBlackCrows(), bar],
];

describe('indicators barrel', () => {
  it('exports a streaming class and a batch function per indicator', () => {
    const batch = [
      'sma',
      'ema',
      'wma',
      'rsi',
      'macd',
      'bollingerBands',
      'atr',
      'stochastic',
      'adx',
      'obv',
      'vwap',
      'donchianChannel',
      'roc',
      'rollingStdDev',
      'dema',
      'tema',
      'trix',
      'hma',
      'kama',
      'cci',
      'williamsR',
      'mfi',
      'aroon',
      'awesomeOscillator',
      'parabolicSar',
      'supertrend',
      'keltnerChannel',
      'ichimoku',
      'chandelierExit',
      'adl',
      'cmf',
      'forceIndex',
      'doji',
      'hammer',
      'shootingStar',
      'engulfing',
      'harami',
      'morningStar',
      'eveningStar',
      'threeWhiteSoldiers',
      'threeBlackCrows',
    ];
    for (const name of batch)
      expect(typeof (indicators as Record<string, unknown>)[name], name).toBe('function');
    expect(classes.map(([name]) => name).every((name) => name in indicators)).toBe(true);
  });

  it.each(classes)(
    '%s has the uniform shape and reaches isReady after warmup + 1 inputs',
    (_, make, input) => {
      const ind = make();
      expect(Number.isInteger(ind.warmup)).toBe(true);
      expect(ind.period >= 1).toBe(true);
      expect(ind.isReady).toBe(false);
      expect(ind.value).toBeNaN();
      for (let i = 0; i <= ind.warmup; i++) {
        expect(ind.isReady).toBe(false);
        (ind.update as (x: unknown) => number)(input);
      }
      expect(ind.isReady).toBe(true);
      expect(Number.isFinite(ind.value)).toBe(true);
      ind.reset();
      expect(ind.isReady).toBe(false);
    },
  );
});
