import { RxtradeError } from '../errors';
import type { ListPageOptions, StateRecord, StateStore } from './state-store';

/** Largest {@link ListPageOptions.limit}. */
export const MAX_LIST_PAGE = 10_000;

/**
 * Compares keys in Unicode code point order (which is UTF-8 byte order, as Redis sorts), not in
 * UTF-16 code unit order (`<`): the two differ only for characters above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) encode code points above U+FFFF: move them above the rest of the BMP.
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Checks a page request and decodes its cursor (the last key of the previous page). Throws
 * `INVALID_ARGUMENT` for a bad limit or a cursor that is not one of this prefix's.
 */
export function parseListPage(
  prefix: string,
  options: ListPageOptions = {},
): { readonly after: string | undefined; readonly limit: number } {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_PAGE) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `list page limit must be an integer from 1 to ${MAX_LIST_PAGE}, got ${limit}`,
    });
  }
  if (options.cursor === undefined) return { after: undefined, limit };
  const after = Buffer.from(options.cursor, 'base64url').toString('utf8');
  if (!after.startsWith(prefix) || encodeListCursor(after) !== options.cursor) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `cursor ${JSON.stringify(options.cursor)} is not a cursor of prefix ${JSON.stringify(prefix)}`,
    });
  }
  return { after, limit };
}

/** The cursor that continues after `key` (opaque to callers). */
export function encodeListCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/**
 * Every record under `prefix`, page by page: what {@link StateStore.list} is. Memory grows with the
 * result; prefer {@link StateStore.listPage} where the prefix can hold many records.
 */
export async function listAll(
  store: Pick<StateStore, 'listPage'>,
  prefix: string,
  pageSize = 1_000,
): Promise<Array<readonly [key: string, record: StateRecord]>> {
  const out: Array<readonly [string, StateRecord]> = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPage(
      prefix,
      cursor === undefined ? { limit: pageSize } : { cursor, limit: pageSize },
    );
    for (const entry of page.entries) out.push(entry);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}
