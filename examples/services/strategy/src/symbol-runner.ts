import {
  type AccountState,
  type Bar,
  type BaseStrategy,
  createOrder,
  defineInstrument,
  type Instrument,
  noopLogger,
  type Order,
  type OrderRequest,
  type StrategyContext,
} from '@rxtrade/core';
import { SmaCrossover } from '../../../sma-crossover/src/strategy';
import type { StrategyConfig } from '../../shared/src/config';
import { instrumentFor } from '../../shared/src/replay-data';

/** An order intent a strategy produced on one bar. */
export interface Intent {
  readonly side: 'buy' | 'sell';
  readonly quantity: number;
  readonly seq: number;
}

/** Builds the configured strategy for one symbol. */
export function buildStrategy(config: StrategyConfig, symbol: string): BaseStrategy<object> {
  switch (config.kind) {
    case 'sma-crossover':
      return new SmaCrossover({
        id: config.id,
        symbols: [symbol],
        params: config.params,
      }) as BaseStrategy<object>;
  }
}

/**
 * Runs one strategy on one symbol outside an engine. Market orders the strategy places become
 * intents (published as signals); its `position()` is the position those intents imply once filled,
 * which is what the backtest engine shows it too: a market order placed on bar t fills at bar t+1's
 * open, before the strategy sees bar t+1. (A risk denial would make them diverge; the strategy then
 * re-learns its position only when the replica rebuilds — see README.)
 */
export class SymbolRunner {
  readonly strategy: BaseStrategy<object>;
  lastTs = -1;
  #position = 0;
  #now = 0;
  #intents: Intent[] = [];
  readonly #instrument: Instrument;

  constructor(
    config: StrategyConfig,
    readonly symbol: string,
  ) {
    this.strategy = buildStrategy(config, symbol);
    this.#instrument = defineInstrument(instrumentFor(symbol));
    const self = this;
    const account: AccountState = {
      accountId: 'virtual',
      currency: 'USD',
      initialCash: 0,
      cash: 0,
      equity: 0,
      realizedPnl: 0,
      unrealizedPnl: 0,
      feesPaid: 0,
      tsLast: 0,
    };
    const context: StrategyContext = {
      strategyId: config.id,
      accountId: 'virtual',
      clock: { now: () => self.#now },
      logger: noopLogger,
      submit(request: OrderRequest): Order {
        self.#position += request.side === 'buy' ? request.quantity : -request.quantity;
        self.#intents.push({ side: request.side, quantity: request.quantity, seq: self.#intents.length });
        return createOrder(request, {
          clientOrderId: `${config.id}-${symbol}-${self.#now}-${self.#intents.length}`,
          accountId: 'virtual',
          strategyId: config.id,
          quantityPrecision: self.#instrument.quantityPrecision,
          ts: self.#now,
        });
      },
      cancel: () => false,
      positionQty: () => self.#position,
      accountPositionQty: () => self.#position,
      account: () => account,
      instrument: () => self.#instrument,
      openOrders: () => [],
      signal: () => undefined,
    };
    this.strategy.attach(context);
    this.strategy.setCurrentSymbol(symbol);
    this.strategy.onStart();
  }

  /** Feeds a bar; returns the order intents the strategy produced on it. */
  onBar(bar: Bar): Intent[] {
    this.#now = bar.ts;
    this.#intents = [];
    for (const tracked of this.strategy.tracked) {
      if (tracked.symbol === undefined || tracked.symbol === bar.symbol) tracked.update(bar);
    }
    this.strategy.onBar(bar);
    this.lastTs = bar.ts;
    return this.#intents;
  }

  get position(): number {
    return this.#position;
  }
}
