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
 * elsewhere it prints one loud line saying what is missing and what to run, and returns false, and
 * the suite skips. `remedy` is that command (default: start the service, see CONTRIBUTING.md).
 *
 * @example
 * const redisUp = await requireService('Redis', () => probeTcp('127.0.0.1', 6379));
 * describe.skipIf(!redisUp)('RedisStateStore', () => { … });
 *
 * const promUp = await requireService('Prometheus', probeBinaries, 'apt-get install prometheus');
 */
export async function requireService(
  name: string,
  probe: () => Promise<void>,
  remedy = `start ${name} (see CONTRIBUTING.md)`,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env['CI'] === 'true') {
      throw new Error(`${name} is required in CI but cannot be reached: ${reason}; to fix: ${remedy}`);
    }
    const bar = '!'.repeat(78);
    console.warn(
      `\n${bar}\n!! SKIPPING ${name} tests (${reason}); to run them: ${remedy}; in CI they fail instead\n${bar}\n`,
    );
    return false;
  }
}
