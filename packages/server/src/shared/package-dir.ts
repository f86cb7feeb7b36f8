import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SERVER_PACKAGE_NAME = '@umeme/server';

/**
 * The directory of the server package, the one holding its package.json and migrations/. It is
 * found by walking up from the running module because that module lives in two places: under
 * src/shared/ when run from source with tsx, and in dist/main.js once bundled for production.
 */
export function findServerPackageDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (name === SERVER_PACKAGE_NAME) return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`no package.json of ${SERVER_PACKAGE_NAME} in ${start} or any folder above it`);
    }
  }
}

export const SERVER_PACKAGE_DIR = findServerPackageDir(import.meta.dirname);

/** The SQL migrations, shipped beside the source and the bundle alike. */
export const MIGRATIONS_DIR = join(SERVER_PACKAGE_DIR, 'migrations');

/** Where `npm run build:web` puts the dashboard. */
export const DEFAULT_WEB_DIST_DIR = join(SERVER_PACKAGE_DIR, '..', 'web', 'dist');
