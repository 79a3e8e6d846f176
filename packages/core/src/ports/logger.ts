/**
 * A structured logger: the subset of pino the engine calls, so a pino logger is a Logger as it is.
 * Pass fields first and the message second: `logger.info({ orderId }, 'order accepted')`.
 */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line (component name, correlation id, …). */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => {};

/** Discards everything. The default. */
export const noopLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => noopLogger,
};
