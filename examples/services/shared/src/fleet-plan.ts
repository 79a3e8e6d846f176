import type { FleetPlan } from '@rxtrade/fleet';
import type { FleetConfig } from './config';
import { fleetPlanFromConfig } from './plan';

/** Where the risk role keeps its read model in the fleet's StateStore (the gateway reads it). */
export const RISK_VIEW_PREFIX = 'view:';

/** The strategy id the gateway's orders carry (not a strategy of the plan). */
export const GATEWAY_STRATEGY_ID = 'gateway';

/**
 * The fleet plan as risk and the gateway take it: {@link fleetPlanFromConfig} without the strategy
 * modules (only the strategy service runs them).
 */
export function fleetPlan(config: FleetConfig): FleetPlan {
  return fleetPlanFromConfig(config);
}
