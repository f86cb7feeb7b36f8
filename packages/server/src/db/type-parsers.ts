import { parseSafeInteger } from './db';

/**
 * How both adapters turn PostgreSQL's text into JavaScript values where the drivers' defaults
 * do not suit: bigint and numeric (money and energy sums) as numbers, refused when they would
 * lose precision, instead of strings. Keyed by type OID, which PGlite and node-postgres share.
 */
export const TYPE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  /** int8 */
  20: parseSafeInteger,
  /** numeric */
  1700: parseSafeInteger,
};
