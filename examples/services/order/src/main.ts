import { RxtradeError, SimulatedVenue } from '@rxtrade/core';
import {
  decodeFleetMessage,
  fleetGroups,
  fleetTopics,
  OrderRole,
  ResolvedPlan,
  shadowExecution,
} from '@rxtrade/fleet';
import { writeShadowFiles } from '@rxtrade/fleet/node';
import { createHistoryWriter } from '@rxtrade/postgres';
import { main } from '../../shared/src/harness';
import { openJournal } from '../../shared/src/journal';
import { fleetPlanFromConfig } from '../../shared/src/plan';
import { openHistory } from '../../shared/src/stores';
import { ccxtExecution, loadVenueCredentials } from '../../shared/src/venue';

/**
 * Order service (K replicas): the fleet's OrderRole, accounts partitioned over the replicas
 * (`orders.submit.<accountId>`, consumer group `fleet-order`). Each account's orders run in core's
 * OrderManager against a SimulatedVenue fed by the replay's bars (paper trading: the fills of a
 * backtest). A replica that takes an account over rebuilds it from the fleet journal.
 *
 * With `ORDER_VENUE=ccxt` each account trades at a real exchange instead, with its own API key
 * (`VENUE_CREDENTIALS_FILE`, encrypted): `@rxtrade/ccxt` behind core's resilient client. A venue is
 * asked only once the input that decided the order is journaled, a rebuilt desk never asks again,
 * and core's reconciler settles each account with the venue before its desk takes a command, so an
 * order service killed mid-flight and restarted neither loses nor repeats an order.
 *
 * With `ORDER_SHADOW=1` each account's venue (simulated or ccxt) has a shadow beside it: core's
 * simulated venue on the same bars and orders, with a backtest's defaults (`shadowExecution`). Each
 * order's comparison is logged as it settles; at stop each account's document and page are written
 * to `ORDER_SHADOW_DIR` (docs/concepts/shadow-venue.md).
 *
 * History: every fill on `fills.<accountId>` goes to PostgreSQL through `createHistoryWriter`
 * (consumer group `fleet-history`): a fill's message is acknowledged only once its row is written, so
 * a PostgreSQL outage delays the rows (the writer retries, logs, and `/health` shows `history`
 * failing) and they catch up; none is lost.
 */
main('order', async (ctx) => {
  const { config, ns, logger, metrics } = ctx;
  const plan = new ResolvedPlan(fleetPlanFromConfig(config));
  let execution: ConstructorParameters<typeof OrderRole>[0]['execution'];
  if (config.ORDER_VENUE === 'ccxt') {
    if (config.VENUE_CREDENTIALS_FILE === undefined) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: "ORDER_VENUE=ccxt needs VENUE_CREDENTIALS_FILE (each account's API key, encrypted)",
      });
    }
    const venue = ccxtExecution({
      config,
      credentials: loadVenueCredentials(config.VENUE_CREDENTIALS_FILE, [...plan.accounts.keys()]),
      symbols: [...plan.instruments.keys()],
      logger,
      metrics,
    });
    execution = (accountId) => venue.execution(accountId);
    ctx.onStop(() => venue.close());
  }
  if (config.ORDER_SHADOW) {
    const instruments = [...plan.instruments.values()];
    const dir = config.ORDER_SHADOW_DIR;
    execution = shadowExecution({
      instruments,
      real: execution ?? ((_accountId, clock) => new SimulatedVenue({ instruments, clock })),
      logger,
      ...(dir !== undefined
        ? {
            onDocument: async (accountId, doc) => {
              const files = await writeShadowFiles(doc, {
                dir,
                name: `shadow-${accountId}`,
                title: `Order service, account ${accountId}: live vs simulated`,
              });
              logger.info(
                { accountId, ...files, outcomes: doc.outcomes, totals: doc.totals },
                'shadow written',
              );
            },
          }
        : {}),
    });
  }
  const history = await openHistory(ctx, 3);
  await history.runs.create({
    runId: ns.runId,
    strategyId: 'fleet',
    mode: 'paper',
    params: { accounts: config.ACCOUNTS.map((a) => a.id), strategies: config.STRATEGIES },
  });
  const writer = createHistoryWriter(history, { logger, metrics });
  ctx.addCheck('history', () => !writer.stats().failing);

  const role = new OrderRole({
    bus: ctx.bus,
    plan,
    journal: openJournal(ctx),
    replicaId: `${ns.exchange}-order-${config.REPLICA}`,
    ...(execution ? { execution } : {}),
    takeAtStart:
      config.ORDER_TAKE_AT_START === 'all'
        ? [...plan.accounts.keys()]
        : config.ORDER_TAKE_AT_START.split(',').filter(Boolean),
    logger,
  });
  const trades = metrics.counter('trades_total', {
    help: 'Fills written to history',
    labelNames: ['account'],
  });
  const fills = await ctx.bus.subscribe(
    fleetTopics.allFills,
    async (message) => {
      const { payload: event } = decodeFleetMessage(message, ['OrderFilled']);
      if (event.type !== 'OrderFilled') throw new Error(`fills.* carried ${event.type}`);
      const fill = event;
      await writer.fills(ns.runId, [fill]);
      await writer.flush();
      trades.add(1, { account: fill.accountId });
    },
    { group: fleetGroups.history },
  );
  await role.start();
  logger.info(
    { accounts: plan.accounts.size, mode: config.FLEET_MODE, venue: config.ORDER_VENUE },
    'order role started',
  );
  // Stopped in reverse: the role first (its last fills are published), then history drains.
  ctx.onStop(async () => {
    await fills.unsubscribe();
    await writer.close();
  });
  ctx.onStop(() => role.stop());
});
