import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CcxtExecutionClient } from '@rxtrade/ccxt';
import { pointCcxtAtFakeBinance } from '@rxtrade/ccxt/testing';
import {
  createResilientClient,
  type ExecutionClient,
  type Logger,
  type MetricsSink,
  type ResilientClientOptions,
  RxtradeError,
  VenueCircuitBreakers,
} from '@rxtrade/core';
import ccxt, { type Exchange } from 'ccxt';
import { z } from 'zod';
import type { FleetConfig } from './config';
import { type CredentialCipher, createCredentialCipher, loadCredentialKeys } from './credentials';

/** One account's API key at the venue, decrypted (never logged: both names are redacted by the logger). */
export interface VenueCredentials {
  readonly apiKey: string;
  readonly secret: string;
}

const CredentialsSchema = z.strictObject({ apiKey: z.string().min(1), secret: z.string().min(1) });

/** The purpose an account's venue credentials are encrypted for: a record cannot move to another account. */
export const venuePurpose = (accountId: string): string => `venue:${accountId}`;

/**
 * Reads each account's venue credentials from `VENUE_CREDENTIALS_FILE` (`{ "<accountId>": record }`,
 * records of `credentials.ts`), decrypted with the keys of `RXTRADE_CREDENTIALS_KEY_FILE` (or
 * `RXTRADE_CREDENTIALS_KEY`). Every account must have one; errors name the account and the reason,
 * never a key or a secret.
 */
export function loadVenueCredentials(
  file: string,
  accountIds: readonly string[],
  cipher: CredentialCipher = createCredentialCipher(loadCredentialKeys(process.env)),
): Map<string, VenueCredentials> {
  let records: unknown;
  try {
    records = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `VENUE_CREDENTIALS_FILE ${file} is not a readable JSON file`,
      cause: error,
    });
  }
  const out = new Map<string, VenueCredentials>();
  for (const accountId of accountIds) {
    const record = (records as Record<string, unknown> | null)?.[accountId];
    if (record === undefined) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `VENUE_CREDENTIALS_FILE has no credentials for account ${accountId}`,
      });
    }
    const parsed = CredentialsSchema.safeParse(cipher.decryptJson(record, venuePurpose(accountId)));
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `the venue credentials of account ${accountId} are not { apiKey, secret }`,
      });
    }
    out.set(accountId, parsed.data);
  }
  return out;
}

/**
 * Adds (or replaces) one account's venue credentials in `file` (created if missing), encrypted for
 * that account: the file `VENUE_CREDENTIALS_FILE` names. Written with mode 0600; other accounts'
 * records are kept as they are.
 */
export function writeVenueCredentials(
  file: string,
  account: VenueCredentials & { readonly accountId: string },
  cipher: CredentialCipher = createCredentialCipher(loadCredentialKeys(process.env)),
): void {
  const { accountId, ...credentials } = account;
  const parsed = CredentialsSchema.safeParse(credentials);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: 'venue credentials need an apiKey and a secret',
    });
  }
  const records = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  records[accountId] = cipher.encryptJson(parsed.data, venuePurpose(accountId));
  writeFileSync(file, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
}

/** Options of {@link ccxtExecution}. */
export interface CcxtExecutionOptions {
  readonly config: Pick<
    FleetConfig,
    'CCXT_EXCHANGE' | 'CCXT_SANDBOX' | 'CCXT_FAKE_BINANCE_URL' | 'CCXT_POLL_MS' | 'ACCOUNTS'
  >;
  readonly credentials: ReadonlyMap<string, VenueCredentials>;
  /** The instruments traded (exchange market ids, as the plan names them). */
  readonly symbols: readonly string[];
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** Resilience settings; default core's. */
  readonly resilience?: Omit<ResilientClientOptions, 'breakers' | 'logger' | 'metrics'>;
}

/** What the order service gets: an execution client per account, and how to close the exchanges. */
export interface CcxtExecution {
  readonly execution: (accountId: string) => ExecutionClient;
  close(): Promise<void>;
}

/**
 * The order service's live path: per account, a ccxt exchange with the account's own API key,
 * `@rxtrade/ccxt`'s execution client on it, behind core's resilient client (one breaker per venue
 * shared by the accounts). The order role reconciles each account with the venue when its desk starts
 * (`OrderRole`'s `reconciliation`), so a restarted order service neither loses nor repeats an order.
 */
export function ccxtExecution(options: CcxtExecutionOptions): CcxtExecution {
  const { config, logger, metrics } = options;
  const Exchange = (ccxt as unknown as Record<string, new (o: object) => Exchange>)[config.CCXT_EXCHANGE];
  if (Exchange === undefined) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `CCXT_EXCHANGE: ccxt has no exchange ${config.CCXT_EXCHANGE}`,
    });
  }
  const breakers = new VenueCircuitBreakers({ metrics, logger });
  const exchanges: Exchange[] = [];
  return {
    execution(accountId) {
      const credentials = options.credentials.get(accountId);
      if (credentials === undefined) {
        throw new RxtradeError({ code: 'INVALID_CONFIG', message: `no venue credentials for ${accountId}` });
      }
      const exchange = new Exchange({ enableRateLimit: true, ...credentials });
      if (config.CCXT_SANDBOX) exchange.setSandboxMode(true);
      if (config.CCXT_FAKE_BINANCE_URL !== undefined) {
        pointCcxtAtFakeBinance(exchange as never, { url: config.CCXT_FAKE_BINANCE_URL, ...credentials });
      }
      exchanges.push(exchange);
      const client = new CcxtExecutionClient({
        exchange,
        symbols: options.symbols,
        pollIntervalMs: config.CCXT_POLL_MS,
        logger: logger.child({ accountId }),
        metrics,
      });
      return createResilientClient(client, { ...options.resilience, breakers, logger, metrics });
    },
    async close() {
      await Promise.all(exchanges.splice(0).map((e) => e.close().catch(() => undefined)));
    },
  };
}
