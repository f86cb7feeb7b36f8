// Protects how the server finds its migrations and the dashboard, whether it runs from source or bundled.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WEB_DIST_DIR,
  MIGRATIONS_DIR,
  SERVER_PACKAGE_DIR,
  findServerPackageDir,
} from './package-dir';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository-shaped folder: packages/server/package.json, and the folder a bundle runs from. */
function layout(): { root: string; serverDir: string; distDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'umeme-package-dir-'));
  made.push(root);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'umeme' }));
  const serverDir = join(root, 'packages', 'server');
  const distDir = join(serverDir, 'dist');
  mkdirSync(distDir, { recursive: true });
  writeFileSync(join(serverDir, 'package.json'), JSON.stringify({ name: '@umeme/server' }));
  return { root, serverDir, distDir };
}

describe('the server package directory', () => {
  it('run from source, it is the package holding the migrations, beside the web package', () => {
    expect(existsSync(join(SERVER_PACKAGE_DIR, 'package.json'))).toBe(true);
    expect(existsSync(join(MIGRATIONS_DIR, '001_init.sql'))).toBe(true);
    expect(DEFAULT_WEB_DIST_DIR).toBe(join(SERVER_PACKAGE_DIR, '..', 'web', 'dist'));
  });

  it('a bundle in dist/ finds the same package one folder up, past other package.json files', () => {
    const { serverDir, distDir } = layout();
    writeFileSync(join(distDir, 'package.json'), JSON.stringify({ type: 'module' }));
    expect(findServerPackageDir(distDir)).toBe(serverDir);
    expect(findServerPackageDir(join(serverDir, 'src', 'shared'))).toBe(serverDir);
  });

  it('outside any server package it fails, naming the folder it started from', () => {
    const { root } = layout();
    expect(() => findServerPackageDir(root)).toThrow(root);
  });
});
