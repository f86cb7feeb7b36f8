// Protects RT-3: two instances on one PostgreSQL and Redis; Redis dies and comes back mid-stream; clients on both converge and the servers stay up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceInitialSchema, balanceUpdatedSchema } from '@umeme/protocol';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { scratchDatabase } from '../helpers/scratch-db';
import { connected, openSocket, type RecordingClient } from '../helpers/sockets';

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;

/** How long Redis stays down while credits keep landing on both instances. */
const OUTAGE_MS = 3000;
const HEALTH_POLL_MS = 100;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

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

/** A Redis of this test's own: the machine's shared one on 6379 is never touched. */
class PrivateRedis {
  private child: ChildProcess | null = null;
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
    await waitFor(() => answersPing(this.port), `redis-server on ${this.port}`, 10_000);
  }

  /** Killed outright, as a crashed or OOM-killed Redis: everything in it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}

/**
 * A browser tab's view of one meter, kept by the dashboard's rules (docs/web.md): events at or
 * after the held `seq` apply; one that skips ahead, or a reconnect Socket.IO could not recover,
 * makes it refetch over HTTP from the instance it is connected to.
 */
class MeterView {
  seq = -1;
  balanceKwh = NaN;
  refetches = 0;
  initials = 0;
  readonly client: RecordingClient;

  constructor(
    readonly t: TestApp,
    readonly meterNo: string,
    readonly token: string,
  ) {
    this.client = openSocket(t.url, token, { reconnection: true });
    const s = this.client.socket;
    s.on('balance_initial', (p) => {
      this.initials++;
      const m = balanceInitialSchema.parse(p).meters.find((x) => x.meterNo === meterNo);
      if (m) this.apply(m.seq, m.balance);
    });
    s.on('balance_updated', (p) => {
      const e = balanceUpdatedSchema.parse(p);
      if (e.meterNo !== meterNo) return;
      const gap = (e.fromSeq ?? e.seq) > this.seq + 1;
      this.apply(e.seq, e.newBalance);
      if (gap) void this.refetch();
    });
    s.on('connect', () => {
      if (!s.recovered) void this.refetch();
    });
  }

  private apply(seq: number, balanceKwh: number): void {
    if (seq < this.seq) return;
    this.seq = seq;
    this.balanceKwh = balanceKwh;
  }

  async refetch(): Promise<void> {
    this.refetches++;
    const r = await this.t
      .api<{ seq: number; balanceKwh: number }>('GET', `/api/meters/${this.meterNo}`, undefined, this.token)
      .catch(() => null);
    if (r?.status === 200) this.apply(r.body.seq, r.body.balanceKwh);
  }
}

