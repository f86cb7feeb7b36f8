// Protects device authentication and the per-meter MQTT ACL (docs/design.md §4; MQ-7, MQ-8, MQ-9).
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAsMeter,
  meterState,
  startTestApp,
  v2Report,
  waitFor,
  type TestApp,
  type TestMeterCreds,
} from '../helpers/app';

async function refused(url: string, opts: mqtt.IClientOptions): Promise<boolean> {
  try {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...opts });
    await c.endAsync(true);
    return false;
  } catch {
    return true;
  }
}

describe('MQTT device security', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('MQ-8: wrong secrets, missing credentials and revoked meters are all refused', async () => {
    const a = await t.newMeter();
    const revoked = await t.newMeter();
    await t.api('POST', `/api/meters/${revoked.meterNo}/revoke`, undefined, t.adminToken);
    const attempts: mqtt.IClientOptions[] = [
      { clientId: a.meterNo, username: a.meterNo, password: 'wrong' },
      { clientId: a.meterNo, username: a.meterNo, password: a.secret + 'x' },
      { clientId: a.meterNo },
      { clientId: a.meterNo, username: a.meterNo },
      { clientId: a.meterNo, username: a.meterNo, password: '' },
      { clientId: revoked.meterNo, username: revoked.meterNo, password: revoked.secret },
      { clientId: 'NOPE', username: 'NOPE', password: a.secret },
      { clientId: 'umeme-server-x', username: 'umeme-server', password: a.secret },
    ];
    const results = await Promise.all(attempts.map((o) => refused(t.mqttUrl, o)));
    expect(results).toEqual(attempts.map(() => true));
    // and the right credentials do work
    expect(await refused(t.mqttUrl, { clientId: a.meterNo, username: a.meterNo, password: a.secret })).toBe(
      false,
    );
  });

  it('MQ-9: another meter cannot take over a session; a legitimate reconnect does', async () => {
    const a = await t.newMeter();
    const b = await t.newMeter();
    const first = await connectAsMeter(t.mqttUrl, a);
    let firstClosed = false;
    first.on('close', () => (firstClosed = true));
    expect(await refused(t.mqttUrl, { clientId: a.meterNo, username: b.meterNo, password: b.secret })).toBe(
      true,
    );
    expect(await refused(t.mqttUrl, { clientId: a.meterNo, username: a.meterNo, password: 'guess' })).toBe(
      true,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(first.connected).toBe(true);
    expect(firstClosed).toBe(false);
    const second = await connectAsMeter(t.mqttUrl, a);
    await waitFor(() => firstClosed, 'old session closed');
    expect(second.connected).toBe(true);
    await second.endAsync();
  });

  it('MQ-8: rotating or revoking a secret ends the session it opened, and the old secret stays refused', async () => {
    for (const change of ['rotate-secret', 'revoke'] as const) {
      const m = await t.newMeter();
      const live = await connectAsMeter(t.mqttUrl, m, {
        will: {
          topic: `smartmeter/${m.meterNo}/status`,
          payload: Buffer.from(JSON.stringify({ meterNo: m.meterNo, status: 'offline' })),
          qos: 1,
          retain: true,
        },
      });
      await live.publishAsync(
        `smartmeter/${m.meterNo}/status`,
        JSON.stringify({ meterNo: m.meterNo, status: 'online' }),
        { qos: 1, retain: true },
      );
      const status = async () =>
        (await t.api<{ status: string }>('GET', `/api/meters/${m.meterNo}`, undefined, t.adminToken)).body
          .status;
      await waitFor(async () => (await status()) === 'online', 'online');
      let closed = false;
      live.on('close', () => (closed = true));
      const res = await t.api<{ mqttPassword?: string }>(
        'POST',
        `/api/meters/${m.meterNo}/${change}`,
        undefined,
        t.adminToken,
      );
      expect(res.status).toBeLessThan(300);
      await waitFor(() => closed, `session closed after ${change}`);
      expect(await refused(t.mqttUrl, { clientId: m.meterNo, username: m.meterNo, password: m.secret })).toBe(
        true,
      );
      await waitFor(async () => (await status()) === 'offline', 'Last Will applied');
      if (change === 'rotate-secret') {
        const fresh = await connectAsMeter(t.mqttUrl, { ...m, secret: res.body.mqttPassword! });
        expect(fresh.connected).toBe(true);
        await fresh.endAsync();
      }
    }
  });

  it('MQ-7: 50 meters probing each other’s topics and wildcards get 0 deliveries and change no balance', async () => {
    const meters: TestMeterCreds[] = [];
    for (let i = 0; i < 50; i++) meters.push(await t.newMeter({ openingCreditKwh: 5 }));
    const clients = await Promise.all(meters.map((m) => connectAsMeter(t.mqttUrl, m)));
    const foreign: string[] = [];
    clients.forEach((c, i) => {
      const own = `smartmeter/${meters[i]!.meterNo}/`;
      c.on('message', (topic) => {
        if (!topic.startsWith(own)) foreign.push(topic);
      });
    });
    const wild = [
      '#',
      '+/+/+',
      'smartmeter/#',
      'smartmeter/+/consumption',
      'smartmeter/+/command/#',
      '$SYS/#',
      '+/#',
    ];
    let denied = 0;
    let grants = 0;
    await Promise.all(
      clients.map(async (c, i) => {
        const others = meters.filter((_, j) => j !== i).map((m) => `smartmeter/${m.meterNo}/command/balance`);
        // mqtt.js rejects a SUBACK carrying 128 (refused), so one filter per SUBSCRIBE
        for (const filter of [...wild, ...others]) {
          await c.subscribeAsync(filter, { qos: 1 }).then(
            (granted) => (granted.every((g) => g.qos === 128) ? denied++ : grants++),
            () => denied++,
          );
        }
      }),
    );
    expect(grants).toBe(0);
    expect(denied).toBe(50 * (wild.length + 49));
    // Each meter now publishes as each of the 49 others; every attempt closes its connection.
    let attempts = 0;
    const publishAs = async (i: number) => {
      const me = meters[i]!;
      for (let j = 0; j < meters.length; j++) {
        if (j === i) continue;
        const c = await connectAsMeter(t.mqttUrl, me, { clientId: me.meterNo, clean: true });
        c.publish(`smartmeter/${meters[j]!.meterNo}/consumption`, v2Report(meters[j]!.meterNo, 1, 100), {
          qos: 0,
        });
        attempts++;
        await new Promise<void>((r) => c.once('close', () => r()));
        c.end(true);
      }
    };
    // a few publishers at a time keep the run short and the listeners connected
    for (let i = 0; i < meters.length; i += 10) {
      await Promise.all(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((k) => i + k < meters.length).map((k) => publishAs(i + k)),
      );
    }
    expect(attempts).toBe(50 * 49);
    for (const m of meters) {
      const s = await meterState(t, m.meterNo);
      expect(s.energy_mwh).toBe(0);
      expect(s.credit_limit_mwh).toBe(5_000_000);
    }
    expect(foreign).toEqual([]);
    const readings = await t.app.services.db.query<{ n: number }>(
      'SELECT COUNT(*)::bigint AS n FROM readings WHERE meter_no = ANY($1::text[])',
      [meters.map((m) => m.meterNo)],
    );
    expect(readings.rows[0]!.n).toBe(0);
    await Promise.all(clients.map((c) => c.endAsync(true)));
  });
});
