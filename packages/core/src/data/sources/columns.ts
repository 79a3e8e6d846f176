import { z } from 'zod';

/** A column by header name (case-insensitive) or by 0-based index. */
export type ColumnRef = string | number;

/**
 * Where each bar field lives in a CSV row or JSON record. Unset fields fall back to the usual names
 * (see `DEFAULT_COLUMN_NAMES` in columns.ts); without a header, to the order time, open, high, low, close, volume.
 * `volume: null` means the data has no volume: bars get volume 0. A symbol column is only read when
 * configured or found by name and no `symbol` option is given.
 */
export interface BarColumns {
  readonly time?: ColumnRef;
  readonly open?: ColumnRef;
  readonly high?: ColumnRef;
  readonly low?: ColumnRef;
  readonly close?: ColumnRef;
  readonly volume?: ColumnRef | null;
  readonly symbol?: ColumnRef;
}

/** The fields a row is split into, in the order used by the positional (header-less) default. */
export const COLUMN_ROLES = ['time', 'open', 'high', 'low', 'close', 'volume', 'symbol'] as const;

/** One of {@link COLUMN_ROLES}. */
export type ColumnRole = (typeof COLUMN_ROLES)[number];

/** Header names recognised for each field when not configured, tried in order, compared case-insensitively. */
export const DEFAULT_COLUMN_NAMES: Readonly<Record<ColumnRole, readonly string[]>> = {
  time: ['ts', 'timestamp', 'datetime', 'date', 'time', 'open_time'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c'],
  volume: ['volume', 'vol', 'v'],
  symbol: ['symbol', 'ticker'],
};

const columnRef = z.union([z.string().min(1), z.number().int().nonnegative()]);

/** zod schema of {@link BarColumns}. */
export const barColumnsSchema = z
  .object({
    time: columnRef.optional(),
    open: columnRef.optional(),
    high: columnRef.optional(),
    low: columnRef.optional(),
    close: columnRef.optional(),
    volume: columnRef.nullable().optional(),
    symbol: columnRef.optional(),
  })
  .strict();

/** Normalises a header cell for name matching: trimmed, unquoted, lower-case. */
export function normaliseHeaderName(name: string): string {
  let n = name.trim();
  if (n.length >= 2 && n.startsWith('"') && n.endsWith('"')) n = n.slice(1, -1).trim();
  return n.toLowerCase();
}
