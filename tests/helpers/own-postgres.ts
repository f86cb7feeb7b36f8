/**
 * A PostgreSQL cluster of a test's own (Debian's postgresql package, `initdb` and `pg_ctl`), in a
 * temporary directory on a free 127.0.0.1 port, that the test may stop and start: the machine's
 * shared PostgreSQL is never restarted. PostgreSQL refuses to run as root, so as root it runs as
 * the `postgres` user. fsync is off: a stop is a process stop, never a power cut.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './haproxy';

const PG_ROOT = '/usr/lib/postgresql';

function pgBin(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin/initdb')))
    .sort((x, y) => Number(y) - Number(x));
  return versions[0] ? join(PG_ROOT, versions[0], 'bin') : null;
}

/** Why a cluster of its own cannot run here, or null when it can. */
export function ownPostgresUnavailable(): string | null {
  if (pgBin() === null) return `no initdb under ${PG_ROOT}/*/bin (Debian's postgresql package)`;
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0)
    return 'running as root without a postgres user';
  return null;
}

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:port/postgres */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: sessions are ended, as in a restart */
  stop(): void;
  start(): void;
  /** stops it and deletes its directory */
  destroy(): void;
  log(): string;
}

export function startOwnPostgres(): Promise<OwnPostgres> {
  return freePort().then((port) => {
    const bin = pgBin()!;
    const dir = mkdtempSync(join(tmpdir(), 'umeme-pg-'));
    const data = join(dir, 'data');
    const logFile = join(dir, 'postgres.log');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      chownSync(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
    }
    const run = (cmd: string, args: string[]) => {
      const r = asRoot
        ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' })
        : spawnSync(join(bin, cmd), args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stdout}${r.stderr}`);
    };
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c shared_buffers=16MB',
      '-c max_connections=60',
    ].join(' ');
    let running = false;
    const pg: OwnPostgres = {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      start() {
        run('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
        running = true;
      },
      stop() {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
        running = false;
      },
      destroy() {
        process.off('exit', stopOnExit);
        if (running) pg.stop();
        rmSync(dir, { recursive: true, force: true });
      },
      log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    };
    // A test process that dies without its afterAll must not leave a cluster running.
    const stopOnExit = () => {
      if (running) pg.stop();
    };
    process.once('exit', stopOnExit);
    pg.start();
    return pg;
  });
}
