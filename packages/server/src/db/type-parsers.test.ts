// Protects the one table of type parsers both database adapters use.
import { types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TYPE_PARSERS } from './type-parsers';

describe('the shared type parsers', () => {
  it('are keyed by the OIDs both drivers name int8 and numeric', () => {
    expect(Object.keys(TYPE_PARSERS).map(Number).sort()).toEqual(
      [pg.types.builtins.INT8, pg.types.builtins.NUMERIC].sort(),
    );
    expect(pgliteTypes.INT8).toBe(pg.types.builtins.INT8);
    expect(pgliteTypes.NUMERIC).toBe(pg.types.builtins.NUMERIC);
  });

  it('read bigint text as a number and refuse one that would lose precision', () => {
    const parse = TYPE_PARSERS[pg.types.builtins.INT8]!;
    expect(parse('9007199254740991')).toBe(9007199254740991);
    expect(() => parse('9007199254740993')).toThrow(RangeError);
  });
});
