import { RxtradeError } from '@rxtrade/core';

/**
 * The fleet's topics. Each stream has one partition key, owned by one replica at a time:
 *
 * | topic | from → to | key |
 * |---|---|---|
 * | `bars.<symbol>` | data → strategy, order | symbol |
 * | `risk.requests.<accountId>` | strategy, gateway → risk: submit, cancel, bar acknowledgements, trading state | account |
 * | `risk.reports.<accountId>` | order → risk: what the venue did, with the latest marks; a starting replica's wakes | account |
 * | `orders.submit.<accountId>` | risk → order: approved submits, cancels, acknowledgements | account |
 * | `orders.events.<strategyId>` | risk, order → the strategy that placed the order; gateway → the strategy: pause, resume | strategy |
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
  /** The strategy role's and each order replica's subscription: every symbol's bars. */
  allBars: 'bars.*',
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
  /** A fills history writer (the services' order process writes every fill to PostgreSQL). */
  history: 'fleet-history',
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
    { group: fleetGroups.strategy, pattern: fleetTopics.allBars },
    ...spec.strategyIds.map((id) => ({
      group: fleetGroups.strategyEvents(id),
      pattern: fleetTopics.orderEvents(id),
    })),
    { group: fleetGroups.risk, pattern: fleetTopics.riskInbox },
    { group: fleetGroups.order, pattern: fleetTopics.orderInbox },
    ...spec.orderReplicaIds.map((id) => ({ group: fleetGroups.orderBars(id), pattern: fleetTopics.allBars })),
    { group: fleetGroups.runFills(spec.runId), pattern: fleetTopics.allFills },
    { group: fleetGroups.runStatus(spec.runId), pattern: fleetTopics.status },
  ];
}

/** The processes a deployed fleet runs, each with a broker user of its own. */
export type FleetBusRole = 'data' | 'strategy' | 'risk' | 'order' | 'gateway';

/** What one role does on the bus: topics it publishes, its group and its private subscriptions. */
export interface FleetBusUse {
  readonly publishes: readonly string[];
  readonly groups: readonly { readonly group: string; readonly pattern: string }[];
  readonly subscribes: readonly string[];
}

/** Stands for any account, strategy, symbol or replica id in {@link fleetBusUse}'s names. */
export const ANY_ID = '__any__';

/**
 * Everything each deployed role publishes and subscribes on the bus, built from the same topic and
 * group builders the roles use ({@link ANY_ID} where an id goes) — what a broker user of that role
 * must be allowed and nothing more. `data` runs `publishBars`; `strategy` a StrategyRole; `risk` a
 * RiskRole; `order` an OrderRole and a fills history writer (group `fleet-history`); `gateway` a
 * `FleetGatewayClient` under `gatewayStrategyId` plus private readers of `fills.*` and
 * `risk.state`. Only risk publishes `orders.submit.*`: the bus is no way around risk.
 * (`runFleet`'s observers are not a deployed role.)
 */
export function fleetBusUse(options: {
  readonly gatewayStrategyId: string;
}): Record<FleetBusRole, FleetBusUse> {
  return {
    data: { publishes: [fleetTopics.bars(ANY_ID)], groups: [], subscribes: [] },
    strategy: {
      publishes: [fleetTopics.riskRequests(ANY_ID)],
      groups: [
        { group: fleetGroups.strategy, pattern: fleetTopics.allBars },
        { group: fleetGroups.strategyEvents(ANY_ID), pattern: fleetTopics.orderEvents(ANY_ID) },
      ],
      subscribes: [],
    },
    risk: {
      publishes: [
        fleetTopics.orderSubmit(ANY_ID),
        fleetTopics.orderEvents(ANY_ID),
        fleetTopics.riskState,
        fleetTopics.status,
      ],
      groups: [{ group: fleetGroups.risk, pattern: fleetTopics.riskInbox }],
      subscribes: [],
    },
    order: {
      publishes: [
        fleetTopics.orderEvents(ANY_ID),
        fleetTopics.fills(ANY_ID),
        fleetTopics.riskReports(ANY_ID),
      ],
      groups: [
        { group: fleetGroups.orderBars(ANY_ID), pattern: fleetTopics.allBars },
        { group: fleetGroups.order, pattern: fleetTopics.orderInbox },
        { group: fleetGroups.history, pattern: fleetTopics.allFills },
      ],
      subscribes: [],
    },
    gateway: {
      // Orders, cancels and trading states to risk; pause and resume to a strategy's own queue.
      publishes: [fleetTopics.riskRequests(ANY_ID), fleetTopics.orderEvents(ANY_ID)],
      groups: [],
      subscribes: [
        fleetTopics.orderEvents(options.gatewayStrategyId),
        fleetTopics.allFills,
        fleetTopics.riskState,
      ],
    },
  };
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

/**
 * How the roles' consumer groups move keys between replicas (`SubscribeOptions.handOver`): a
 * replica keeps per-key state (a symbol's strategies and their event queue, an account's desk) that
 * it cannot give back mid-stream, so a key that has carried messages moves only when its replica is
 * gone — a replica that joins later takes free partitions only, and stands by otherwise. Replicas
 * started before the first message share the keys evenly.
 */
export const STATEFUL = 'on-failure' as const;
