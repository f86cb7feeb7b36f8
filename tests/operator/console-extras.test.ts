// Protects the operator console's extras (issue 17 item 6): a max-load limit that can be cleared, a reason for an operator's emergency advance, alert filters, each ledger entry's source, and the measured reporting interval.
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { ADMIN, meterState, type TestApp } from '../helpers/app';
import { adminCaller, startAppForFile } from '../helpers/app-hooks';

let t: TestApp;
startAppForFile((app) => {
  t = app;
});
const admin = adminCaller(() => t);

interface Source {
  kind: string;
  mpesaReceipt: string | null;
  operatorEmail: string | null;
  reason: string | null;
  otherMeterNo: string | null;
  friendlyHoursRepaidMwh: number;
  advanceRepaidCents: number;
}
interface Detail {
  meter: {
    maxLoadW: number | null;
    publishIntervalS: number;
    reportingInterval: { medianS: number | null; gaps: number; basis: string };
  };
  ledger: { kind: string; memo: string | null; source: Source }[];
  commands: { kind: string; payload: Record<string, unknown> }[];
  audit: { action: string; details: Record<string, unknown> }[];
}
const detail = async (meterNo: string) => (await admin<Detail>('GET', `/api/admin/meters/${meterNo}`)).body;

const config = (maxLoadW?: number | null) => ({
  publishIntervalS: 30,
  lowBalanceKwh: 1,
  emergencyCreditKwh: 0,
  ...(maxLoadW === undefined ? {} : { maxLoadW }),
  reason: 'site survey',
});

describe('max-load limit', () => {
  it('is kept when a configuration leaves it out, and cleared on the server and the meter by null', async () => {
    const m = await t.newMeter();
    const path = `/api/admin/meters/${m.meterNo}/config`;
    expect((await admin('POST', path, config(3000))).status).toBeLessThan(300);
    expect((await detail(m.meterNo)).meter.maxLoadW).toBe(3000);

    // Left out: kept, and sent again so the meter keeps it too.
    expect((await admin('POST', path, config())).status).toBeLessThan(300);
    let d = await detail(m.meterNo);
    expect(d.meter.maxLoadW).toBe(3000);
    expect(d.commands[0]?.payload.maxLoadW).toBe(3000);

    expect((await admin('POST', path, config(null))).status).toBeLessThan(300);
    d = await detail(m.meterNo);
    expect(d.meter.maxLoadW).toBeNull();
    expect(d.commands[0]?.kind).toBe('config');
    expect(d.commands[0]?.payload).not.toHaveProperty('maxLoadW');
    expect(d.audit.find((a) => a.action === 'command.config')?.details).toMatchObject({
      maxLoadCleared: true,
      reason: 'site survey',
    });
  });
});

describe('emergency advance by an operator', () => {
  it('is refused without a reason, changing nothing, and audited with the reason when given', async () => {
    const c = await t.newCustomer();
    const m = await t.newMeter({ userId: c.id });
    const path = `/api/meters/${m.meterNo}/emergency`;
    const before = await meterState(t, m.meterNo);
    for (const body of [undefined, {}, { reason: '   ' }]) {
      const r = await admin<{ error: string }>('POST', path, body);
      expect(r.status).toBe(400);
    }
    expect((await admin<{ error: string }>('POST', path, {})).body.error).toBe('EMERGENCY_REASON_REQUIRED');
    expect(await meterState(t, m.meterNo)).toEqual(before);

    const r = await admin('POST', path, { reason: 'hospital visit, customer phoned' });
    expect(r.status).toBe(201);
    const d = await detail(m.meterNo);
    expect(d.audit.find((a) => a.action === 'ledger.emergency')?.details).toMatchObject({
      reason: 'hospital visit, customer phoned',
    });
    expect(d.ledger[0]?.source).toMatchObject({
      kind: 'emergency',
      operatorEmail: ADMIN.email,
      reason: 'hospital visit, customer phoned',
    });
  });

  it('needs no reason when the owner takes it', async () => {
    const c = await t.newCustomer();
    const m = await t.newMeter({ userId: c.id });
    const r = await t.api('POST', `/api/meters/${m.meterNo}/emergency`, undefined, c.token);
    expect(r.status).toBe(201);
    expect((await detail(m.meterNo)).ledger[0]?.source).toMatchObject({
      kind: 'emergency',
      operatorEmail: null,
    });
  });
});

