import { type FleetPlan, strategyClass } from '@rxtrade/fleet';
import { SmaCrossover } from '../../../sma-crossover/src/strategy';
import type { FleetConfig } from './config';
import { instrumentFor, symbolNames } from './replay-data';

/** Where the risk role keeps its read model in the fleet's StateStore (the gateway reads it). */
export const RISK_VIEW_PREFIX = 'view:';

/** The strategy id the gateway's orders carry (not a strategy of the plan). */
export const GATEWAY_STRATEGY_ID = 'gateway';

/**
 * The fleet plan every service of one fleet agrees on, from the configuration: the replay's
 * instruments, the configured accounts (each `INITIAL_CASH`), and one instance of each configured
 * strategy per symbol and account (quantity scaled by the account's weight).
 */
export function fleetPlan(config: FleetConfig): FleetPlan {
  const symbols = symbolNames(config.SYMBOLS);
  return {
    instruments: symbols.map(instrumentFor),
    accounts: config.ACCOUNTS.map((a) => ({ id: a.id, initialCash: config.INITIAL_CASH })),
    strategies: config.STRATEGIES.flatMap((s) =>
      symbols.flatMap((symbol) =>
        config.ACCOUNTS.map((account) => ({
          id: `${s.id}-${symbol}-${account.id}`,
          symbol,
          accountId: account.id,
          params: {
            ...s.params,
            ...(typeof s.params['quantity'] === 'number'
              ? { quantity: s.params['quantity'] * account.weight }
              : {}),
          },
          create: strategyClass(SmaCrossover as never),
        })),
      ),
    ),
  };
}
