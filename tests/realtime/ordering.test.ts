// Protects RT-1 and the coalescing rule: per-meter events arrive in seq order; consumption updates ≤ 1 per meter per second, credits at once.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceInitialSchema, balanceUpdatedSchema, type BalanceUpdated } from '@umeme/protocol';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { connectAsMeter, meterState, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { openReadySocket } from '../helpers/sockets';

describe('event order and coalescing', () => {
  let t: TestApp;
  const meters: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp('pglite', { DEMO: true });
  });
  afterAll(async () => {
    await Promise.all(meters.map((m) => m.endAsync()));
    await t?.close();
  });

  it('RT-1: 1,000 credits to one meter reach its owner in seq order, none missing', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const c = await openReadySocket(t.url, customer.token);
    const seq0 = balanceInitialSchema.parse(c.of('balance_initial')[0]).meters[0]!.seq;
    const total = 1000;
    const inFlight = 8;
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < total) {
          const i = next++;
          await t.app.services.credit.credit(SYSTEM, {
            meterNo: m.meterNo,
            amountCents: 100,
            source: 'simulate',
            type: 'simulate',
            externalRef: `RT1-${m.meterNo}-${i}`,
          });
        }
      }),
    );
    await waitFor(() => c.of('balance_updated').length === total, '1,000 balance_updated', 90_000);
    const seqs = c.of('balance_updated').map((p) => balanceUpdatedSchema.parse(p).seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => seq0 + 1 + i));
    const completed = c.of('transaction_completed').map((p) => p.seq as number);
    expect(completed).toEqual(seqs);
    c.close();
  }, 240_000);

  it('coalesces consumption updates to at most one per meter per second and ends on the latest state', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 100 });
    const mqtt = await connectAsMeter(t.mqttUrl, m);
    meters.push(mqtt);
    const c = await openReadySocket(t.url, customer.token);
    const reports = 30;
    const started = Date.now();
    for (let seq = 1; seq <= reports; seq++) {
      await mqtt.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, seq, seq * 0.01), {
        qos: 1,
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    const finalSeq = await waitFor(async () => {
      const { rows } = await t.app.services.db.query<{ event_seq: number; energy_mwh: number }>(
        'SELECT event_seq, energy_mwh FROM meters WHERE meter_no = $1',
        [m.meterNo],
      );
      return rows[0]?.energy_mwh === reports * 10_000 ? rows[0].event_seq : null;
    }, 'all reports applied');
    await waitFor(
      () => c.of('balance_updated').some((p) => p.seq === finalSeq),
      'the update carrying the final seq',
      3000,
    );
    const updates = c.events.filter((e) => e.event === 'balance_updated');
    const elapsedS = (Date.now() - started) / 1000;
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    // The spacing itself is the coalescer's unit test; arrival times here would also measure
    // this process's own event loop, which serves both the server and the client.
    const payloads = updates.map((u) => balanceUpdatedSchema.parse(u.payload));
    const last = payloads[payloads.length - 1]!;
    expect(last).toMatchObject({
      seq: finalSeq,
      energyTotal: reports * 0.01,
      newBalance: 100 - reports * 0.01,
    });
    // Together the coalesced updates cover every change: no range leaves a hole.
    let covered = balanceInitialSchema.parse(c.of('balance_initial')[0]).meters[0]!.seq;
    for (const p of payloads) {
      expect(p.fromSeq ?? p.seq).toBeLessThanOrEqual(covered + 1);
      covered = p.seq;
    }
    c.close();
  }, 60_000);

  it('sends a credit at once even while consumption updates are being held back', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id, openingCreditKwh: 50 });
    const mqtt = await connectAsMeter(t.mqttUrl, m);
    meters.push(mqtt);
    const c = await openReadySocket(t.url, customer.token);
    let seq = 0;
    const publishing = (async () => {
      for (let i = 0; i < 20; i++) {
        seq++;
        await mqtt.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, seq, seq * 0.01), {
          qos: 1,
        });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const res = await t.api<{ transactionId: string }>(
      'POST',
      '/daraja/simulate',
      { meter_no: m.meterNo, amount: 20 },
      customer.token,
    );
    expect(res.status).toBe(200);
    const answeredAtMs = Date.now();
    const credit = await waitFor(
      () =>
        c.events.find(
          (e) => e.event === 'balance_updated' && e.payload.transactionId === res.body.transactionId,
        ),
      'the credit update',
      2000,
    );
    // The events leave before the HTTP answer; a held-back update would trail it by up to a second.
    expect(credit.atMs - answeredAtMs).toBeLessThan(250);
    await publishing;
    await waitFor(async () => (await meterState(t, m.meterNo)).energy_mwh === 200_000, 'reports applied');
    await new Promise((r) => setTimeout(r, 1200));
    const seqs = c.of('balance_updated').map((p) => (p as BalanceUpdated).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    c.close();
  }, 60_000);
});
