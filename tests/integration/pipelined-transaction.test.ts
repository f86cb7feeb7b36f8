/**
 * Pipelined transactions (the payment settle batch runs in one): statements that share a round
 * trip run in order, deferred writes go with the next round trip or COMMIT, a failure anywhere
 * rolls everything back, and values written into the text read back exactly as a parameter
 * would. On PGlite and, when DATABASE_URL is set, on PostgreSQL (where the values are inlined).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral, type Db } from '../../packages/server/src/db/db';
import { inlineStatement, pipelinedText } from '../../packages/server/src/db/postgres';
import { dbTargets } from '../helpers/db-targets';

describe.each(dbTargets())('pipelined transactions on %s', (_name, open) => {
  let db: Db;
  const table = `pipe_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await open();
    await db.exec(`CREATE TABLE ${table} (id int PRIMARY KEY, label text, tags text[], at timestamptz)`);
  });
  afterAll(async () => {
    await db.exec(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  });

  const count = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

  it('runs statements in order, sees its own deferred writes, and commits them', async () => {
    const before = await count();
    const seen = await db.pipelined(async (tx) => {
      tx.defer({ text: `INSERT INTO ${table} (id, label) VALUES ($1, $2)`, values: [1, 'first'] });
      const [a, b] = await tx.queryMany([
        { text: `SELECT label FROM ${table} WHERE id = $1`, values: [1] },
        { text: `SELECT $1::int + $2::int AS sum`, values: [40, 2] },
      ]);
      tx.defer({ text: `INSERT INTO ${table} (id, label) VALUES ($1, $2)`, values: [2, 'second'] });
      return { label: a!.rows[0]!.label, sum: b!.rows[0]!.sum };
    });
    expect(seen).toEqual({ label: 'first', sum: 42 });
    expect(await count()).toBe(before + 2);
  });

  it('a deferred write that fails at COMMIT rolls the whole transaction back', async () => {
    const before = await count();
    await expect(
      db.pipelined(async (tx) => {
        await tx.query(`INSERT INTO ${table} (id, label) VALUES ($1, $2)`, [10, 'kept?']);
        tx.defer({ text: `INSERT INTO ${table} (id, label) VALUES ($1, $2)`, values: [11, 'ok'] });
        // a duplicate key: fails only when it is sent, with COMMIT
        tx.defer({ text: `INSERT INTO ${table} (id, label) VALUES ($1, $2)`, values: [1, 'dup'] });
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await count()).toBe(before);
  });

  it('the same statements many times over, and after failures: still right', async () => {
    // On PostgreSQL the statements are PREPAREd once per connection; a failed round trip that
    // prepared closes its connection. Interleave successes and failures across the pool.
    for (let i = 0; i < 12; i++) {
      const id = 1000 + i;
      const run = db.pipelined(async (tx) => {
        const [r] = await tx.queryMany([
          { text: `INSERT INTO ${table} (id, label) VALUES ($1, $2) RETURNING id`, values: [id, `n${i}`] },
        ]);
        if (i % 3 === 2)
          tx.defer({ text: `INSERT INTO ${table} (id, label) VALUES ($1, $2)`, values: [id, 'dup'] });
        return r!.rows[0]!.id;
      });
      if (i % 3 === 2) await expect(run).rejects.toThrow(/duplicate key/);
      else expect(await run).toBe(id);
    }
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE id BETWEEN 1000 AND 1011`,
    );
    expect(rows[0]!.n).toBe(8);
  });

  it.runIf(_name === 'postgres')(
    'reads are planned for their values; the round trip that commits goes back to the default plan choice',
    async () => {
      const setting = `current_setting('plan_cache_mode')`;
      const readMode = await db.pipelined(async (tx) => {
        const [r] = await tx.queryMany([{ text: `SELECT ${setting} AS mode, $1::int AS n`, values: [1] }]);
        // a write that fires checks of its own, sent with COMMIT: it records the mode it ran under
        tx.defer({ text: `INSERT INTO ${table} (id, label) VALUES ($1, ${setting})`, values: [3000] });
        return r!.rows[0]!.mode;
      });
      expect(readMode).toBe('force_custom_plan');
      const { rows } = await db.query<{ label: string }>(`SELECT label FROM ${table} WHERE id = 3000`);
      expect(rows[0]!.label).toBe('auto');
      // and nothing of it outlives the transaction (SET LOCAL)
      expect((await db.query<{ mode: string }>(`SELECT ${setting} AS mode`)).rows[0]!.mode).toBe('auto');
    },
  );

  it('a throw in the body rolls back what was already sent', async () => {
    const before = await count();
    await expect(
      db.pipelined(async (tx) => {
        await tx.queryMany([{ text: `INSERT INTO ${table} (id, label) VALUES ($1, $2)`, values: [20, 'x'] }]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await count()).toBe(before);
  });

  it('values come back exactly: quotes, backslashes, injection attempts, nulls, arrays, dates', async () => {
    const hostile = [
      "O'Brien",
      "it''s",
      'back\\slash',
      "'); DROP TABLE users; --",
      '$1 $2 $$ dollar',
      'line\nbreak',
      'unicode ✓ Ω',
    ];
    const at = new Date('2026-12-04T10:20:30.456Z');
    const rows = await db.pipelined(async (tx) => {
      hostile.forEach((label, i) =>
        tx.defer({
          text: `INSERT INTO ${table} (id, label, tags, at) VALUES ($1, $2, $3, $4)`,
          values: [100 + i, label, [label, null, 'b'], at],
        }),
      );
      tx.defer({
        text: `INSERT INTO ${table} (id, label, tags) VALUES ($1, $2, $3::text[])`,
        values: [200, null, arrayLiteral(hostile)],
      });
      const [r] = await tx.queryMany([
        {
          text: `SELECT id, label, tags, at FROM ${table} WHERE id BETWEEN $1 AND $2 ORDER BY id`,
          values: [100, 200],
        },
      ]);
      return r!.rows as { id: number; label: string | null; tags: (string | null)[]; at: Date | null }[];
    });
    expect(rows.map((r) => r.label)).toEqual([...hostile, null]);
    expect(rows.slice(0, hostile.length).map((r) => r.tags)).toEqual(hostile.map((h) => [h, null, 'b']));
    expect(rows.at(-1)!.tags).toEqual(hostile);
    expect(rows[0]!.at!.getTime()).toBe(at.getTime());
    expect((await db.query(`SELECT 1 FROM ${table} WHERE id = 200`)).rowCount).toBe(1);
  });
});

describe('pipelinedText (PostgreSQL)', () => {
  const insert = { text: 'INSERT INTO t (a, b) VALUES ($1, $2)', values: [1, "it's"] };
  it('prepares a statement the first time, then only executes it; parameterless ones go as they are', () => {
    const first = pipelinedText([{ text: 'SELECT 1' }, insert, insert], new Set());
    expect(first.preparing).toHaveLength(1);
    const name = first.preparing[0]!;
    expect(first.text).toBe(
      `SELECT 1;\nPREPARE ${name} AS ${insert.text};\nEXECUTE ${name}('1', 'it''s');\nEXECUTE ${name}('1', 'it''s')`,
    );
    expect(first.resultAt).toEqual([0, 2, 3]);
    const again = pipelinedText([insert], new Set([name]));
    expect(again).toEqual({ text: `EXECUTE ${name}('1', 'it''s')`, resultAt: [0], preparing: [] });
  });
});

describe('inlineStatement', () => {
  it('writes every value as an escaped literal, $10 apart from $1', () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    values[0] = "it's";
    expect(inlineStatement({ text: 'SELECT $1::text, $10::text, $2', values })).toBe(
      "SELECT 'it''s'::text, 'v10'::text, 'v2'",
    );
  });

  it('refuses a placeholder without a value and a number that is not finite', () => {
    expect(() => inlineStatement({ text: 'SELECT $2', values: [1] })).toThrow(/no value for \$2/);
    expect(() => inlineStatement({ text: 'SELECT $1', values: [Number.NaN] })).toThrow(/finite/);
  });

  it("quotes exactly as node-postgres's own escapeLiteral does", () => {
    const samples = ['', 'plain', "it's", "''", '\\', 'a\\b', "\\'", 'Ω ✓ \n', '{"a\\"b"}', "x'\\'y"];
    for (let i = 0; i < 200; i++) {
      samples.push(Array.from({ length: i % 17 }, (_, k) => 'ab\'\\" ,{}'[(i * 7 + k * 13) % 9]).join(''));
    }
    for (const s of samples) expect(inlineStatement({ text: '$1', values: [s] })).toBe(pg.escapeLiteral(s));
  });

  it('backslashes get the E-string form, so no setting can change their meaning', () => {
    expect(inlineStatement({ text: 'SELECT $1', values: ['a\\b'] })).toBe("SELECT  E'a\\\\b'");
  });
});
