// One migrated PGlite database per test run, dumped to disk: every in-memory test server starts
// from it instead of running initdb (in WASM) and the migrations itself, most of each start.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { migratedPgliteDump } from '../../packages/server/src/db/pglite';
import { MIGRATIONS_DIR } from '../../packages/server/src/shared/package-dir';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules/.cache/umeme-pglite');
const LOCK_STALE_MS = 120_000;

/** Names the dump by what makes it: the migrations' text and PGlite's version. */
function templateKey(): string {
  const hash = createHash('sha256');
  const pglite = JSON.parse(
    readFileSync(join(REPO_ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ) as { version: string };
  hash.update(`pglite ${pglite.version}\n`);
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 24);
}

let cached: Promise<Blob> | undefined;

/**
 * The migrated database's dump. Test files run in parallel workers: the first to need it makes
 * it under a lock directory, the others wait and read the file.
 */
export function pgliteTemplate(): Promise<Blob> {
  cached ??= load();
  return cached;
}

async function load(): Promise<Blob> {
  const file = join(CACHE_DIR, `${templateKey()}.tar`);
  const read = () => new Blob([readFileSync(file)]);
  if (statSync(file, { throwIfNoEntry: false })) return read();
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (statSync(file, { throwIfNoEntry: false })) return read();
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS || Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (statSync(file, { throwIfNoEntry: false })) return read();
    const dump = await migratedPgliteDump();
    const bytes = Buffer.from(await dump.arrayBuffer());
    // Written aside and renamed: a reader never sees half a file.
    writeFileSync(`${file}.part`, bytes);
    renameSync(`${file}.part`, file);
    return new Blob([bytes]);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
