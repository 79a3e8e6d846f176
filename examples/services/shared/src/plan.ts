import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RxtradeError } from '@rxtrade/core';
import type { FleetPlan, FleetStrategy, StrategyFactory } from '@rxtrade/fleet';
import { loadStrategy, strategyFactoryOf } from '@rxtrade/fleet/node';
import type { FleetConfig, StrategyConfig } from './config';
import { instrumentFor, symbolNames } from './replay-data';

/**
 * Where a strategy module is: a file (relative to `cwd`, `.ts` through the tsx loader every service
 * runs under, or `.js`), or a package specifier (`@acme/strategies`, `@acme/strategies/trend`)
 * resolved from this repository's `node_modules`.
 */
export function resolveStrategyModule(module: string, cwd: string): string {
  const looksLikeFile = module.startsWith('.') || isAbsolute(module) || /\.[cm]?[jt]sx?$/.test(module);
  if (looksLikeFile) {
    const path = isAbsolute(module) ? module : resolve(cwd, module);
    if (!existsSync(path)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `STRATEGIES: strategy module ${module} not found (looked at ${path})`,
      });
    }
    return path;
  }
  try {
    return fileURLToPath(import.meta.resolve(module));
  } catch (error) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `STRATEGIES: strategy package ${module} cannot be resolved: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/**
 * Loads one configured strategy module with `@rxtrade/fleet/node`'s loader (the one `rxtrade backtest
 * --strategy` and `rxtrade fleet` use: core's export rule) and checks its params by building it once
 * (the strategy's `paramsSchema` refuses unknown or invalid params with a typed error). The factory
 * builds a fresh instance per strategy instance of the plan, with the plan's id, symbol and account.
 */
export async function loadStrategyFactory(config: StrategyConfig, cwd: string): Promise<StrategyFactory> {
  const path = resolveStrategyModule(config.module, cwd);
  const strategy = await loadStrategy(path, {
    cwd,
    params: config.params,
    ...(config.export ? { export: config.export } : {}),
  });
  // Per instance: an account's weight scales its params (see paramsFor). A module that exports a ready
  // instance cannot be one instance per symbol and account: the plan refuses it when it builds.
  return (options) => strategyFactoryOf(strategy, options.params ?? config.params)(options);
}

/** The instance id of a configured strategy on one symbol for one account. */
export const instanceId = (strategyId: string, symbol: string, accountId: string): string =>
  `${strategyId}-${symbol}-${accountId}`;

/** Loads every configured strategy module (their params checked), by strategy id. */
export async function loadStrategies(
  config: Pick<FleetConfig, 'STRATEGIES'>,
  cwd: string = process.cwd(),
): Promise<ReadonlyMap<string, StrategyFactory>> {
  const factories = new Map<string, StrategyFactory>();
  for (const s of config.STRATEGIES) factories.set(s.id, await loadStrategyFactory(s, cwd));
  return factories;
}

/** An account's weight (`ACCOUNTS=acc-1:1,acc-2:2`) scales a numeric `quantity` param; other params are as configured. */
function paramsFor(params: Record<string, unknown>, weight: number): Record<string, unknown> {
  const quantity = params['quantity'];
  return typeof quantity === 'number' && weight !== 1 ? { ...params, quantity: quantity * weight } : params;
}

const notHere: StrategyFactory = () => {
  throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'strategies run in the strategy service' });
};

/** One strategy instance of the configuration: a configured strategy on one symbol for one account. */
interface ConfiguredInstance {
  readonly strategy: StrategyConfig;
  readonly id: string;
  readonly symbol: string;
  readonly accountId: string;
  /** The account's weight (`ACCOUNTS=acc-1:1,acc-2:2`). */
  readonly weight: number;
}

/** Every strategy instance of `STRATEGIES` × symbols × accounts, each checked against the replay and `ACCOUNTS`. */
function configuredInstances(config: FleetConfig): ConfiguredInstance[] {
  const symbols = symbolNames(config.SYMBOLS);
  const accounts = config.ACCOUNTS.map((a) => a.id);
  const weights = new Map(config.ACCOUNTS.map((a) => [a.id, a.weight]));
  const instances: ConfiguredInstance[] = [];
  for (const s of config.STRATEGIES) {
    for (const symbol of s.symbols ?? symbols) {
      if (!symbols.includes(symbol)) {
        throw new RxtradeError({
          code: 'INVALID_CONFIG',
          message: `STRATEGIES: ${s.id} trades ${symbol}, which the replay does not have (${symbols.join(', ')})`,
        });
      }
      for (const accountId of s.accounts ?? accounts) {
        if (!accounts.includes(accountId)) {
          throw new RxtradeError({
            code: 'INVALID_CONFIG',
            message: `STRATEGIES: ${s.id} trades for ${accountId}, which is not in ACCOUNTS (${accounts.join(', ')})`,
          });
        }
        instances.push({
          strategy: s,
          id: instanceId(s.id, symbol, accountId),
          symbol,
          accountId,
          weight: weights.get(accountId) ?? 1,
        });
      }
    }
  }
  return instances;
}

/**
 * The fleet plan every service of one fleet agrees on, from the environment: the replay's symbols
 * (each an instrument on the S&P 500's grid), `ACCOUNTS` with `INITIAL_CASH` each, and one strategy
 * instance per configured strategy × symbol × account (`<id>-<symbol>-<account>`).
 *
 * `factories` come from {@link loadStrategies} in the strategy service; without them (risk, order:
 * they never run a strategy) the plan's factories refuse to build.
 */
export function fleetPlanFromConfig(
  config: FleetConfig,
  factories?: ReadonlyMap<string, StrategyFactory>,
): FleetPlan {
  const strategies: FleetStrategy[] = configuredInstances(config).map((instance) => {
    const create = factories === undefined ? notHere : factories.get(instance.strategy.id);
    if (create === undefined) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `strategy ${instance.strategy.id} was not loaded`,
      });
    }
    return {
      id: instance.id,
      symbol: instance.symbol,
      accountId: instance.accountId,
      params: paramsFor(instance.strategy.params, instance.weight),
      create,
    };
  });
  const accountManager = accountManagerFromConfig(config);
  return {
    instruments: symbolNames(config.SYMBOLS).map(instrumentFor),
    accounts: config.ACCOUNTS.map((a) => ({ id: a.id, initialCash: config.INITIAL_CASH })),
    strategies,
    mode: config.FLEET_MODE,
    ...(accountManager ? { accountManager } : {}),
  };
}

/**
 * `ACCOUNT_MANAGER` as the plan's `accountManager`: each account of `ACCOUNTS` with its `INITIAL_CASH`
 * and what the variable says of it; a `canTrade.strategies` entry naming a configured strategy stands
 * for every instance of it (`<id>-<symbol>-<account>`).
 */
function accountManagerFromConfig(config: FleetConfig): FleetPlan['accountManager'] {
  const managed = config.ACCOUNT_MANAGER;
  if (managed === undefined) return undefined;
  const ids = config.ACCOUNTS.map((a) => a.id);
  for (const accountId of Object.keys(managed.accounts)) {
    if (!ids.includes(accountId)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `ACCOUNT_MANAGER: ${accountId} is not in ACCOUNTS (${ids.join(', ')})`,
      });
    }
  }
  const instances = configuredInstances(config);
  const instanceIds = (strategyId: string): string[] => {
    const of = instances.filter((i) => i.strategy.id === strategyId).map((i) => i.id);
    return of.length > 0 ? of : [strategyId];
  };
  const { accounts, ...settings } = managed;
  return {
    ...settings,
    accounts: config.ACCOUNTS.map(({ id }) => {
      const entry = accounts[id] ?? {};
      const strategies = entry.canTrade?.strategies;
      return {
        ...entry,
        id,
        initialCash: config.INITIAL_CASH,
        ...(strategies === undefined
          ? {}
          : { canTrade: { ...entry.canTrade, strategies: strategies.flatMap(instanceIds) } }),
      };
    }),
  };
}

/**
 * The cash budget of each strategy instance whose configured strategy has a `budget` (scaled by its
 * account's weight, as `quantity` is), for the risk role; undefined when none has one.
 */
export function strategyBudgetsFromConfig(config: FleetConfig): Record<string, number> | undefined {
  const budgets: Record<string, number> = {};
  let any = false;
  for (const instance of configuredInstances(config)) {
    const budget = instance.strategy.budget;
    if (budget === undefined) continue;
    budgets[instance.id] = budget * instance.weight;
    any = true;
  }
  return any ? budgets : undefined;
}
