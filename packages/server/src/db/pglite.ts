import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  AfterCommitQueue,
  pipelineOver,
  withAfterCommit,
  type Db,
  type Queryable,
  type QueryResult,
} from './db';
import { migrate } from './migrate';
import { TYPE_PARSERS } from './type-parsers';

export interface PgliteOptions {
  /**
   * A dump (`migratedPgliteDump`) the in-memory database starts from instead of an empty one:
   * tests start dozens of servers, and making a database from nothing (PostgreSQL's initdb, in
   * WASM) is most of each start.
   */
  from?: Blob;
}

/** Embedded PostgreSQL (WASM). `dataDir` null keeps it in memory (tests). */
export async function openPglite(dataDir: string | null, opts: PgliteOptions = {}): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const parsers = { ...TYPE_PARSERS };
  const pg = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(dataDir === null && opts.from ? { loadDataDir: opts.from } : {}),
    parsers,
  });
  return dbOver(pg);
}

/** A new in-memory database with every migration applied, dumped: what `opts.from` takes. */
export async function migratedPgliteDump(): Promise<Blob> {
  const pg = await PGlite.create({ parsers: { ...TYPE_PARSERS } });
  try {
    await migrate(dbOver(pg));
    return await pg.dumpDataDir('none');
  } finally {
    await pg.close();
  }
}

function dbOver(pg: PGlite): Db {
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const r = await q.query<T>(sql, params as unknown[]);
      // PGlite reports affectedRows 0 for SELECT; rows tell the truth when there are any
      return { rows: r.rows, rowCount: r.rows.length > 0 ? r.rows.length : (r.affectedRows ?? 0) };
    },
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: <T>(sql: string, params?: unknown[]) => base.query<T>(sql, params),
    async transaction(fn) {
      const queue = new AfterCommitQueue();
      const result = await pg.transaction((tx) => fn(withAfterCommit(wrap(tx), queue)));
      queue.run();
      return result;
    },
    // No round trips to save: statements run one after another.
    async pipelined(fn) {
      const queue = new AfterCommitQueue();
      const result = await pg.transaction(async (tx) => {
        const q = wrap(tx);
        const pipe = pipelineOver(async (statements) => {
          const out: QueryResult<Record<string, unknown>>[] = [];
          for (const s of statements) out.push(await q.query(s.text, s.values));
          return out;
        }, q);
        const result = await fn(withAfterCommit(pipe, queue));
        await pipe.flush();
        return result;
      });
      queue.run();
      return result;
    },
    exec: async (sql) => {
      await pg.exec(sql);
    },
    close: () => pg.close(),
  };
}
