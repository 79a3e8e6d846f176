import { StrategyRole } from '@rxtrade/fleet';
import { RISK_VIEW_PREFIX } from '../../shared/src/fleet-plan';
import { main } from '../../shared/src/harness';
import { openJournal } from '../../shared/src/journal';
import { fleetPlanFromConfig, loadStrategies } from '../../shared/src/plan';

/**
 * Strategy service (N replicas): the fleet's StrategyRole running the user's strategy modules
 * (`STRATEGIES`: module file or package, export, params checked by the strategy's schema, symbols,
 * accounts). Symbols are partitioned over the replicas (`bars.<symbol>`, consumer group
 * `fleet-strategy`); a replica that takes a symbol over rebuilds its strategies from the fleet
 * journal. Orders keep their type and options on their way to risk and order; fills and order events
 * come back to the strategy that placed them (`onFill`, `onOrderEvent`, `position()`, `account()`).
 * The gateway's `POST /api/strategies/:id/stop|start` pause and resume one strategy instance here.
 */
main('strategy', async (ctx) => {
  const { config, logger, metrics } = ctx;
  const plan = fleetPlanFromConfig(config, await loadStrategies(config));
  const events = metrics.counter('strategy_events_total', {
    help: 'Strategies started, stopped and failed',
    labelNames: ['type'],
  });
  const role = new StrategyRole({
    bus: ctx.bus,
    plan,
    journal: openJournal(ctx),
    // Each strategy's status (running, paused, failed) where the gateway reads the risk role's views.
    views: { store: ctx.store, prefix: RISK_VIEW_PREFIX },
    logger,
    onStrategyEvent: (event) => {
      events.add(1, { type: event.type });
      if (event.type === 'StrategyFailed') logger.error({ event }, 'strategy failed');
    },
  });
  await role.start();
  logger.info({ strategies: plan.strategies.length, mode: config.FLEET_MODE }, 'strategy role started');
  ctx.onStop(() => role.stop());
});
