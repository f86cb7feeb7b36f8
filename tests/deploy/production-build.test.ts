// Protects the production deployment: `npm run build` in a copy of the project, `npm prune --omit=dev`,
// then `npm run start:prod` without tsx or Vite, serving the API and the dashboard; and the licence
// reports of what ships.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, startEmulator } from '../../packages/daraja/src/test-support';
import { SERVER_NODE_FLAGS } from '../../packages/server/src/node-flags';
import { scratchDatabase } from '../helpers/scratch-db';
import { licenseProblem, parseReport, type LicenseEntry } from '../../scripts/licenses.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL;
const run = promisify(execFile);

const readReport = (file: string): LicenseEntry[] => parseReport(readFileSync(file, 'utf8'));
const problemOf = licenseProblem;

/** What a copy of the project leaves out: git, earlier builds and what tests and runs leave behind. */
const NOT_COPIED = new Set(['.git', 'dist', 'data', 'test-artifacts', '.sim-state', 'build', '.pio']);

/** Tools that only development needs: none may be left after the prune. */
const DEV_ONLY = ['tsx', 'vite', 'esbuild', 'typescript', 'vitest', 'eslint'];

/** Searched on PATH only, as scripts/preflight.mjs does. */
function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  return null;
}
const MOSQUITTO = findOnPath('mosquitto');

/** A child's environment: only what npm and node need, never Vitest's own (NODE_ENV=test). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', ...extra };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name]) env[name] = process.env[name];
  return env;
}

async function npm(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('npm', args, {
      cwd,
      env: cleanEnv({}),
      maxBuffer: 32 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `check` returns a value, or fails naming what it waited for and what `diagnose`
 * says; an error thrown by `check` ends the wait at once.
 */
