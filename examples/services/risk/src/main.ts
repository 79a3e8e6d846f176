import { createRiskRule } from '@rxtrade/core';
import { FleetJournal, ResolvedPlan, RiskRole } from '@rxtrade/fleet';
import { fleetPlan, RISK_VIEW_PREFIX } from '../../shared/src/fleet-plan';
import { main } from '../../shared/src/harness';
import { strategyBudgetsFromConfig } from '../../shared/src/plan';

/**
 * Risk service (M replicas): configuration and wiring around `@rxtrade/fleet`'s {@link RiskRole} —
 * core's RiskEngine, AccountBooks and TradingHolds per account, partitioned by account
 * (`risk.*.<accountId>`). Each account's inputs are journaled in the fleet's StateStore, so a replica
 * that takes an account over (or this one after a restart) rebuilds its books from them: an account
 * is initialised once, from the plan, and never reset by a restart. The read model the gateway shows
 * (accounts, positions, orders, fills) is written under `view:`.
 */
main('risk', async (ctx) => {
  const { config, logger, bus, store, metrics } = ctx;
  const budgets = strategyBudgetsFromConfig(config);
  const role = new RiskRole({
    bus,
    plan: new ResolvedPlan(fleetPlan(config)),
    rules: [createRiskRule({ defaults: { maxPosition: config.MAX_POSITION } })],
    ...(budgets ? { budgets } : {}),
    journal: new FleetJournal(store, 'fleet'),
    views: { store, prefix: RISK_VIEW_PREFIX },
    metrics,
    logger,
  });
  await role.start();
  ctx.onStop(() => role.stop());
});
