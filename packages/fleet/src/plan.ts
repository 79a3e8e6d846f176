import {
  type AccountConfig,
  type BaseStrategy,
  defineInstrument,
  type Instrument,
  type InstrumentSpec,
  RxtradeError,
  type StrategyOptions,
} from '@rxtrade/core';
import { z } from 'zod';
import type { BarrierMode } from './barrier';
import { isTopicWord } from './topics';

/** Builds one strategy instance; the fleet passes its id, symbol, account and params. */
export type StrategyFactory = (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;

/** One strategy instance of a fleet: a strategy on one symbol, trading for one account. */
export interface FleetStrategy {
  /** Unique in the fleet; stamped on its orders, and names its event topic. */
  readonly id: string;
  readonly symbol: string;
  readonly accountId: string;
  /** Parameters, validated by the strategy class's `paramsSchema` when it is built. */
  readonly params?: Record<string, unknown>;
  readonly create: StrategyFactory;
}

/**
 * What every role of one fleet agrees on: instruments, accounts, the strategy instances, and
 * whether strategies wait for the order role's results (the barrier) or run live-style.
 */
export interface FleetPlan {
  readonly instruments: readonly (Instrument | InstrumentSpec)[];
  readonly accounts: readonly AccountConfig[];
  readonly strategies: readonly FleetStrategy[];
  /** Default `barrier`: the same order of events as a backtest. */
  readonly mode?: BarrierMode;
}

const word = z.string().refine(isTopicWord, 'use 1 to 64 of A-Z a-z 0-9 _ - :');

const PlanSchema = z.object({
  accounts: z
    .array(z.object({ id: word, initialCash: z.number().nonnegative() }).loose())
    .min(1, 'at least one account is needed'),
  strategies: z
    .array(
      z.object({
        id: word,
        symbol: word,
        accountId: word,
        params: z.record(z.string(), z.unknown()).optional(),
        create: z.custom<StrategyFactory>((v) => typeof v === 'function', 'must be a function'),
      }),
    )
    .min(1, 'at least one strategy is needed'),
  mode: z.enum(['barrier', 'live']).optional(),
});

/** A validated plan with its lookups. */
export class ResolvedPlan {
  readonly mode: BarrierMode;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly accounts: ReadonlyMap<string, AccountConfig>;
  readonly strategies: readonly FleetStrategy[];
  readonly #feeders = new Map<string, string[]>();

  constructor(plan: FleetPlan) {
    const parsed = PlanSchema.safeParse(plan);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid fleet plan: ${z.prettifyError(parsed.error)}`,
        cause: parsed.error,
      });
    }
    this.mode = plan.mode ?? 'barrier';
    const instruments = new Map<string, Instrument>();
    for (const spec of plan.instruments) {
      const instrument = 'tickUnits' in spec ? spec : defineInstrument(spec);
      if (!isTopicWord(instrument.id)) invalid(`instrument id ${instrument.id} cannot name a topic`);
      if (instruments.has(instrument.id)) invalid(`instrument ${instrument.id} is defined twice`);
      instruments.set(instrument.id, instrument);
    }
    const accounts = new Map<string, AccountConfig>();
    for (const account of plan.accounts) {
      if (accounts.has(account.id)) invalid(`account ${account.id} is defined twice`);
      accounts.set(account.id, account);
    }
    const ids = new Set<string>();
    for (const s of plan.strategies) {
      if (ids.has(s.id)) invalid(`two strategies have the id ${s.id}`);
      ids.add(s.id);
      if (!instruments.has(s.symbol)) invalid(`strategy ${s.id}: unknown instrument ${s.symbol}`);
      if (!accounts.has(s.accountId)) invalid(`strategy ${s.id}: unknown account ${s.accountId}`);
      const key = feederKey(s.accountId, s.symbol);
      this.#feeders.set(key, [...(this.#feeders.get(key) ?? []), s.id]);
    }
    this.instruments = instruments;
    this.accounts = accounts;
    this.strategies = plan.strategies;
  }

  instrument(id: string): Instrument {
    const instrument = this.instruments.get(id);
    if (!instrument)
      throw new RxtradeError({ code: 'UNKNOWN_INSTRUMENT', message: `unknown instrument ${id}` });
    return instrument;
  }

  /** Strategies whose orders an account receives for a symbol (the order role waits for each). */
  feeders(accountId: string, symbol: string): readonly string[] {
    return this.#feeders.get(feederKey(accountId, symbol)) ?? [];
  }

  /** Symbols an account's strategies trade. */
  symbolsOf(accountId: string): readonly string[] {
    return [...new Set(this.strategies.filter((s) => s.accountId === accountId).map((s) => s.symbol))];
  }

  /** Accounts some strategy trades. */
  get tradedAccounts(): readonly string[] {
    return [...new Set(this.strategies.map((s) => s.accountId))];
  }

  /** Builds a strategy instance with its fleet id, symbol, account and params. */
  build(strategy: FleetStrategy): BaseStrategy<object> {
    const built = strategy.create({
      id: strategy.id,
      symbols: [strategy.symbol],
      accountId: strategy.accountId,
      params: strategy.params ?? {},
    });
    if (
      built.id !== strategy.id ||
      (built.accountId !== undefined && built.accountId !== strategy.accountId)
    ) {
      invalid(`strategy ${strategy.id}: its factory must pass id, symbols and accountId to the strategy`);
    }
    return built;
  }
}

const feederKey = (accountId: string, symbol: string): string => `${accountId}\u0000${symbol}`;

function invalid(message: string): never {
  throw new RxtradeError({ code: 'INVALID_CONFIG', message });
}

/** A factory for a BaseStrategy subclass: `strategyClass(SmaCrossover)`. */
export function strategyClass(
  Class: new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>,
): StrategyFactory {
  return (options) => new Class(options);
}
