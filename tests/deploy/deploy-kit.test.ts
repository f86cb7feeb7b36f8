// Protects the deployment kit in deploy/: what can be checked without Docker (compose, Dockerfile, systemd, alert rules) and the Mosquitto configuration on the real broker.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../../packages/server/src/config';
import { createMetrics } from '../../packages/server/src/shared/metrics';
import { HAPROXY_BIN, haproxyConfig, haproxyUnavailable } from '../helpers/haproxy';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Variables whose values are secrets: in the kit they come from files or ${…}, never literally. */
const SECRET_KEYS = [
  'JWT_SECRET',
  'ADMIN_PASSWORD',
  'MQTT_SERVER_PASSWORD',
  'DATABASE_URL',
  'REDIS_URL',
  'MQTT_URL',
  'DARAJA_CONSUMER_KEY',
  'DARAJA_CONSUMER_SECRET',
  'DARAJA_PASSKEY',
  'DARAJA_CALLBACK_TOKEN',
  'POSTGRES_PASSWORD',
  'MQTT_ADMIN_PASSWORD',
];

type Env = Record<string, string>;
interface Service {
  build?: string | { context?: string; dockerfile?: string };
  image?: string;
  environment?: Env | string[];
  env_file?: string | (string | { path: string })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  secrets?: (string | { source: string; target?: string })[];
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

/** Reads a dotenv-style file (KEY=value lines, # comments). */
function parseEnvFile(text: string): Env {
  const env: Env = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

/** A service's environment: its env_file(s) (their committed .example where there is one), then `environment`. */
function serviceEnv(service: Service): Env {
  const env: Env = {};
  const files = service.env_file === undefined ? [] : [service.env_file].flat();
  for (const file of files) {
    const path = join(DEPLOY, typeof file === 'string' ? file : file.path);
    const source = existsSync(`${path}.example`) ? `${path}.example` : path;
    expect(existsSync(source), `env_file ${relative(ROOT, path)} (or its .example)`).toBe(true);
    Object.assign(env, parseEnvFile(readFileSync(source, 'utf8')));
  }
  const e = service.environment ?? {};
  if (Array.isArray(e)) {
    for (const item of e) {
      const [key, ...rest] = item.split('=');
      env[key!] = rest.join('=');
    }
  } else {
    for (const [key, value] of Object.entries(e)) env[key] = String(value ?? '');
  }
  return env;
}

/** True when the variable is one the server's config accepts, directly or as X_FILE. */
function acceptedByServer(key: string): boolean {
  return (
    CONFIG_KEYS.includes(key) ||
    (key.endsWith('_FILE') && CONFIG_KEYS.includes(key.slice(0, -'_FILE'.length)))
  );
}

/** A value that commits no secret: empty, a ${VAR} reference without a default, or a URL without a password. */
function commitsNoSecret(key: string, value: string): boolean {
  if (value === '') return true;
  if (/^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*|:-)?\}$/.test(value)) return true;
  if (key.endsWith('_URL')) {
    try {
      return new URL(value).password === '';
    } catch {
      return false;
    }
  }
  return false;
}

const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as Compose;
const serverServices = Object.entries(compose.services).filter(([, s]) => {
  const build = s.build;
  return typeof build === 'object' && build.dockerfile === 'deploy/Dockerfile';
});

