import type { CcxtConnector } from '@rxtrade/ccxt';
import type { Exchange } from 'ccxt';
import { UsageError } from './args';

/** The options every exchange command shares (`paper`, `download`). */
export const EXCHANGE_OPTIONS = {
  exchange: { type: 'string' },
  'api-url': { type: 'string' },
  testnet: { type: 'boolean' },
} as const;

export const EXCHANGE_USAGE = `Exchange (through ccxt; install ccxt and @rxtrade/ccxt next to the CLI):
  --exchange <id>            a ccxt exchange id: binance, kraken, bybit, … (default binance)
  --testnet                  use the exchange's testnet (sandbox) URLs
  --api-url <url>            send the exchange's REST requests to this base URL instead (a proxy, or
                             a local fake such as FakeBinance from @rxtrade/ccxt/testing)
  API keys, when needed, come from the environment: RXTRADE_API_KEY and RXTRADE_API_SECRET.
`;

/** What {@link openExchange} needs. */
export interface ExchangeSettings {
  readonly id: string;
  readonly testnet: boolean;
  readonly apiUrl: string | undefined;
  /** Whether API keys are required (orders on a testnet); then missing keys are an error. */
  readonly needKeys: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly command: string;
}

/** An optional peer dependency, or a UsageError saying what to install. */
export async function importOptional<T>(
  name: string,
  command: string,
  install = 'npm install ccxt @rxtrade/ccxt',
): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(name)) {
      throw new UsageError(
        `rxtrade ${command} needs ${name}: install it next to the CLI (${install})`,
        command,
      );
    }
    throw error;
  }
}

/**
 * A ccxt exchange for a command: by id, on its testnet if asked, its REST URLs moved to `apiUrl` if
 * given, API keys from `RXTRADE_API_KEY`/`RXTRADE_API_SECRET`. Binance is limited to its spot markets
 * (the CLI trades spot; loading the futures markets too costs requests and needs more keys).
 */
export async function openExchange(settings: ExchangeSettings): Promise<Exchange> {
  const { command } = settings;
  const ccxt = (
    await importOptional<{ default: Record<string, unknown> & { exchanges: string[] } }>('ccxt', command)
  ).default;
  const id = settings.id.toLowerCase();
  if (!ccxt.exchanges.includes(id)) {
    const close = ccxt.exchanges.filter((e) => e.startsWith(id.slice(0, 3))).slice(0, 5);
    throw new UsageError(
      `--exchange: ccxt has no exchange ${JSON.stringify(settings.id)}${close.length > 0 ? `; did you mean ${close.join(', ')}?` : '; see https://docs.ccxt.com for the ids'}`,
      command,
    );
  }
  const Ctor = ccxt[id] as new (config: object) => Exchange;
  const exchange = new Ctor({ enableRateLimit: true });
  if (settings.testnet) {
    try {
      exchange.setSandboxMode(true);
    } catch {
      throw new UsageError(
        `--testnet: ${id} has no testnet in ccxt; drop --testnet or pick another exchange`,
        command,
      );
    }
  }
  if (settings.apiUrl !== undefined) {
    let base: URL;
    try {
      base = new URL(settings.apiUrl);
    } catch {
      throw new UsageError(
        `--api-url must be a URL such as http://127.0.0.1:8080, got ${JSON.stringify(settings.apiUrl)}`,
        command,
      );
    }
    const api = exchange.urls.api as unknown as Record<string, string>;
    const moved: Record<string, string> = {};
    for (const [key, value] of Object.entries(api)) {
      if (typeof value === 'string') moved[key] = `${base.origin}${new URL(value).pathname}`;
    }
    (exchange.urls as { api: unknown }).api = moved;
  }
  if (id === 'binance') {
    exchange.options['fetchMarkets'] = { types: ['spot'] };
    exchange.options['fetchCurrencies'] = false;
    exchange.options['fetchMargins'] = false;
  }
  const key = settings.env['RXTRADE_API_KEY'];
  const secret = settings.env['RXTRADE_API_SECRET'];
  if (key && secret) {
    exchange.apiKey = key;
    exchange.secret = secret;
  } else if (settings.needKeys) {
    throw new UsageError(
      'orders on the exchange need API keys: set RXTRADE_API_KEY and RXTRADE_API_SECRET (testnet keys for --testnet)',
      command,
    );
  }
  return exchange;
}

/** The ccxt connector package, or an error saying how to install it. */
export function importCcxtAdapter(command: string): Promise<typeof import('@rxtrade/ccxt')> {
  return importOptional<typeof import('@rxtrade/ccxt')>('@rxtrade/ccxt', command);
}

export type { CcxtConnector };
