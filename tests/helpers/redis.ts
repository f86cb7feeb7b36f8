import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { waitFor } from './app';

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(500);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => (s.destroy(), resolve(d.toString().startsWith('+PONG'))));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

/** A Redis of a test's own, in memory only: the machine's shared one on 6379 is never touched. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    process.once('exit', this.killOnExit);
    await waitFor(() => answersPing(this.port), `redis-server on ${this.port}`, 10_000);
  }

  /** Killed outright, as a crashed or OOM-killed Redis: everything in it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    process.off('exit', this.killOnExit);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}
