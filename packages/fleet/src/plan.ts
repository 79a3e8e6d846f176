import {
  type AccountConfig,
  AccountManager,
  type AccountManagerOptions,
  type BaseStrategy,
  canTrade,
  defineInstrument,
  EQUITY_GUARD_OWNER,
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
  /**
   * The strategy reads `context.account()` of an account other strategies trade too: the order role
   * sends it every fill of the account, and it waits for each bar's result (a round trip per bar), so
   * the account it sees before `onBar(t)` is the backtest's. Not needed for an account it trades alone.
   * Default false.
   */
  readonly followAccount?: boolean;
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
  /**
   * Accounts that take the strategies' sizeless signals and halt on equity limits, as core's
   * `AccountManager` takes them (`sizing`, `canTrade`, `limits`, `halts`; `flattenOnHalt`,
   * `resumeNextDay`, per-strategy `strategies` limits). Each must be one of `accounts`. A strategy's
   * `signal()` goes to every account with a sizing model that may trade it, and that account's risk
   * role sizes it from its books; `halts` are watched there (core's `EquityWatch`). `total` limits
   * need every account in one place and are refused: the fleet splits accounts across replicas.
   */
  readonly accountManager?: Omit<AccountManagerOptions, 'marketInputs'>;
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
  /** Core's account manager for {@link FleetPlan.accountManager}: managed accounts and their rules. */
  readonly manager: AccountManager | undefined;
  readonly #feeders = new Map<string, string[]>();
  /** Per strategy id: the accounts that take its signals. */
  readonly #signalAccounts = new Map<string, readonly string[]>();
  readonly #guarded = new Set<string>();

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
    this.manager = plan.accountManager && managerOf(plan.accountManager, accounts);
    const managed = this.manager?.accounts ?? [];
    for (const a of managed) if (a.halts !== undefined) this.#guarded.add(a.id);
    const ids = new Set<string>();
    const feed = (accountId: string, symbol: string, strategyId: string): void => {
      const key = feederKey(accountId, symbol);
      const list = this.#feeders.get(key) ?? [];
      if (!list.includes(strategyId)) this.#feeders.set(key, [...list, strategyId]);
    };
    for (const s of plan.strategies) {
      if (ids.has(s.id)) invalid(`two strategies have the id ${s.id}`);
      if (this.#guarded.size > 0 && s.id === EQUITY_GUARD_OWNER)
        invalid(`strategy id ${s.id} is the equity guard's, reserved when accounts have halts`);
      ids.add(s.id);
      if (!instruments.has(s.symbol)) invalid(`strategy ${s.id}: unknown instrument ${s.symbol}`);
      if (!accounts.has(s.accountId)) invalid(`strategy ${s.id}: unknown account ${s.accountId}`);
      feed(s.accountId, s.symbol, s.id);
      const takers = managed
        .filter((a) => a.sizing !== undefined && canTrade(a.canTrade, { symbol: s.symbol, strategyId: s.id }))
        .map((a) => a.id);
      this.#signalAccounts.set(s.id, takers);
      for (const accountId of takers) feed(accountId, s.symbol, s.id);
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

  /**
   * Strategies whose orders an account receives for a symbol (the order role waits for each): those
   * trading the account, and those whose signals it takes.
   */
  feeders(accountId: string, symbol: string): readonly string[] {
    return this.#feeders.get(feederKey(accountId, symbol)) ?? [];
  }

  /** Symbols an account's strategies trade, or whose signals it takes. */
  symbolsOf(accountId: string): readonly string[] {
    return [
      ...new Set(
        this.strategies
          .filter((s) => s.accountId === accountId || this.signalAccounts(s.id).includes(accountId))
          .map((s) => s.symbol),
      ),
    ];
  }

  /** Accounts some strategy trades or sends its signals to. */
  get tradedAccounts(): readonly string[] {
    return [...new Set(this.strategies.flatMap((s) => [s.accountId, ...this.signalAccounts(s.id)]))];
  }

  /** Strategies of the account that follow all its fills ({@link FleetStrategy.followAccount}). */
  followers(accountId: string): readonly string[] {
    return this.strategies
      .filter((s) => s.accountId === accountId && s.followAccount === true)
      .map((s) => s.id);
  }

  /** Accounts that take a strategy's signals (a sizing model, and `canTrade` lets them), in plan order. */
  signalAccounts(strategyId: string): readonly string[] {
    return this.#signalAccounts.get(strategyId) ?? [];
  }

  /** Every account a strategy's bars concern: its own, then those taking its signals. */
  accountsFed(strategy: FleetStrategy): readonly string[] {
    return [...new Set([strategy.accountId, ...this.signalAccounts(strategy.id)])];
  }

  /** True when some strategy's signals go to the account (its risk role sizes them). */
  takesSignals(accountId: string): boolean {
    for (const takers of this.#signalAccounts.values()) if (takers.includes(accountId)) return true;
    return false;
  }

  /** True when the account halts on equity limits (its risk role watches every bar's equity). */
  guarded(accountId: string): boolean {
    return this.#guarded.has(accountId);
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

/** The plan's account manager: core's, validated; `total` limits and unknown accounts refused. */
function managerOf(
  options: Omit<AccountManagerOptions, 'marketInputs'>,
  accounts: ReadonlyMap<string, AccountConfig>,
): AccountManager {
  const manager = new AccountManager(options);
  if (manager.settings.total !== undefined)
    invalid(
      'accountManager.total: limits on the sum of all accounts need every account in one process; the fleet splits accounts across risk replicas (set halts per account)',
    );
  for (const a of manager.accounts) {
    const config = accounts.get(a.id);
    if (config === undefined) invalid(`accountManager: account ${a.id} is not one of the plan's accounts`);
    if (config.initialCash !== a.initialCash)
      invalid(
        `accountManager: account ${a.id} starts with ${a.initialCash}, the plan's account with ${config.initialCash}`,
      );
  }
  return manager;
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
