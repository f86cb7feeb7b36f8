import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  url: string;
  /**
   * A pool on it for the caller's own queries. Its idle connections may be ended by the server
   * (`drop` forces them out, and pg-pool's `end` does not wait for them to close): pg-pool reports
   * that as an 'error' event, which with no listener is an uncaught exception that fails the run.
   */
  pool: (max: number) => pg.Pool;
  /** Removes it, ending whatever is still connected. */
  drop: () => Promise<void>;
}

/** A new, empty PostgreSQL database on the server at `base`, named `<prefix>_<random>`. */
export async function scratchDatabase(base: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    pool: (max) => {
      const pool = new pg.Pool({ connectionString: url.toString(), max });
      pool.on('error', () => {});
      return pool;
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
