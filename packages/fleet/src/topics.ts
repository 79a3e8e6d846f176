import { RxtradeError } from '@rxtrade/core';

/**
 * The fleet's topics. Each stream has one partition key, owned by one replica at a time:
 *
 * | topic | from → to | key |
 * |---|---|---|
 * | `bars.<symbol>` | data → strategy, order | symbol |
 * | `risk.requests.<accountId>` | strategy, gateway → risk: submit, cancel, bar acknowledgements, trading state | account |
 * | `risk.reports.<accountId>` | order → risk: what the venue did, with the latest marks | account |
 * | `orders.submit.<accountId>` | risk → order: approved submits, cancels, acknowledgements | account |
 * | `orders.events.<strategyId>` | risk, order → the strategy that placed the order | strategy |
 * | `fills.<accountId>` | order → anyone (history, gateway, a run's report) | account |
 * | `risk.state` | risk → anyone: an account's trading state changed | account |
 * | `fleet.status` | risk → whoever runs the fleet: an account has seen its last bar | — |
 *
 * Requests and reports share the `risk.*.<accountId>` family so one consumer group (one queue per
 * partition) receives both in the order they were sent: a fill reported before a strategy reacted to
 * it is applied before that reaction is checked.
 */
export const fleetTopics = {
  bars: (symbol: string): string => `bars.${word(symbol)}`,
  riskRequests: (accountId: string): string => `risk.requests.${word(accountId)}`,
  riskReports: (accountId: string): string => `risk.reports.${word(accountId)}`,
  /** The risk role's one subscription: requests and reports of every account. */
  riskInbox: 'risk.*.*',
  orderSubmit: (accountId: string): string => `orders.submit.${word(accountId)}`,
  orderInbox: 'orders.submit.*',
  orderEvents: (strategyId: string): string => `orders.events.${word(strategyId)}`,
  fills: (accountId: string): string => `fills.${word(accountId)}`,
  allFills: 'fills.*',
  riskState: 'risk.state',
  status: 'fleet.status',
} as const;

/** Consumer groups: one per role, so replicas of a role share partitions and each role sees everything. */
export const fleetGroups = {
  strategy: 'fleet-strategy',
  /** A strategy's own event queue survives while its replica moves. */
  strategyEvents: (strategyId: string): string => `fleet-strategy-events-${strategyId}`,
  risk: 'fleet-risk',
  order: 'fleet-order',
  /** Every order replica needs every bar of its accounts' symbols: one group per replica. */
  orderBars: (replicaId: string): string => `fleet-order-bars-${replicaId}`,
  /** `runFleet`'s own readers of one run's fills and status. */
  runFills: (runId: string): string => `fleet-run-fills-${runId}`,
  runStatus: (runId: string): string => `fleet-run-status-${runId}`,
} as const;

/**
 * Every (group, pattern) a fleet run subscribes on the bus — the roles' groups and `runFleet`'s
 * observers — so a run's broker topology can be deleted when it is over.
 */
export function fleetSubscriptions(spec: {
  readonly runId: string;
  readonly strategyIds: readonly string[];
  /** The order replicas' ids (`OrderRoleOptions.replicaId`). */
  readonly orderReplicaIds: readonly string[];
}): { readonly group: string; readonly pattern: string }[] {
  return [
    { group: fleetGroups.strategy, pattern: 'bars.*' },
    ...spec.strategyIds.map((id) => ({
      group: fleetGroups.strategyEvents(id),
      pattern: fleetTopics.orderEvents(id),
    })),
    { group: fleetGroups.risk, pattern: fleetTopics.riskInbox },
    { group: fleetGroups.order, pattern: fleetTopics.orderInbox },
    ...spec.orderReplicaIds.map((id) => ({ group: fleetGroups.orderBars(id), pattern: 'bars.*' })),
    { group: fleetGroups.runFills(spec.runId), pattern: fleetTopics.allFills },
    { group: fleetGroups.runStatus(spec.runId), pattern: fleetTopics.status },
  ];
}

const WORD = /^[A-Za-z0-9_\-:]{1,64}$/;

/** A topic word: account, strategy and symbol ids travel in topic names, so they may not hold dots. */
function word(value: string): string {
  if (!WORD.test(value)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${JSON.stringify(value)} cannot be part of a topic name: use 1 to 64 of A-Z a-z 0-9 _ - :`,
    });
  }
  return value;
}

/** True when `value` can be an account, strategy or symbol id in the fleet. */
export const isTopicWord = (value: string): boolean => WORD.test(value);
