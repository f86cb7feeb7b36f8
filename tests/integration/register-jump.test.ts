// Protects accounts from implausible register jumps (issue 13 finding 4, MQ-13): held, not debited, resolved by an audited operator decision with docs/design.md §3's invariants exact.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import {
  connectAsMeter,
  databases,
  meterState,
  startTestApp,
  v2Report,
  waitFor,
  type TestApp,
  type TestMeterCreds,
} from '../helpers/app';

const GLITCH_KWH = 1e9;
const GLITCH_MWH = 1e15;

interface HoldRow {
  id: number;
  meterNo: string;
  status: string;
  heldFromMwh: number;
  heldEnergyMwh: number;
  appliedEnergyMwh: number;
  reports: number;
  ratedPowerW: number;
  allowedMwh: number;
  debitedMwh: number | null;
  rebasedMwh: number | null;
  actions: string[];
}

describe.each(databases)('register jumps on %s', (db) => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp(db);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await t?.close();
  });

  const admin = <T>(method: string, path: string, body?: unknown) =>
    t.api<T>(method, path, body, t.adminToken);

  async function meterWithClient(openingCreditKwh: number) {
    const creds = await t.newMeter({ openingCreditKwh });
    const client = await connectAsMeter(t.mqttUrl, creds);
    clients.push(client);
    return { creds, client };
  }

  /** Publishes reports (seq, kWh) in order and waits until every distinct one is recorded. */
  async function report(creds: TestMeterCreds, client: MqttClient, reports: [number, number][]) {
    for (const [seq, kwh] of reports) {
      await client.publishAsync(
        `smartmeter/${creds.meterNo}/consumption`,
        v2Report(creds.meterNo, seq, kwh),
        {
          qos: 1,
        },
      );
    }
    await t.app.services.ingest.flush();
    const distinct = new Set(reports.map(([seq, kwh]) => `${seq}/${kwh}`)).size;
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const { rows } = await t.app.services.db.query<{ seq: number; kwh: number }>(
          `SELECT seq, energy_mwh AS kwh FROM readings WHERE meter_no = $1`,
          [creds.meterNo],
        );
        for (const r of rows) seen.add(`${r.seq}/${r.kwh / 1e6}`);
        return reports.every(([seq, kwh]) => seen.has(`${seq}/${kwh}`)) && seen.size >= distinct;
      },
      'every report recorded',
      30_000,
    );
  }

  const openAlerts = async (meterNo: string) =>
    (
      await t.app.services.db.query<{ kind: string }>(
        `SELECT kind FROM alerts WHERE meter_no = $1 AND closed_at IS NULL ORDER BY kind`,
        [meterNo],
      )
    ).rows.map((r) => r.kind);

  const holdsOf = async (meterNo: string) => {
    const r = await admin<{ registerHolds: HoldRow[] }>('GET', `/api/admin/meters/${meterNo}`);
    expect(r.status).toBe(200);
    return r.body.registerHolds;
  };

  /** Design §3 invariants 2 and 3, read from the database. */
  async function expectInvariants(meterNo: string) {
    const s = await meterState(t, meterNo);
    const hourly = await t.app.services.db.query<{ e: number }>(
      'SELECT COALESCE(SUM(energy_mwh),0)::bigint AS e FROM consumption_hourly WHERE meter_no = $1',
      [meterNo],
    );
    // 2: C = E0 + Σ ledger (credits − adjustments)
    expect(s.credit_limit_mwh).toBe(s.e0_mwh + s.ledger_mwh);
    // 3: debited energy = E_last − E0
    expect(hourly.rows[0]!.e).toBe(s.energy_mwh - s.e0_mwh);
    return s;
  }

  it('MQ-13: a 1e9 kWh report is held, not debited; genuine reports before and after it are debited', async () => {
    const { creds, client } = await meterWithClient(10);
    await report(creds, client, [
      [1, 1],
      [2, 1.1],
      [3, GLITCH_KWH],
      [4, 1.2],
      [5, 1.3],
    ]);
    const s = await expectInvariants(creds.meterNo);
    expect(s.energy_mwh).toBe(1_300_000);
    expect(s.credit_limit_mwh - s.energy_mwh).toBe(8_700_000);
    expect(await openAlerts(creds.meterNo)).toEqual(['register_anomaly']);
    const holds = await holdsOf(creds.meterNo);
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ status: 'held', heldFromMwh: GLITCH_MWH, reports: 1 });
    // The meter is back on its old register: the jump was a glitch, only dismissing fits.
    expect(holds[0]!.actions).toEqual(['dismiss']);
    const accept = await admin('POST', `/api/admin/register-holds/${holds[0]!.id}/accept`, {
      reason: 'looks real',
    });
    expect(accept.status).toBe(409);
    expect((await meterState(t, creds.meterNo)).energy_mwh).toBe(1_300_000);

    const dismissed = await admin<{ hold: HoldRow }>(
      'POST',
      `/api/admin/register-holds/${holds[0]!.id}/dismiss`,
      {
        reason: 'one corrupted report, the meter carried on',
      },
    );
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.hold.status).toBe('dismissed');
    expect(await openAlerts(creds.meterNo)).toEqual([]);
    await report(creds, client, [[6, 1.5]]);
    expect((await expectInvariants(creds.meterNo)).energy_mwh).toBe(1_500_000);
  });

  it('the anomaly alert opens once, however many reports are held', async () => {
    const { creds, client } = await meterWithClient(10);
    await report(creds, client, [
      [1, 1],
      [2, 5000],
      [3, 5000.1],
      [4, 5000.2],
    ]);
    const { rows } = await t.app.services.db.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM alerts WHERE meter_no = $1 AND kind = 'register_anomaly'`,
      [creds.meterNo],
    );
    expect(rows[0]!.n).toBe(1);
    const holds = await holdsOf(creds.meterNo);
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ reports: 3, heldFromMwh: 5_000_000_000, heldEnergyMwh: 5_000_200_000 });
    // The alerts page lists the open holds of every meter.
    const listed = await admin<{ holds: HoldRow[] }>(
      'GET',
      '/api/admin/register-holds?status=held&limit=200',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.holds.filter((h) => h.meterNo === creds.meterNo).map((h) => h.id)).toEqual([
      holds[0]!.id,
    ]);
    expect((await meterState(t, creds.meterNo)).energy_mwh).toBe(1_000_000);
  });

  it('an operator accepting a held jump debits exactly the held delta, once, audited', async () => {
    const { creds, client } = await meterWithClient(1000);
    await report(creds, client, [
      [1, 1],
      [2, 501],
    ]);
    const [hold] = await holdsOf(creds.meterNo);
    expect(hold).toMatchObject({ status: 'held', heldEnergyMwh: 501_000_000, appliedEnergyMwh: 1_000_000 });
    expect(hold!.actions).toEqual(['accept', 'reset_epoch']);

    expect(
      (await admin('POST', `/api/admin/register-holds/${hold!.id}/accept`, { reason: ' ' })).status,
    ).toBe(400);
    const customer = await t.newCustomer();
    const forbidden = await t.api(
      'POST',
      `/api/admin/register-holds/${hold!.id}/accept`,
      { reason: 'x' },
      customer.token,
    );
    expect(forbidden.status).toBe(403);
    expect((await meterState(t, creds.meterNo)).energy_mwh).toBe(1_000_000);

    const before = await meterState(t, creds.meterNo);
    const r = await admin<{ hold: HoldRow; meter: { balanceMwh: number } }>(
      'POST',
      `/api/admin/register-holds/${hold!.id}/accept`,
      { reason: 'customer ran a welder all week, confirmed on site' },
    );
    expect(r.status).toBe(200);
    expect(r.body.hold).toMatchObject({ status: 'accepted', debitedMwh: 500_000_000 });
    const after = await expectInvariants(creds.meterNo);
    expect(after.energy_mwh).toBe(501_000_000);
    expect(after.credit_limit_mwh).toBe(before.credit_limit_mwh);
    expect(after.credit_limit_mwh - after.energy_mwh).toBe(
      before.credit_limit_mwh - before.energy_mwh - 500_000_000,
    );
    expect(r.body.meter.balanceMwh).toBe(after.credit_limit_mwh - after.energy_mwh);
    expect(await openAlerts(creds.meterNo)).toEqual([]);

    // A second decision on the same hold changes nothing.
    expect(
      (await admin('POST', `/api/admin/register-holds/${hold!.id}/accept`, { reason: 'again' })).status,
    ).toBe(409);
    const audit = await t.app.services.db.query<{
      action: string;
      details: { reason: string; debitedMwh: number };
    }>(`SELECT action, details FROM audit_log WHERE target = $1 AND action LIKE 'register_hold.%'`, [
      creds.meterNo,
    ]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({
      action: 'register_hold.accepted',
      details: { reason: 'customer ran a welder all week, confirmed on site', debitedMwh: 500_000_000 },
    });

    // The meter carries on from the accepted level: debited normally, the held reports again are no-ops.
    await report(creds, client, [
      [2, 501],
      [3, 501.5],
    ]);
    expect((await expectInvariants(creds.meterNo)).energy_mwh).toBe(501_500_000);
  });

  it('resetting the register epoch re-bases E0 and C without a debit; later reports debit from the new base; invariants exact', async () => {
    const { creds, client } = await meterWithClient(10);
    const limits: number[] = [];
    client.on('message', (_topic, payload) =>
      limits.push((JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit),
    );
    await client.subscribeAsync(`smartmeter/${creds.meterNo}/command/balance`, { qos: 1 });
    // The old meter's last totals, then the replacement's register.
    await report(creds, client, [
      [1, 1],
      [2, 2],
      [1, 40_000],
      [2, 40_000.1],
    ]);
    const before = await expectInvariants(creds.meterNo);
    expect(before.energy_mwh).toBe(2_000_000);
    const [hold] = await holdsOf(creds.meterNo);
    expect(hold).toMatchObject({
      status: 'held',
      heldFromMwh: 40_000_000_000,
      heldEnergyMwh: 40_000_100_000,
    });

    const r = await admin<{ hold: HoldRow; meter: { balanceMwh: number; creditLimitMwh: number } }>(
      'POST',
      `/api/admin/register-holds/${hold!.id}/reset-epoch`,
      { reason: 'meter replaced on site, new unit came with 40,000 kWh on its register' },
    );
    expect(r.status).toBe(200);
    const jump = 40_000_100_000 - 2_000_000;
    expect(r.body.hold).toMatchObject({ status: 'rebased', rebasedMwh: jump });
    const after = await expectInvariants(creds.meterNo);
    expect(after.e0_mwh).toBe(before.e0_mwh + jump);
    expect(after.credit_limit_mwh).toBe(before.credit_limit_mwh + jump);
    expect(after.energy_mwh).toBe(40_000_100_000);
    expect(after.ledger_mwh).toBe(before.ledger_mwh);
    expect(after.credit_limit_mwh - after.energy_mwh).toBe(8_000_000);
    expect(r.body.meter.creditLimitMwh).toBe(after.credit_limit_mwh);
    // The meter gets the re-based credit limit, so its own E < C closes the relay again.
    await waitFor(
      () => limits.includes(after.credit_limit_mwh / 1e6),
      'command/balance with the re-based limit',
    );
    expect(await openAlerts(creds.meterNo)).toEqual([]);

    await report(creds, client, [[3, 40_000.6]]);
    const later = await expectInvariants(creds.meterNo);
    expect(later.credit_limit_mwh - later.energy_mwh).toBe(7_500_000);

    // A purchase after the re-base keeps C = E0 + Σ ledger (the crediting service asserts it too).
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: creds.meterNo,
      amountCents: 100,
      source: 'simulate',
      type: 'simulate',
      externalRef: `REBASE-${creds.meterNo}`,
    });
    const bought = await expectInvariants(creds.meterNo);
    expect(bought.credit_limit_mwh - bought.energy_mwh).toBe(7_550_000);
    const audit = await t.app.services.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target = $1 AND action = 'register_hold.epoch_reset'`,
      [creds.meterNo],
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('a meter offline for a week reporting a week of heavy use is debited normally (no false positive)', async () => {
    const week = 7 * 24 * 3600 * 1000;
    const { creds, client } = await meterWithClient(5000);
    await report(creds, client, [[1, 1]]);
    // Its last applied report was a week ago: 10 kW all week is 1,680 kWh, under 24 kW × 1.5 × 168 h.
    await t.app.services.db.query(
      `UPDATE meters SET register_at_ms = register_at_ms - $2 WHERE meter_no = $1`,
      [creds.meterNo, week],
    );
    await report(creds, client, [[2, 1681]]);
    const s = await expectInvariants(creds.meterNo);
    expect(s.energy_mwh).toBe(1_681_000_000);
    expect(await openAlerts(creds.meterNo)).not.toContain('register_anomaly');
    expect(await holdsOf(creds.meterNo)).toEqual([]);

    // The same use reported 30 s after the last report is not plausible.
    const other = await meterWithClient(5000);
    await report(other.creds, other.client, [
      [1, 1],
      [2, 1681],
    ]);
    expect((await meterState(t, other.creds.meterNo)).energy_mwh).toBe(1_000_000);
    expect(await openAlerts(other.creds.meterNo)).toContain('register_anomaly');
  });

  it('the first report of a meter registered long ago may carry all the use since then; of a meter registered just now it may not', async () => {
    const old = await meterWithClient(5000);
    await t.app.services.db.query(
      `UPDATE meters SET register_at_ms = register_at_ms - $2 WHERE meter_no = $1`,
      [old.creds.meterNo, 30 * 24 * 3600 * 1000],
    );
    await report(old.creds, old.client, [[1, 2500]]);
    expect((await meterState(t, old.creds.meterNo)).energy_mwh).toBe(2_500_000_000);

    const fresh = await meterWithClient(5000);
    await report(fresh.creds, fresh.client, [[1, 2500]]);
    expect((await meterState(t, fresh.creds.meterNo)).energy_mwh).toBe(0);
    expect(await openAlerts(fresh.creds.meterNo)).toContain('register_anomaly');
  });

  it("a meter's own rated power, set at registration, bounds its register instead of the default", async () => {
    const small = await admin<{ mqttPassword: string }>('POST', '/api/meters', {
      meterNo: `R${Date.now().toString(36).slice(-6)}`,
      openingCreditKwh: 10,
      maxLoadW: 2_000,
    });
    expect(small.status).toBe(201);
    const meterNo = (small.body as unknown as { meterNo: string }).meterNo;
    const creds = { meterNo, secret: small.body.mqttPassword };
    const client = await connectAsMeter(t.mqttUrl, creds);
    clients.push(client);
    // 2 kW × 15 min of grace is 0.5 kWh; 24 kW (the default) would allow 6 kWh.
    await report(creds, client, [[1, 1]]);
    expect((await meterState(t, meterNo)).energy_mwh).toBe(0);
    const [hold] = await holdsOf(meterNo);
    expect(hold!.ratedPowerW).toBe(2_000);
    // 0.5 kWh of grace plus 2 kW × 1.5 × the moments since registration: well under the 1 kWh reported.
    expect(hold!.allowedMwh).toBeGreaterThanOrEqual(500_000);
    expect(hold!.allowedMwh).toBeLessThan(1_000_000);
  });

  it('duplicates and reordering around a held jump never count twice', async () => {
    // The wire carries at most 1e9 kWh: the jump and the level after it stay under that.
    const JUMP_KWH = 9e8;
    const JUMP_MWH = 9e14;
    const { creds, client } = await meterWithClient(10);
    await report(creds, client, [
      [1, 1],
      [3, JUMP_KWH],
      [2, 1.1], // older report delivered late
      [3, JUMP_KWH], // duplicate
      [4, 1.2],
      [3, JUMP_KWH],
      [2, 1.1],
    ]);
    let s = await expectInvariants(creds.meterNo);
    expect(s.energy_mwh).toBe(1_200_000);
    // The meter now reports from the new level, twice each.
    await report(creds, client, [
      [5, JUMP_KWH + 0.5],
      [5, JUMP_KWH + 0.5],
      [4, 1.2],
      [6, JUMP_KWH + 0.7],
      [6, JUMP_KWH + 0.7],
    ]);
    s = await expectInvariants(creds.meterNo);
    expect(s.energy_mwh).toBe(1_200_000);
    const [hold] = await holdsOf(creds.meterNo);
    expect(hold).toMatchObject({ heldFromMwh: JUMP_MWH, heldEnergyMwh: JUMP_MWH + 700_000 });
    expect(hold!.actions).toEqual(['accept', 'reset_epoch']);

    const r = await admin<{ hold: HoldRow }>('POST', `/api/admin/register-holds/${hold!.id}/accept`, {
      reason: 'confirmed with the customer',
    });
    expect(r.status).toBe(200);
    expect(r.body.hold.debitedMwh).toBe(JUMP_MWH + 700_000 - 1_200_000);
    // Everything sent again, in any order: nothing more is debited.
    await report(creds, client, [
      [3, JUMP_KWH],
      [6, JUMP_KWH + 0.7],
      [2, 1.1],
      [5, JUMP_KWH + 0.5],
      [4, 1.2],
    ]);
    s = await expectInvariants(creds.meterNo);
    expect(s.energy_mwh).toBe(JUMP_MWH + 700_000);
    const ledgerDebits = await t.app.services.db.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM register_holds WHERE meter_no = $1`,
      [creds.meterNo],
    );
    expect(ledgerDebits.rows[0]!.n).toBe(1);
  });
});
