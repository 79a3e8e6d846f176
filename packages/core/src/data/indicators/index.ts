/**
 * Technical indicators, each as an O(1) streaming class (`update` per input, NaN while warming up) and a batch
 * function over arrays that runs that same class. See docs/concepts/indicators.md for conventions and warm-ups.
 */
export { Adl, adl } from './adl';
export { Adx, type AdxSeries, adx } from './adx';
export { Aroon, type AroonSeries, aroon } from './aroon';
export { Atr, atr } from './atr';
export {
  AwesomeOscillator,
  type AwesomeOscillatorOptions,
  awesomeOscillator,
} from './awesome-oscillator';
export {
  BollingerBands,
  type BollingerBandsOptions,
  type BollingerBandsSeries,
  bollingerBands,
} from './bollinger-bands';
export {
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
  type IndicatorCandleSeries,
  MorningStar,
  morningStar,
  ShootingStar,
  shootingStar,
  ThreeBlackCrows,
  ThreeWhiteSoldiers,
  threeBlackCrows,
  threeWhiteSoldiers,
} from './candle-patterns';
export { Cci, cci } from './cci';
export {
  ChandelierExit,
  type ChandelierExitOptions,
  type ChandelierExitSeries,
  chandelierExit,
} from './chandelier-exit';
export { Cmf, cmf } from './cmf';
export { Dema, dema } from './dema';
export { DonchianChannel, type DonchianChannelSeries, donchianChannel } from './donchian-channel';
export { Ema, ema } from './ema';
export { ForceIndex, forceIndex } from './force-index';
export { Hma, hma } from './hma';
export { Ichimoku, type IchimokuOptions, type IchimokuSeries, ichimoku } from './ichimoku';
export { MAX_PERIOD } from './internal';
export { Kama, type KamaOptions, kama } from './kama';
export {
  KeltnerChannel,
  type KeltnerChannelOptions,
  type KeltnerChannelSeries,
  keltnerChannel,
} from './keltner-channel';
export { Macd, type MacdOptions, type MacdSeries, macd } from './macd';
export { Mfi, mfi } from './mfi';
export { Obv, type ObvColumns, type ObvInput, obv } from './obv';
export { ParabolicSar, type ParabolicSarOptions, parabolicSar } from './parabolic-sar';
export { Roc, roc } from './roc';
export { RollingStdDev, rollingStdDev } from './rolling-std-dev';
export { Rsi, rsi } from './rsi';
export { Sma, sma } from './sma';
export { Stochastic, type StochasticOptions, type StochasticSeries, stochastic } from './stochastic';
export {
  Supertrend,
  type SupertrendOptions,
  type SupertrendSeries,
  supertrend,
} from './supertrend';
export { Tema, tema } from './tema';
export { Trix, trix } from './trix';
export type {
  IndicatorBar,
  IndicatorBarColumns,
  IndicatorBarSeries,
  IndicatorCandle,
  IndicatorVolumeBar,
  StreamingIndicator,
} from './types';
export { Vwap, type VwapOptions, vwap } from './vwap';
export { WilliamsR, williamsR } from './williams-r';
export { Wma, wma } from './wma';
