// Run by `npm test`: fails on any import cycle between source files (type-only imports count),
// except the cycles named in scripts/import-cycles.allow.mjs.
//
//   node scripts/check-import-cycles.mjs [--allow FILE] [FOLDER...]
//
// Folders default to every packages/*/src. dependency-cruiser reports each import that lies on
// a cycle, with one cycle through it; a cycle is allowed when all its files belong to one
// allow-list entry, so a new cycle that reaches any other file fails.
import { readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = resolve(import.meta.dirname, '..');

function parseArgs(argv) {
  let allowFile = join(root, 'scripts/import-cycles.allow.mjs');
  const folders = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--allow') allowFile = resolve(argv[++i] ?? '');
    else folders.push(argv[i]);
  }
  if (folders.length === 0) {
    for (const name of readdirSync(join(root, 'packages')).sort()) {
      const src = join('packages', name, 'src');
      if (existsSync(join(root, src))) folders.push(src);
    }
  }
  return { allowFile, folders };
}

/** Every cycle reported, as lists of files relative to the repository, one per distinct file set. */
async function findCycles(folders) {
  const result = await cruise(
    folders.map((f) => relative(root, resolve(f))),
    {
      baseDir: root,
      validate: true,
      ruleSet: { forbidden: [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }] },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: 'node_modules' },
    },
    undefined,
    { tsConfig: extractTSConfig(join(root, 'tsconfig.json')) },
  );
  const cycles = new Map();
  for (const v of result.output.summary.violations) {
    if (v.rule.name !== 'no-circular') continue;
    const files = [v.from, ...v.cycle.map((step) => (typeof step === 'string' ? step : step.name))];
    const ring = [...new Set(files)];
    const key = [...ring].sort().join('\n');
    if (!cycles.has(key)) cycles.set(key, ring);
  }
  return { cycles: [...cycles.values()], modules: result.output.summary.totalCruised };
}

const { allowFile, folders } = parseArgs(process.argv.slice(2));
const allowed = (await import(pathToFileURL(allowFile).href)).default;
const { cycles, modules } = await findCycles(folders);

const used = new Set();
const refused = [];
for (const ring of cycles) {
  const entry = allowed.find((a) => ring.every((file) => a.files.includes(file)));
  if (entry) used.add(entry.name);
  else refused.push(ring);
}
for (const entry of allowed) {
  if (!used.has(entry.name)) {
    console.log(`import cycles: allow-list entry "${entry.name}" matches no cycle now; remove it.`);
  }
}
if (refused.length > 0) {
  console.error(`import cycles: ${refused.length} cycle(s) not allowed:`);
  for (const ring of refused) console.error(`  ${[...ring, ring[0]].join('\n    -> ')}`);
  console.error('Move what both sides need into a module of its own (see docs/architecture.md).');
  process.exit(1);
}
console.log(
  `import cycles: none in ${modules} modules of ${folders.join(', ')}` +
    (used.size > 0 ? ` (allowed by the list: ${[...used].join('; ')})` : ''),
);
