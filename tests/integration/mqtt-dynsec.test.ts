// Protects device security on a production broker: Mosquitto 2 with dynamic security managed by the server (issue 14; MQ-7, MQ-8, MQ-9).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynsecControl, meterRoleName } from '../../packages/server/src/mqtt/dynsec';
import { connectAsMeter, meterState, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { scratchDatabase } from '../helpers/scratch-db';
import { mosquittoUnavailable, startOwnMosquitto, type OwnMosquitto } from '../helpers/mosquitto';
import pino from 'pino';

const unavailable = mosquittoUnavailable();
if (unavailable) console.warn(`skipping the Mosquitto dynamic-security suite: ${unavailable}`);

async function refused(url: string, opts: mqtt.IClientOptions): Promise<boolean> {
  try {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    await c.endAsync(true);
    return false;
  } catch {
    return true;
  }
}

const limitOf = (payload: Buffer) => (JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit;

describe.skipIf(unavailable !== null)('Mosquitto with dynamic security managed by the server', () => {
  let broker: OwnMosquitto;
  let t: TestApp;
  let admin: DynsecControl;
  beforeAll(async () => {
    broker = await startOwnMosquitto();
    t = await startTestApp('pglite', { MQTT_URL: broker.adminUrl, MQTT_DYNSEC: true, embeddedBroker: false });
    admin = new DynsecControl({
      url: broker.url,
      ...broker.admin,
      clientId: 'test-dynsec-admin',
      logger: pino({ level: 'silent' }),
    });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.close();
    await t?.close();
    await broker?.stop();
  });

  it('refuses anonymous clients and lets the server’s own account do only its job', async () => {
    expect(await refused(t.mqttUrl, { clientId: 'anon' })).toBe(true);
    expect(await refused(t.mqttUrl, { clientId: 'anon5', protocolVersion: 5 })).toBe(true);
    const acl = await admin.command<{ acls: { acltype: string; allow: boolean }[] }>('getDefaultACLAccess');
    expect(acl.acls.filter((a) => a.allow).map((a) => a.acltype)).toEqual(['unsubscribe']);
    expect(t.app.mqtt.connected).toBe(true);
  });

  it('MQ-8: wrong secrets, missing credentials, unknown and revoked meters are all refused', async () => {
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
      { clientId: 'umeme-server-x', username: 'umeme-umeme-server', password: a.secret },
      { clientId: 'x', username: broker.admin.username, password: a.secret },
    ];
    const results = await Promise.all(attempts.map((o) => refused(t.mqttUrl, o)));
    expect(results).toEqual(attempts.map(() => true));
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
    expect(await refused(t.mqttUrl, { clientId: a.meterNo })).toBe(true);
    // the refused attempts are done; the first session must still be there
    await first.publishAsync(`smartmeter/${a.meterNo}/consumption`, v2Report(a.meterNo, 1, 0.5), { qos: 1 });
    expect(first.connected).toBe(true);
    expect(firstClosed).toBe(false);
    const second = await connectAsMeter(t.mqttUrl, a);
    await waitFor(() => firstClosed, 'old session closed');
    expect(second.connected).toBe(true);
    await second.endAsync();
  });

  it('MQ-8: rotating or revoking a secret ends the open session at once, and the old secret stays refused', async () => {
    for (const change of ['rotate-secret', 'revoke'] as const) {
      const m = await t.newMeter();
      const live = await connectAsMeter(t.mqttUrl, m);
      await live.publishAsync(
        `smartmeter/${m.meterNo}/status`,
        JSON.stringify({ meterNo: m.meterNo, status: 'online' }),
        { qos: 1 },
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
      // The broker has already ended the session when the API answers.
      await waitFor(() => closed, `session closed after ${change}`);
      expect(await refused(t.mqttUrl, { clientId: m.meterNo, username: m.meterNo, password: m.secret })).toBe(
        true,
      );
      await waitFor(async () => (await status()) === 'offline', 'marked offline');
      if (change === 'rotate-secret') {
        const fresh = await connectAsMeter(t.mqttUrl, { ...m, secret: res.body.mqttPassword! });
        expect(fresh.connected).toBe(true);
        await fresh.endAsync();
      }
      live.end(true);
    }
  });

  it('MQ-7: 50 meters probing each other’s topics and wildcards get 0 deliveries and change no balance', async () => {
    const meters = await Promise.all(Array.from({ length: 50 }, () => t.newMeter({ openingCreditKwh: 5 })));
    const clients = await Promise.all(meters.map((m) => connectAsMeter(t.mqttUrl, m)));
    const foreign: string[] = [];
    const ownLimits = new Map<string, number[]>();
    clients.forEach((c, i) => {
      const me = meters[i]!.meterNo;
      ownLimits.set(me, []);
      c.on('message', (topic, payload) => {
        if (!topic.startsWith(`smartmeter/${me}/`)) foreign.push(topic);
        else if (topic.endsWith('/command/balance')) ownLimits.get(me)!.push(limitOf(payload));
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
      '$CONTROL/#',
      '$share/umeme/smartmeter/+/consumption',
    ];
    let denied = 0;
    let grants = 0;
    await Promise.all(
      clients.map(async (c, i) => {
        const others = meters.filter((_, j) => j !== i).map((m) => `smartmeter/${m.meterNo}/command/balance`);
        for (const filter of [...wild, ...others]) {
          await c.subscribeAsync(filter, { qos: 1 }).then(
            (granted) => (granted.every((g) => g.qos === 128) ? denied++ : grants++),
            () => denied++,
          );
        }
        // its own commands, the one subscription it may make
        await c.subscribeAsync(`smartmeter/${meters[i]!.meterNo}/command/#`, { qos: 1 });
      }),
    );
    expect(grants).toBe(0);
    expect(denied).toBe(50 * (wild.length + 49));
    // Each meter publishes as each of the 49 others (the broker drops them: 3.1.1 has no way to
    // say so), then a report of its own: once that one is applied, anything before it was seen.
    await Promise.all(
      clients.map(async (c, i) => {
        for (let j = 0; j < meters.length; j++) {
          if (j === i) continue;
          const other = meters[j]!.meterNo;
          c.publish(`smartmeter/${other}/consumption`, v2Report(other, 1, 100), { qos: 1 });
          c.publish(
            `smartmeter/${other}/command/balance`,
            JSON.stringify({ balance: 999, creditLimit: 999 }),
            {
              qos: 1,
            },
          );
        }
        const me = meters[i]!.meterNo;
        await c.publishAsync(`smartmeter/${me}/consumption`, v2Report(me, 1, 0.001), { qos: 1 });
      }),
    );
    for (const m of meters) {
      await waitFor(
        async () => (await meterState(t, m.meterNo)).energy_mwh === 1000,
        `own report of ${m.meterNo}`,
      );
      const s = await meterState(t, m.meterNo);
      expect(s.credit_limit_mwh).toBe(5_000_000);
    }
    // every meter still gets its own credit limit, and only its own
    await Promise.all(meters.map((m) => t.creditKes(m.meterNo, 20)));
    for (const m of meters)
      await waitFor(() => ownLimits.get(m.meterNo)!.includes(6), `limit of ${m.meterNo}`);
    expect(foreign).toEqual([]);
    expect(
      meters.flatMap((m) => ownLimits.get(m.meterNo)!.filter((l) => l === 999)),
      'a forged command/balance reached a meter',
    ).toEqual([]);
    const readings = await t.app.services.db.query<{ n: number }>(
      'SELECT COUNT(*)::bigint AS n FROM readings WHERE meter_no = ANY($1::text[])',
      [meters.map((m) => m.meterNo)],
    );
    expect(Number(readings.rows[0]!.n)).toBe(50);
    await Promise.all(clients.map((c) => c.endAsync(true)));
  });

  it('reconciles drift at start-up: corrects roles, disabled state and extra accounts, lists meters without one', async () => {
    const missing = await t.newMeter();
    const disabled = await t.newMeter();
    const revoked = await t.newMeter();
    const badRole = await t.newMeter();
    await t.api('POST', `/api/meters/${revoked.meterNo}/revoke`, undefined, t.adminToken);
    await admin.command('deleteClient', { username: missing.meterNo });
    await admin.command('disableClient', { username: disabled.meterNo });
    await admin.command('enableClient', { username: revoked.meterNo });
    await admin.command('addRoleACL', {
      rolename: meterRoleName('umeme', badRole.meterNo),
      acltype: 'subscribePattern',
      topic: '#',
      allow: true,
    });
    await admin.command('createClient', {
      username: 'GHOST1',
      password: 'ghost-pass',
      textdescription: 'umeme:umeme',
    });
    await admin.command('createClient', {
      username: 'OTHERS',
      password: 'other-pass',
      textdescription: 'umeme:other',
    });
    expect(
      await refused(t.mqttUrl, {
        clientId: revoked.meterNo,
        username: revoked.meterNo,
        password: revoked.secret,
      }),
    ).toBe(false);

    const report = await t.app.brokerAccounts!.reconcile(t.app.services.db);
    expect(report.drift).toMatchObject({
      missing_client: 1,
      disabled_but_active: 1,
      enabled_but_revoked: 1,
      role_acls: 1,
      extra_client: 1,
    });
    expect(report.unprovisioned).toEqual([missing.meterNo]);
    const metrics = await t.app.metrics.registry.metrics();
    expect(metrics).toMatch(/umeme_mqtt_dynsec_drift_total\{kind="enabled_but_revoked"\} [1-9]/);
    expect(metrics).toMatch(/umeme_mqtt_dynsec_unprovisioned_meters 1/);

    expect(
      await refused(t.mqttUrl, {
        clientId: revoked.meterNo,
        username: revoked.meterNo,
        password: revoked.secret,
      }),
    ).toBe(true);
    const back = await connectAsMeter(t.mqttUrl, disabled);
    await back.endAsync();
    const probe = await connectAsMeter(t.mqttUrl, badRole);
    await expect(probe.subscribeAsync('#', { qos: 1 })).rejects.toThrow();
    probe.end(true);
    expect(await refused(t.mqttUrl, { clientId: 'GHOST1', username: 'GHOST1', password: 'ghost-pass' })).toBe(
      true,
    );
    // another deployment's account is none of this one's business
    expect((await admin.raw('getClient', { username: 'OTHERS' })).error).toBeUndefined();

    // a second reconciliation finds nothing left to correct
    const again = await t.app.brokerAccounts!.reconcile(t.app.services.db);
    expect(again.drift).toEqual({ missing_client: 1 });

    const listed = await t.api<{ managed: boolean; meters: string[] }>(
      'GET',
      '/api/admin/meters/unprovisioned',
      undefined,
      t.adminToken,
    );
    expect(listed.body).toEqual({ managed: true, meters: [missing.meterNo] });
  });
});

describe.skipIf(unavailable !== null)('meters registered before the server managed the broker', () => {
  it('are listed at start-up, rotated in bulk into a CSV once, audited, and connect with the new secrets', async () => {
    // One database for both runs: PostgreSQL when there is one (PGlite on disk is slow to create).
    const dataDir = mkdtempSync(join(tmpdir(), 'umeme-dynsec-db-'));
    const pgdb = process.env.DATABASE_URL
      ? await scratchDatabase(process.env.DATABASE_URL, 'umeme_dynsec')
      : null;
    const db = pgdb ? { DATABASE_URL: pgdb.url } : { DATA_DIR: dataDir };
    const broker = await startOwnMosquitto();
    try {
      // before: the embedded broker, meters with secrets the server keeps only as hashes
      const before = await startTestApp('pglite', db);
      const old = [
        await before.newMeter({ openingCreditKwh: 3 }),
        await before.newMeter(),
        await before.newMeter(),
      ];
      await before.close();

      const t = await startTestApp('pglite', {
        ...db,
        MQTT_URL: broker.adminUrl,
        MQTT_DYNSEC: true,
        embeddedBroker: false,
      });
      try {
        const metrics = await t.app.metrics.registry.metrics();
        expect(metrics).toMatch(/umeme_mqtt_dynsec_unprovisioned_meters 3/);
        expect(metrics).toMatch(/umeme_mqtt_dynsec_drift_total\{kind="missing_client"\} 3/);
        for (const m of old)
          expect(
            await refused(t.mqttUrl, { clientId: m.meterNo, username: m.meterNo, password: m.secret }),
          ).toBe(true);

        const noReason = await t.api(
          'POST',
          '/api/admin/meters/rotate-secrets',
          { unprovisioned: true },
          t.adminToken,
        );
        expect(noReason.status).toBe(400);
        const res = await fetch(`${t.url}/api/admin/meters/rotate-secrets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ unprovisioned: true, reason: 're-flash after moving to Mosquitto' }),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(res.headers.get('cache-control')).toBe('no-store');
        const lines = (await res.text()).trim().split('\r\n');
        expect(lines[0]).toBe('meterNo,mqttUsername,mqttClientId,mqttPassword,error');
        const rows = lines.slice(1).map((l) => l.split(','));
        expect(rows.map((r) => r[0])).toEqual(old.map((m) => m.meterNo).sort());
        for (const [meterNo, user, clientId, secret, error] of rows) {
          expect([user, clientId, error]).toEqual([meterNo, meterNo, '']);
          expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
          const c = await connectAsMeter(t.mqttUrl, { meterNo: meterNo!, secret: secret! });
          const limits: number[] = [];
          c.on('message', (_topic, payload) => limits.push(limitOf(payload)));
          await c.subscribeAsync(`smartmeter/${meterNo}/command/#`, { qos: 1 });
          await c.publishAsync(`smartmeter/${meterNo}/consumption`, v2Report(meterNo!, 1, 0.25), { qos: 1 });
          await waitFor(
            async () => (await meterState(t, meterNo!)).energy_mwh === 250_000,
            `report of ${meterNo}`,
          );
          await waitFor(() => limits.length > 0, `retained credit limit of ${meterNo}`);
          await c.endAsync();
        }
        const audit = await t.app.services.db.query<{
          target: string;
          details: { bulk?: boolean; reason?: string };
        }>(`SELECT target, details FROM audit_log WHERE action = 'meter.secret_rotated' ORDER BY target`);
        expect(audit.rows.map((r) => r.target)).toEqual(old.map((m) => m.meterNo).sort());
        expect(
          audit.rows.every(
            (r) => r.details.bulk === true && r.details.reason === 're-flash after moving to Mosquitto',
          ),
        ).toBe(true);
        const after = await t.api<{ meters: string[] }>(
          'GET',
          '/api/admin/meters/unprovisioned',
          undefined,
          t.adminToken,
        );
        expect(after.body.meters).toEqual([]);
      } finally {
        await t.close();
      }
    } finally {
      await broker.stop();
      await pgdb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
