import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetGroups, fleetSubscriptions, fleetTopics } from '@rxtrade/fleet';
import { removeFleetRun } from '@rxtrade/fleet/node';
import { loadConfig, namespace } from './config';
import { startFleet } from './launcher';
import { fleetPlanFromConfig } from './plan';

/**
 * `npm run services [-- --strategy-replicas 3 --symbols 5 --bars 2000 --interval-ms 50]`: starts
 * the whole fleet as local processes against the local Redis, RabbitMQ and PostgreSQL, prints the
 * gateway URL and a first API key, and on Ctrl-C (SIGINT) stops every child, removes the queues,
 * Redis keys and history schema the run created (unless --keep), and exits 0.
 */
const USAGE = `Usage: npm run services -- [options]

Starts the whole fleet as local processes against the local Redis, RabbitMQ and PostgreSQL.

Options:
  --strategy-replicas <n>   strategy processes (default 3)
  --symbols <n>             synthetic symbols the data service replays (default 5)
  --bars <n>                bars per symbol (default 2000)
  --interval-ms <n>         milliseconds between bars (default 50)
  --prefix <name>           namespace of queues and keys (default: a new one per run)
  --keep                    at Ctrl-C, leave the run's queues, Redis keys and history schema in
                            place (to start it again with the same --prefix)
  --help                    show this help

Environment: ACCOUNTS (default acc-1:1,acc-2:2). Ctrl-C stops every process and removes what the
run created on RabbitMQ, Redis and PostgreSQL (unless --keep).
`;

function parse(): ReturnType<typeof parseArgs<{ options: typeof options }>>['values'] {
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    process.stderr.write(`services: ${(error as Error).message.split('\n')[0]}\n\n${USAGE}`);
    process.exit(2);
  }
}

const options = {
  'strategy-replicas': { type: 'string', default: '3' },
  symbols: { type: 'string', default: '5' },
  bars: { type: 'string', default: '2000' },
  'interval-ms': { type: 'string', default: '50' },
  prefix: { type: 'string', default: `dev${Date.now().toString(36)}` },
  keep: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
const values = parse();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
for (const name of ['strategy-replicas', 'symbols', 'bars', 'interval-ms'] as const) {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < (name === 'interval-ms' ? 0 : 1)) {
    process.stderr.write(
      `services: --${name} must be a whole number${name === 'interval-ms' ? ' ≥ 0' : ' ≥ 1'}, got ${JSON.stringify(values[name])}\n`,
    );
    process.exit(2);
  }
}
const replicas = Number(values['strategy-replicas']);
const env = {
  FLEET_PREFIX: String(values.prefix),
  SYMBOLS: String(values.symbols),
  BARS: String(values.bars),
  BAR_INTERVAL_MS: String(values['interval-ms']),
  ACCOUNTS: process.env['ACCOUNTS'] ?? 'acc-1:1,acc-2:2',
};
// The services' own configuration (as each reads it): names what the run creates, to remove it after.
const config = loadConfig({ ...process.env, ...env });
const fleet = await startFleet({
  strategyReplicas: replicas,
  env,
  logDir: join(tmpdir(), 'rxtrade-fleet', String(values.prefix)),
});
const gateway = fleet.processes.find((p) => p.name === 'gateway');
process.stdout.write(
  [
    '',
    `rxtrade fleet "${values.prefix}" running: ${fleet.processes.map((p) => `${p.name}-${p.replica}:${p.port}`).join(' ')}`,
    `gateway:  ${gateway ? gateway.url() : '(not started)'}`,
    `API key:  ${fleet.apiKey}`,
    `try:      curl -H "authorization: Bearer ${fleet.apiKey}" ${gateway?.url() ?? ''}/api/accounts/${config.ACCOUNTS[0]?.id ?? 'acc-1'}/positions`,
    `logs:     ${join(tmpdir(), 'rxtrade-fleet', String(values.prefix))}   (Ctrl-C stops everything)`,
    '',
  ].join('\n'),
);
let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping the fleet…\n');
  const codes = await fleet.stop();
  process.stdout.write(`stopped: ${JSON.stringify(codes)}\n`);
  if (!values.keep) {
    const ns = namespace(config);
    try {
      const removed = await removeFleetRun({
        rabbitmqUrl: config.AMQP_URL,
        exchange: ns.exchange,
        partitions: config.BUS_PARTITIONS,
        groups: [
          // The roles' groups (not `runFleet`'s observers: the services have none).
          ...fleetSubscriptions({
            runId: ns.runId,
            strategyIds: fleetPlanFromConfig(config).strategies.map((s) => s.id),
            // One order service (`order/src/main.ts` names its replica so).
            orderReplicaIds: [`${ns.exchange}-order-0`],
          }).filter(
            (g) => g.group !== fleetGroups.runFills(ns.runId) && g.group !== fleetGroups.runStatus(ns.runId),
          ),
          { group: fleetGroups.history, pattern: fleetTopics.allFills },
        ],
        redisUrl: config.REDIS_URL,
        redisPrefix: ns.redisPrefix,
        history: { url: config.PG_URL, schema: ns.pgSchema },
      });
      process.stdout.write(
        `removed ${removed.queues} queues, ${removed.exchanges} exchanges, ${removed.keys} Redis keys and the PostgreSQL schema ${ns.pgSchema} (--keep leaves them)\n`,
      );
    } catch (error) {
      process.stderr.write(`services: could not remove the run's state: ${(error as Error).message}\n`);
    }
  }
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
