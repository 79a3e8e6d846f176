import {
  type Clock,
  type ExecutionClient,
  type Instrument,
  type InstrumentSpec,
  type Logger,
  noopLogger,
  ShadowExecutionClient,
  type ShadowExecutionOptions,
  type ShadowOrderReport,
  type ShadowReport,
} from '@rxtrade/core';

/** Options of {@link shadowExecution}. */
export interface ShadowExecutionFactoryOptions {
  /** The instruments the plan trades. */
  readonly instruments: Iterable<Instrument | InstrumentSpec>;
  /** The client that really trades for an account, on the account's clock (a paper venue, `@rxtrade/ccxt`, …). */
  readonly real: (accountId: string, clock: Clock) => ExecutionClient;
  /** The simulated venue's settings: the backtest's assumptions to compare with. Default: a backtest's defaults. */
  readonly venue?: ShadowExecutionOptions['venue'];
  /** Each order's report as it settles. Default: none (each is logged anyway). */
  readonly onReport?: (report: ShadowOrderReport) => void;
  /**
   * An account's document (`ShadowExecutionClient.report()`), once its client disconnected: the order
   * role stopped, or dropped the account's desk. Awaited before the disconnect resolves, so a role
   * that stops on SIGTERM has written it before the process exits.
   */
  readonly onDocument?: (accountId: string, report: ShadowReport) => void | Promise<void>;
  readonly logger?: Logger;
}

/** A shadow client that hands its document on once, when it disconnects. */
class FleetShadowClient extends ShadowExecutionClient {
  readonly #accountId: string;
  readonly #onDocument: ShadowExecutionFactoryOptions['onDocument'];
  #done = false;

  constructor(
    options: ShadowExecutionOptions,
    accountId: string,
    onDocument: ShadowExecutionFactoryOptions['onDocument'],
  ) {
    super(options);
    this.#accountId = accountId;
    this.#onDocument = onDocument;
  }

  override async disconnect(): Promise<void> {
    try {
      await super.disconnect();
    } finally {
      if (!this.#done) {
        this.#done = true;
        await this.#onDocument?.(this.#accountId, this.report());
      }
    }
  }
}

/**
 * The order role's `execution` with a shadow venue: each account's real client wrapped in core's
 * {@link ShadowExecutionClient}, so every order the account sends also goes to a simulated venue on
 * the same bars. The order role trades on the real client exactly as without it (a live client's
 * calls are still journaled first and reconciled). Each order's report is logged as it settles
 * (`msg: "shadow order"`, one JSON line: the stream of a fleet's processes) and handed to
 * `onReport`; the account's document goes to `onDocument` when the role stops.
 *
 * @example
 * const role = new OrderRole({ bus, plan, replicaId,
 *   execution: shadowExecution({ instruments, real: (id) => venue.execution(id),
 *     onDocument: (id, doc) => writeFile(`shadow-${id}.json`, JSON.stringify(doc)) }) });
 */
export function shadowExecution(
  options: ShadowExecutionFactoryOptions,
): (accountId: string, clock: Clock) => ShadowExecutionClient {
  const instruments = [...options.instruments];
  const logger = options.logger ?? noopLogger;
  return (accountId, clock) => {
    const shadow = new FleetShadowClient(
      {
        real: options.real(accountId, clock),
        instruments,
        clock,
        logger: logger.child({ accountId }),
        ...(options.venue ? { venue: options.venue } : {}),
      },
      accountId,
      options.onDocument,
    );
    shadow.reports$.subscribe((report) => {
      logger.info(
        {
          accountId,
          clientOrderId: report.clientOrderId,
          outcome: report.outcome,
          simulatedPx: report.simulated.avgPx,
          realPx: report.real.avgPx,
          delayMs: report.delayMs,
          attribution: report.attribution,
          currency: report.currency,
        },
        'shadow order',
      );
      options.onReport?.(report);
    });
    return shadow;
  };
}
