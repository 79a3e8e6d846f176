import { fileURLToPath } from 'node:url';
import type { BaseStrategy, StrategyOptions } from '@rxtrade/core';
import { SP500_INSTRUMENT } from '@rxtrade/datasets';
import { BreakoutAtr } from '../../../examples/breakout-atr/src/strategy';
import { RsiMeanReversion } from '../../../examples/rsi-mean-reversion/src/strategy';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import type { FilePlan } from '../src/node';
import { type FleetPlan, strategyClass } from '../src/plan';

type Class = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;

/** The multi-account parity case: market, limit and stop orders over two accounts on one symbol. */
export const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
export const accounts = [
  { id: 'a', initialCash: 100_000 },
  { id: 'b', initialCash: 50_000 },
];
const strategies: [string, Class, string][] = [
  ['sma-a', SmaCrossover as Class, 'a'],
  ['rsi-a', RsiMeanReversion as Class, 'a'],
  ['atr-b', BreakoutAtr as Class, 'b'],
];

/** The strategies as a backtest takes them. */
export const backtestStrategies = (): BaseStrategy<object>[] =>
  strategies.map(([id, Strategy, accountId]) => new Strategy({ id, symbols: [instrument.id], accountId }));

/** The same strategies as a fleet plan. */
export const fleetPlan = (): FleetPlan => ({
  instruments: [instrument],
  accounts,
  strategies: strategies.map(([id, Strategy, accountId]) => ({
    id,
    symbol: instrument.id,
    accountId,
    create: strategyClass(Strategy),
  })),
});

const files: Record<string, string> = {
  'sma-a': 'examples/sma-crossover/src/strategy.ts',
  'rsi-a': 'examples/rsi-mean-reversion/src/strategy.ts',
  'atr-b': 'examples/breakout-atr/src/strategy.ts',
};

/** The same strategies as a plan of strategy files, as every process of `launchFleet` loads it. */
export const filePlan = (): FilePlan => ({
  instruments: [instrument],
  accounts,
  strategies: strategies.map(([id, , accountId]) => ({
    id,
    symbol: instrument.id,
    accountId,
    file: files[id] as string,
  })),
  cwd: fileURLToPath(new URL('../../../', import.meta.url)),
});
