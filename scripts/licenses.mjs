// Licence reports of what Umeme ships, and the policy they are checked against. The web
// bundle's report is Vite's own (build.license: the modules actually bundled); the server's
// lists the production dependency tree, everything `npm ci --omit=dev` installs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Licences that may ship with an Apache-2.0 project without conditions on our own code.
 * Anything else, copyleft (GPL, LGPL, AGPL, MPL, EUPL, SSPL…) or unknown, needs a person to
 * look at it before it ships; add it here only after that review.
 */
export const PERMISSIVE_LICENSES = new Set([
  '0BSD',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC0-1.0',
  'CC-BY-4.0',
  'ISC',
  'MIT',
  'MIT-0',
  'Python-2.0',
  'Unlicense',
  'Zlib',
]);

/**
 * Packages under a licence off that list that a person reviewed, by name, with the licence they
 * were reviewed under (a new licence or another package needs its own review) and why they may ship.
 */
export const REVIEWED_PACKAGES = new Map([
  [
    'web-push',
    {
      license: 'MPL-2.0',
      why:
        'MPL-2.0 is file-level copyleft: it binds changes to its own files, not the code that uses it. ' +
        'We ship the npm package unmodified as a separate module with its licence and source, which ' +
        'MPL-2.0 section 3.2 asks of an executable form; no condition reaches Apache-2.0 code. ' +
        'Web push (VAPID, RFC 8291 encryption) is not something to hand-write (issue 18 §4).',
    },
  ],
]);

/** The SPDX identifier or expression of a package.json, including the old `licenses` array. */
export function normaliseLicense(manifest) {
  const { license, licenses } = manifest;
  if (typeof license === 'string' && license.trim()) return license.trim();
  if (license && typeof license.type === 'string') return license.type.trim();
  if (Array.isArray(licenses)) {
    const types = licenses
      .map((l) => (typeof l === 'string' ? l : l?.type))
      .filter((t) => typeof t === 'string');
    if (types.length === 1) return types[0];
    if (types.length > 1) return `(${types.join(' OR ')})`;
  }
  return null;
}

/** Whether an SPDX expression lets us ship under permissive terms: one OR branch suffices, AND needs all. */
function expressionIsPermissive(expression) {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let at = 0;
  const fail = () => {
    throw new SyntaxError(`not an SPDX expression: ${expression}`);
  };
  const orList = () => {
    let ok = andList();
    while (tokens[at] === 'OR') {
      at++;
      ok = andList() || ok;
    }
    return ok;
  };
  const andList = () => {
    let ok = single();
    while (tokens[at] === 'AND') {
      at++;
      ok = single() && ok;
    }
    return ok;
  };
  const single = () => {
    const token = tokens[at++];
    if (token === undefined) fail();
    if (token === '(') {
      const ok = orList();
      if (tokens[at++] !== ')') fail();
      return ok;
    }
    if (token === ')' || token === 'OR' || token === 'AND' || token === 'WITH') fail();
    const ok = PERMISSIVE_LICENSES.has(token.replace(/\+$/, ''));
    // An exception (`GPL-2.0 WITH Classpath-exception-2.0`) never makes a refused licence permissive.
    if (tokens[at] === 'WITH') {
      at++;
      if (tokens[at++] === undefined) fail();
    }
    return ok;
  };
  const ok = orList();
  if (at !== tokens.length) fail();
  return ok;
}

/** Why a package may not ship as it is, or null when it may. */
export function licenseProblem(entry) {
  const label = `${entry.name}@${entry.version}`;
  if (!entry.identifier) return `${label} declares no licence`;
  if (REVIEWED_PACKAGES.get(entry.name)?.license === entry.identifier) return null;
  try {
    if (expressionIsPermissive(entry.identifier)) return null;
  } catch {
    return `${label} has a licence that is not an SPDX expression: ${entry.identifier}`;
  }
  return `${label} is under ${entry.identifier}, which is copyleft or not on the reviewed permissive list`;
}

const LICENSE_FILE = /^(licen[cs]e|copying)/i;

function licenseText(dir) {
  const file = existsSync(dir) ? readdirSync(dir).find((name) => LICENSE_FILE.test(name)) : undefined;
  return file ? readFileSync(join(dir, file), 'utf8').trim() : null;
}

/** npm's own view of the production tree: the packages `npm ci --omit=dev` would install. */
function queryProductionTree(root) {
  const npmCli = process.env.npm_execpath;
  const [command, args] =
    npmCli && npmCli.endsWith('.js')
      ? [process.execPath, [npmCli, 'query', '.prod']]
      : ['npm', ['query', '.prod']];
  const out = execFileSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out);
}

/** The production packages, one entry per name and version, without the root project itself. */
export function productionPackages(root) {
  const byKey = new Map();
  for (const node of queryProductionTree(root)) {
    if (!node.location) continue;
    const entry = {
      name: node.name,
      version: node.version ?? '0.0.0',
      identifier: normaliseLicense(node),
      text: licenseText(node.path),
    };
    byKey.set(`${entry.name}@${entry.version}`, entry);
  }
  return [...byKey.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The same Markdown shape as Vite's report, so one reader parses both. */
export function renderReport(title, intro, entries) {
  let text = `# ${title}\n\n${intro}\n`;
  for (const e of entries) {
    text += `\n## ${e.name} - ${e.version}${e.identifier ? ` (${e.identifier})` : ''}\n`;
    if (e.text) text += `\n${e.text}\n`;
  }
  return text;
}

const HEADING = /^## (@?[a-z0-9][\w.\-~]*(?:\/[\w.\-~]+)?) - (\d+\.\d+\.\d+[\w.\-+]*)(?: \((.+)\))?$/;

/** The packages a report names: `## name - version (identifier)` lines. */
export function parseReport(markdown) {
  return markdown
    .split('\n')
    .map((line) => HEADING.exec(line))
    .filter((m) => m !== null)
    .map(([, name, version, identifier]) => ({ name, version, identifier: identifier ?? null }));
}

export function writeServerLicenseReport(root, file) {
  const entries = productionPackages(root);
  const intro =
    'The server ships with the production dependency tree, the packages `npm ci --omit=dev` installs ' +
    '(including the workspaces, Apache-2.0, whose text is LICENSE at the root):';
  writeFileSync(file, renderReport('Licences', intro, entries));
  return { file, count: entries.length };
}
