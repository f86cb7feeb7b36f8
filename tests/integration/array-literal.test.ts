/**
 * Array literals (ingest passes its batch arrays this way) read back exactly as written, on
 * PGlite and, when DATABASE_URL is set, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral, type Db } from '../../packages/server/src/db/db';
import { dbTargets } from '../helpers/db-targets';

describe.each(dbTargets())('array literals on %s', (_name, open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('text, with quotes, backslashes, commas, braces, spaces, "NULL" and null', async () => {
    const values = ['M-001', 'say "hi"', 'back\\slash', 'a,b', '{x}', ' padded ', 'NULL', '', null];
    const { rows } = await db.query<{ v: (string | null)[] }>(`SELECT $1::text[] AS v`, [
      arrayLiteral(values),
    ]);
    expect(rows[0]!.v).toEqual(values);
  });

  it('bigint, int and bool, with nulls and the largest safe integer', async () => {
    const big = [0, -1, 9_007_199_254_740_991, null];
    const { rows } = await db.query<{ b: string; i: number[]; f: boolean[] }>(
      `SELECT $1::bigint[]::text AS b, $2::int[] AS i, $3::bool[] AS f`,
      [arrayLiteral(big), arrayLiteral([1, 2, 3]), arrayLiteral([true, false])],
    );
    expect(rows[0]!.b).toBe('{0,-1,9007199254740991,NULL}');
    expect(rows[0]!.i).toEqual([1, 2, 3]);
    expect(rows[0]!.f).toEqual([true, false]);
  });

  it('an empty array', async () => {
    const { rows } = await db.query<{ n: number }>(`SELECT cardinality($1::text[]) AS n`, [arrayLiteral([])]);
    expect(rows[0]!.n).toBe(0);
  });
});