describe.skipIf(!REDIS_URL || !DATABASE_URL)('RT-3: Redis restarted under two instances', () => {
  let redis: PrivateRedis;
  let db: { url: string; drop: () => Promise<void> };
  let a: TestApp;
  let b: TestApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = new PrivateRedis(await freePort());
    await redis.start();
    // One PostgreSQL database shared by both instances, dropped at the end.
    db = await scratchDatabase(DATABASE_URL!, 'umeme_rt3');
    // One database, one Redis, one signing key: two instances behind a load balancer.
    const shared = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      SOCKET_RECOVERY_S: 30,
      LOG_LEVEL: 'silent' as const,
    };
    a = await startTestApp('pglite', { ...shared, INSTANCE_ID: 'rt3-a' });
    b = await startTestApp('pglite', { ...shared, INSTANCE_ID: 'rt3-b' });
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
    await redis?.kill();
    process.off('unhandledRejection', onUnhandled);
  });

  it('clients on both instances converge to the server’s balance, and both keep answering /health', async () => {
    const customer = await a.newCustomer();
    const m = await a.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const views = [a, a, b, b].map((t) => new MeterView(t, m.meterNo, customer.token));
    await Promise.all(views.map((v) => connected(v.client)));
    await waitFor(() => views.every((v) => v.seq >= 0), 'balance_initial on every client');

    // /health on both instances every 100 ms for the whole run.
    const health = { checks: 0, failures: [] as string[], maxMs: 0 };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await Promise.all(
          [a, b].map(async (t) => {
            const started = performance.now();
            try {
              const res = await fetch(`${t.url}/health`, { signal: AbortSignal.timeout(OUTAGE_MS) });
              if (res.status !== 200) health.failures.push(`${t.url}: ${res.status}`);
            } catch (err) {
              health.failures.push(`${t.url}: ${(err as Error).message}`);
            }
            health.maxMs = Math.max(health.maxMs, performance.now() - started);
            health.checks++;
          }),
        );
        await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
      }
    })();

    // Credits land on both instances in turn, one every 50 ms, until stopped.
    let credited = 0;
    let creditMaxMs = 0;
    const creditFailures: string[] = [];
    const startCredits = (tag: string) => {
      let flowing = true;
      const done = (async () => {
        for (let i = 0; flowing; i++) {
          const started = performance.now();
          try {
            await (i % 2 === 0 ? a : b).app.services.credit.credit(SYSTEM, {
              meterNo: m.meterNo,
              amountCents: 100,
              source: 'simulate',
              type: 'simulate',
              externalRef: `rt3-${tag}-${i}`,
            });
            credited++;
            creditMaxMs = Math.max(creditMaxMs, performance.now() - started);
          } catch (err) {
            creditFailures.push((err as Error).message);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      return () => ((flowing = false), done);
    };
    const serverState = async () =>
      (
        await a.api<{ seq: number; balanceKwh: number }>(
          'GET',
          `/api/meters/${m.meterNo}`,
          undefined,
          customer.token,
        )
      ).body;
    const converge = (server: { seq: number; balanceKwh: number }, when: string) =>
      waitFor(
        () => views.every((v) => v.seq === server.seq && v.balanceKwh === server.balanceKwh),
        `every client to converge on the server’s state ${when}`,
        10_000,
      ).catch((err: unknown) => {
        throw new Error(
          `${(err as Error).message}; server ${JSON.stringify(server)}, clients ${JSON.stringify(
            views.map((v) => ({
              seq: v.seq,
              kwh: v.balanceKwh,
              refetches: v.refetches,
              initials: v.initials,
            })),
          )}`,
        );
      });

    let stopCredits = startCredits('during');
    await waitFor(() => views.every((v) => v.seq >= 5), 'events flowing to every client');
    await redis.kill();
    // One client on each instance loses its network while Redis is away: the session cannot be
    // saved to Redis, and its reconnect cannot be recovered from there.
    for (const v of [views[1]!, views[3]!])
      (v.client.socket.io.engine as unknown as { close(): void }).close();
    const atKill = await serverState();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    // The outage's last credits are followed by none: only a resync can bring them across.
    await stopCredits();
    const quiet = await serverState();
    expect(quiet.seq).toBeGreaterThan(atKill.seq);
    await redis.start();
    await converge(quiet, 'once Redis is back, with no event since the outage');
    // Each instance resends balance_initial to its sockets once Redis is back.
    await waitFor(
      () => views[0]!.initials >= 2 && views[2]!.initials >= 2,
      'balance_initial after the restart',
    );

    stopCredits = startCredits('after');
    await new Promise((r) => setTimeout(r, 1500));
    await stopCredits();
    const server = await serverState();
    expect(credited).toBeGreaterThan(20);
    // A credit never waits for Redis: events to sockets are sent after the commit, not in it. One
    // that waited would take the whole outage; how much less it took is this machine's noise.
    expect(creditMaxMs).toBeLessThan(OUTAGE_MS);
    await converge(server, 'after more credits');
    // The cross-instance path works again after the restart: a fresh credit reaches all four live.
    await a.app.services.credit.credit(SYSTEM, {
      meterNo: m.meterNo,
      amountCents: 100,
      source: 'simulate',
      type: 'simulate',
      externalRef: 'rt3-last',
    });
    await waitFor(() => views.every((v) => v.seq === server.seq + 1), 'the next credit on every client');

    polling = false;
    await poller;
    for (const v of views) v.client.close();
    // Events were really lost across instances while Redis was away, and repaired by refetching.
    for (const v of views) expect(v.refetches).toBeGreaterThan(0);
    expect(creditFailures).toEqual([]);
    expect(health.failures).toEqual([]);
    expect(health.checks).toBeGreaterThan(20);
    // Every probe answered within the outage's length (a failure above otherwise).
    console.info('RT-3 health max ms', Math.round(health.maxMs), 'credit max ms', Math.round(creditMaxMs));
    expect(unhandled).toEqual([]);
  }, 60_000);
});
