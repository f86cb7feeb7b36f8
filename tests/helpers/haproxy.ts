/**
 * HAProxy (Debian's package) in front of server instances, as deploy/haproxy/haproxy.cfg puts it
 * in front of a deployment: HTTP and WebSocket on one port, a health check on each instance's
 * /ready, a cookie keeping a browser on one instance (Socket.IO's long-polling fallback needs
 * that), `option redispatch` so a request for a dead instance goes to a live one. Timeouts are
 * short for tests. It runs in the foreground as a child of the test process: none is left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

/** Why the HAProxy suites cannot run here, or null when they can. */
export function haproxyUnavailable(): string | null {
  return existsSync(HAPROXY_BIN) ? null : `haproxy is not installed (${HAPROXY_BIN})`;
}

export interface Backend {
  /** the server's name in the config and in its cookie */
  name: string;
  /** http://127.0.0.1:port */
  url: string;
}

export interface OwnHaproxy {
  url: string;
  port: number;
  /** per instance: its health as HAProxy's checks see it (UP, DOWN…) and its open sessions, from the stats socket */
  status(): Promise<Record<string, { status: string; sessions: number }>>;
  config: string;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
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

/** The test's config: deploy/haproxy/haproxy.cfg with a loopback port and test-sized timeouts. */
export function haproxyConfig(opts: {
  port: number;
  backends: readonly Backend[];
  statsSocket: string;
  /** `first` fills the first instance up before the next (a test that must know where a client is); default roundrobin */
  balance?: 'roundrobin' | 'first' | 'leastconn';
}): string {
  return [
    'global',
    `  stats socket ${opts.statsSocket} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  log stderr format raw local0 info',
    '  option httplog',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    // an upgraded WebSocket lives under this one instead of client/server
    '  timeout tunnel 60s',
    '  timeout http-request 5s',
    '  timeout queue 5s',
    '  retries 3',
    '  option redispatch 1',
    'frontend umeme',
    `  bind 127.0.0.1:${opts.port}`,
    '  default_backend servers',
    'backend servers',
    `  balance ${opts.balance ?? 'roundrobin'}`,
    '  option forwardfor',
    '  option httpchk GET /ready',
    '  http-check expect status 200',
    '  cookie umeme_upstream insert indirect nocache httponly',
    '  default-server inter 300ms fall 2 rise 2 maxconn 1000',
    ...opts.backends.map((b) => {
      const u = new URL(b.url);
      return `  server ${b.name} ${u.hostname}:${u.port} check cookie ${b.name}`;
    }),
    '',
  ].join('\n');
}

/** Starts HAProxy on a free 127.0.0.1 port in front of `backends`. */
export async function startHaproxy(
  backends: readonly Backend[],
  opts: { balance?: 'roundrobin' | 'first' | 'leastconn' } = {},
): Promise<OwnHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'umeme-haproxy-'));
  const port = await freePort();
  const statsSocket = join(dir, 'stats.sock');
  const config = haproxyConfig({ port, backends, statsSocket, ...opts });
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const check = spawnSync(HAPROXY_BIN, ['-c', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c refused the config:\n${check.stdout}${check.stderr}`);
  // -db: foreground, no daemon; the test process is its parent and stops it.
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-db', '-f', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logText = '';
  child.stderr!.on('data', (d: Buffer) => {
    logText = (logText + d.toString('utf8')).slice(-200_000);
  });
  const killOnExit = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const status = async (): Promise<Record<string, { status: string; sessions: number }>> => {
    const csv = await new Promise<string>((resolve, reject) => {
      const c = createConnection(statsSocket);
      let out = '';
      c.on('connect', () => c.write('show stat\n'));
      c.on('data', (d) => (out += d.toString()));
      c.on('end', () => resolve(out));
      c.on('error', reject);
    });
    const rows = csv.split('\n').map((l) => l.split(','));
    return Object.fromEntries(
      rows
        .filter((r) => r[0] === 'servers' && r[1] && r[1] !== 'BACKEND')
        .map((r) => [r[1]!, { status: r[17] ?? '', sessions: Number(r[4]) }]),
    );
  };
  // Listening once the stats socket answers.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${logText}`);
    if (
      await status().then(
        () => true,
        () => false,
      )
    )
      break;
    if (i > 250) throw new Error(`haproxy did not start: ${logText}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    status,
    config,
    log: () => logText,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
