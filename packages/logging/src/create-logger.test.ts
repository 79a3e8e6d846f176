import { isRxtradeError } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { componentLogger, withCorrelation } from './correlation';
import { createLogger, type LoggerOptions } from './create-logger';

const CANARY = 'CANARY7f3a9c1e5b2d';

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    ...options,
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  return { logger, lines, text: () => lines.join('') };
}

class ExchangeConfig {
  readonly name = 'binance';
  constructor(readonly apiSecret: string) {}
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, message and fields', () => {
    const { logger, lines } = capture({ base: { service: 'order' } });
    logger.info({ clientOrderId: 'O-1' }, 'order accepted');
    logger.debug('a plain message');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0] ?? '');
    expect(first).toMatchObject({ level: 30, service: 'order', clientOrderId: 'O-1', msg: 'order accepted' });
    expect(typeof first.time).toBe('number');
    expect(lines.every((line) => line.endsWith('\n') && line.indexOf('\n') === line.length - 1)).toBe(true);
  });

  it('drops lines below the level', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });

  it('tags component child loggers and correlation ids, and both stack', () => {
    const { logger, lines } = capture({ base: null });
    const risk = componentLogger(logger, 'risk');
    withCorrelation(risk, 'corr-1').info({ reason: 'MAX_NOTIONAL_EXCEEDED' }, 'order denied');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 30,
      time: expect.any(Number),
      component: 'risk',
      correlationId: 'corr-1',
      reason: 'MAX_NOTIONAL_EXCEEDED',
      msg: 'order denied',
    });
  });

  it('refuses bad options with a typed error', () => {
    const bad = [
      { level: 'loud' },
      { redact: { values: ['short'] } },
      { redact: { paths: ['a..b['] } },
      { destination: {} },
      { unknown: true },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        createLogger(options as LoggerOptions);
      } catch (error) {
        caught = error;
      }
      expect(isRxtradeError(caught) && caught.code, JSON.stringify(options)).toBe('INVALID_CONFIG');
    }
  });
});

describe('secret redaction', () => {
  it('finds a canary secret nowhere in the output, whatever shape carries it', () => {
    const { logger, lines, text } = capture({
      base: { service: 'gateway', apiKey: CANARY },
      redact: { paths: ['order.accountNumber'] },
    });

    // Top level, every spelling of a secret-looking key.
    for (const key of [
      'apiKey',
      'api_key',
      'API_KEY',
      'X-Api-Key',
      'apiSecret',
      'secret',
      'secretKey',
      'password',
      'dbPassword',
      'passphrase',
      'token',
      'accessToken',
      'refresh_token',
      'authorization',
      'Authorization',
      'cookie',
      'Set-Cookie',
      'privateKey',
      'clientSecret',
      'mnemonic',
    ]) {
      logger.info({ [key]: CANARY }, `top-level ${key}`);
    }
    // Nested, in arrays, deep, in headers, whole credential objects, extra pino paths.
    logger.info({ exchange: { binance: { apiKey: CANARY } } }, 'nested');
    logger.info({ req: { headers: { Authorization: `Bearer ${CANARY}`, accept: 'json' } } }, 'headers');
    logger.info({ headers: { authorization: CANARY } }, 'headers top');
    logger.info({ credentials: { user: 'me', pass: CANARY, nested: { x: CANARY } } }, 'credentials');
    logger.info({ accounts: [{ id: 'A', apiKey: CANARY }, [{ secret: CANARY }]] }, 'arrays');
    logger.info({ a: { b: { c: { d: { e: { f: { g: { token: CANARY } } } } } } } }, 'deep');
    logger.info({ order: { accountNumber: CANARY, clientOrderId: 'O-1' } }, 'extra path');
    logger.info({ config: new ExchangeConfig(CANARY) }, 'class instance');
    logger.info({ wrapped: { toJSON: () => ({ secret: CANARY }) } }, 'toJSON');
    const circular: Record<string, unknown> = { apiKey: CANARY };
    circular['self'] = circular;
    logger.info({ circular }, 'circular');

    // Child bindings: direct, nested, grandchildren, component and correlation children.
    logger.child({ apiKey: CANARY }).info('child');
    logger.child({ venue: { credentials: { secret: CANARY } } }).info('child nested');
    const grandchild = componentLogger(logger.child({ password: CANARY }), 'execution');
    withCorrelation(grandchild, 'c-1').child({ token: CANARY }).warn('grandchild');

    // Errors: own fields, axios-style request config, enumerable cause, nested errors, aggregate.
    const error = Object.assign(new Error('request failed'), {
      apiKey: CANARY,
      config: { headers: { Authorization: CANARY }, url: '/order' },
      cause: { secret: CANARY },
    });
    logger.error({ err: error }, 'err field');
    logger.error(error, 'error first');
    logger.error(error);
    logger.error({ detail: { error } }, 'error nested');
    logger.error({ err: new AggregateError([error], 'many') }, 'aggregate');
    logger.child({ failure: error }).error('error in bindings');
    logger.error({
      err: new Error('outer', { cause: Object.assign(new Error('inner'), { token: CANARY }) }),
    });

    expect(lines.length).toBeGreaterThanOrEqual(40);
    expect(text()).not.toContain(CANARY);
    expect(text()).toContain('[REDACTED]');
    // Redaction keeps what is not secret.
    expect(text()).toContain('"clientOrderId":"O-1"');
    expect(text()).toContain('"accept":"json"');
    expect(text()).toContain('"url":"/order"');
    expect(text()).toContain('"component":"execution"');
    expect(text()).toContain('"type":"Error"');
  });

  it('does not change the objects it is given', () => {
    const { logger } = capture();
    const fields = { order: { apiKey: CANARY, id: 'O-1' } };
    logger.info(fields, 'x');
    expect(fields.order.apiKey).toBe(CANARY);
  });

  it('cannot see a secret inside a message string unless its value is listed', () => {
    const plain = capture();
    plain.logger.info(`connecting with ${CANARY}`);
    plain.logger.info({ note: CANARY }, 'innocent key');
    // The documented limitation: key-based redaction does not read strings.
    expect(plain.text()).toContain(CANARY);

    const listed = capture({ redact: { values: [CANARY, 'quote"and\\slash'] } });
    listed.logger.info(`connecting with ${CANARY}`);
    listed.logger.info('interpolated %s', CANARY);
    listed.logger.info({ note: CANARY }, 'innocent key');
    listed.logger.error(new Error(`rejected key ${CANARY}`));
    listed.logger.info({ odd: 'quote"and\\slash' }, 'escaped in JSON');
    expect(listed.text()).not.toContain(CANARY);
    expect(listed.text()).not.toContain('quote\\"and\\\\slash');
    expect(listed.lines).toHaveLength(5);
  });

  it('can replace the default key list', () => {
    const { logger, text } = capture({
      redact: { keys: ['accountNumber'], replaceDefaultKeys: true, censor: '***' },
    });
    logger.info({ accountNumber: CANARY, token: 'visible-token' });
    expect(text()).not.toContain(CANARY);
    expect(text()).toContain('"accountNumber":"***"');
    expect(text()).toContain('visible-token');
  });
});
