import type { Logger, MessageBus } from '@rxtrade/core';
import { decodeFleetMessage } from '../messages';
import { fleetGroups, fleetTopics } from '../topics';

/** Options of {@link startHistoryWriter}. */
export interface HistoryWriterRoleOptions {
  readonly bus: MessageBus;
  /** PostgreSQL connection string. */
  readonly url: string;
  /** The run's schema, created (migrated) here if it is not there yet. */
  readonly schema: string;
  /** The run's id in the history's `runs` table. */
  readonly runId: string;
  /** Stored with the run (accounts, strategies). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

/**
 * The fleet's fills history, as `examples/services`' order process keeps it: every fill on
 * `fills.<accountId>` (consumer group `fleet-history`) written to PostgreSQL through
 * `@rxtrade/postgres`' history writer, its message acknowledged only once the row is written — a
 * PostgreSQL outage delays the rows (the writer retries and logs) and they catch up; none is lost.
 */
export async function startHistoryWriter(
  options: HistoryWriterRoleOptions,
): Promise<{ stop(): Promise<void> }> {
  // An optional peer: only a fleet that keeps history needs it.
  const { createHistoryWriter, createPostgresHistory } = await import('@rxtrade/postgres');
  const history = createPostgresHistory({
    connectionString: options.url,
    schema: options.schema,
    poolSize: 2,
  });
  try {
    await history.migrate();
    await history.runs.create({
      runId: options.runId,
      strategyId: 'fleet',
      mode: 'paper',
      params: options.params,
    });
  } catch (error) {
    await history.close();
    throw error;
  }
  const writer = createHistoryWriter(history, { logger: options.logger });
  const fills = await options.bus.subscribe(
    fleetTopics.allFills,
    async (message) => {
      const { payload } = decodeFleetMessage(message, ['OrderFilled']);
      if (payload.type !== 'OrderFilled') throw new Error(`fills.* carried ${payload.type}`);
      await writer.fills(options.runId, [payload]);
      await writer.flush();
    },
    { group: fleetGroups.history },
  );
  return {
    async stop() {
      await fills.unsubscribe();
      await writer.close();
      await history.close();
    },
  };
}