async function waitUntil<T>(
  what: string,
  check: () => Promise<T | null>,
  diagnose: () => string,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diagnose()}`);
    await sleep(200);
  }
}

/** A started process and everything it printed; killed with its whole process group. */
class Child {
  output = '';
  readonly process: ChildProcess;
  constructor(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.process = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }
  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }
  tail(chars = 4000): string {
    return this.output.length > chars ? `…${this.output.slice(-chars)}` : this.output;
  }
  async kill(): Promise<void> {
    const pid = this.process.pid;
    if (pid === undefined || this.exited) return;
    const gone = new Promise((r) => this.process.once('exit', r));
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    };
    signalGroup('SIGTERM');
    const hard = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    await gone;
    clearTimeout(hard);
    // npm may exit before the server it started: make sure the group is gone too.
    signalGroup('SIGKILL');
  }
}

/** Every package installed under a node_modules tree (nested ones too), workspace links aside. */
function installedPackages(nodeModules: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (name.startsWith('@')) {
        visit(path);
        continue;
      }
      if (lstatSync(path).isSymbolicLink()) continue;
      const manifest = join(path, 'package.json');
      if (existsSync(manifest)) {
        const { name: pkg, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
          name: string;
          version: string;
        };
        found.push(`${pkg}@${version}`);
      }
      visit(join(path, 'node_modules'));
    }
  };
  visit(nodeModules);
  return found;
}

const cleanups: (() => Promise<void> | void)[] = [];
let copy = '';
let buildOutput = '';

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'umeme-prod-'));
  cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(ROOT, copy, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => {
      const parts = relative(ROOT, source).split('/');
      return parts.includes('node_modules') || !NOT_COPIED.has(parts[parts.length - 1] ?? '');
    },
  });
  buildOutput = await npm(copy, ['run', 'build']);
  await npm(copy, ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund']);
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

describe('the production build', () => {
  it('builds the server bundle and the dashboard from a fresh copy', () => {
    expect(existsSync(join(copy, 'packages/server/dist/main.js')), buildOutput).toBe(true);
    expect(existsSync(join(copy, 'packages/server/dist/main.js.map'))).toBe(true);
    expect(existsSync(join(copy, 'packages/web/dist/index.html')), buildOutput).toBe(true);
  });

  it('the main bundle holds no simulator: the demo loads its meters from a chunk of their own', () => {
    const sourcesOf = (map: string) =>
      (JSON.parse(readFileSync(join(copy, 'packages/server/dist', map), 'utf8')) as { sources: string[] })
        .sources;
    // Map sources are relative to the map: ../../simulator/src/… from dist/, one more from chunks/.
    const fromSimulator = (source: string) => /(^|\/)simulator\/src\//.test(source);
    expect(sourcesOf('main.js.map').filter(fromSimulator)).toEqual([]);
    expect(sourcesOf('main.js.map').some((s) => s.endsWith('src/main.ts'))).toBe(true);
    const chunks = readdirSync(join(copy, 'packages/server/dist/chunks')).filter((f) =>
      f.endsWith('.js.map'),
    );
    expect(chunks.flatMap((c) => sourcesOf(`chunks/${c}`)).some(fromSimulator)).toBe(true);
  });

  it('after npm prune --omit=dev no development tool is left', () => {
    const left = DEV_ONLY.filter((name) => existsSync(join(copy, 'node_modules', name)));
    expect(left).toEqual([]);
  });

  it('the start:prod script runs the bundle with plain node', () => {
    const { scripts } = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts['start:prod']).toBe(
      `node --enable-source-maps ${SERVER_NODE_FLAGS.join(' ')} packages/server/dist/main.js`,
    );
  });
});

describe('licence reports', () => {
  it('the dashboard report names the packages in the bundle with their licences', () => {
    const web = readReport(join(copy, 'packages/web/dist/licenses.md'));
    expect(web.find((e) => e.name === 'react')?.identifier).toBe('MIT');
    expect(web.find((e) => e.name === 'react-dom')?.identifier).toBe('MIT');
    expect(web.some((e) => e.name === 'vite' || e.name === 'fastify')).toBe(false);
  });

  it('the server report names every package left installed after the prune, with its licence', () => {
    const server = readReport(join(copy, 'packages/server/dist/licenses.md'));
    expect(server.find((e) => e.name === 'fastify')?.identifier).toBe('MIT');
    expect(server.find((e) => e.name === '@umeme/server')?.identifier).toBe('Apache-2.0');
    const reported = new Set(server.map((e) => `${e.name}@${e.version}`));
    const missing = installedPackages(join(copy, 'node_modules')).filter((p) => !reported.has(p));
    expect(missing).toEqual([]);
    expect(server.some((e) => DEV_ONLY.includes(e.name))).toBe(false);
  });

  it('no shipped package lacks a licence or has one that conflicts with Apache-2.0', () => {
    const shipped = [
      ...readReport(join(copy, 'packages/web/dist/licenses.md')),
      ...readReport(join(copy, 'packages/server/dist/licenses.md')),
    ];
    expect(shipped.length).toBeGreaterThan(50);
    expect(shipped.map(problemOf).filter((p) => p !== null)).toEqual([]);
  });

  it('the policy refuses a copyleft licence and a missing one, naming the package', () => {
    expect(problemOf({ name: 'left-pad', version: '1.0.0', identifier: 'GPL-3.0-only' })).toContain(
      'left-pad@1.0.0',
    );
    expect(problemOf({ name: 'nolicence', version: '2.0.0', identifier: null })).toContain('nolicence@2.0.0');
    expect(problemOf({ name: 'dual', version: '1.0.0', identifier: '(MIT OR GPL-2.0)' })).toBeNull();
    expect(problemOf({ name: 'both', version: '1.0.0', identifier: 'MIT AND AGPL-3.0' })).toContain(
      'both@1.0.0',
    );
    // A reviewed package ships under the licence it was reviewed under, and no other; the review
    // is of that package, not of its licence.
    expect(problemOf({ name: 'web-push', version: '3.6.7', identifier: 'MPL-2.0' })).toBeNull();
    expect(problemOf({ name: 'web-push', version: '4.0.0', identifier: 'GPL-3.0-only' })).toContain(
      'web-push',
    );
    expect(problemOf({ name: 'other-mpl', version: '1.0.0', identifier: 'MPL-2.0' })).toContain('other-mpl');
  });
});

const skipReason = !DATABASE_URL
  ? 'DATABASE_URL is not set'
  : !MOSQUITTO
    ? 'the mosquitto binary is not installed (bash .ci/install-apt.sh)'
    : null;

describe.skipIf(skipReason !== null)(
  `npm run start:prod with PostgreSQL, Mosquitto and Daraja${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let baseUrl = '';
    let server: Child;

    beforeAll(async () => {
      const db = await scratchDatabase(DATABASE_URL!, 'umeme_prod');
      cleanups.push(() => db.drop());

      const mqttPort = await freePort();
      const mosquittoConf = join(copy, 'mosquitto.conf');
      writeFileSync(
        mosquittoConf,
        [
          `listener ${mqttPort} 127.0.0.1`,
          'allow_anonymous true',
          'persistence false',
          'log_dest stderr',
          '',
        ].join('\n'),
      );
      const mosquitto = new Child(MOSQUITTO!, ['-c', mosquittoConf], copy, process.env);
      cleanups.push(() => mosquitto.kill());
      await waitUntil(
        `mosquitto on port ${mqttPort}`,
        () => {
          if (mosquitto.exited) throw new Error(`mosquitto exited:\n${mosquitto.tail()}`);
          return new Promise<true | null>((resolve) => {
            const socket = connect({ port: mqttPort, host: '127.0.0.1' });
            socket.once('connect', () => (socket.destroy(), resolve(true)));
            socket.once('error', () => resolve(null));
          });
        },
        () => mosquitto.tail(),
        10_000,
      );

      const { emulator, baseUrl: darajaUrl } = await startEmulator();
      cleanups.push(() => emulator.close());

      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      server = new Child(
        'npm',
        ['run', 'start:prod'],
        copy,
        cleanEnv({
          HOST: '127.0.0.1',
          PORT: String(port),
          PUBLIC_URL: baseUrl,
          DATABASE_URL: db.url,
          MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
          INSTANCE_ID: `prod-build-${port}`,
          JWT_SECRET: 'production-build-test-secret-0123456789abcdef',
          ADMIN_EMAIL: 'admin@example.com',
          ADMIN_PASSWORD: 'a-long-admin-password',
          DEMO: 'false',
          DARAJA_CONSUMER_KEY: CREDENTIALS.consumerKey,
          DARAJA_CONSUMER_SECRET: CREDENTIALS.consumerSecret,
          DARAJA_SHORTCODE: CREDENTIALS.shortCode,
          DARAJA_PASSKEY: CREDENTIALS.passkey,
          DARAJA_BASE_URL: darajaUrl,
        }),
      );
      cleanups.push(() => server.kill());
      await waitUntil(
        'GET /ready to answer 200',
        async () => {
          if (server.exited) throw new Error(`start:prod exited with ${server.process.exitCode}`);
          const res = await fetch(`${baseUrl}/ready`).catch(() => null);
          return res?.status === 200 ? true : null;
        },
        () => 'start:prod is still running',
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nstart:prod output:\n${server.tail()}`);
      });
    }, 90_000);

    it('is ready, with the database migrated and the broker connected', async () => {
      const res = await fetch(`${baseUrl}/ready`);
      expect(res.status).toBe(200);
      expect(server.exited).toBe(false);
    });

    it('serves the dashboard, its hashed assets and its licence report from the built web app', async () => {
      const page = await fetch(`${baseUrl}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      expect(html).toContain('<div id="root"></div>');
      const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script, html).toBeDefined();
      const asset = await fetch(`${baseUrl}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
      expect((await asset.text()).length).toBeGreaterThan(1000);
      const licences = await fetch(`${baseUrl}/licenses.md`);
      expect(licences.status).toBe(200);
      expect(await licences.text()).toContain('## react - ');
    });

    it('runs no development tool: no tsx, no vite in its process tree', async () => {
      const { stdout } = await run('ps', ['-eo', 'pgid=,args=']);
      const group = stdout
        .split('\n')
        .filter((line) => line.trim().split(/\s+/)[0] === String(server.process.pid))
        .join('\n');
      expect(group).toContain('packages/server/dist/main.js');
      expect(group).not.toMatch(/tsx|vite/);
    });
  },
);
