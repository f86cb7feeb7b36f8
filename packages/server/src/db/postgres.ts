import { createHash } from 'node:crypto';
import pg from 'pg';
import { parseSafeInteger, type Db, type Queryable, type QueryResult } from './db';

pg.types.setTypeParser(pg.types.builtins.INT8, parseSafeInteger);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, parseSafeInteger);

/**
 * Parameterised statements are prepared once per connection under a name derived from their
 * text, so PostgreSQL parses and plans each only once (the hot paths run the same few
 * statements thousands of times). Bounded: past this many distinct texts, queries run unnamed.
 */
const MAX_PREPARED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `u${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

export interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
}

export async function openPostgres(opts: PostgresOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    statement_timeout: opts.statementTimeoutMs,
    // How long a caller may wait for a pooled connection under a burst before failing
    // (a failed callback is redelivered by Daraja; a failed batch is redelivered by MQTT).
    connectionTimeoutMillis: 15_000,
  });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => {});
  const client = await pool.connect();
  client.release();
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const name = params === undefined ? undefined : statementName(sql);
      const r = await (name === undefined
        ? q.query(sql, params)
        : q.query({ name, text: sql, values: params }));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: <T>(sql: string, params?: unknown[]) => base.query<T>(sql, params),
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const result = await fn(wrap(c));
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
