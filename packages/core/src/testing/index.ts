/**
 * Test helpers: a manual clock, the contract suites every port implementation runs, service probes.
 *
 * @module @rxtrade/core/testing
 */
export { ManualClock } from '../ports/clock';
/** Core's seeded PRNG (the optimizer's random search draws from it): the same data on every run. */
export { mulberry32 } from '../strategy/param-space';
export {
  type ExecutionClientContractOptions,
  type ExecutionClientHarness,
  executionClientContract,
} from './contracts/execution-client-contract';
export { type LockManagerContractOptions, lockManagerContract } from './contracts/lock-manager-contract';
export {
  type MessageBusContractDeps,
  type MessageBusContractOptions,
  messageBusContract,
} from './contracts/message-bus-contract';
export {
  type RateLimiterContractOptions,
  type RateLimiterPair,
  rateLimiterContract,
} from './contracts/rate-limiter-contract';
export { type StateStoreContractOptions, stateStoreContract } from './contracts/state-store-contract';
export { probeTcp, requireService } from './integration';