describe('alert filters', () => {
  it('filter by kind and meter on the server, and refuse an unknown kind or a malformed meter number', async () => {
    const a = await t.newMeter();
    const b = await t.newMeter();
    await t.app.services.db.query(
      `INSERT INTO alerts (meter_no, kind, severity, message) VALUES
         ($1, 'low_balance', 'warning', 'low'), ($1, 'connection_lost', 'warning', 'lost'),
         ($2, 'low_balance', 'warning', 'low')`,
      [a.meterNo, b.meterNo],
    );
    type Alerts = { alerts: { meterNo: string; kind: string }[] };
    const byKind = await admin<Alerts>('GET', '/api/admin/alerts?kind=low_balance&limit=200');
    expect(byKind.status).toBe(200);
    expect(byKind.body.alerts.every((x) => x.kind === 'low_balance')).toBe(true);
    expect(byKind.body.alerts.map((x) => x.meterNo)).toEqual(expect.arrayContaining([a.meterNo, b.meterNo]));

    const both = await admin<Alerts>('GET', `/api/admin/alerts?kind=low_balance&meterNo=${a.meterNo}`);
    expect(both.body.alerts).toEqual([expect.objectContaining({ meterNo: a.meterNo, kind: 'low_balance' })]);

    const meterOnly = await admin<Alerts>('GET', `/api/admin/alerts?meterNo=${a.meterNo}`);
    expect(meterOnly.body.alerts.map((x) => x.kind).sort()).toEqual(['connection_lost', 'low_balance']);

    expect((await admin('GET', '/api/admin/alerts?kind=no_such_kind')).status).toBe(400);
    expect((await admin('GET', '/api/admin/alerts?meterNo=x%20y')).status).toBe(400);
  });
});

describe('ledger sources', () => {
  it('name the M-Pesa receipt, the operator and reason of an adjustment, a moved payment and the advance it repaid', async () => {
    const c = await t.newCustomer();
    const m = await t.newMeter({ userId: c.id });
    const other = await t.newMeter();
    expect((await t.api('POST', `/api/meters/${m.meterNo}/emergency`, undefined, c.token)).status).toBe(201);
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: m.meterNo,
      amountCents: 10_000,
      source: 'mpesa_stk',
      type: 'payment',
      externalRef: 'MPESA-TST7K2QX9A',
    });
    const c2b = await t.app.services.credit.credit(SYSTEM, {
      meterNo: other.meterNo,
      amountCents: 5_000,
      source: 'mpesa_c2b',
      type: 'paybill',
      externalRef: 'C2B-TST8PAYB1L',
    });
    const moved = await admin('POST', `/api/admin/transactions/${c2b.transactionId}/move`, {
      toMeterNo: m.meterNo,
      reason: 'typed the neighbour number',
    });
    expect(moved.status).toBe(201);
    expect(
      (
        await admin('POST', `/api/admin/meters/${m.meterNo}/adjustments`, {
          energyKwh: 1.5,
          reason: 'outage ticket 42',
        })
      ).status,
    ).toBe(201);

    const sources = (await detail(m.meterNo)).ledger.map((l) => l.source);
    expect(sources).toEqual([
      expect.objectContaining({
        kind: 'operator',
        operatorEmail: ADMIN.email,
        reason: 'outage ticket 42',
        mpesaReceipt: null,
      }),
      expect.objectContaining({
        kind: 'moved_in',
        mpesaReceipt: 'TST8PAYB1L',
        otherMeterNo: other.meterNo,
        operatorEmail: ADMIN.email,
        reason: 'typed the neighbour number',
      }),
      expect.objectContaining({ kind: 'mpesa_stk', mpesaReceipt: 'TST7K2QX9A', advanceRepaidCents: 4_000 }),
      expect.objectContaining({ kind: 'emergency', operatorEmail: null }),
    ]);
    const out = (await detail(other.meterNo)).ledger[0]!;
    expect(out.kind).toBe('refund');
    expect(out.source).toMatchObject({
      kind: 'moved_out',
      mpesaReceipt: 'TST8PAYB1L',
      otherMeterNo: m.meterNo,
      operatorEmail: ADMIN.email,
      reason: 'typed the neighbour number',
    });
  });
});

describe('reporting interval', () => {
  it('is the median gap of the meter timestamps of its recent reports', async () => {
    const m = await t.newMeter();
    const base = Date.UTC(2026, 11, 1, 8, 0, 0) / 1000;
    // 20 s apart, one 10-minute outage, replayed together on arrival.
    const secs = [0, 20, 40, 60, 660, 680, 700];
    for (const [i, s] of secs.entries()) {
      await t.app.services.db.query(
        `INSERT INTO readings (meter_no, seq, energy_mwh, power_w, reported_at, received_at)
         VALUES ($1, $2, $3, 100, to_timestamp($4), to_timestamp($5))`,
        [m.meterNo, i + 1, i * 10, base + s, base + 700 + i / 10],
      );
    }
    const d = await detail(m.meterNo);
    expect(d.meter.reportingInterval).toEqual({ medianS: 20, gaps: 6, basis: 'meter_time' });
  });
});