describe('deploy/compose.yaml', () => {
  it('parses, and runs at least two server instances built from deploy/Dockerfile', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'mosquitto', 'caddy']),
    );
    expect(serverServices.length).toBeGreaterThanOrEqual(2);
  });

  it('sets for the server only variables its config accepts', () => {
    for (const [name, service] of serverServices) {
      const unknown = Object.keys(serviceEnv(service)).filter((key) => !acceptedByServer(key));
      expect(unknown, `unknown variables in ${name}`).toEqual([]);
    }
  });

  it('gives each server instance a distinct INSTANCE_ID, production mode, a proxy and external services', () => {
    const ids = serverServices.map(([, s]) => serviceEnv(s).INSTANCE_ID);
    expect(ids.every((id) => id !== undefined && /^[A-Za-z0-9_-]{1,32}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [name, service] of serverServices) {
      const env = serviceEnv(service);
      expect(env.NODE_ENV, name).toBe('production');
      // one hop (Caddy), in a form the server accepts: `true` (every hop) is refused
      expect(env.TRUST_PROXY, name).toBe('1');
      expect(loadConfig({ TRUST_PROXY: env.TRUST_PROXY }).TRUST_PROXY, name).toBe(1);
      expect(env.PUBLIC_URL, name).toMatch(/^https:\/\//);
      for (const key of ['DATABASE_URL', 'MQTT_URL', 'REDIS_URL', 'MQTT_SERVER_PASSWORD', 'JWT_SECRET']) {
        expect(env[key] ?? env[`${key}_FILE`], `${name}: ${key} or ${key}_FILE`).toBeTruthy();
      }
      expect(env.DEMO, `${name}: production mode refuses the demo; DEMO is not set`).toBeUndefined();
    }
  });

  it("lets the servers manage Mosquitto's dynamic security through the broker's admin account", () => {
    const mosquitto = serviceEnv(compose.services.mosquitto!);
    for (const [name, service] of serverServices) {
      const env = serviceEnv(service);
      expect(env.MQTT_DYNSEC, name).toBe('true');
      // accepted with an mqtt:// admin URL inside the compose network
      expect(
        loadConfig({
          MQTT_DYNSEC: env.MQTT_DYNSEC,
          MQTT_URL: 'mqtt://umeme-admin:x@mosquitto:1883',
          DARAJA_EMULATOR: 'true',
        }).MQTT_DYNSEC,
        name,
      ).toBe(true);
      // the admin URL (with its password) from a secret; the server's own account password too
      expect(env.MQTT_URL_FILE, name).toBe('/run/secrets/mqtt_url');
      expect(env.MQTT_URL, name).toBeUndefined();
      expect(env.MQTT_SERVER_PASSWORD_FILE, name).toBe('/run/secrets/mqtt_server_password');
      // ignored in dynsec mode: the account is umeme-{DEPLOYMENT_NAME}-server
      expect(env.MQTT_SERVER_USERNAME, name).toBeUndefined();
      expect(loadConfig({ DEPLOYMENT_NAME: env.DEPLOYMENT_NAME }).DEPLOYMENT_NAME, name).toBe('umeme');
    }
    // The broker knows only its admin: no server password or hand-made accounts in its service.
    expect(Object.keys(mosquitto).filter((key) => key.startsWith('MQTT_SERVER'))).toEqual([]);
    expect(compose.services.mosquitto!.secrets).not.toContain('mqtt_server_password');
    expect(mosquitto.MQTT_ADMIN_USERNAME).toBe('umeme-admin');
  });

  it('has gen-secrets.sh write the mqtt_url secret from the admin password it generates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'umeme-gen-secrets-'));
    try {
      writeFileSync(join(dir, 'gen-secrets.sh'), read('deploy/gen-secrets.sh'));
      execFileSync('sh', [join(dir, 'gen-secrets.sh')], { stdio: 'ignore' });
      const secret = (name: string) => readFileSync(join(dir, 'secrets', name), 'utf8').trimEnd();
      const url = new URL(secret('mqtt_url'));
      expect(url.protocol).toBe('mqtt:');
      expect(`${url.hostname}:${url.port}`).toBe('mosquitto:1883');
      expect(decodeURIComponent(url.username)).toBe(
        serviceEnv(compose.services.mosquitto!).MQTT_ADMIN_USERNAME,
      );
      expect(decodeURIComponent(url.password)).toBe(secret('mqtt_admin_password'));
      for (const name of Object.keys(compose.secrets ?? {})) {
        const file = compose.secrets![name]!.file!.replace('./secrets/', '');
        if (
          !['daraja_consumer_key', 'daraja_consumer_secret', 'daraja_passkey'].includes(name) &&
          !file.startsWith('mqtt-server.')
        ) {
          expect(existsSync(join(dir, 'secrets', file)), `gen-secrets.sh writes ${file}`).toBe(true);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives each server instance a health check on /ready', () => {
    for (const [name, service] of serverServices) {
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect([service.healthcheck?.test ?? []].flat().join(' '), name).toContain('/ready');
    }
  });

  it('commits no secret value: secrets are ${VAR} references or files under deploy/secrets/', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const env = serviceEnv(service);
      const mounted = new Set(
        (service.secrets ?? []).map(
          (s) => `/run/secrets/${typeof s === 'string' ? s : (s.target ?? s.source)}`,
        ),
      );
      for (const [key, value] of Object.entries(env)) {
        if (SECRET_KEYS.includes(key)) {
          expect(commitsNoSecret(key, value), `${name}: ${key} is set literally`).toBe(true);
        }
        if (key.endsWith('_FILE') && value.startsWith('/run/secrets/')) {
          expect(mounted.has(value), `${name}: ${key} names ${value}, which is not mounted`).toBe(true);
        }
      }
      for (const key of SECRET_KEYS) {
        if (key !== 'MQTT_URL' && env[`${key}_FILE`] === undefined && env[key] !== undefined) {
          expect(env[key], `${name}: ${key} should come from a file`).toMatch(/^\$\{/);
        }
      }
    }
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
      expect(secret.file ?? '', `secret ${name}`).toMatch(/^\.\/secrets\/[^/]+$/);
    }
    const tracked = execFileSync('git', ['ls-files', 'deploy/secrets', 'deploy/.env'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(tracked.trim()).toBe('');
    // exit status 0: ignored
    for (const path of ['deploy/secrets/jwt_secret', 'deploy/.env']) {
      execFileSync('git', ['check-ignore', '-q', path], { cwd: ROOT });
    }
  });

  it('has a committed deploy/.env.example with empty values only, naming every ${VAR} compose needs', () => {
    const example = parseEnvFile(read('deploy/.env.example'));
    expect(Object.entries(example).filter(([, v]) => v !== '')).toEqual([]);
    const referenced = new Set(
      [...read('deploy/compose.yaml').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!),
    );
    expect([...referenced].filter((v) => !(v in example))).toEqual([]);
  });
});

describe('deploy/Dockerfile', () => {
  const text = read('deploy/Dockerfile').replace(/\\\n/g, ' ');
  const args = Object.fromEntries(
    [...text.matchAll(/^ARG\s+([A-Za-z_]+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const stages = text.split(/^(?=FROM\s)/m).filter((s) => s.startsWith('FROM'));
  const final = stages.at(-1) ?? '';
  const instructions = (stage: string, name: string): string[] =>
    [...stage.matchAll(new RegExp(`^${name}\\s+(.*)$`, 'gm'))].map((m) => m[1]!.trim());

  it('builds in one stage and runs from another, on Node 22 or 24', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const base = instructions(final, 'FROM')[0]!
      .split(/\s+/)[0]!
      .replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? '');
    expect(base).toMatch(/^node:(22|24)([.-]|$)/);
    expect(stages.slice(0, -1).join('\n')).toMatch(/npm ci\b/);
    expect(stages.slice(0, -1).join('\n')).toMatch(/npm run build\b/);
  });

  it('installs no dev dependencies in the final stage', () => {
    const runs = instructions(final, 'RUN').join('\n');
    expect(runs).toMatch(/npm (ci|prune)\b[^\n]*--omit=dev/);
    for (const command of runs.split(/&&|\n|;/)) {
      if (/npm (ci|install|i)\b/.test(command)) expect(command).toContain('--omit=dev');
    }
  });

  it('copies every workspace manifest before npm ci, in both stages', () => {
    const packages = readdirSync(join(ROOT, 'packages')).filter((p) =>
      existsSync(join(ROOT, 'packages', p, 'package.json')),
    );
    for (const stage of [stages[0]!, final]) {
      for (const p of packages) expect(stage).toContain(`packages/${p}/package.json`);
    }
  });

  it('runs npm run start:prod as a non-root user with a health check on /ready', () => {
    const user = instructions(final, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(instructions(final, 'HEALTHCHECK').join(' ')).toContain('/ready');
    expect(JSON.parse(instructions(final, 'CMD').at(-1)!)).toEqual(['npm', 'run', 'start:prod']);
  });

  it('has a .dockerignore that keeps node_modules, build output and secrets out of the context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', '.git', 'deploy/secrets', 'deploy/.env']) {
      expect(ignored).toContain(entry);
    }
    expect(ignored).not.toContain('package-lock.json');
  });
});

describe('deploy/systemd', () => {
  const unit = read('deploy/systemd/umeme.service');
  const directive = (name: string): string[] =>
    [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

  it('starts npm run start:prod as its own user with the environment file and hardening', () => {
    expect(directive('ExecStart')).toHaveLength(1);
    expect(directive('ExecStart')[0]).toMatch(/^\/\S*\/npm run start:prod$/);
    expect(directive('User')[0]).toMatch(/^(?!root$)\w+/);
    expect(directive('EnvironmentFile')).toEqual(['/etc/umeme/umeme.env']);
    expect(directive('Restart')).toEqual(['on-failure']);
    for (const [name, value] of [
      ['NoNewPrivileges', 'true'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'true'],
      ['PrivateTmp', 'true'],
    ]) {
      expect(directive(name!), name).toEqual([value]);
    }
    expect(directive('LimitNOFILE')).toHaveLength(1);
    expect(directive('ReadWritePaths')).toHaveLength(1);
  });

  it('has an example environment file with accepted variables and no secret values', () => {
    const env = parseEnvFile(read('deploy/systemd/umeme.env.example'));
    expect(Object.keys(env).filter((key) => !acceptedByServer(key))).toEqual([]);
    for (const key of SECRET_KEYS) {
      if (env[key] !== undefined) expect(commitsNoSecret(key, env[key]), key).toBe(true);
    }
    expect(env.DATA_DIR).toBe(directive('ReadWritePaths')[0]);
  });
});

describe('package.json', () => {
  it('has the start:prod script that the image and the unit run', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:prod']).toMatch(/^node\b.*packages\/server\/dist\/main\.js/);
  });
});

describe('deploy/caddy/Caddyfile', () => {
  it('proxies to every server instance with health checks on /ready and hides /metrics', () => {
    const caddyfile = read('deploy/caddy/Caddyfile');
    const upstreams = /reverse_proxy\s+([^{\n]+)\{/.exec(caddyfile)?.[1]?.trim().split(/\s+/) ?? [];
    expect(upstreams.sort()).toEqual(serverServices.map(([name]) => `${name}:3000`).sort());
    expect(caddyfile).toMatch(/^\s*health_uri \/ready$/m);
    expect(caddyfile).toMatch(/^\s*@metrics path \/metrics/m);
  });
});

describe('deploy/haproxy/haproxy.cfg', () => {
  it('is valid and routes as the tested config does: /ready checks, redispatch, a sticky cookie, X-Forwarded-For, a WebSocket timeout', () => {
    const kit = read('deploy/haproxy/haproxy.cfg');
    if (!haproxyUnavailable()) {
      const check = spawnSync(HAPROXY_BIN, ['-c', '-f', join(ROOT, 'deploy/haproxy/haproxy.cfg')], {
        encoding: 'utf8',
      });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
    const tested = haproxyConfig({
      port: 1,
      backends: [{ name: 'a', url: 'http://127.0.0.1:2' }],
      statsSocket: '/x',
    });
    // the same directives, apart from the balance algorithm (the test pins clients with `first`)
    const routing = tested.split('\n').filter((l) => /^\s+(option|http-check|cookie|retries)\b/.test(l));
    expect(routing.length).toBeGreaterThanOrEqual(6);
    for (const line of routing) expect(kit).toContain(line.trim());
    expect(kit).toMatch(/^\s*timeout tunnel /m);
    expect(kit).toMatch(/path \/metrics/);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  /** Every metric the server exports: the shared registry's, and those the services register. */
  async function knownMetrics(): Promise<Set<string>> {
    const names = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? walk(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
            ? [join(dir, e.name)]
            : [],
      );
    for (const file of walk(join(ROOT, 'packages/server/src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'(umeme_[a-z0-9_]+)'/g)) names.add(m[1]!);
    }
    return names;
  }

  it('parses, and every rule has a name, an expression and a severity', () => {
    const rules = (
      parseYaml(read('deploy/prometheus/alerts.yml')) as { groups: { rules: Record<string, unknown>[] }[] }
    ).groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      expect(rule.alert).toEqual(expect.any(String));
      expect(rule.expr).toEqual(expect.any(String));
      expect((rule.labels as Record<string, string>).severity).toMatch(/^(critical|warning)$/);
    }
  });

  it('uses only metrics the server exports', async () => {
    const known = await knownMetrics();
    const text = read('deploy/prometheus/alerts.yml') + read('docs/operations.md');
    const used = new Set([...text.matchAll(/\b((?:umeme|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!));
    const missing = [...used].filter(
      (name) => !known.has(name) && !known.has(name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(missing).toEqual([]);
  });
});

/** A port nothing listens on right now (the shared machine's 1883 is taken). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const MOSQUITTO = '/usr/sbin/mosquitto';
const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const missingTools = [MOSQUITTO, '/usr/bin/mosquitto_ctrl', DYNSEC_PLUGIN, '/usr/bin/openssl'].filter(
  (p) => !existsSync(p),
);

describe.skipIf(missingTools.length > 0)(
  `deploy/mosquitto on the real broker${missingTools.length > 0 ? ` (skipped: ${missingTools.join(', ')} not installed)` : ''}`,
  () => {
    let dir = '';
    let broker: ChildProcess | null = null;
    let output = '';
    const ports = { plain: 0, tls: 0 };
    const adminPassword = randomBytes(24).toString('hex');

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'umeme-mosquitto-'));
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, 'data'));
      mkdirSync(join(dir, 'secrets'));
      ports.plain = await freePort();
      ports.tls = await freePort();
      const secrets = join(dir, 'secrets');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          join(secrets, 'mqtt-server.key'),
          '-out',
          join(secrets, 'mqtt-server.crt'),
        ],
        { stdio: 'ignore' },
      );
      writeFileSync(join(secrets, 'mqtt_admin_password'), `${adminPassword}\n`);

      // The committed file with only its paths and ports changed; each change must apply.
      let conf = read('deploy/mosquitto/mosquitto.conf');
      const adapt = (from: RegExp, to: string) => {
        expect(conf, `mosquitto.conf has ${String(from)}`).toMatch(from);
        conf = conf.replace(from, to);
      };
      adapt(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m, `plugin ${DYNSEC_PLUGIN}`);
      adapt(/\/mosquitto\/data\//g, `${dir}/data/`);
      adapt(/\/run\/secrets\//g, `${secrets}/`);
      adapt(/^listener 1883$/m, `listener ${ports.plain} 127.0.0.1`);
      adapt(/^listener 8883$/m, `listener ${ports.tls} 127.0.0.1`);
      writeFileSync(join(dir, 'mosquitto.conf'), conf);
      // As in the image: the broker drops root privileges to the mosquitto user, which owns its data.
      if (userInfo().uid === 0) {
        const id = (flag: string) => Number(execFileSync('id', [flag, 'mosquitto'], { encoding: 'utf8' }));
        const [uid, gid] = [id('-u'), id('-g')];
        chownSync(join(dir, 'data'), uid, gid);
        chmodSync(join(secrets, 'mqtt-server.key'), 0o644);
      }

      startEntrypoint();
      await waitFor(() => output.includes('dynamic security initialised'), 'the first start to initialise');
    });

    afterAll(async () => {
      await stopEntrypoint();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Runs deploy/mosquitto/entrypoint.sh in its own process group, with the test's paths and ports. */
    function startEntrypoint(): void {
      const secrets = join(dir, 'secrets');
      output = '';
      broker = spawn('sh', [join(DEPLOY, 'mosquitto/entrypoint.sh')], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: '/usr/sbin:/usr/bin:/bin',
          MOSQUITTO_CONF: join(dir, 'mosquitto.conf'),
          DYNSEC_FILE: join(dir, 'data/dynamic-security.json'),
          MQTT_ADMIN_PASSWORD_FILE: join(secrets, 'mqtt_admin_password'),
        },
      });
      broker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      broker.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    }

    /** SIGTERM to the entrypoint and the broker; resolves once the entrypoint has exited. */
    async function stopEntrypoint(): Promise<void> {
      const child = broker;
      if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }

    async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (!(await condition())) {
        if (broker?.exitCode !== null)
          throw new Error(`entrypoint exited with ${broker?.exitCode}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    /** Connects and disconnects; resolves with the refusal's message, or null when accepted. */
    async function tryConnect(url: string, options: IClientOptions): Promise<string | null> {
      try {
        const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
        await client.endAsync();
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    }

    it('accepts the dynamic-security admin and refuses an anonymous client or a wrong password', async () => {
      const url = `mqtt://127.0.0.1:${ports.plain}`;
      expect(await tryConnect(url, { username: 'umeme-admin', password: adminPassword })).toBeNull();
      expect(await tryConnect(url, {})).toMatch(/not authori[sz]ed/i);
      expect(await tryConnect(url, { username: 'umeme-admin', password: 'wrong' })).toMatch(
        /not authori[sz]ed|bad user name or password/i,
      );
    });

    it("serves TLS on the meters' listener with the mounted certificate, and still refuses anonymous clients", async () => {
      const url = `mqtts://localhost:${ports.tls}`;
      const ca = readFileSync(join(dir, 'secrets/mqtt-server.crt'));
      expect(await tryConnect(url, { ca, username: 'umeme-admin', password: adminPassword })).toBeNull();
      expect(await tryConnect(url, { ca })).toMatch(/not authori[sz]ed/i);
    });

    /** `mosquitto_ctrl dynsec …` as the admin, through the plain listener; its stdout. */
    function dynsec(...args: string[]): string {
      return execFileSync(
        'mosquitto_ctrl',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(ports.plain),
          '-u',
          'umeme-admin',
          '-P',
          adminPassword,
          'dynsec',
          ...args,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 },
      );
    }
    const lines = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');

    it('creates the admin account only: no hand-made server account, role or ACL (the server makes them)', () => {
      expect(lines(dynsec('listClients'))).toEqual(['umeme-admin']);
      // `dynsec init` makes only its own admin role
      expect(lines(dynsec('listRoles'))).toEqual(['admin']);
      expect(lines(dynsec('listGroups'))).toEqual([]);
    });

    it('refuses to start when dynsec init cannot write its state or the admin password is missing', () => {
      const run = (dynsecFile: string, passwordFile: string) =>
        spawnSync('sh', [join(DEPLOY, 'mosquitto/entrypoint.sh')], {
          encoding: 'utf8',
          timeout: 10_000,
          env: {
            PATH: '/usr/sbin:/usr/bin:/bin',
            MOSQUITTO_CONF: join(dir, 'mosquitto.conf'),
            DYNSEC_FILE: dynsecFile,
            MQTT_ADMIN_PASSWORD_FILE: passwordFile,
          },
        });
      const unwritable = join(dir, 'no-such-dir/dynamic-security.json');
      const failedInit = run(unwritable, join(dir, 'secrets/mqtt_admin_password'));
      expect(failedInit.status, failedInit.stderr).toBe(1);
      expect(failedInit.stderr).toMatch(/dynsec init/);
      expect(existsSync(unwritable)).toBe(false);
      const fresh = join(dir, 'data/fresh.json');
      const noPassword = run(fresh, join(dir, 'secrets/no-such-secret'));
      expect(noPassword.status).toBe(1);
      expect(noPassword.stderr).toContain('MQTT_ADMIN_PASSWORD_FILE');
      expect(existsSync(fresh)).toBe(false);
    });

    it('starts again from its saved state: the accounts stay and nothing is initialised twice', async () => {
      await stopEntrypoint();
      startEntrypoint();
      await waitFor(
        () => output.includes('saved dynamic-security state') || output.includes('initialised'),
        'the entrypoint to decide',
      );
      expect(output).toContain('starting with the saved dynamic-security state');
      const url = `mqtt://127.0.0.1:${ports.plain}`;
      await waitFor(
        async () => (await tryConnect(url, { username: 'umeme-admin', password: adminPassword })) === null,
        'the broker to accept the admin again',
      );
      expect(await tryConnect(url, {})).toMatch(/not authori[sz]ed/i);
      expect(lines(dynsec('listClients'))).toEqual(['umeme-admin']);
      expect(output).not.toContain('initialised');
    });
  },
);
