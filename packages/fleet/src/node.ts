/**
 * The fleet as local processes (child processes, files), and strategy modules loaded from files.
 *
 * @module @rxtrade/fleet/node
 */
// @rxtrade/fleet/node: the fleet as local processes (Node.js: child processes, files), and strategy
// modules loaded by file as the CLI's --strategy loads them.
export {
  type FleetReplica,
  type LaunchedFleet,
  type LaunchFleetOptions,
  LOCAL_POSTGRES_URL,
  LOCAL_RABBITMQ_URL,
  LOCAL_REDIS_URL,
  launchFleet,
} from './node/launch';
export {
  importUserModule,
  type LoadStrategyOptions,
  loadStrategy,
  resolveUserFile,
  strategyFactoryOf,
} from './node/load-strategy';
export {
  type FilePlan,
  FilePlanSchema,
  type FileStrategy,
  FileStrategySchema,
  fleetNames,
  jsonLinesLogger,
  type RoleProcess,
  type RoleProcessConfig,
  RoleProcessConfigSchema,
  resolveFilePlan,
  startRoleProcess,
} from './node/role-process';
export { type ShadowFilesOptions, writeShadowFiles } from './node/shadow-files';
export { type FleetRunState, type FleetTeardown, removeFleetRun } from './node/teardown';
