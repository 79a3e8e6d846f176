import { RxtradeError } from '@rxtrade/core';
import { writeVenueCredentials } from './venue';

/**
 * `npm run -s services:venue-credentials -- <accountId> <file>`: encrypts one account's exchange API
 * key for the order service (`ORDER_VENUE=ccxt`, `VENUE_CREDENTIALS_FILE`) with the key of
 * `RXTRADE_CREDENTIALS_KEY_FILE` or `RXTRADE_CREDENTIALS_KEY`, and adds it to `file`. The key and the
 * secret are read from `VENUE_API_KEY` and `VENUE_API_SECRET` (never from the command line, which
 * other users of the machine can see); nothing secret is printed.
 */
const [accountId, file] = process.argv.slice(2);
const apiKey = process.env['VENUE_API_KEY'];
const secret = process.env['VENUE_API_SECRET'];
if (accountId === undefined || file === undefined || !apiKey || !secret) {
  throw new RxtradeError({
    code: 'INVALID_CONFIG',
    message:
      'usage: VENUE_API_KEY=… VENUE_API_SECRET=… npm run -s services:venue-credentials -- <accountId> <file>',
  });
}
writeVenueCredentials(file, { accountId, apiKey, secret });
process.stderr.write(`venue credentials of ${accountId} written to ${file} (encrypted)\n`);
