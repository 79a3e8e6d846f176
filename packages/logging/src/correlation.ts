import { randomUUID } from 'node:crypto';

/** The binding key of a correlation id: the same name as the bus envelope's `correlationId`. */
export const CORRELATION_ID_KEY = 'correlationId';

/** The binding key of the component name (`risk`, `execution`, `data`, …). */
export const COMPONENT_KEY = 'component';

/** Anything with pino's `child(bindings)`: a pino logger, or `@rxtrade/core`'s `Logger`. */
export interface ChildLogger {
  child(bindings: Record<string, unknown>): unknown;
}

/**
 * A child logger whose every line carries `correlationId: id`, so a bar → signal → order → fill chain
 * can be followed through every component and service with one query. Pass the child (not the id)
 * down the chain; across a process boundary, send the id in the message envelope and call this
 * again on the other side.
 *
 * @example
 * const log = withCorrelation(strategyLog, envelope.correlationId);
 * log.info({ clientOrderId }, 'order submitted');
 */
export function withCorrelation<TLogger extends ChildLogger>(
  logger: TLogger,
  id: string,
): ReturnType<TLogger['child']> {
  return logger.child({ [CORRELATION_ID_KEY]: id }) as ReturnType<TLogger['child']>;
}

/**
 * A child logger for one component: `{ component: name }` on every line. Make it once, when the
 * component is built, not per message.
 */
export function componentLogger<TLogger extends ChildLogger>(
  logger: TLogger,
  name: string,
): ReturnType<TLogger['child']> {
  return logger.child({ [COMPONENT_KEY]: name }) as ReturnType<TLogger['child']>;
}

/**
 * A fresh random correlation id (a UUID), for a chain that starts in this process: a live bar, an API
 * request. Backtests may prefer a deterministic id such as `${bar.symbol}:${bar.ts}`.
 */
export function newCorrelationId(): string {
  return randomUUID();
}
