import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'amqplib';

const run = promisify(execFile);

const PLUGIN = 'rabbitmq_consistent_hash_exchange';
const ENABLE = `rabbitmq-plugins enable ${PLUGIN}`;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Makes sure the broker at `url` can declare `x-consistent-hash` exchanges (group subscriptions
 * need them; a freshly installed RabbitMQ has no plugins enabled). When the broker lacks the
 * plugin and is this machine's, it enables it with `rabbitmq-plugins` (idempotent, no restart) and
 * waits until a declaration succeeds. When it cannot (remote broker, no CLI, no permission) it
 * throws one line naming the command to run. A broker that does not answer at all is left to the
 * suites' own `requireService` (a loud skip, or a failure in CI). Imports nothing of the workspace:
 * global setups load without the `rxtrade-source` condition, before anything is built.
 */
export async function ensureConsistentHashPlugin(url: string): Promise<void> {
  const { hostname } = new URL(url);
  const declared = await canDeclare(url).catch(() => undefined);
  if (declared !== false) return; // declared, or no broker answers: the suites skip or fail on their own
  if (!LOCAL_HOSTS.has(hostname)) {
    throw new Error(`RabbitMQ at ${hostname} lacks the consistent-hash exchange: run \`${ENABLE}\` on it`);
  }
  try {
    await run('rabbitmq-plugins', ['-q', 'enable', PLUGIN], { timeout: 60_000 });
  } catch (error) {
    const reason = firstLine(error);
    throw new Error(
      `the local RabbitMQ lacks the consistent-hash exchange and enabling it failed (${reason}): run \`sudo ${ENABLE}\``,
    );
  }
  const deadline = Date.now() + 30_000;
  while (!(await canDeclare(url))) {
    if (Date.now() > deadline) {
      throw new Error(
        `\`${ENABLE}\` ran but the broker still refuses x-consistent-hash exchanges after 30 s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Declares (and deletes) a throwaway x-consistent-hash exchange; false when the type is unknown, rejects when no broker answers. */
async function canDeclare(url: string): Promise<boolean> {
  const connection = await connect(url);
  // An unknown exchange type is a connection error (503), not a channel one: it closes both.
  connection.on('error', () => {});
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    const name = `rxt-test-plugin-probe-${randomBytes(4).toString('hex')}`;
    try {
      await channel.assertExchange(name, 'x-consistent-hash', { durable: false, autoDelete: true });
      await channel.deleteExchange(name);
      await channel.close();
      return true;
    } catch {
      return false;
    }
  } finally {
    await connection.close().catch(() => {});
  }
}

function firstLine(error: unknown): string {
  if ((error as { code?: unknown }).code === 'ENOENT') return '`rabbitmq-plugins` is not on PATH';
  const stderr = (error as { stderr?: unknown }).stderr;
  const text =
    typeof stderr === 'string' && stderr.trim() ? stderr : String((error as Error).message ?? error);
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? 'unknown error'
  );
}
