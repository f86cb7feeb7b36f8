import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import {
  AfterCommitQueue,
  pipelineOver,
  withAfterCommit,
  type Db,
  type Queryable,
  type QueryResult,
  type Statement,
} from './db';
import { TYPE_PARSERS } from './type-parsers';

for (const [oid, parse] of Object.entries(TYPE_PARSERS)) pg.types.setTypeParser(Number(oid), parse);

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

/**
 * Pipelined transactions send one simple query, which takes no parameters: a statement goes as
 * `EXECUTE name(literal, …)` of a statement `PREPARE`d on that connection the first time it is
 * sent there, so PostgreSQL parses and analyses it once per connection. It still plans each
 * execution for its values (`plan_cache_mode = force_custom_plan`, for the transaction only, up
 * to the round trip that commits: PIPELINE_COMMIT_PLANS): a generic plan made while a table was
 * small (a new database) stays wrong once it has grown.
 * SQL-level names (`p…`) stay apart from the protocol-level ones (`u…`) of `statementName`.
 * A connection whose pipelined round trip failed with a `PREPARE` in it is closed, not reused:
 * which of its statements were prepared is then unknown.
 */
const sqlPrepared = new WeakMap<pg.PoolClient, Set<string>>();

interface PipelinedText {
  text: string;
  /** index of each statement's own result among the query's results */
  resultAt: number[];
  /** names this query prepares */
  preparing: string[];
}

/** One simple query for these statements on a connection that has prepared `prepared`. */
export function pipelinedText(
  statements: readonly Statement[],
  prepared: ReadonlySet<string>,
): PipelinedText {
  const parts: string[] = [];
  const resultAt: number[] = [];
  const preparing: string[] = [];
  for (const s of statements) {
    const protocolName = s.values && s.values.length > 0 ? statementName(s.text) : undefined;
    if (protocolName === undefined) {
      parts.push(inlineStatement(s));
    } else {
      const name = `p${protocolName.slice(1)}`;
      if (!prepared.has(name) && !preparing.includes(name)) {
        parts.push(`PREPARE ${name} AS ${s.text}`);
        preparing.push(name);
      }
      parts.push(`EXECUTE ${name}(${s.values!.map(sqlLiteral).join(', ')})`);
    }
    resultAt.push(parts.length - 1);
  }
  return { text: parts.join(';\n'), resultAt, preparing };
}

const PIPELINE_BEGIN = ['BEGIN', 'SET LOCAL plan_cache_mode = force_custom_plan'];

/**
 * The round trip that commits goes back to PostgreSQL's default plan choice first. Its
 * statements write rows found by their keys, and the foreign-key checks those writes fire are
 * cached plans too: forced custom, each check was planned again for every row (a third of
 * PostgreSQL's planning in the payments benchmark, which fell from 1.5 s to 0.9 s a run:
 * docs/payments.md, "7 Dec 2026, later"). The reads that need plans for their values come before it.
 */
const PIPELINE_COMMIT_PLANS = 'SET LOCAL plan_cache_mode = auto';
const COMMIT: Statement = { text: 'COMMIT' };

/** What a pipelined round trip sends before its statements: BEGIN with the first, the plan reset with COMMIT. */
function preamble(begun: boolean, statements: readonly Statement[]): readonly string[] {
  if (!begun) return PIPELINE_BEGIN;
  return statements.at(-1) === COMMIT ? [PIPELINE_COMMIT_PLANS] : [];
}

/**
 * A statement with its parameters written in as literals, for a multi-statement simple query
 * (which takes no parameters). Every value becomes a quoted, escaped literal, so the text's
 * casts (`$1::text[]`) type it exactly as a parameter would be. `$n` must appear only as
 * placeholders in the text, never inside its own string constants.
 */
export function inlineStatement({ text, values }: Statement): string {
  if (values === undefined || values.length === 0) return text;
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= values.length) throw new RangeError(`no value for $${n}`);
    return sqlLiteral(values[index]);
  });
}

/** node-postgres's own encoding of a parameter (arrays, dates, JSON objects), as text. */
const prepareValue = createRequire(import.meta.url)('pg/lib/utils').prepareValue as (
  value: unknown,
) => string | Buffer | null;

function sqlLiteral(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  const text = prepareValue(v);
  if (text === null) return 'NULL';
  if (typeof text !== 'string') throw new TypeError('binary values cannot be written into a statement');
  return escapeLiteral(text);
}

/**
 * `pg.escapeLiteral`'s output (quotes doubled; with a backslash, the E'' form with backslashes
 * doubled, so no setting can change their meaning), built with two regular expressions instead
 * of one concatenation per character: the values here are arrays of receipts, kilobytes long.
 */
function escapeLiteral(text: string): string {
  const quoted = text.includes("'") ? text.replace(QUOTES, "''") : text;
  return text.includes('\\') ? ` E'${quoted.replace(BACKSLASHES, '\\\\')}'` : `'${quoted}'`;
}

const QUOTES = /'/g;
const BACKSLASHES = /\\/g;

interface PostgresOptions {
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
  // Nor may one that is checked out: the pool listens only to idle clients, and a connection
  // ended by PostgreSQL between two statements of a transaction emits 'error' with no query to
  // fail. Its next statement fails instead, and the pool drops it on release (not queryable).
  pool.on('connect', (client) => client.on('error', () => {}));
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
      const queue = new AfterCommitQueue();
      let result;
      try {
        await c.query('BEGIN');
        result = await fn(withAfterCommit(wrap(c), queue));
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
      queue.run();
      return result;
    },
    async pipelined(fn) {
      const c = await pool.connect();
      let begun = false;
      /** a round trip that was to PREPARE failed: this connection is closed, not reused */
      let uncertain = false;
      let prepared = sqlPrepared.get(c);
      if (!prepared) sqlPrepared.set(c, (prepared = new Set()));
      const single = wrap(c);
      const pipe = pipelineOver(
        async (statements) => {
          const query = pipelinedText(statements, prepared);
          const first = preamble(begun, statements);
          const offset = first.length;
          const text = offset === 0 ? query.text : `${first.join(';\n')};\n${query.text}`;
          begun = true; // from here on, a failure must roll back
          let r: pg.QueryResult | pg.QueryResult[];
          try {
            r = await c.query(text);
          } catch (err) {
            if (query.preparing.length > 0) uncertain = true;
            throw err;
          }
          for (const name of query.preparing) prepared.add(name);
          const all = Array.isArray(r) ? r : [r];
          const expected = offset + (query.resultAt.at(-1) ?? -1) + 1;
          if (all.length !== expected) throw new Error(`expected ${expected} results, got ${all.length}`);
          return query.resultAt.map((i) => {
            const x = all[offset + i]!;
            return { rows: x.rows as Record<string, unknown>[], rowCount: x.rowCount ?? x.rows.length };
          });
        },
        {
          // BEGIN rides with the first statement; after that, the prepared path
          query: <T>(sql: string, params?: unknown[]) =>
            begun
              ? single.query<T>(sql, params)
              : pipe
                  .queryMany([{ text: sql, ...(params === undefined ? {} : { values: params }) }])
                  .then(([r]) => r as QueryResult<T>),
        },
      );
      const queue = new AfterCommitQueue();
      let result;
      try {
        result = await fn(withAfterCommit(pipe, queue));
        if (begun || pipe.deferred > 0) await pipe.flush(COMMIT);
      } catch (err) {
        if (begun && !uncertain) await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release(uncertain);
      }
      queue.run();
      return result;
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
