import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
export const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
export const MOSQUITTO_CTRL_BIN = '/usr/bin/mosquitto_ctrl';

/** Why the Mosquitto suites cannot run here, or null when they can. */
export function mosquittoUnavailable(): string | null {
  for (const [what, path] of [
    ['mosquitto', MOSQUITTO_BIN],
    ['the dynamic-security plugin', DYNSEC_PLUGIN],
    ['mosquitto_ctrl', MOSQUITTO_CTRL_BIN],
  ] as const) {
    if (!existsSync(path)) return `${what} is not installed (${path})`;
  }
  return null;
}

export interface OwnMosquitto {
  port: number;
  url: string;
  /** the dynsec admin account created with `mosquitto_ctrl dynsec init` */
  admin: { username: string; password: string };
  /** the admin account in a URL, as MQTT_URL carries it */
  adminUrl: string;
  dir: string;
  /** stops the broker (SIGTERM, then SIGKILL) and deletes its directory */
  stop(): Promise<void>;
  /** kills the broker and starts it again on the same port with the same state file */
  restart(): Promise<void>;
  log(): string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * A Mosquitto 2 of its own, with the dynamic-security plugin, on an ephemeral 127.0.0.1 port,
 * its config and state in a temporary directory (never the machine's 1883).
 */
export async function startOwnMosquitto(
  opts: { extraConfig?: string[]; dynsec?: boolean; anonymous?: boolean } = {},
): Promise<OwnMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'umeme-mosq-'));
  const port = await freePort();
  const admin = { username: 'dynsec-admin', password: `adm-${Math.random().toString(36).slice(2)}x9Q` };
  const dynsecFile = join(dir, 'dynsec.json');
  const dynsec = opts.dynsec ?? true;
  if (dynsec) {
    const init = spawnSync(
      MOSQUITTO_CTRL_BIN,
      ['dynsec', 'init', dynsecFile, admin.username, admin.password],
      { encoding: 'utf8' },
    );
    if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr}`);
  }
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    confFile,
    [
      'user root',
      'per_listener_settings false',
      `allow_anonymous ${opts.anonymous === true ? 'true' : 'false'}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'max_keepalive 3600',
      `listener ${port} 127.0.0.1`,
      ...(dynsec ? [`plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${dynsecFile}`] : []),
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let logText = '';
  let child: ChildProcess | undefined;
  // A test process that dies without its afterAll must not leave a broker running.
  const killOnExit = () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const launch = async () => {
    const proc = spawn(MOSQUITTO_BIN, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr.on('data', (d: Buffer) => {
      logText = (logText + d.toString('utf8')).slice(-200_000);
    });
    for (let i = 0; i < 500; i++) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${logText}`);
      if (await portAnswers(port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`mosquitto did not listen on ${port}: ${logText}`);
  };
  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    admin,
    adminUrl: `mqtt://${admin.username}:${encodeURIComponent(admin.password)}@127.0.0.1:${port}`,
    dir,
    log: () => logText,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
