/**
 * The worker-thread side of `optimize`: loads the strategy module and the bars once (from
 * `workerData.setup`), answers `ready`, then runs one backtest per `run` message. Not public API;
 * started by the optimiser's worker pool (built as its own entry so it loads from dist too).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareTasks, type Task, type TaskSetup } from './optimize-task';

const port = parentPort;
if (port) {
  const { setup, sendTimestamps } = workerData as { setup: TaskSetup; sendTimestamps: boolean };
  prepareTasks(setup).then(
    (runner) => {
      port.on('message', async (batch: readonly Task[]) => {
        port.postMessage({ type: 'results', results: await runner.runBatch(batch) });
      });
      port.postMessage({
        type: 'ready',
        paramKeys: runner.paramKeys,
        timestamps: sendTimestamps ? runner.timestamps() : undefined,
      });
    },
    (error: unknown) => {
      port.postMessage({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    },
  );
}
