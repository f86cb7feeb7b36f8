// Protects two deployments sharing one broker or one Redis (issue 14 §3): their own $share group, client ids and Redis names; the demo leaves nothing retained.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config';
import { startDemo } from '../../packages/server/src/demo/demo';
import { redisNames } from '../../packages/server/src/realtime/redis-adapter';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { meterState, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { mosquittoUnavailable, startOwnMosquitto, type OwnMosquitto } from '../helpers/mosquitto';

const unavailable = mosquittoUnavailable();
if (unavailable) console.warn(`skipping the two-deployments suite: ${unavailable}`);

describe('DEPLOYMENT_NAME', () => {
  it('is validated and names the Redis stream, channels and session keys', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).DEPLOYMENT_NAME).toBe('umeme');
    for (const bad of ['Umeme', 'a/b', 'x+', '#', '-x', 'a'.repeat(25), '$share']) {
      expect(() => loadConfig({ NODE_ENV: 'test', DEPLOYMENT_NAME: bad })).toThrow(/DEPLOYMENT_NAME/);
    }
    const a = Object.values(redisNames('kisumu'));
    const b = Object.values(redisNames('nakuru'));
    expect(a.every((n) => n.startsWith('kisumu:'))).toBe(true);
    expect(a.filter((n) => b.includes(n))).toEqual([]);
  });
});

describe.skipIf(unavailable !== null)('two deployments on one Mosquitto', () => {
  let broker: OwnMosquitto;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    broker = await startOwnMosquitto({ dynsec: false, anonymous: true });
    const external = { MQTT_URL: broker.url, embeddedBroker: false } as const;
    // a runs the demo in one test (explicitly: an external broker alone turns it off)
    a = await startTestApp('pglite', { ...external, DEPLOYMENT_NAME: 'kisumu', DEMO: true });
    b = await startTestApp('pglite', { ...external, DEPLOYMENT_NAME: 'nakuru' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await broker?.stop();
  });

  it('each gets every report it subscribes to, none split between them', async () => {
    // Topics are global on a broker: the same meter number registered in both sees both apply it.
    const meterNo = `DUP${randomBytes(3).toString('hex')}`;
    for (const t of [a, b]) await t.app.services.meters.register(SYSTEM, { meterNo, openingCreditKwh: 100 });
    const meter = await mqtt.connectAsync(broker.url, { clientId: meterNo, reconnectPeriod: 0 });
    const reports = 40;
    for (let seq = 1; seq <= reports; seq++) {
      await meter.publishAsync(`smartmeter/${meterNo}/consumption`, v2Report(meterNo, seq, seq / 1000), {
        qos: 1,
      });
    }
    for (const t of [a, b]) {
      await waitFor(async () => (await meterState(t, meterNo)).energy_mwh === reports * 1000, 'last total');
      const { rows } = await t.app.services.db.query<{ n: number }>(
        'SELECT COUNT(*)::int AS n FROM readings WHERE meter_no = $1',
        [meterNo],
      );
      expect(rows[0]!.n).toBe(reports);
    }
    expect(a.app.mqtt.client.options.clientId).not.toBe(b.app.mqtt.client.options.clientId);
    expect(a.app.mqtt.connected && b.app.mqtt.connected).toBe(true);
    await meter.endAsync();
  });

  it('the demo on an external broker leaves nothing retained once stopped', async () => {
    a.app.config.DEMO_METERS = 2;
    const stop = await startDemo(a.app);
    await waitFor(
      async () =>
        (
          await a.app.services.db.query(
            `SELECT 1 FROM meters WHERE meter_no LIKE 'DEMO-%' AND status = 'online'`,
          )
        ).rows.length === 2,
      'demo meters online',
    );
    await stop();
    // Mosquitto queues a subscription's retained messages before anything published after it.
    const probe = await mqtt.connectAsync(broker.url, {
      clientId: `probe-${Date.now()}`,
      reconnectPeriod: 0,
    });
    const retained: string[] = [];
    let marker = false;
    const markerTopic = `probe/${randomBytes(4).toString('hex')}`;
    probe.on('message', (topic, payload, packet) => {
      if (topic === markerTopic) marker = true;
      else if (packet.retain && topic.includes('/DEMO-') && payload.length > 0) retained.push(topic);
    });
    await probe.subscribeAsync('#', { qos: 1 });
    await probe.publishAsync(markerTopic, 'x', { qos: 1 });
    await waitFor(() => marker, 'marker after the retained messages');
    expect(retained).toEqual([]);
    await probe.endAsync();
  });
});

describe.skipIf(!process.env.REDIS_URL)('two deployments on one Redis', () => {
  it('write their Socket.IO events to streams of their own', async () => {
    const names = [`t${randomBytes(3).toString('hex')}a`, `t${randomBytes(3).toString('hex')}b`];
    const redis = new Redis(process.env.REDIS_URL!);
    const apps: TestApp[] = [];
    try {
      for (const DEPLOYMENT_NAME of names) {
        apps.push(await startTestApp('pglite', { REDIS_URL: process.env.REDIS_URL!, DEPLOYMENT_NAME }));
      }
      // An event for the admins' room goes through the adapter, so into the deployment's stream.
      for (const t of apps) {
        const m = await t.newMeter();
        await t.creditKes(m.meterNo, 10);
      }
      for (const n of names) {
        await waitFor(async () => (await redis.exists(redisNames(n).streamName)) === 1, `stream of ${n}`);
      }
    } finally {
      await Promise.all(apps.map((t) => t.close()));
      for (const n of names) await redis.del(redisNames(n).streamName);
      await redis.quit();
    }
  });
});
