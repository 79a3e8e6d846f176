/**
 * The engine split into processes: strategy, risk and order roles over the MessageBus and StateStore.
 *
 * @module @rxtrade/fleet
 */
export { type AckToSend, type BarrierMode, MatchBarrier, type ReadyBar, StrategyBarrier } from './barrier';
export { type PublishBarsOptions, type PublishedBars, publishBars } from './data-role';
export {
  FleetGatewayClient,
  type FleetGatewayClientOptions,
  type OrderDecision,
  type TradingStateCommand,
} from './gateway-client';
export { FleetJournal } from './journal';
export * from './messages';
export { OrderRole, type OrderRoleOptions } from './order-role';
export {
  type FleetPlan,
  type FleetStrategy,
  ResolvedPlan,
  type StrategyFactory,
  strategyClass,
} from './plan';
export { type FleetReportInput, fleetReport } from './report';
export { RiskRole, type RiskRoleOptions } from './risk-role';
export { type AccountView, RiskViews, riskViewKeys, type StrategyView, type ViewPage } from './risk-views';
export {
  type FleetRoleName,
  type FleetRunResult,
  type FleetStrategyOutcome,
  type RunFleetOptions,
  runFleet,
} from './run-fleet';
export { type ShadowExecutionFactoryOptions, shadowExecution } from './shadow';
export { StrategyRole, type StrategyRoleOptions } from './strategy-role';
export {
  ANY_ID,
  type FleetBusRole,
  type FleetBusUse,
  fleetBusUse,
  fleetGroups,
  fleetSubscriptions,
  fleetTopics,
  isTopicWord,
} from './topics';
