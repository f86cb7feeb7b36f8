// Protects friendly hours (issue 5 §4): the load stays on through a window, comes off at its end, never overrides an operator, stale commands never replay, and the purchase after shows the repaid use on its receipt, exact to the mWh.
import { ConstantLoadModel, VirtualMeter } from '@umeme/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterState, startTestApp, waitFor, type TestApp, type TestMeterCreds } from '../helpers/app';

/** At 3600 W the register gains exactly 1000 mWh per simulated second. */
const LOAD_W = 3_600;
const MINUTE_MS = 60_000;

let t: TestApp;
const meters: VirtualMeter[] = [];
beforeAll(async () => {
  // Ticks are driven by the test: the background one would only repeat the last.
  t = await startTestApp('pglite', { FRIENDLY_HOURS_TICK_S: 3600, DEMO: true });
});
afterAll(async () => {
  for (const m of meters) await m.close().catch(() => {});
  await t?.close();
});

const admin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  t.api<T>(method, path, body, t.adminToken);

/** Nairobi wall-clock "HH:MM" of an instant. */
const nairobi = (ms: number) => new Date(ms + 180 * MINUTE_MS).toISOString().slice(11, 16);

function simulate(creds: TestMeterCreds): VirtualMeter {
  const m = new VirtualMeter({
    ...creds,
    url: t.mqttUrl,
    loadModel: new ConstantLoadModel(LOAD_W),
    publishIntervalMs: 1000,
  });
  meters.push(m);
  return m;
}

async function online(meterNo: string) {
  await waitFor(async () => {
    const { rows } = await t.app.services.db.query<{ status: string }>(
      `SELECT status FROM meters WHERE meter_no = $1`,
      [meterNo],
    );
    return rows[0]?.status === 'online';
  }, `${meterNo} online`);
}

async function relayCommands(meterNo: string) {
  const { rows } = await t.app.services.db.query<{
    reason: string;
    status: string;
    attempts: number;
    created_by: string | null;
    action: string;
  }>(
    `SELECT reason, status, attempts, created_by, payload->>'action' AS action FROM meter_commands
      WHERE meter_no = $1 AND kind = 'relay' ORDER BY created_at, id`,
    [meterNo],
  );
  return rows;
}

interface FriendlyView {
  schedule: { enabled: boolean; holidays: string[] };
  now: { active: boolean; until: string | null; untilLocalTime: string | null };
}

