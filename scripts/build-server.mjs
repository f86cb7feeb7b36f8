// Bundles the server for production: packages/server/src/main.ts with the workspace packages
// (@umeme/*, TypeScript source) inlined, and every npm package left external, so that the
// bundle runs with plain `node` from a tree installed with `npm ci --omit=dev`. Code behind a
// dynamic import goes to its own chunk: the demo's simulated meters (@umeme/simulator) load only
// in demo mode, and the main bundle is checked to hold none of them.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeServerLicenseReport } from './licenses.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_DIR = join(ROOT, 'packages', 'server');
const OUT_DIR = join(SERVER_DIR, 'dist');
const OUT_FILE = join(OUT_DIR, 'main.js');
/** Source folders that must stay out of main.js: the demo loads them by dynamic import. */
const DEMO_ONLY_SOURCES = ['packages/simulator/'];

/**
 * Packages the server loads by name at run time, out of esbuild's sight: pino starts its
 * transports by name in a worker, and the pipelined statements read pg's own encoder.
 */
const LOADED_AT_RUN_TIME = ['pino-pretty', 'pg'];

const WORKSPACE_SCOPE = '@umeme/';
const builtins = new Set(builtinModules);

/** The package a bare specifier names: `pg/lib/utils` → `pg`, `@fastify/static` → itself. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const isBare = (specifier) => !specifier.startsWith('.') && !specifier.startsWith('/');
const isBuiltin = (specifier) => specifier.startsWith('node:') || builtins.has(packageName(specifier));

/** Every npm package except our own workspaces stays in node_modules. */
const externalNpmPackages = {
  name: 'umeme-external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith(WORKSPACE_SCOPE) || isBuiltin(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Production dependencies declared by the root package and by each workspace. */
function productionDependencies() {
  const manifests = [join(ROOT, 'package.json')];
  const { workspaces = [] } = JSON.parse(readFileSync(manifests[0], 'utf8'));
  for (const pattern of workspaces) {
    if (!pattern.endsWith('/*')) throw new Error(`workspace pattern ${pattern} is not of the form dir/*`);
    const base = join(ROOT, pattern.slice(0, -2));
    for (const name of existsSync(base) ? readdirSync(base) : []) {
      const manifest = join(base, name, 'package.json');
      if (existsSync(manifest)) manifests.push(manifest);
    }
  }
  const names = new Set();
  for (const manifest of manifests) {
    for (const name of Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).dependencies ?? {}))
      names.add(name);
  }
  return names;
}

/** The folder Node would load a package from, starting at `fromDir` (node_modules lookup). */
function packageDirFrom(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return dirname(candidate);
    if (dirname(dir) === dir) return null;
  }
}

/**
 * Checks what the bundle leaves to node_modules: each package must be a production dependency
 * (or `npm prune --omit=dev` removes it), and the bundle in dist/ must find the same copy the
 * source file that imports it finds (a workspace's nested copy would be missed).
 */
function checkExternals(metafile) {
  const production = productionDependencies();
  const problems = [];
  const seen = new Map();
  for (const [input, info] of Object.entries(metafile.inputs)) {
    if (input.split('/').includes('node_modules'))
      problems.push(`${input} was bundled; npm packages must stay external`);
    for (const imported of info.imports) {
      if (!imported.external || !isBare(imported.path) || isBuiltin(imported.path)) continue;
      const name = packageName(imported.path);
      if (!seen.has(name)) seen.set(name, input);
      const fromSource = packageDirFrom(dirname(join(ROOT, input)), name);
      const fromBundle = packageDirFrom(OUT_DIR, name);
      if (fromSource !== fromBundle) {
        problems.push(
          `${name}: ${input} loads ${fromSource ?? 'nothing'} but the bundle would load ${fromBundle ?? 'nothing'}`,
        );
      }
    }
  }
  for (const name of LOADED_AT_RUN_TIME) if (!seen.has(name)) seen.set(name, 'loaded by name at run time');
  for (const [name, by] of seen) {
    if (!production.has(name)) {
      problems.push(
        `${name} (imported by ${by}) is not a production dependency of the root or any workspace`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `the server bundle would not run after npm prune --omit=dev:\n  ${problems.join('\n  ')}`,
    );
  }
  return [...seen.keys()].sort();
}

/**
 * The simulator must reach production only as the demo's lazily loaded chunk: nothing main.js
 * loads at start-up (itself and the chunks it imports statically) may hold it.
 */
function checkDemoOnly(metafile) {
  const loadedAtStart = new Set();
  const pending = [relative(ROOT, OUT_FILE)];
  while (pending.length > 0) {
    const file = pending.pop();
    if (loadedAtStart.has(file)) continue;
    const output = metafile.outputs[file];
    if (!output) throw new Error(`esbuild wrote no ${file}`);
    loadedAtStart.add(file);
    for (const imported of output.imports) {
      if (!imported.external && imported.kind === 'import-statement') pending.push(imported.path);
    }
  }
  const leaked = [...loadedAtStart].flatMap((file) =>
    Object.keys(metafile.outputs[file].inputs)
      .filter((input) => DEMO_ONLY_SOURCES.some((d) => input.startsWith(d)))
      .map((input) => `${input} (in ${file})`),
  );
  if (leaked.length > 0) {
    throw new Error(
      `the server loads demo-only code at start-up (import it dynamically from the demo):\n  ${leaked.join('\n  ')}`,
    );
  }
}

rmSync(OUT_DIR, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: join(SERVER_DIR, 'src', 'main.ts') },
  outdir: OUT_DIR,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: true,
  // Source maps point at the TypeScript files; the original text is in the repository.
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [externalNpmPackages],
});
let externals;
try {
  externals = checkExternals(result.metafile);
  checkDemoOnly(result.metafile);
} catch (err) {
  // A bundle that would fail in production is not left behind for start:prod to run.
  rmSync(OUT_DIR, { recursive: true, force: true });
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
const report = writeServerLicenseReport(ROOT, join(OUT_DIR, 'licenses.md'));
console.log(
  `server bundle: ${relative(ROOT, OUT_FILE)} (${externals.length} npm packages external); ` +
    `licences of ${report.count} production packages: ${relative(ROOT, report.file)}`,
);
