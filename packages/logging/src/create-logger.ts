import { RxtradeError } from '@rxtrade/core';
import pino, { type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { z } from 'zod';
import { createScrubber, createValueCensor, DEFAULT_CENSOR, DEFAULT_REDACT_KEYS } from './scrub';

/** pino's levels, lowest first, plus `silent`. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** What is censored, and with what. Every field is optional; the defaults are on. */
export interface RedactOptions {
  /**
   * Extra key names to censor at any depth, matched case- and punctuation-insensitively as a suffix
   * (`apiKey` matches `binance_api_key`). Added to {@link DEFAULT_REDACT_KEYS}.
   */
  readonly keys?: readonly string[];
  /** Replace the default key list instead of adding to it. Default false. */
  readonly replaceDefaultKeys?: boolean;
  /**
   * Extra pino redaction paths (`order.accountNumber`, `req.headers["x-token"]`), for fields whose
   * names do not look secret. Case-sensitive, fixed depth; never build them from user input.
   */
  readonly paths?: readonly string[];
  /**
   * Known secret values (the API keys the app was configured with). Censored wherever they appear in
   * the written line, message strings and stack traces included. At least 8 characters each.
   */
  readonly values?: readonly string[];
  /** Written in place of a secret. Default `[REDACTED]`. */
  readonly censor?: string;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  readonly level?: LogLevel;
  /** Secret redaction; on by default with {@link DEFAULT_REDACT_KEYS}. */
  readonly redact?: RedactOptions;
  /**
   * Where lines go: a stream (`pino.destination(…)`, `pino.transport(…)`, any `{ write(line) }`),
   * a file path, or a file descriptor. Default: stdout, written synchronously (pino's default).
   */
  readonly destination?: DestinationStream | string | number;
  /**
   * Fields on every line. Default: pino's `{ pid, hostname }`; pass `null` for none. Add the service
   * name here (`{ service: 'risk' }`).
   */
  readonly base?: Readonly<Record<string, unknown>> | null;
}

const OptionsSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  redact: z
    .strictObject({
      keys: z.array(z.string().min(1)).optional(),
      replaceDefaultKeys: z.boolean().optional(),
      paths: z.array(z.string().min(1)).optional(),
      values: z.array(z.string().min(8, 'a secret value must be at least 8 characters long')).optional(),
      censor: z.string().optional(),
    })
    .optional(),
  destination: z
    .union([
      z.string().min(1),
      z.number().int().nonnegative(),
      z.custom<DestinationStream>(
        (v) => typeof v === 'object' && v !== null && typeof (v as { write?: unknown }).write === 'function',
        'must be a stream with a write(line) method',
      ),
    ])
    .optional(),
  base: z.record(z.string(), z.unknown()).nullable().optional(),
});

/**
 * Creates the process's root logger: pino, JSON lines, secrets censored by key name at any depth
 * (in logged objects, child bindings and errors' fields), by optional pino paths, and by known
 * value. Make one per process and derive a child per component with `componentLogger`.
 *
 * What it cannot catch: a secret under an innocent key name, or inside a message string or an error
 * message, unless its value is listed in `redact.values`. See docs/guides/logging.md.
 *
 * The result is a pino `Logger`, so it is also a `@rxtrade/core` `Logger`.
 *
 * @example
 * const logger = createLogger({ level: 'debug', base: { service: 'order' }, redact: { values: [apiKey] } });
 * const risk = componentLogger(logger, 'risk');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `createLogger: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const redact = options.redact ?? {};
  const censor = redact.censor ?? DEFAULT_CENSOR;
  const keys = [...(redact.replaceDefaultKeys ? [] : DEFAULT_REDACT_KEYS), ...(redact.keys ?? [])];
  const scrubber = createScrubber({ keys, censor });
  const censorValues = createValueCensor(redact.values ?? [], censor);

  const pinoOptions: PinoOptions = {
    level: options.level ?? 'info',
    formatters: {
      // Runs on every logged object before serializers; errors leave it in serialized form.
      log: (object) => scrubber.scrub(object) as Record<string, unknown>,
      bindings: (bindings) => scrubber.scrub(bindings) as Record<string, unknown>,
    },
    // `log` above already serialized and scrubbed errors; keep pino from serializing them again.
    serializers: { err: (value: unknown) => (value instanceof Error ? scrubber.scrub(value) : value) },
    hooks: { streamWrite: censorValues },
    ...(redact.paths?.length ? { redact: { paths: [...redact.paths], censor } } : {}),
    ...(options.base !== undefined ? { base: options.base } : {}),
  };

  let logger: Logger;
  try {
    logger = pino(pinoOptions, toStream(options.destination));
  } catch (error) {
    // pino rejects malformed redaction paths here.
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `createLogger: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  scrubChildBindings(logger, scrubber.scrub);
  return logger;
}

function toStream(destination: LoggerOptions['destination']): DestinationStream {
  if (destination === undefined) return pino.destination(1);
  if (typeof destination === 'string' || typeof destination === 'number') {
    return pino.destination({ dest: destination, mkdir: true });
  }
  return destination;
}

/**
 * pino formats a child's bindings once, at `child()`, without the root's bindings formatter; wrap
 * `child` on the root so every descendant (they inherit it through the prototype) scrubs them.
 */
function scrubChildBindings(root: Logger, scrub: (value: unknown) => unknown): void {
  const child = root.child;
  root.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings) as typeof bindings, childOptions);
  } as typeof root.child;
}
