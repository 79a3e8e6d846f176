/**
 * The entry of a fleet role replica process: `FLEET_ROLE_CONFIG` holds its {@link RoleProcessConfig}
 * as JSON. {@link launchFleet} starts one per replica.
 */
import { startRoleProcess } from './role-process';

const text = process.env['FLEET_ROLE_CONFIG'];
if (text === undefined) {
  process.stderr.write('FLEET_ROLE_CONFIG is not set: this is the entry launchFleet() starts\n');
  process.exit(1);
}
// No top-level await: the package also builds to CommonJS.
Promise.resolve()
  .then(() => startRoleProcess(JSON.parse(text)))
  .catch((error: unknown) => {
    process.stderr.write(`fleet role failed to start: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  });
