/**
 * Starts the real `packages/server/src/main.ts` in a process of its own, with tsx as `npm start`
 * does, and only the environment given (nothing inherited that could change its mode).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { SERVER_NODE_FLAGS } from '../../packages/server/src/node-flags';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO_ROOT, 'packages/server/src/main.ts');

export interface ServerRun {
  /** Resolves when the process ends, with its exit code and everything it wrote. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  output(): string;
  /**
   * Resolves with the server's HTTP URL once `line` (a piece of a log line) was written after
   * "umeme started"; rejects if the process ends first.
   */
  ready(line?: string): Promise<string>;
  stop(): Promise<void>;
  /** the process id, e.g. to kill it with SIGKILL */
  pid: number | undefined;
  /** Kills the process with SIGKILL (a crash: nothing closes) and resolves once it is gone. */
  crash(): Promise<void>;
}

/** Settings every run gets: loopback, ephemeral ports, JSON logs at info. */
export const SPAWN_BASE_ENV = {
  HOST: '127.0.0.1',
  PORT: '0',
  MQTT_HOST: '127.0.0.1',
  MQTT_PORT: '0',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  DEMO_METERS: '1',
} as const;

const running = new Set<ServerRun>();

/** Stops every server still running (an afterEach hook: a failed test must leave none behind). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((run) => run.stop()));
}

/**
 * Resolves 'started' when the server is ready or 'ended' when it exits first: a refusal test
 * fails rather than waits when a server starts that should not.
 */
export function startedOrEnded(run: ServerRun): Promise<'started' | 'ended'> {
  return Promise.race([
    run.exited.then(() => 'ended' as const),
    run.ready().then(
      () => 'started' as const,
      () => 'ended' as const,
    ),
  ]);
}

export function spawnServer(env: Record<string, string>): ServerRun {
  const child: ChildProcess = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...SPAWN_BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    notify();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    notify();
  });
  let ended = false;
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    child.on('exit', (code) => {
      ended = true;
      notify();
      done({ code, stdout, stderr });
    });
  });
  const run: ServerRun = {
    pid: child.pid,
    exited,
    output: () => stdout + stderr,
    ready(line = 'umeme started') {
      return new Promise<string>((done, fail) => {
        const check = () => {
          const started = /"http":"(http:\/\/[^"]+)"[^\n]*umeme started/.exec(stdout);
          if (started?.[1] && stdout.slice(started.index).includes(line)) {
            waiters.delete(check);
            done(started[1]);
          } else if (ended) {
            waiters.delete(check);
            fail(new Error(`the server ended before it was ready:\n${stdout}\n${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async crash() {
      if (!ended) child.kill('SIGKILL');
      await exited;
      running.delete(run);
    },
    async stop() {
      if (!ended) child.kill('SIGTERM');
      await exited;
      running.delete(run);
    },
  };
  running.add(run);
  return run;
}

/** POST /auth/login: the status only. */
export async function loginStatus(url: string, email: string, password: string): Promise<number> {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  await res.arrayBuffer();
  return res.status;
}
