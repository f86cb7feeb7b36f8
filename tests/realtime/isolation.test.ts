// Protects RT-4: a socket hears only about the meters its token entitles it to, and cannot join other rooms.
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeMeterAckSchema } from '@umeme/protocol';
import { SYSTEM } from '../../packages/server/src/shared/access';
import {
  connectAsMeter,
  startTestApp,
  v2Report,
  waitFor,
  type TestApp,
  type TestMeterCreds,
} from '../helpers/app';
import { openReadySocket, type RecordingClient } from '../helpers/sockets';

const CUSTOMERS = 5;
const METERS_EACH = 2;

interface Customer {
  id: string;
  token: string;
  meters: TestMeterCreds[];
  sockets: RecordingClient[];
}

/** Every meterNo an event names, wherever it names one. */
function meterNosIn(client: RecordingClient): string[] {
  return client.events.flatMap((e) => (typeof e.payload.meterNo === 'string' ? [e.payload.meterNo] : []));
}

describe('RT-4 room isolation', () => {
  let t: TestApp;
  const customers: Customer[] = [];
  const mqttClients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < CUSTOMERS; i++) {
      const r = await t.app.services.auth.register({
        name: `Customer ${i}`,
        email: `iso${randomBytes(4).toString('hex')}@test.local`,
        phone: '254712345678',
        password: 'customer-pass-1',
      });
      const meters: TestMeterCreds[] = [];
      for (let j = 0; j < METERS_EACH; j++)
        meters.push(await t.newMeter({ userId: r.user.id, openingCreditKwh: 0.5 }));
      // Two sockets per customer, like two open tabs.
      const sockets = [await openReadySocket(t.url, r.token), await openReadySocket(t.url, r.token)];
      customers.push({ id: r.user.id, token: r.token, meters, sockets });
    }
  });

  afterAll(async () => {
    for (const c of customers) for (const s of c.sockets) s.close();
    await Promise.all(mqttClients.map((m) => m.endAsync()));
    await t?.close();
  });

  it('delivers every kind of meter event to the owner’s sockets and none to anyone else', async () => {
    const all = customers.flatMap((c) => c.meters);
    for (const m of all) {
      const mqtt = await connectAsMeter(t.mqttUrl, m);
      mqttClients.push(mqtt);
      // 1 kWh used of 0.5 kWh credit: balance_updated, balance_insufficient, a zero-balance notification.
      await mqtt.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 1, 1), { qos: 1 });
    }
    // The broker acknowledges before the server applies: wait, or a credit could land first.
    await waitFor(
      () =>
        customers.every((c) =>
          c.meters.every((m) =>
            c.sockets[0]!.of('balance_insufficient').some((p) => p.meterNo === m.meterNo),
          ),
        ),
      'every meter at zero',
    );
    for (const m of all) {
      await t.app.services.credit.credit(SYSTEM, {
        meterNo: m.meterNo,
        amountCents: 10_000,
        source: 'simulate',
        type: 'simulate',
        externalRef: `ISO-${m.meterNo}`,
      });
    }
    for (const [i, m] of all.entries()) {
      const mqtt = mqttClients[i]!;
      await mqtt.publishAsync(
        `smartmeter/${m.meterNo}/status`,
        JSON.stringify({ meterNo: m.meterNo, status: 'offline' }),
        { qos: 1 },
      );
    }
    const expectedKinds = [
      'balance_updated',
      'balance_insufficient',
      'transaction_completed',
      'payment_success',
      'meter_status',
      'notification',
    ] as const;
    const missing = (c: Customer, s: RecordingClient) =>
      c.meters.flatMap((m) =>
        expectedKinds
          .filter((k) => !s.of(k).some((p) => p.meterNo === m.meterNo))
          .map((k) => `${m.meterNo}:${k}`),
      );
    for (const c of customers) {
      for (const s of c.sockets) {
        await waitFor(() => missing(c, s).length === 0, 'every event kind for every meter').catch(() => {
          throw new Error(`missing events: ${missing(c, s).join(', ')}`);
        });
      }
    }
    // Let stragglers arrive before asserting that none went astray.
    await new Promise((r) => setTimeout(r, 300));
    for (const c of customers) {
      const own = new Set(c.meters.map((m) => m.meterNo));
      for (const s of c.sockets) {
        const foreign = meterNosIn(s).filter((n) => !own.has(n));
        expect(foreign).toEqual([]);
      }
    }
  });

  it('refuses subscribe_meter for another customer’s meter exactly as for a missing one', async () => {
    const [a, b] = [customers[0]!, customers[1]!];
    const socket = a.sockets[0]!.socket;
    const foreign = subscribeMeterAckSchema.parse(
      await socket.timeout(5000).emitWithAck('subscribe_meter', b.meters[0]!.meterNo),
    );
    const missing = subscribeMeterAckSchema.parse(
      await socket.timeout(5000).emitWithAck('subscribe_meter', 'NOPE404'),
    );
    expect(foreign).toEqual({ ok: false, error: 'METER_NOT_FOUND', message: 'Meter not found.' });
    expect(missing).toEqual(foreign);
    const own = subscribeMeterAckSchema.parse(
      await socket.timeout(5000).emitWithAck('subscribe_meter', a.meters[0]!.meterNo),
    );
    expect(own.ok).toBe(true);
  });

  it('ignores a client that asks to join rooms by name', async () => {
    const [a, b] = [customers[2]!, customers[3]!];
    const s = a.sockets[0]!;
    const socket = s.socket as unknown as { emit: (event: string, ...args: unknown[]) => void };
    for (const room of [`meter:${b.meters[0]!.meterNo}`, `user:${b.id}`, 'admins']) {
      socket.emit('join', room);
      socket.emit('subscribe', room);
      socket.emit('join_room', { room });
    }
    const before = s.events.length;
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: b.meters[0]!.meterNo,
      amountCents: 5_000,
      source: 'simulate',
      type: 'simulate',
      externalRef: `ISO-JOIN-${b.meters[0]!.meterNo}`,
    });
    await waitFor(
      () =>
        b.sockets[0]!.of('transaction_completed').some(
          (p) => p.transactionType === 'simulate' && p.amount === 50,
        ),
      'the owner hears the credit',
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(meterNosIn({ ...s, events: s.events.slice(before) })).not.toContain(b.meters[0]!.meterNo);
  });

  it('lets an admin watch any meter with subscribe_meter', async () => {
    const admin = await openReadySocket(t.url, t.adminToken);
    const target = customers[4]!.meters[1]!;
    const ack = subscribeMeterAckSchema.parse(
      await admin.socket.timeout(5000).emitWithAck('subscribe_meter', target.meterNo),
    );
    expect(ack.ok).toBe(true);
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: target.meterNo,
      amountCents: 2_000,
      source: 'simulate',
      type: 'simulate',
      externalRef: `ISO-ADMIN-${target.meterNo}`,
    });
    await waitFor(
      () =>
        admin
          .of('balance_updated')
          .some((p) => p.meterNo === target.meterNo && p.transactionType === 'simulate'),
      'the admin hears the watched meter',
    );
    admin.close();
  });
});

