import { connect } from 'node:net';

/** Resolves when a TCP connection to host:port opens within `timeoutMs`; rejects otherwise. */
export function probeTcp(host: string, port: number, timeoutMs = 1_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Decides whether an integration suite can run. When the service answers: true. When it does not:
 * in CI (`CI=true`) this throws, so a missing server fails the run instead of hiding behind a skip;
 * elsewhere it prints a loud notice and returns false, and the suite skips.
 *
 * @example
 * const redisUp = await requireService('Redis', () => probeTcp('127.0.0.1', 6379));
 * describe.skipIf(!redisUp)('RedisStateStore', () => { … });
 */
export async function requireService(name: string, probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env['CI'] === 'true') {
      throw new Error(`${name} is required in CI but cannot be reached: ${reason}`);
    }
    const line = '!'.repeat(78);
    console.warn(
      `\n${line}\n!! SKIPPING ${name} integration tests: ${reason}\n!! Start ${name} (see CONTRIBUTING.md) to run them; in CI they fail instead.\n${line}\n`,
    );
    return false;
  }
}
