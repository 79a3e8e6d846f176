/**
 * JSON logs with correlation ids (pino).
 *
 * @module @rxtrade/logging
 */
export {
  type ChildLogger,
  COMPONENT_KEY,
  CORRELATION_ID_KEY,
  componentLogger,
  newCorrelationId,
  withCorrelation,
} from './correlation';
export { createLogger, type LoggerOptions, type LogLevel, type RedactOptions } from './create-logger';
export { DEFAULT_CENSOR, DEFAULT_REDACT_KEYS, MAX_SCRUB_DEPTH } from './scrub';
