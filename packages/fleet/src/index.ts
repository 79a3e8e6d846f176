export { type AckToSend, type BarrierMode, MatchBarrier, type ReadyBar, StrategyBarrier } from './barrier';
export { type PublishBarsOptions, type PublishedBars, publishBars } from './data-role';
export * from './messages';
export {
  type FleetPlan,
  type FleetStrategy,
  ResolvedPlan,
  type StrategyFactory,
  strategyClass,
} from './plan';
export { fleetGroups, fleetTopics, isTopicWord } from './topics';
