// Protects SMS and USSD through Africa's Talking (issue 18) against the emulator over HTTP: one receipt per payment, outages delay but lose nothing, USSD buys like the dashboard, bad callbacks change nothing.
import type { AfricasTalkingEmulator } from '@umeme/africastalking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, waitFor, type TestApp } from '../helpers/app';
import {
  creditsOf,
  emulatorOf,
  newPayer,
  newPhone,
  pay,
  startPaymentsApp,
  waitForIntent,
  type Payer,
} from '../payments/helpers';

describe.each(databases)("SMS and USSD through the Africa's Talking emulator on %s", (db) => {
  let t: TestApp;
  let at: AfricasTalkingEmulator;

  beforeAll(async () => {
    // The minute-long gateway outage is simulated by the emulator's outage switch; the
    // back-off starts at 100 ms here (5 s in production) so the retries fit in a test.
    t = await startPaymentsApp(db, {
      SMS_SEND_INTERVAL_MS: 100,
      SMS_RETRY_BASE_MS: 100,
      // 30 refusals take about 40 s at this ceiling: the outage test's messages stay queued (not
      // given up) however slowly its three payments go through on a busy machine.
      SMS_RETRY_MAX_MS: 1_500,
      SMS_QUIET_HOURS: null,
    });
    const emulator = t.app.services.sms.gateway()?.emulator;
    if (!emulator) throw new Error("the test app runs without the Africa's Talking emulator");
    at = emulator;
    // Starting takes 25 s on a busy shared machine (migrations, the admin's password hash).
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const receipts = (p: Payer) => at.inbox(p.phone.local).filter((m) => m.text.includes('paid KES'));
  const outboxOf = async (p: Payer) =>
    (
      await t.app.services.db.query<{ kind: string; status: string; attempts: number; body: string }>(
        `SELECT kind, status, attempts, body FROM sms_outbox WHERE user_id = $1 ORDER BY id`,
        [p.userId],
      )
    ).rows;
  const intentsOf = async (p: Payer) =>
    (
      await t.app.services.db.query<{
        phone: string;
        amount_cents: string;
        status: string;
        meter_no: string;
      }>(
        `SELECT phone, amount_cents, status, meter_no FROM payment_intents WHERE user_id = $1 ORDER BY created_at`,
        [p.userId],
      )
    ).rows;
  /** Everything queued so far has been sent (or given up): nothing is waiting. */
  const settled = async () => {
    await t.app.services.notices.idle();
    const { rows } = await t.app.services.db.query<{ n: string }>(
      `SELECT count(*)::bigint AS n FROM sms_outbox WHERE status IN ('queued', 'sending')`,
    );
    return Number(rows[0]!.n) === 0;
  };

  it('a payment whose callback is delivered 100 times sends exactly one receipt, and its delivery report is stored', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, deliveries: 100, delayMs: 30 });
    const push = await pay(t, payer, 50);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    await emulatorOf(t).idle();
    await waitFor(() => receipts(payer).length > 0, 'the receipt SMS');
    await waitFor(settled, 'the outbox to settle');
    await at.idle();
    const got = receipts(payer);
    expect(got).toHaveLength(1);
    expect(got[0]!.text).toContain(`meter ${payer.meterNo}`);
    expect(got[0]!.text).toMatch(/M-Pesa [A-Z0-9]{10}\./);
    expect(got[0]!.parts).toBe(1);
    const rows = await waitFor(async () => {
      const r = (await outboxOf(payer)).filter((m) => m.kind === 'receipt');
      return r[0]?.status === 'delivered' ? r : null;
    }, 'the delivery report');
    expect(rows).toHaveLength(1);
    expect(at.calls.reports).toBeGreaterThan(0);
  });

  it('a gateway that fails for a while delays the messages, then sends each once', async () => {
    const payers = [await newPayer(t), await newPayer(t), await newPayer(t)];
    const sendsBefore = at.calls.send;
    at.setOutage(true);
    try {
      for (const p of payers) {
        const push = await pay(t, p, 20);
        await waitForIntent(t, p, push.intentId, 'succeeded');
      }
      // Each message was tried and refused at least twice: the outage is real and the retries run.
      await waitFor(async () => {
        const rows = (await Promise.all(payers.map(outboxOf))).map((r) =>
          r.find((m) => m.kind === 'receipt'),
        );
        return rows.every((r) => r !== undefined && r.status === 'queued' && r.attempts >= 2);
      }, 'retries during the outage');
      expect(payers.every((p) => receipts(p).length === 0)).toBe(true);
      expect(at.calls.send - sendsBefore).toBeGreaterThanOrEqual(6);
    } finally {
      at.setOutage(false);
    }
    await waitFor(() => payers.every((p) => receipts(p).length > 0), 'the delayed receipts');
    await waitFor(settled, 'the outbox to settle');
    for (const p of payers) {
      expect(receipts(p)).toHaveLength(1);
      const receipt = (await outboxOf(p)).filter((m) => m.kind === 'receipt');
      expect(receipt).toHaveLength(1);
      expect(['sent', 'delivered']).toContain(receipt[0]!.status);
    }
  });

  it('USSD buy makes the same payment intent and credit as the dashboard, prompting the caller’s own phone', async () => {
    const viaUssd = await newPayer(t);
    const viaDashboard = await newPayer(t);
    expect((await at.ussd(viaUssd.phone.local)).screen).toContain('2. Buy electricity');
    expect((await at.ussd(viaUssd.phone.local, '2')).screen).toContain('Amount in KES');
    expect((await at.ussd(viaUssd.phone.local, '100')).screen).toContain(
      `Pay KES 100 for meter ${viaUssd.meterNo}?`,
    );
    const last = await at.ussd(viaUssd.phone.local, '1');
    expect(last).toMatchObject({ ended: true });
    expect(last.screen).toContain('M-Pesa prompt');
    const dashboardPush = await pay(t, viaDashboard, 100);
    await waitForIntent(t, viaDashboard, dashboardPush.intentId, 'succeeded');
    const [ussdIntent] = await waitFor(async () => {
      const rows = await intentsOf(viaUssd);
      return rows[0]?.status === 'succeeded' ? rows : null;
    }, 'the USSD payment to settle');
    const [dashboardIntent] = await intentsOf(viaDashboard);
    expect(ussdIntent).toMatchObject({
      phone: viaUssd.phone.msisdn,
      amount_cents: 10_000,
      meter_no: viaUssd.meterNo,
    });
    expect(dashboardIntent).toMatchObject({ amount_cents: 10_000, status: 'succeeded' });
    const [ussdCredit, dashboardCredit] = [
      await creditsOf(t, viaUssd.meterNo),
      await creditsOf(t, viaDashboard.meterNo),
    ];
    expect(ussdCredit.count).toBe(1);
    expect(ussdCredit.ledgerMwh).toBe(dashboardCredit.ledgerMwh);
    expect(ussdCredit.amountCents).toBe(dashboardCredit.amountCents);

    // The network repeating the confirming callback of that session prompts no second time.
    const { sessionId } = last;
    const again = await postUssd(t, {
      sessionId,
      serviceCode: '*384*1#',
      phoneNumber: `+${viaUssd.phone.msisdn}`,
      text: '2*100*1',
    });
    expect(again.text).toMatch(/^END /);
    expect(await intentsOf(viaUssd)).toHaveLength(1);
    await waitFor(() => receipts(viaUssd).length > 0, 'the USSD purchase receipt');
  });

  it('USSD shows the balance and the last purchases, and switches the language', async () => {
    const p = await newPayer(t, 3);
    expect((await at.ussd(p.phone.local)).ended).toBe(false);
    const balance = await at.ussd(p.phone.local, '1');
    expect(balance).toMatchObject({ ended: true });
    // No use yet, so no forecast: the balance alone.
    expect(balance.screen).toContain(`Meter ${p.meterNo}: 3.00 kWh left.`);
    // 10 Wh in the meter's first minute (or more): 0.6 kWh an hour at most, 5 hours or more left.
    await t.app.services.db.query(
      `INSERT INTO consumption_hourly (meter_no, hour, energy_mwh, reports) VALUES ($1, date_trunc('hour', now()), 10000, 1)`,
      [p.meterNo],
    );
    await at.ussd(p.phone.local);
    const withUse = await at.ussd(p.phone.local, '1');
    const hours = /3\.00 kWh left, about (\d+) hours\./.exec(withUse.screen);
    expect(hours, withUse.screen).not.toBeNull();
    expect(Number(hours![1])).toBeGreaterThanOrEqual(5);
    await at.ussd(p.phone.local);
    expect((await at.ussd(p.phone.local, '3')).screen).toBe('No purchases yet.');
    await at.ussd(p.phone.local);
    await at.ussd(p.phone.local, '5');
    expect((await at.ussd(p.phone.local, '2')).screen).toBe('Lugha imewekwa Kiswahili.');
    expect((await at.ussd(p.phone.local)).screen).toContain('1. Salio');
    const prefs = await t.api<{ lang: string; optOut: boolean }>('GET', '/api/me/sms', undefined, p.token);
    expect(prefs.body).toEqual({ lang: 'sw', optOut: false });
  });

  it('an unknown number is told how to register; malformed callbacks, a wrong secret and over-long sessions change nothing', async () => {
    const stranger = newPhone();
    const unknown = await at.ussd(stranger.local);
    expect(unknown).toMatchObject({ ended: true });
    expect(unknown.screen).toContain('not registered');

    const p = await newPayer(t);
    const before = await t.app.services.db.query<{ n: string }>(
      `SELECT count(*)::bigint AS n FROM payment_intents`,
    );
    const malformed = await postUssd(t, { phoneNumber: p.phone.msisdn, text: '' });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({
      error: expect.any(String),
      message: expect.any(String),
    });
    const tooLong = await postUssd(t, {
      sessionId: 's1',
      serviceCode: '*384*1#',
      phoneNumber: p.phone.msisdn,
      text: '2*'.repeat(400),
    });
    expect(tooLong.status).toBe(400);
    const deep = await postUssd(t, {
      sessionId: 's2',
      serviceCode: '*384*1#',
      phoneNumber: p.phone.msisdn,
      text: '2*100*2*1*1*1*1*1*1',
    });
    expect(deep).toMatchObject({ status: 200, text: 'END Session ended. Dial again.' });
    const badAmount = await postUssd(t, {
      sessionId: 's3',
      serviceCode: '*384*1#',
      phoneNumber: p.phone.msisdn,
      text: '2*9',
    });
    expect(badAmount.text).toMatch(/^END Enter whole shillings/);
    const wrongSecret = await fetch(`${t.url}/africastalking/ussd/${'x'.repeat(43)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        sessionId: 's4',
        serviceCode: '*384*1#',
        phoneNumber: p.phone.msisdn,
        text: '2*100*1',
      }).toString(),
    });
    expect(wrongSecret.status).toBe(404);
    const report = await fetch(t.app.services.sms.urls().delivery, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=&status=Nonsense',
    });
    expect(report.status).toBe(400);
    const after = await t.app.services.db.query<{ n: string }>(
      `SELECT count(*)::bigint AS n FROM payment_intents`,
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect(await intentsOf(p)).toHaveLength(0);
  });

  it("an operator's disconnect, a top-up decision and emergency credit each reach the customer once, with the operator's words", async () => {
    const p = await newPayer(t);
    const admin = (method: string, path: string, body: unknown) => t.api(method, path, body, t.adminToken);
    const relay = await admin('POST', `/api/admin/meters/${p.meterNo}/relay`, {
      action: 'disconnect',
      reason: 'Meter box tampered, call us on 0700 000000',
    });
    expect(relay.status).toBeLessThan(300);
    const asked = await t.api<{ id: string }>(
      'POST',
      '/transactions/topup',
      { meterNo: p.meterNo, amount: 75, channel: 'cash' },
      p.token,
    );
    expect(asked.status).toBeLessThan(300);
    const rejected = await admin('PATCH', `/transactions/topup/${asked.body.id}/process`, {
      status: 'rejected',
      admin_notes: 'No cash received at the agent',
    });
    expect(rejected.status).toBe(200);
    // Emergency credit at zero balance, through the dashboard's route, answered twice by the customer.
    expect((await t.api('POST', `/api/meters/${p.meterNo}/emergency`, undefined, p.token)).status).toBe(201);
    expect((await t.api('POST', `/api/meters/${p.meterNo}/emergency`, undefined, p.token)).status).toBe(409);
    await waitFor(async () => (await outboxOf(p)).length >= 3 && (await settled()), 'the three messages');
    const texts = at.inbox(p.phone.local).map((m) => m.text);
    expect(texts.filter((x) => x.includes('your operator turned off'))).toEqual([
      `Umeme: your operator turned off meter ${p.meterNo}: Meter box tampered, call us on 0700 000000.`,
    ]);
    expect(texts.filter((x) => x.includes('was not approved'))).toEqual([
      `Umeme: your top-up of KES 75.00 for meter ${p.meterNo} was not approved: No cash received at the agent.`,
    ]);
    expect(texts.filter((x) => x.includes('emergency credit'))).toHaveLength(1);
    const kinds = (await outboxOf(p)).map((m) => m.kind).sort();
    expect(kinds.filter((k) => k !== 'supply_restored' && k !== 'low_balance')).toEqual([
      'emergency_credit',
      'operator_disconnect',
      'topup_rejected',
    ]);
  });

  it('operators see recent SMS with delivery status and the month’s count and cost; customers may not', async () => {
    await waitFor(settled, 'the outbox to settle');
    const res = await t.api<{
      gateway: string;
      messages: { kind: string; status: string; phone: string; costTenThousandths: number | null }[];
      months: { messages: number; costTenThousandths: number }[];
    }>('GET', '/api/admin/sms?limit=20', undefined, t.adminToken);
    expect(res.status).toBe(200);
    expect(res.body.gateway).toBe('emulator');
    expect(res.body.messages.some((m) => m.kind === 'receipt' && m.status === 'delivered')).toBe(true);
    expect(res.body.messages.every((m) => m.phone.includes('****'))).toBe(true);
    expect(res.body.months[0]!.messages).toBeGreaterThanOrEqual(5);
    expect(res.body.months[0]!.costTenThousandths).toBe(res.body.months[0]!.messages * 8_000);
    const customer = await newPayer(t);
    expect((await t.api('GET', '/api/admin/sms', undefined, customer.token)).status).toBe(403);
  });

  it('a customer who opted out gets no SMS; one who chose Kiswahili gets it in Kiswahili', async () => {
    const quiet = await newPayer(t);
    const swahili = await newPayer(t);
    expect((await t.api('PUT', '/api/me/sms', { lang: 'en', optOut: true }, quiet.token)).status).toBe(200);
    expect((await t.api('PUT', '/api/me/sms', { lang: 'sw', optOut: false }, swahili.token)).status).toBe(
      200,
    );
    expect(
      (await t.api('PUT', '/api/me/sms', { lang: 'fr', optOut: false, role: 'admin' }, swahili.token)).status,
    ).toBe(400);
    for (const p of [quiet, swahili]) {
      const push = await pay(t, p, 10);
      await waitForIntent(t, p, push.intentId, 'succeeded');
    }
    const receipt = await waitFor(
      () => at.inbox(swahili.phone.local).find((m) => m.text.includes('umelipa')),
      'the Kiswahili receipt',
    );
    expect(receipt.text).toContain('umelipa KES 10.00');
    await waitFor(settled, 'the outbox to settle');
    expect(await outboxOf(quiet)).toHaveLength(0);
    expect(at.inbox(quiet.phone.local)).toHaveLength(0);
  });
});

async function postUssd(
  t: TestApp,
  fields: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(t.app.services.sms.urls().ussd, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text() };
}