describe('RT-4 when a meter changes hands', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the previous owner stops hearing the meter at once; the new owner starts, with a fresh balance_initial each', async () => {
    const [a, b] = await Promise.all([t.newCustomer(), t.newCustomer()]);
    const meter = await t.newMeter({ userId: a.id, openingCreditKwh: 1 });
    const sa = await openReadySocket(t.url, a.token);
    const sb = await openReadySocket(t.url, b.token);
    const credit = (tag: string) =>
      t.app.services.credit.credit(SYSTEM, {
        meterNo: meter.meterNo,
        amountCents: 100,
        source: 'simulate',
        type: 'simulate',
        externalRef: `${tag}-${meter.meterNo}`,
      });
    await credit('before');
    await waitFor(() => sa.of('balance_updated').length === 1, 'the owner hears its meter');
    const moved = await t.api(
      'POST',
      `/api/admin/meters/${meter.meterNo}/assign`,
      { userId: b.id, reason: 'tenant moved out' },
      t.adminToken,
    );
    expect(moved.status).toBe(200);
    await waitFor(() => sa.of('balance_initial').length === 2, 'a fresh snapshot for the previous owner');
    await waitFor(() => sb.of('balance_initial').length === 2, 'a fresh snapshot for the new owner');
    const meterNos = (p: unknown) => (p as { meters: { meterNo: string }[] }).meters.map((m) => m.meterNo);
    expect(meterNos(sa.of('balance_initial')[1])).not.toContain(meter.meterNo);
    expect(meterNos(sb.of('balance_initial')[1])).toContain(meter.meterNo);
    await credit('after');
    await waitFor(() => sb.of('balance_updated').length === 1, 'the new owner hears the credit');
    await new Promise((r) => setTimeout(r, 300));
    expect(sa.of('balance_updated')).toHaveLength(1);
    sa.close();
    sb.close();
  });
});