describe('friendly hours', () => {
  it('a customer may neither read nor change the schedule, and a change needs a valid body and a reason', async () => {
    const c = await t.newCustomer();
    expect((await t.api('GET', '/api/admin/friendly-hours', undefined, c.token)).status).toBe(403);
    const body = {
      enabled: true,
      nightStart: '19:00',
      nightEnd: '07:00',
      sundays: true,
      holidays: ['12-25'],
      utcOffsetMinutes: 180,
      reason: 'customer tries',
    };
    const forbidden = await t.api<{ error: string }>('PUT', '/api/admin/friendly-hours', body, c.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBeTruthy();
    const { reason: _omit, ...noReason } = body;
    expect((await admin('PUT', '/api/admin/friendly-hours', noReason)).status).toBe(400);
    const bad = await admin<{ error: string; message: string }>('PUT', '/api/admin/friendly-hours', {
      ...body,
      nightStart: '25:00',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBeTruthy();
    expect((await admin('PUT', '/api/admin/friendly-hours', { ...body, holidays: ['02-30'] })).status).toBe(
      400,
    );
    const read = await admin<FriendlyView>('GET', '/api/admin/friendly-hours');
    expect(read.status).toBe(200);
    expect(read.body.schedule.enabled).toBe(false); // the default until an operator turns it on
    expect(read.body.schedule.holidays).toContain('12-12');
  });

  it('keeps the load on through a window, cuts it at the end, spares the operator’s override, and the next purchase shows the repaid use', async () => {
    const customer = await t.newCustomer();
    const aCreds = await t.newMeter({ openingCreditKwh: 0, userId: customer.id });
    const bCreds = await t.newMeter({ openingCreditKwh: 5 });
    const cCreds = await t.newMeter({ openingCreditKwh: 0 });
    const a = simulate(aCreds);
    const b = simulate(bCreds);
    await a.connect();
    await b.connect();
    await online(aCreds.meterNo);
    await online(bCreds.meterNo);
    await waitFor(() => b.relayClosed, 'B has credit: its load is on');
    expect(a.relayClosed).toBe(false);

    // The operator cuts B by hand before the window.
    const cut = await admin('POST', `/api/admin/meters/${bCreds.meterNo}/relay`, {
      action: 'disconnect',
      reason: 'wiring fault reported',
    });
    expect(cut.status).toBe(201);
    await waitFor(() => b.relayOverride === 'disconnect', 'B obeys the operator');

    // A window around now: turning it on applies it at once.
    const now = Date.now();
    const put = await admin<FriendlyView>('PUT', '/api/admin/friendly-hours', {
      enabled: true,
      nightStart: nairobi(now - 60 * MINUTE_MS),
      nightEnd: nairobi(now + 60 * MINUTE_MS),
      sundays: false,
      holidays: [],
      utcOffsetMinutes: 180,
      reason: 'test window',
    });
    expect(put.status).toBe(200);
    expect(put.body.now.active).toBe(true);
    const windowEndMs = Date.parse(put.body.now.until!);
    expect(put.body.now.untilLocalTime).toBe(nairobi(windowEndMs));

    const audit = await admin<{
      entries: { action: string; actorId: string | null; details: { reason?: string } }[];
    }>('GET', '/api/admin/audit?action=friendly_hours.update');
    const change = audit.body.entries.find((e) => e.action === 'friendly_hours.update');
    expect(change?.actorId).toBeTruthy();
    expect(change?.details.reason).toBe('test window');

    // The customer's dashboard is told.
    const config = await t.api<{ friendlyHours: { active: boolean; untilLocalTime: string } }>(
      'GET',
      '/api/config',
    );
    expect(config.body.friendlyHours).toMatchObject({ active: true, untilLocalTime: nairobi(windowEndMs) });

    // A, at zero credit, comes on and uses 5 Wh past C.
    await waitFor(() => a.relayClosed, 'A connected by friendly hours');
    for (let s = 0; s < 5; s++) a.tick(1000);
    expect(a.energyMwh).toBe(5_000);
    expect(a.relayClosed).toBe(true);
    await waitFor(async () => (await meterState(t, aCreds.meterNo)).energy_mwh === 5_000, 'server register');

    // B keeps the operator's disconnect: no friendly command was written for it.
    expect((await relayCommands(bCreds.meterNo)).map((c) => c.reason)).toEqual(['wiring fault reported']);
    expect(b.relayClosed).toBe(false);

    // C is offline: its connect waits.
    const cBefore = await relayCommands(cCreds.meterNo);
    expect(cBefore).toMatchObject([{ reason: 'friendly_hours', action: 'connect', status: 'pending' }]);

    // The operator hands B back to auto: the window then applies to it too.
    await admin('POST', `/api/admin/meters/${bCreds.meterNo}/relay`, {
      action: 'auto',
      reason: 'fault fixed',
    });
    await waitFor(() => b.relayOverride === 'auto', 'B back to auto');
    const again = await t.app.services.operator.friendlyHours.tick(Date.now());
    expect(again.active).toBe(true);
    expect((await relayCommands(bCreds.meterNo)).at(-1)).toMatchObject({
      reason: 'friendly_hours',
      action: 'connect',
      created_by: null,
    });
    // A already has its window's command: nothing new for it.
    expect((await relayCommands(aCreds.meterNo)).length).toBe(1);

    // The window ends.
    const end = await t.app.services.operator.friendlyHours.tick(windowEndMs + 1000);
    expect(end.active).toBe(false);
    await waitFor(() => !a.relayClosed && a.relayOverride === 'auto', 'A cut at the end of the window');
    a.tick(3000);
    expect(a.energyMwh).toBe(5_000);

    // C's stale connect is superseded and never sent; reconnecting, it gets only the end.
    const cAfter = await relayCommands(cCreds.meterNo);
    expect(cAfter).toMatchObject([
      { reason: 'friendly_hours', status: 'superseded', attempts: 0 },
      { reason: 'friendly_hours_end', action: 'auto', status: 'pending' },
    ]);
    const c = simulate(cCreds);
    await c.connect();
    await waitFor(
      async () => (await relayCommands(cCreds.meterNo)).at(-1)?.status === 'acknowledged',
      'C acknowledges the end',
    );
    expect(c.relayOverride).toBe('auto');
    expect((await relayCommands(cCreds.meterNo))[0]).toMatchObject({ status: 'superseded', attempts: 0 });

    // The purchase: KES 100 buys 5 kWh; 5 Wh of it repays the window's use.
    const paid = await t.api<{
      transactionId: string;
      balanceKwh: number;
      energyKwh: number;
      receipt: {
        lines: { amountCents: number }[];
        infoLines?: { code: string; energyMwh: number; valueCents: number }[];
      };
    }>('POST', '/daraja/simulate', { meter_no: aCreds.meterNo, amount: 100 }, customer.token);
    expect(paid.status).toBe(200);
    expect(paid.body.energyKwh).toBe(5);
    expect(paid.body.receipt.infoLines).toEqual([
      expect.objectContaining({ code: 'friendly_hours_debt', energyMwh: 5_000, valueCents: 10 }),
    ]);
    expect(paid.body.receipt.lines.reduce((s, l) => s + l.amountCents, 0)).toBe(10_000);
    const s = await meterState(t, aCreds.meterNo);
    expect(s.credit_limit_mwh).toBe(5_000_000);
    expect(s.credit_limit_mwh - s.energy_mwh).toBe(4_995_000);
    expect(s.e0_mwh + s.ledger_mwh).toBe(s.credit_limit_mwh);
    // The customer's receipt carries the repaid use and the balance right after the purchase.
    const receipt = await t.api<{
      amountCents: number;
      balanceAfterKwh: number | null;
      lines: { amountCents: number }[];
      infoLines: { code: string; energyKwh: number; valueKes: number }[];
    }>('GET', `/api/transactions/${paid.body.transactionId}/receipt`, undefined, customer.token);
    expect(receipt.status).toBe(200);
    expect(receipt.body.balanceAfterKwh).toBe(4.995);
    expect(receipt.body.lines.reduce((sum, l) => sum + l.amountCents, 0)).toBe(receipt.body.amountCents);
    expect(receipt.body.infoLines).toEqual([
      expect.objectContaining({ code: 'friendly_hours_debt', energyKwh: 0.005, valueKes: 0.1 }),
    ]);
    await waitFor(() => a.relayClosed && a.balanceMwh === 4_995_000, 'A back on credit');
  });
});
