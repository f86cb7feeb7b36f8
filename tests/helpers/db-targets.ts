import type { Db } from '../../packages/server/src/db/db';
import { openPglite } from '../../packages/server/src/db/pglite';
import { openPostgres } from '../../packages/server/src/db/postgres';

/**
 * The databases a data-layer test runs on, by name, each opened on demand: PGlite (in memory)
 * always, PostgreSQL when DATABASE_URL is set.
 */
export function dbTargets(): ['pglite' | 'postgres', () => Promise<Db>][] {
  const targets: ['pglite' | 'postgres', () => Promise<Db>][] = [['pglite', () => openPglite(null)]];
  const url = process.env.DATABASE_URL;
  if (url) targets.push(['postgres', () => openPostgres({ url, poolSize: 2, statementTimeoutMs: 10_000 })]);
  return targets;
}
