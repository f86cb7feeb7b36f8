// Protects the credit protocol's ingest path: reports over real MQTT into the ledger (docs/design.md §3, MQ-1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAsMeter,
  databases,
  meterState,
  startTestApp,
  v2Report,
  waitFor,
  type TestApp,
} from '../helpers/app';

describe.each(databases)('ingest on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('debits exactly the growth of the energy register', async () => {
    const creds = await t.newMeter({ openingCreditKwh: 10 });
    const meter = await connectAsMeter(t.mqttUrl, creds);
    for (let seq = 1; seq <= 5; seq++) {
      await meter.publishAsync(
        `smartmeter/${creds.meterNo}/consumption`,
        v2Report(creds.meterNo, seq, seq * 0.1),
        {
          qos: 1,
        },
      );
    }
    const s = await waitFor(async () => {
      const st = await meterState(t, creds.meterNo);
      return st.energy_mwh === 500_000 ? st : null;
    }, 'energy register');
    expect(s.credit_limit_mwh).toBe(10_000_000);
    expect(s.ledger_mwh).toBe(10_000_000);
    const res = await t.api<{ balanceMwh: number; energyTotalKwh: number }>(
      'GET',
      `/api/meters/${creds.meterNo}`,
      undefined,
      t.adminToken,
    );
    expect(res.status).toBe(200);
    expect(res.body.balanceMwh).toBe(9_500_000);
    await meter.endAsync();
  });

  it('a report received before the Last Will but committed after it leaves the meter offline', async () => {
    const creds = await t.newMeter({ openingCreditKwh: 10 });
    const item = (seq: number, receivedAtMs: number) => ({
      meterNo: creds.meterNo,
      kind: 'v2' as const,
      energyMwh: seq * 100_000,
      seq,
      reportTs: Math.floor(receivedAtMs / 1000),
      powerW: 500,
      relay: 'on' as const,
      meterBalanceMwh: null,
      receivedAtMs,
    });
    const status = async () =>
      (
        await t.app.services.db.query<{ status: string }>(`SELECT status FROM meters WHERE meter_no = $1`, [
          creds.meterNo,
        ])
      ).rows[0]!.status;
    await t.app.services.ingest.applyConsumptionReports([item(1, Date.now())]);
    expect(await status()).toBe('online');
    const beforeWill = Date.now() - 5;
    await t.app.services.reports.applyStatus(creds.meterNo, { meterNo: creds.meterNo, status: 'offline' });
    // Sent before the broker published the will; the batch commits only now.
    await t.app.services.ingest.applyConsumptionReports([item(2, beforeWill)]);
    expect(await status()).toBe('offline');
    expect((await meterState(t, creds.meterNo)).energy_mwh).toBe(200_000); // still debited
    // A report received after the will: the meter is back.
    await new Promise((r) => setTimeout(r, 5));
    await t.app.services.ingest.applyConsumptionReports([item(3, Date.now())]);
    expect(await status()).toBe('online');
  });

  it('MQ-1: 1,000 reports each sent twice and some reordered debit exactly the last total', async () => {
    const creds = await t.newMeter({ openingCreditKwh: 1000 });
    const meter = await connectAsMeter(t.mqttUrl, creds);
    const reports: { seq: number; kwh: number }[] = [];
    for (let seq = 1; seq <= 1000; seq++) reports.push({ seq, kwh: seq * 0.001 + 0.000123 });
    const order = reports.flatMap((r) => [r, r]);
    // swap neighbouring pairs in every tenth block to reorder
    for (let i = 0; i + 3 < order.length; i += 40) {
      const a = order[i]!;
      order[i] = order[i + 3]!;
      order[i + 3] = a;
    }
    await Promise.all(
      order.map((r) =>
        meter.publishAsync(`smartmeter/${creds.meterNo}/consumption`, v2Report(creds.meterNo, r.seq, r.kwh), {
          qos: 1,
        }),
      ),
    );
    const last = 1000 * 1000 + 123;
    const readingsOf = async () =>
      (
        await t.app.services.db.query<{ n: number }>(
          'SELECT COUNT(*)::bigint AS n FROM readings WHERE meter_no = $1',
          [creds.meterNo],
        )
      ).rows[0]!.n;
    // Batches commit concurrently on PostgreSQL, so the final total may land before an older
    // report's batch: wait for every distinct report to be recorded, then check the register.
    await waitFor(async () => (await readingsOf()) >= 1000, '1,000 distinct readings', 20_000);
    const s = await meterState(t, creds.meterNo);
    expect(s.energy_mwh - s.e0_mwh).toBe(last);
    expect(await readingsOf()).toBe(1000);
    const hourly = await t.app.services.db.query<{ e: number }>(
      'SELECT COALESCE(SUM(energy_mwh),0)::bigint AS e FROM consumption_hourly WHERE meter_no = $1',
      [creds.meterNo],
    );
    expect(hourly.rows[0]!.e).toBe(last);
    await meter.endAsync();
  });
});
