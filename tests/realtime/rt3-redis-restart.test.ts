// Protects RT-3: two instances on one PostgreSQL and Redis; Redis dies and comes back mid-stream; clients on both converge and the servers stay up.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { freePort } from '../helpers/haproxy';
import { PrivateRedis } from '../helpers/redis';
import { scratchDatabase } from '../helpers/scratch-db';
import { MeterView } from '../helpers/meter-view';
import { connected } from '../helpers/sockets';

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;

/** How long Redis stays down while credits keep landing on both instances. */
const OUTAGE_MS = 3000;
const HEALTH_POLL_MS = 100;

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
    const views = [a, a, b, b].map((t) => new MeterView(t.url, m.meterNo, customer.token));
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
