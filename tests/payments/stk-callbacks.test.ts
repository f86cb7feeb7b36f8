// Protects STK push settlement by callback: PAY-1 (exactly once), PAY-2 (mismatch), PAY-4 (late results), every failure code, malformed and unknown callbacks.
import { RESULT_CODE_REASONS } from '@umeme/daraja';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, waitFor, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  callbackOutcomes,
  callbackUrl,
  creditsOf,
  emulatedPush,
  emulatorOf,
  failureCallback,
  intentOf,
  mwhForKes,
  newPayer,
  newReceipt,
  openAlerts,
  pay,
  post,
  startPaymentsApp,
  successCallback,
  waitForIntent,
} from './helpers';

describe.each(databases)('STK callbacks on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a successful payment credits the meter once and the intent shows the receipt', async () => {
    const payer = await newPayer(t);
    const push = await pay(t, payer, 100);
    expect(push.status).toBe('pending');
    expect(push.checkoutRequestId).toMatch(/^ws_CO_/);
    const intent = await waitForIntent(t, payer, push.intentId, 'succeeded');
    const emulated = emulatedPush(t, push.checkoutRequestId!);
    expect(emulated.accountReference).toBe(payer.meterNo);
    expect(intent.receipt).toBe(emulated.mpesaReceiptNumber);
    expect(intent.energyKwh).toBe(5);
    const credits = await creditsOf(t, payer.meterNo);
    expect(credits).toMatchObject({ count: 1, amountCents: 10_000, creditLimitMwh: mwhForKes(100) });
    expect(credits.e0Mwh + credits.ledgerMwh).toBe(credits.creditLimitMwh);
  });

  it('PAY-1: the same success callback delivered 100 times at once credits once and every delivery gets 200', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, deliveries: 100, delayMs: 30 });
    const push = await pay(t, payer, 50);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    await emulatorOf(t).idle();
    const emulated = emulatedPush(t, push.checkoutRequestId!);
    expect(emulated.callbacks).toHaveLength(100);
    expect(emulated.callbacks.every((c) => c.status === 200)).toBe(true);
    const outcomes = await callbackOutcomes(t, push.checkoutRequestId!);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(99);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(50) });
  });

  it('PAY-1: a redelivery of an applied callback is answered 200 Accepted and credits nothing more', async () => {
    const payer = await newPayer(t);
    const push = await pay(t, payer, 20);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    const emulated = emulatedPush(t, push.checkoutRequestId!);
    const body = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 20,
      receipt: emulated.mpesaReceiptNumber!,
      phone: payer.phone.msisdn,
    });
    const queriesBefore = emulated.queries;
    expect(queriesBefore).toBeGreaterThanOrEqual(1); // the first delivery was verified
    for (let i = 0; i < 3; i++)
      expect(await post(callbackUrl(t), body)).toEqual({ status: 200, body: ACCEPTED });
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(20) });
    // A payment already credited needs no confirming: its redeliveries send no STK Query.
    expect(emulated.queries).toBe(queriesBefore);
  });

  const failureCodes = [1, 17, 26, 1001, 1019, 1025, 1031, 1032, 2001, 9999];
  it.each(failureCodes)(
    'a callback with ResultCode %i marks the intent failed with a readable reason',
    async (code) => {
      const payer = await newPayer(t);
      emulatorOf(t).setOutcome(payer.phone.local, { resultCode: code, delayMs: 20 });
      const failed: { reason: string; intentId: string }[] = [];
      const listener = (e: { reason: string; intentId: string }) => failed.push(e);
      t.app.bus.on('payment_failed', listener);
      try {
        const push = await pay(t, payer, 30);
        const intent = await waitForIntent(t, payer, push.intentId, 'failed');
        expect(intent.resultCode).toBe(code);
        expect(intent.reason).toBe(RESULT_CODE_REASONS[code]);
        expect(intent.transactionId).toBeNull();
        await waitFor(() => failed.some((e) => e.intentId === push.intentId), 'payment_failed event');
        expect(failed.find((e) => e.intentId === push.intentId)?.reason).toBe(RESULT_CODE_REASONS[code]);
        expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual(['failed']);
        expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 0, creditLimitMwh: 0 });
      } finally {
        t.app.bus.off('payment_failed', listener);
      }
    },
  );

  it('a callback for an unknown CheckoutRequestID is kept as an orphan, answered 200, and credits nothing', async () => {
    const checkoutRequestId = `ws_CO_ORPHAN${Date.now()}`;
    const receipt = newReceipt();
    const body = successCallback({ checkoutRequestId, amountKes: 100, receipt, phone: 254712345678 });
    const res = await post(callbackUrl(t), body);
    expect(res).toEqual({ status: 200, body: ACCEPTED });
    expect(await callbackOutcomes(t, checkoutRequestId)).toEqual(['orphan']);
    const { rows } = await t.app.services.db.query<{ body: unknown }>(
      `SELECT body FROM daraja_callbacks WHERE checkout_request_id = $1`,
      [checkoutRequestId],
    );
    expect(rows[0]?.body).toEqual(body);
    const audit = await t.app.services.db.query(
      `SELECT 1 FROM audit_log WHERE action = 'payment.callback_orphan' AND target = $1`,
      [checkoutRequestId],
    );
    expect(audit.rowCount).toBe(1);
    const { rows: credited } = await t.app.services.db.query(
      `SELECT 1 FROM transactions WHERE external_ref = $1`,
      [`MPESA-${receipt}`],
    );
    expect(credited).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"Body": '],
    ['no Body', { stkCallback: {} }],
    [
      'no CheckoutRequestID',
      { Body: { stkCallback: { MerchantRequestID: 'm', ResultCode: 0, ResultDesc: 'x' } } },
    ],
    [
      'a text ResultCode',
      {
        Body: {
          stkCallback: { MerchantRequestID: 'm', CheckoutRequestID: 'c', ResultCode: '0', ResultDesc: 'x' },
        },
      },
    ],
    ['a prototype-polluting key', '{"__proto__":{"x":1},"Body":{}}'],
    ['an array', [1, 2, 3]],
  ])('a malformed callback (%s) is answered 400 and nothing is stored or credited', async (_name, body) => {
    const before = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM daraja_callbacks`,
    );
    const credits = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions`,
    );
    const res = await post(callbackUrl(t), body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'BAD_REQUEST' });
    const after = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM daraja_callbacks`,
    );
    const creditsAfter = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions`,
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect(creditsAfter.rows[0]!.n).toBe(credits.rows[0]!.n);
  });

  it('PAY-2: a success callback whose amount disagrees with the intent credits nothing and raises an alert', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 60_000 });
    const push = await pay(t, payer, 100);
    const forged = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 1000,
      receipt: newReceipt(),
      phone: payer.phone.msisdn,
    });
    expect(await post(callbackUrl(t), forged)).toEqual({ status: 200, body: ACCEPTED });
    expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual(['mismatch']);
    expect((await intentOf(t, payer, push.intentId)).status).toBe('pending');
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 0, creditLimitMwh: 0 });
    expect(await openAlerts(t, payer.meterNo, 'payment_mismatch')).toBe(1);
  });

  it('PAY-2: a success callback from another phone, or a second receipt after the credit, credits nothing more', async () => {
    const payer = await newPayer(t);
    const push = await pay(t, payer, 40);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    const otherPhone = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 40,
      receipt: emulatedPush(t, push.checkoutRequestId!).mpesaReceiptNumber!,
      phone: 254799999999,
    });
    const otherReceipt = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 40,
      receipt: newReceipt(),
      phone: payer.phone.msisdn,
    });
    for (const body of [otherPhone, otherReceipt]) {
      expect(await post(callbackUrl(t), body)).toEqual({ status: 200, body: ACCEPTED });
    }
    expect((await callbackOutcomes(t, push.checkoutRequestId!)).slice(-2)).toEqual(['mismatch', 'mismatch']);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(40) });
    expect(await openAlerts(t, payer.meterNo, 'payment_mismatch')).toBe(1);
  });

  it('PAY-4: a failure callback after success changes nothing', async () => {
    const payer = await newPayer(t);
    const push = await pay(t, payer, 60);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    expect(await post(callbackUrl(t), failureCallback(push.checkoutRequestId!, 1032))).toEqual({
      status: 200,
      body: ACCEPTED,
    });
    const intent = await intentOf(t, payer, push.intentId);
    expect(intent.status).toBe('succeeded');
    expect(intent.reason).toBeNull();
    expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual(['applied', 'duplicate']);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(60) });
  });

  it('PAY-4: a success after a failure still credits, because M-Pesa took the money', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 400 });
    const push = await pay(t, payer, 70);
    // A failure arrives first (a cancelled prompt reported by one gateway, say)…
    expect((await post(callbackUrl(t), failureCallback(push.checkoutRequestId!, 1037))).status).toBe(200);
    expect((await intentOf(t, payer, push.intentId)).status).toBe('failed');
    // …then M-Pesa's success, confirmed by STK Query.
    const intent = await waitForIntent(t, payer, push.intentId, 'succeeded');
    expect(intent.reason).toBeNull();
    expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual(['failed', 'applied']);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(70) });
  });

  it('a callback that overtakes the push answer is settled as soon as the intent knows its CheckoutRequestID', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 0 });
    // Hold Daraja's answer to the push until its callback has been delivered and answered.
    const client = t.app.daraja.client;
    const original = client.stkPush.bind(client);
    client.stkPush = async (input) => {
      const answer = await original(input);
      await waitFor(
        () => emulatedPush(t, answer.CheckoutRequestID).callbacks.length > 0,
        'the early callback',
      );
      return answer;
    };
    try {
      const push = await pay(t, payer, 80);
      await waitForIntent(t, payer, push.intentId, 'succeeded');
      const orphaned = await t.app.services.db.query(
        `SELECT 1 FROM audit_log WHERE action = 'payment.callback_orphan' AND target = $1`,
        [push.checkoutRequestId],
      );
      expect(orphaned.rowCount).toBe(1);
      expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual(['applied']);
      expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(80) });
    } finally {
      client.stkPush = original;
    }
  });
});
