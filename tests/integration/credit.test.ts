// Protects the crediting service and credit-limit delivery to meters (docs/design.md §3 invariants 1, 2, 4; MQ-4, MQ-5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { connectAsMeter, databases, meterState, startTestApp, waitFor, type TestApp } from '../helpers/app';

const limitOf = (payload: Buffer) => (JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit;

describe.each(databases)('crediting on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(db, { DEMO: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a credit repeated 100 times concurrently with one reference is applied once', async () => {
    const m = await t.newMeter();
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        t.app.services.credit.credit(SYSTEM, {
          meterNo: m.meterNo,
          amountCents: 10_000,
          source: 'simulate',
          type: 'simulate',
          externalRef: `REF-${m.meterNo}`,
        }),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.transactionId)).size).toBe(1);
    const s = await meterState(t, m.meterNo);
    expect(s.credit_limit_mwh).toBe(5_000_000); // KES 100 at 20 KES/kWh
    expect(s.e0_mwh + s.ledger_mwh).toBe(s.credit_limit_mwh);
  });

  it('the same reference with another amount is refused and credits nothing', async () => {
    const m = await t.newMeter();
    const req = {
      meterNo: m.meterNo,
      source: 'simulate' as const,
      type: 'simulate' as const,
      externalRef: `X-${m.meterNo}`,
    };
    await t.app.services.credit.credit(SYSTEM, { ...req, amountCents: 5_000 });
    await expect(t.app.services.credit.credit(SYSTEM, { ...req, amountCents: 9_000 })).rejects.toMatchObject({
      code: 'PAYMENT_DUPLICATE',
    });
    expect((await meterState(t, m.meterNo)).credit_limit_mwh).toBe(2_500_000);
  });

  it('POST /daraja/simulate credits the meter and the meter gets the new credit limit at once', async () => {
    const m = await t.newMeter();
    const meter = await connectAsMeter(t.mqttUrl, m);
    const limits: number[] = [];
    meter.on('message', (_topic, payload) => limits.push(limitOf(payload)));
    await meter.subscribeAsync(`smartmeter/${m.meterNo}/command/#`, { qos: 1 });
    const res = await t.api<{ energyKwh: number; balanceKwh: number }>(
      'POST',
      '/daraja/simulate',
      { meter_no: m.meterNo, amount: 50 },
      t.adminToken,
    );
    expect(res.status).toBe(200);
    expect(res.body.energyKwh).toBe(2.5);
    await waitFor(() => limits.includes(2.5), 'command/balance with the new limit', 3000);
    await meter.endAsync();
  });

  it('MQ-4: a meter offline while 3 payments land gets the final credit limit on reconnect', async () => {
    const m = await t.newMeter();
    const first = await connectAsMeter(t.mqttUrl, m, { clean: true });
    await first.endAsync();
    for (let i = 1; i <= 3; i++) {
      await t.app.services.credit.credit(SYSTEM, {
        meterNo: m.meterNo,
        amountCents: 2_000 * i,
        source: 'simulate',
        type: 'simulate',
        externalRef: `MQ4-${m.meterNo}-${i}`,
      });
    }
    const meter = await connectAsMeter(t.mqttUrl, m, { clean: true });
    const limits: number[] = [];
    meter.on('message', (_topic, payload) => limits.push(limitOf(payload)));
    await meter.subscribeAsync(`smartmeter/${m.meterNo}/command/balance`, { qos: 1 });
    await waitFor(() => limits.length > 0, 'retained command/balance');
    expect(limits[0]).toBe(6); // (20 + 40 + 60) KES / 20 KES/kWh
    await meter.endAsync();
  });

  it('MQ-5: a reconnecting meter gets exactly the latest credit limit from the retained message', async () => {
    const m = await t.newMeter();
    for (let i = 1; i <= 5; i++) {
      await t.app.services.credit.credit(SYSTEM, {
        meterNo: m.meterNo,
        amountCents: 1_000,
        source: 'simulate',
        type: 'simulate',
        externalRef: `MQ5-${m.meterNo}-${i}`,
      });
    }
    await t.app.services.publisher.idle();
    const meter = await connectAsMeter(t.mqttUrl, m, { clean: true });
    const limits: number[] = [];
    meter.on('message', (_topic, payload) => limits.push(limitOf(payload)));
    await meter.subscribeAsync(`smartmeter/${m.meterNo}/command/balance`, { qos: 1 });
    await waitFor(() => limits.length > 0, 'retained command/balance');
    await new Promise((r) => setTimeout(r, 100));
    expect(limits).toEqual([2.5]);
    await meter.endAsync();
  });

  it('a meter that comes online is sent its credit limit even when the broker lost the retained one', async () => {
    const m = await t.newMeter({ openingCreditKwh: 3 });
    await t.app.services.publisher.idle();
    // Clear the retained message as a broker restart would.
    await t.app.mqtt.client.publishAsync(`smartmeter/${m.meterNo}/command/balance`, '', {
      qos: 1,
      retain: true,
    });
    const meter = await connectAsMeter(t.mqttUrl, m, { clean: true });
    const limits: number[] = [];
    meter.on('message', (_topic, payload) => {
      if (payload.length > 0) limits.push(limitOf(payload));
    });
    await meter.subscribeAsync(`smartmeter/${m.meterNo}/command/balance`, { qos: 1 });
    await meter.publishAsync(
      `smartmeter/${m.meterNo}/status`,
      JSON.stringify({ meterNo: m.meterNo, status: 'online', timestamp: Math.floor(Date.now() / 1000) }),
      { qos: 1, retain: true },
    );
    await waitFor(() => limits.includes(3), 'republished credit limit');
    await meter.endAsync();
  });
});
