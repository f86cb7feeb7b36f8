// Protects HA-4 (issue 16 §4, clients follow): behind HAProxy, a socket on an instance killed with SIGKILL reconnects through the proxy to the survivor, gets balance_initial, then live events whose seq shows no gap, and converges to the server's balance.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt, launchChromium, waitForBalance, waitForLive } from '../browser/browser-harness';
import { ADMIN, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { freePort, haproxyUnavailable, startHaproxy, type OwnHaproxy } from '../helpers/haproxy';
import { MeterView } from '../helpers/meter-view';
import { mosquittoUnavailable, startOwnMosquitto, type OwnMosquitto } from '../helpers/mosquitto';
import { PrivateRedis } from '../helpers/redis';
import { scratchDatabase } from '../helpers/scratch-db';
import { connected } from '../helpers/sockets';
import { spawnServer, type ServerRun } from '../helpers/spawn-server';

const DATABASE_URL = process.env.DATABASE_URL;
const missing =
  (DATABASE_URL ? null : 'DATABASE_URL is not set') ??
  haproxyUnavailable() ??
  mosquittoUnavailable() ??
  (existsSync('/usr/bin/redis-server') ? null : 'redis-server is not installed');
if (missing && DATABASE_URL) console.warn(`skipping clients-follow: ${missing}`);

describe.skipIf(missing !== null)('clients follow a dead instance behind HAProxy', () => {
  let broker: OwnMosquitto;
  let redis: PrivateRedis;
  let db: { url: string; drop: () => Promise<void> };
  let proxy: OwnHaproxy;
  /** the instance killed: a process of its own */
  let a: ServerRun;
  /** the survivor, in this process (it makes the accounts and reads the record) */
  let b: TestApp;
  let meter: MqttClient | undefined;
  let browser: Browser;

  beforeAll(async () => {
    // Both instances serve the web app; Chromium watches the dashboard's link indicator.
    await ensureWebBuilt();
    browser = await launchChromium();
    broker = await startOwnMosquitto({ dynsec: false, anonymous: true });
    redis = new PrivateRedis(await freePort());
    await redis.start();
    db = await scratchDatabase(DATABASE_URL!, 'umeme_follow');
    // One database, one Redis, one broker, one signing key: two instances behind a load balancer.
    const shared = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      MQTT_URL: broker.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DEPLOYMENT_NAME: 'follow',
    };
    b = await startTestApp('pglite', {
      ...shared,
      embeddedBroker: false,
      INSTANCE_ID: 'follow-b',
      LOG_LEVEL: 'silent',
    });
    a = spawnServer({
      ...shared,
      INSTANCE_ID: 'follow-a',
      DARAJA_EMULATOR: 'true',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    });
    const aUrl = await a.ready();
    // `first`: every new connection goes to a while it is up, so the test knows where the client is.
    proxy = await startHaproxy(
      [
        { name: 'a', url: aUrl },
        { name: 'b', url: b.url },
      ],
      { balance: 'first' },
    );
    await waitFor(
      async () => Object.values(await proxy.status()).every((s) => s.status === 'UP'),
      'HAProxy to see both instances ready',
      15_000,
    );
  }, 180_000);

  afterAll(async () => {
    await meter?.endAsync(true);
    await browser?.close();
    await proxy?.stop();
    await a?.stop();
    await b?.close();
    await db?.drop();
    await redis?.kill();
    await broker?.stop();
  });

  it('the socket reconnects through the proxy to the survivor, gets balance_initial, then live reports and a credit in seq order, and converges', async () => {
    const customer = await b.newCustomer();
    const m = await b.newMeter({ userId: customer.id, openingCreditKwh: 50 });
    const view = new MeterView(proxy.url, m.meterNo, customer.token);
    await connected(view.client);
    await waitFor(() => view.seq >= 0, 'balance_initial through the proxy');
    const before = await proxy.status();
    expect(before.a!.sessions).toBeGreaterThanOrEqual(1);
    expect(before.b!.sessions).toBe(0);

    // The same customer's dashboard in Chromium, through the proxy; every link state it shows is
    // recorded, so a short offline spell is seen however quickly the reconnect follows.
    const page = await (await browser.newContext({ baseURL: proxy.url })).newPage();
    await page.goto('/');
    await page.fill('input[name="email"]', customer.email);
    await page.fill('input[name="password"]', customer.password);
    await page.click('[data-testid="auth-submit"]');
    await page.waitForURL(`**/meters/${m.meterNo}`);
    await waitForLive(page, true);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { linkStates: string[] }).linkStates = seen;
      const note = () => {
        const link = document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-link');
        if (link && seen.at(-1) !== link) seen.push(link);
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    expect((await proxy.status()).b!.sessions).toBe(0);

    // The meter reports every 100 ms through the shared broker (its $share group reaches both).
    meter = await mqtt.connectAsync(broker.url, { clientId: m.meterNo, reconnectPeriod: 0 });
    let reportSeq = 0;
    let reporting = true;
    const reporter = (async () => {
      while (reporting) {
        reportSeq++;
        await meter.publishAsync(
          `smartmeter/${m.meterNo}/consumption`,
          v2Report(m.meterNo, reportSeq, reportSeq / 100),
          {
            qos: 1,
          },
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitFor(() => view.seq >= 5, 'live events through instance a');
    const initialsBefore = view.initials;
    const eventsBefore = view.client.events.length;

    const killedAt = Date.now();
    await a.crash();
    // A fresh balance_initial is the sign of a new connection: it can only be b now.
    await waitFor(
      () => view.initials > initialsBefore && view.client.socket.connected,
      'the reconnect to b',
      20_000,
    );
    const reconnectedMs = Date.now() - killedAt;
    const afterKill = view.client.events.slice(eventsBefore);
    const initialAt = afterKill.findIndex((e) => e.event === 'balance_initial');
    const sessions = await proxy.status();
    expect(sessions.b!.sessions).toBeGreaterThanOrEqual(1);

    await b.creditKes(m.meterNo, 20);
    const updatesSinceInitial = () =>
      view.client.events
        .slice(eventsBefore + initialAt + 1)
        .filter((e) => e.event === 'balance_updated' && e.payload.meterNo === m.meterNo).length;
    await waitFor(() => updatesSinceInitial() >= 3, 'live events from b');
    reporting = false;
    await reporter;
    await b.creditKes(m.meterNo, 5);

    const server = async () =>
      (
        await b.api<{ seq: number; balanceKwh: number }>(
          'GET',
          `/api/meters/${m.meterNo}`,
          undefined,
          customer.token,
        )
      ).body;
    // Reports are applied in batches: wait until the last one and the last credit are in.
    const final = await waitFor(
      async () => {
        const s = await server();
        return view.seq === s.seq && view.balanceKwh === s.balanceKwh ? s : null;
      },
      'the client to converge on the server’s balance',
      15_000,
    ).catch(async (err: unknown) => {
      throw new Error(
        `${(err as Error).message}: server ${JSON.stringify(await server())}, client seq ${view.seq} kWh ${view.balanceKwh}`,
      );
    });

    // After the new balance_initial every balance_updated follows on from the previous seq: the
    // client saw every change b made, and would have noticed a missing one by its seq.
    const live = view.client.events
      .slice(eventsBefore + initialAt + 1)
      .filter((e) => e.event === 'balance_updated' && e.payload.meterNo === m.meterNo);
    const initial = view.client.events[eventsBefore + initialAt]!.payload as {
      meters: { meterNo: string; seq: number }[];
    };
    let seq = initial.meters.find((x) => x.meterNo === m.meterNo)!.seq;
    const breaks: string[] = [];
    for (const e of live) {
      const p = e.payload as { seq: number; fromSeq?: number };
      if ((p.fromSeq ?? p.seq) > seq + 1) breaks.push(`${seq} → ${p.fromSeq ?? p.seq}`);
      seq = Math.max(seq, p.seq);
    }
    expect(live.length).toBeGreaterThanOrEqual(3);
    expect(breaks).toEqual([]);
    expect(final.seq).toBe(seq);
    view.client.close();

    // The dashboard showed the link down, then live again, and the server's balance.
    await waitForLive(page, true);
    await waitForBalance(page, final.balanceKwh);
    const linkStates = await page.evaluate(() => (window as unknown as { linkStates: string[] }).linkStates);
    expect(linkStates[0]).toBe('connected');
    expect(linkStates.slice(1, -1).length).toBeGreaterThan(0);
    expect(linkStates.slice(1, -1)).not.toContain('connected');
    expect(linkStates.at(-1)).toBe('connected');
    console.info(
      `clients-follow: reconnected through HAProxy ${reconnectedMs} ms after SIGKILL; ${live.length} live events after; refetches ${view.refetches}, gaps ${view.gaps}; dashboard link ${linkStates.join(' → ')}`,
    );
  }, 60_000);
});
