/**
 * The after-commit queue of a transaction (plain and pipelined): what a service schedules runs,
 * in order, only once COMMIT has succeeded, never when the transaction rolls back (including a
 * deferred write that fails at COMMIT), and one failing function does not silence the others.
 * On PGlite and, when DATABASE_URL is set, on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Transaction } from '../../packages/server/src/db/db';
import { dbTargets } from '../helpers/db-targets';

describe.each(dbTargets())('after-commit queue on %s', (_name, open) => {
  let db: Db;
  const table = `after_commit_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await open();
    await db.exec(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
  });
  afterAll(async () => {
    await db.exec(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  });

  const kinds = ['transaction', 'pipelined'] as const;
  const run = <T>(kind: (typeof kinds)[number], fn: (tx: Transaction) => Promise<T>) =>
    kind === 'transaction' ? db.transaction(fn) : db.pipelined(fn);
  const exists = async (id: number) =>
    (await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).rows.length === 1;

  it.each(kinds)(
    '%s: scheduled events run after COMMIT, in order, and see the committed rows',
    async (kind) => {
      const id = 100 + kinds.indexOf(kind);
      const events: string[] = [];
      const seenInsideTransaction: boolean[] = [];
      const result = await run(kind, async (tx) => {
        await tx.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
        tx.afterCommit(() => events.push('first'));
        tx.afterCommit(() => events.push('second'));
        seenInsideTransaction.push(events.length > 0);
        return 'done';
      });
      expect(result).toBe('done');
      expect(seenInsideTransaction).toEqual([false]);
      expect(events).toEqual(['first', 'second']);
      expect(await exists(id)).toBe(true);
    },
  );

  it.each(kinds)('%s: a transaction that throws rolls back and runs none of its events', async (kind) => {
    const id = 200 + kinds.indexOf(kind);
    const events: string[] = [];
    await expect(
      run(kind, async (tx) => {
        await tx.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
        tx.afterCommit(() => events.push('credited'));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(events).toEqual([]);
    expect(await exists(id)).toBe(false);
  });

  it('pipelined: a deferred write that fails at COMMIT runs none of the events', async () => {
    const events: string[] = [];
    await db.query(`INSERT INTO ${table} (id) VALUES (300)`);
    await expect(
      db.pipelined(async (tx) => {
        tx.defer({ text: `INSERT INTO ${table} (id) VALUES ($1)`, values: [301] });
        tx.afterCommit(() => events.push('credited'));
        // a duplicate key: fails only when it is sent, with COMMIT
        tx.defer({ text: `INSERT INTO ${table} (id) VALUES ($1)`, values: [300] });
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(events).toEqual([]);
    expect(await exists(301)).toBe(false);
  });

  it.each(kinds)(
    '%s: one failing event does not stop the others; the caller sees its error',
    async (kind) => {
      const id = 400 + kinds.indexOf(kind);
      const events: string[] = [];
      await expect(
        run(kind, async (tx) => {
          await tx.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
          tx.afterCommit(() => {
            throw new Error('listener bug');
          });
          tx.afterCommit(() => events.push('still published'));
        }),
      ).rejects.toThrow('listener bug');
      expect(events).toEqual(['still published']);
      expect(await exists(id)).toBe(true);
    },
  );
});
