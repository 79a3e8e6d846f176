/** What {@link removeFleetRun} (and `LaunchedFleet.stop`) removed. */
export interface FleetTeardown {
  /** Queues and exchanges deleted on the broker. */
  readonly queues: number;
  readonly exchanges: number;
  /** Redis keys deleted (every key of the run's prefix). */
  readonly keys: number;
  /** The PostgreSQL schema dropped, with `history`. */
  readonly schema?: string;
}

/** Where one fleet run keeps its state: what {@link removeFleetRun} removes. */
export interface FleetRunState {
  readonly rabbitmqUrl: string;
  /** The run's exchange: its queues and exchanges are named from it. */
  readonly exchange: string;
  /** Partitions per consumer group, as the run's buses had. */
  readonly partitions: number;
  /** Every consumer group the run's roles subscribed (see `fleetSubscriptions`). */
  readonly groups: readonly { readonly group: string; readonly pattern: string }[];
  readonly redisUrl: string;
  /** Every Redis key of the run starts with it. */
  readonly redisPrefix: string;
  /** The run's fills history, whose schema is dropped with its tables. */
  readonly history?: { readonly url: string; readonly schema: string };
}

/**
 * Removes what a fleet run left on its servers once its processes have stopped: its queues and
 * exchanges (by name, from its groups: no management plugin needed), every Redis key of its prefix,
 * and its history schema. What `rxtrade fleet` does when it stops, and `npm run services` at Ctrl-C.
 */
export async function removeFleetRun(state: FleetRunState): Promise<FleetTeardown> {
  const [{ deleteTopology }, { createRedisClient }] = await Promise.all([
    import('@rxtrade/rabbitmq'),
    import('@rxtrade/redis'),
  ]);
  const deleted = await deleteTopology({
    url: state.rabbitmqUrl,
    exchange: state.exchange,
    partitions: state.partitions,
    groups: state.groups,
  });
  if (state.history) await dropSchema(state.history);
  let keys = 0;
  const redis = createRedisClient(state.redisUrl, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(
        cursor,
        'MATCH',
        `${escapeGlob(state.redisPrefix)}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (found.length > 0) keys += await redis.del(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return {
    queues: deleted.queues.length,
    exchanges: deleted.exchanges.length,
    keys,
    ...(state.history ? { schema: state.history.schema } : {}),
  };
}

/** Drops a run's history schema (its tables with it). */
async function dropSchema(history: { readonly url: string; readonly schema: string }): Promise<void> {
  const { createPostgresHistory } = await import('@rxtrade/postgres');
  const db = createPostgresHistory({ connectionString: history.url, schema: history.schema, poolSize: 1 });
  try {
    await db.pool.query(`DROP SCHEMA IF EXISTS "${history.schema}" CASCADE`);
  } finally {
    await db.close();
  }
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
