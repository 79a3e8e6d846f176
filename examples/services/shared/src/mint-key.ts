import { mintApiKey } from '@rxtrade/fleet/gateway';

/**
 * `npm run -s services:key`: mints a first gateway API key (scopes read, trade, admin; all accounts).
 * The key goes to stderr, shown once; stdout gets the `.env` line with its record (id, SHA-256,
 * scopes — never the key), which the compose file hands to the gateway:
 *   npm run -s services:key >> examples/services/.env
 */
const { key, record } = mintApiKey({ scopes: ['read', 'trade', 'admin'], accounts: '*', label: 'bootstrap' });
process.stderr.write(`API key (shown once; scopes read, trade, admin; all accounts):\n${key}\n`);
process.stdout.write(`GATEWAY_BOOTSTRAP_KEY_RECORD='${JSON.stringify(record)}'\n`);
