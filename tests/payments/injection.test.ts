// Protects SEC-3 on every payment write route: injected balance, creditLimit, role, userId or secret is refused (400) or ignored, with 0 persisted changes beyond the legitimate payment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, waitFor, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  c2bUrls,
  callbackUrl,
  creditsOf,
  emulatedPush,
  emulatorOf,
  mwhForKes,
  newPayer,
  pay,
  post,
  startPaymentsApp,
  successCallback,
  waitForIntent,
  type Payer,
} from './helpers';

const INJECTED = {
  balance: 1_000_000,
  creditLimit: 1_000_000,
  role: 'admin',
  userId: '00000000-0000-4000-8000-000000000000',
  secret: 'stolen',
} as const;

describe.each(databases)('SEC-3 mass assignment on payment routes on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Everything an injected field could have changed. */
  async function snapshot(payer: Payer) {
    const q = async (sql: string, params: unknown[]) => (await t.app.services.db.query(sql, params)).rows;
    return {
      meter: await q(`SELECT user_id, credit_limit_mwh, energy_mwh, e0_mwh FROM meters WHERE meter_no = $1`, [
        payer.meterNo,
      ]),
      user: await q(`SELECT role, email FROM users WHERE id = $1`, [payer.userId]),
      intents: await q(`SELECT count(*)::int AS n FROM payment_intents WHERE meter_no = $1`, [payer.meterNo]),
      topups: await q(`SELECT count(*)::int AS n FROM topup_requests WHERE meter_no = $1`, [payer.meterNo]),
      transactions: await q(`SELECT count(*)::int AS n FROM transactions WHERE meter_no = $1`, [
        payer.meterNo,
      ]),
      secret: await q(`SELECT secret_hash FROM device_credentials WHERE meter_no = $1`, [payer.meterNo]),
    };
  }

  it.each(Object.entries(INJECTED))(
    'POST /daraja/stkpush with %s is refused with 400 and changes nothing',
    async (field, value) => {
      const payer = await newPayer(t);
      const before = await snapshot(payer);
      const pushes = emulatorOf(t).calls.stkPush;
      const res = await post(
        `${t.url}/daraja/stkpush`,
        { phoneNumber: payer.phone.local, amount: 100, meterNo: payer.meterNo, [field]: value },
        { authorization: `Bearer ${payer.token}` },
      );
      expect(res.status).toBe(400);
      expect(await snapshot(payer)).toEqual(before);
      expect(emulatorOf(t).calls.stkPush).toBe(pushes);
    },
  );

  it.each(Object.entries(INJECTED))(
    'POST /transactions/topup with %s is refused with 400 and changes nothing',
    async (field, value) => {
      const payer = await newPayer(t);
      const before = await snapshot(payer);
      const res = await t.api(
        'POST',
        '/transactions/topup',
        { meterNo: payer.meterNo, amount: 100, channel: 'cash', [field]: value },
        payer.token,
      );
      expect(res.status).toBe(400);
      expect(await snapshot(payer)).toEqual(before);
    },
  );

  it.each([...Object.entries(INJECTED), ['amount', 1_000_000], ['status', 'approved']])(
    'PATCH /transactions/topup/:id/process with %s is refused with 400 and the request stays pending',
    async (field, value) => {
      const payer = await newPayer(t);
      const created = await t.api<{ id: string }>(
        'POST',
        '/transactions/topup',
        { meterNo: payer.meterNo, amount: 100, channel: 'cash' },
        payer.token,
      );
      const before = await snapshot(payer);
      const body =
        field === 'status'
          ? { status: 'approved', admin_notes: '', extra: value }
          : { status: 'approved', admin_notes: '', [field]: value };
      const res = await t.api('PATCH', `/transactions/topup/${created.body.id}/process`, body, t.adminToken);
      expect(res.status).toBe(400);
      expect(await snapshot(payer)).toEqual(before);
      const { rows } = await t.app.services.db.query<{ status: string }>(
        `SELECT status FROM topup_requests WHERE id = $1`,
        [created.body.id],
      );
      expect(rows[0]!.status).toBe('pending');
    },
  );

  it('a Daraja callback carrying balance, creditLimit, role, userId or secret credits only the paid amount', async () => {
    const payer = await newPayer(t);
    // M-Pesa completes the payment without a callback of its own; we deliver one with extra fields everywhere.
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 10, deliveries: 0 });
    const push = await pay(t, payer, 100);
    await waitFor(() => emulatedPush(t, push.checkoutRequestId!).state === 'completed', 'the payment');
    const body = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 100,
      receipt: emulatedPush(t, push.checkoutRequestId!).mpesaReceiptNumber!,
      phone: payer.phone.msisdn,
    });
    const stk = body.Body.stkCallback as Record<string, unknown>;
    Object.assign(stk, INJECTED, { MeterNo: 'OTHER', AccountReference: 'OTHER' });
    Object.assign(body as Record<string, unknown>, INJECTED);
    (stk.CallbackMetadata as { Item: unknown[] }).Item.push({ Name: 'balance', Value: 1_000_000 });
    const before = await snapshot(payer);
    expect(await post(callbackUrl(t), body)).toEqual({ status: 200, body: ACCEPTED });
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    const after = await snapshot(payer);
    expect(after.user).toEqual(before.user);
    expect(after.secret).toEqual(before.secret);
    expect(after.meter).toEqual([{ ...before.meter[0], credit_limit_mwh: mwhForKes(100) }]);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(100) });
  });

  it('a paybill confirmation carrying balance, creditLimit, role, userId or secret credits only TransAmount', async () => {
    const payer = await newPayer(t);
    const before = await snapshot(payer);
    const res = await post(c2bUrls(t).confirmation, {
      TransactionType: 'Pay Bill',
      TransID: `TINJ${Date.now().toString(36).toUpperCase()}`,
      TransTime: '20251122104512',
      TransAmount: '20.00',
      BusinessShortCode: '174379',
      BillRefNumber: payer.meterNo,
      MSISDN: '254712345678',
      ...INJECTED,
    });
    expect(res).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } });
    const after = await snapshot(payer);
    expect(after.user).toEqual(before.user);
    expect(after.secret).toEqual(before.secret);
    expect(after.meter).toEqual([{ ...before.meter[0], credit_limit_mwh: mwhForKes(20) }]);
  });
});
