/**
 * The one database interface the services use. Two adapters implement it — PGlite
 * (embedded default) and node-postgres (production) — running the same SQL.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/** One statement with its parameters (`$1`, `$2`… in the text). */
export interface Statement {
  text: string;
  values?: unknown[];
}

/**
 * A transaction whose statements can share round trips. On PostgreSQL, what goes together is
 * sent as one simple query (BEGIN with the first, COMMIT with the deferred writes): the payment
 * group's transaction takes two round trips where sending its statements one by one takes eight.
 * On PGlite, which has no round trips, statements simply run in order.
 */
export interface PipelinedQueryable extends Queryable {
  /** Runs any deferred statements, then these, in one round trip; these ones' results, in order. */
  queryMany(statements: readonly Statement[]): Promise<QueryResult<Record<string, unknown>>[]>;
  /**
   * Queues a statement whose result is not needed: it goes with the next round trip (at the
   * latest with COMMIT). If it fails, that round trip fails and the transaction rolls back.
   */
  defer(statement: Statement): void;
}

/**
 * An open transaction. A service schedules what must follow its writes (events, publishes,
 * metrics) with `afterCommit`: the queue runs, in order, once COMMIT has succeeded, and is
 * dropped if the transaction rolls back, so nothing is announced that did not happen.
 */
export interface Transaction extends Queryable {
  afterCommit(fn: () => void): void;
}

export interface PipelinedTransaction extends PipelinedQueryable, Transaction {}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; rolls back if it throws; then runs its after-commit queue. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** `transaction`, with statements that can share round trips (see PipelinedQueryable). */
  pipelined<T>(fn: (tx: PipelinedTransaction) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Converts int8/numeric text to a JS number, refusing values that would lose precision. */
export function parseSafeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`integer out of safe range: ${text}`);
  return value;
}

/**
 * A PostgreSQL array literal to pass as one query parameter (`$1::bigint[]`), built in one
 * pass. The drivers' generic array encoding makes several calls per element, which shows on
 * the ingest hot path (a dozen arrays of hundreds of elements per batch). Strings are always
 * quoted (so `NULL` stays a string) with `"` and `\` escaped; numbers must be finite.
 */
export function arrayLiteral(values: readonly (string | number | boolean | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) out += ',';
    if (v === null) out += 'NULL';
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
      out += String(v);
    } else if (typeof v === 'boolean') out += v ? 't' : 'f';
    else out += `"${NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, '\\$&') : v}"`;
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * A PipelinedQueryable over `run`, which executes statements in order in one round trip, and
 * `single`, the driver's own path for one statement when nothing is deferred. `flush` runs
 * what is still deferred (with `final`, e.g. COMMIT, when given).
 */
export function pipelineOver(
  run: (statements: readonly Statement[]) => Promise<QueryResult<Record<string, unknown>>[]>,
  single: Queryable,
): PipelinedQueryable & { readonly deferred: number; flush(final?: Statement): Promise<void> } {
  const deferred: Statement[] = [];
  const many = async (statements: readonly Statement[]) => {
    if (deferred.length === 0 && statements.length === 0) return [];
    const all = [...deferred.splice(0), ...statements];
    const results = await run(all);
    return results.slice(all.length - statements.length);
  };
  return {
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      if (deferred.length === 0) return single.query<T>(sql, params);
      const [r] = await many([{ text: sql, ...(params === undefined ? {} : { values: params }) }]);
      return r as QueryResult<T>;
    },
    queryMany: many,
    get deferred() {
      return deferred.length;
    },
    defer: (statement) => {
      deferred.push(statement);
    },
    flush: async (final) => {
      await many(final ? [final] : []);
    },
  };
}

/** `tx.queryMany` where the transaction has it, else the statements one after another. */
export async function queryMany(
  tx: Queryable,
  statements: readonly Statement[],
): Promise<QueryResult<Record<string, unknown>>[]> {
  if ('queryMany' in tx) return (tx as PipelinedQueryable).queryMany(statements);
  const out: QueryResult<Record<string, unknown>>[] = [];
  for (const s of statements) out.push(await tx.query(s.text, s.values));
  return out;
}

/** `tx.defer` where the transaction has it (the write goes with the next round trip), else run now. */
export async function deferOrRun(tx: Queryable, statement: Statement): Promise<void> {
  if ('defer' in tx) (tx as PipelinedQueryable).defer(statement);
  else await tx.query(statement.text, statement.values);
}

/**
 * The after-commit queue of one transaction. `run` calls every function even if one throws
 * (one listener's bug must not silence the others), then rethrows the first error: the
 * transaction has committed, but its caller learns that something after it failed.
 */
export class AfterCommitQueue {
  private readonly fns: (() => void)[] = [];

  readonly add = (fn: () => void): void => {
    this.fns.push(fn);
  };

  run(): void {
    const fns = this.fns.splice(0);
    let failure: { err: unknown } | null = null;
    for (const fn of fns) {
      try {
        fn();
      } catch (err) {
        failure ??= { err };
      }
    }
    if (failure) throw failure.err;
  }
}

/** `tx` with an after-commit queue, for the adapters. */
export function withAfterCommit<Q extends Queryable>(tx: Q, queue: AfterCommitQueue): Q & Transaction {
  return Object.assign(tx, { afterCommit: queue.add });
}

/** Node's socket errors that mean the database cannot be reached right now. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** node-postgres's own messages for a connection that ended or could not be made. */
const ENDED =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|connection error/i;

/**
 * Whether `err` says the database is away (stopped, restarting, unreachable), not that the work
 * itself was refused: SQLSTATE class 08 (connection exception), 57P01–57P03 (shut down, crashed,
 * starting up), socket errors and node-postgres's ended-connection errors. Work that failed so
 * may be tried again unchanged once the database is back; any other failure may not.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
    if (UNREACHABLE.has(code)) return true;
  }
  if (err instanceof AggregateError) return err.errors.some(isDatabaseUnavailable);
  return typeof message === 'string' && ENDED.test(message);
}
