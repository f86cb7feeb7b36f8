// Protects SEC-5 against prompt-bombing: one pending prompt per phone (409), a tighter limit for phones that are not the customer's own, and an operator's ceiling on one push's amount.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config';
import { databases, waitFor, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  callbackUrl,
  emulatedPush,
  emulatorOf,
  newPayer,
  newPhone,
  post,
  startPaymentsApp,
  stkPush,
  successCallback,
  waitForIntent,
  type Payer,
} from './helpers';

describe.each(databases)('STK push limits on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    // The production defaults for every STK push limit.
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A push whose callback M-Pesa holds back: the prompt stays pending until `answer` delivers it. */
  async function pendingPush(payer: Payer, phone: { local: string; msisdn: string }, amountKes: number) {
    emulatorOf(t).setOutcome(phone.local, { resultCode: 0, deliveries: 0, delayMs: 0 });
    const res = await stkPush(t, payer, {
      phoneNumber: phone.local,
      amount: amountKes,
      meterNo: payer.meterNo,
    });
    expect(res.status).toBe(202);
    const checkoutRequestId = res.body.checkoutRequestId!;
    return {
      intentId: res.body.intentId,
      answer: async () => {
        const receipt = await waitFor(
          () => emulatedPush(t, checkoutRequestId).mpesaReceiptNumber,
          'the receipt',
        );
        const delivered = await post(
          callbackUrl(t),
          successCallback({ checkoutRequestId, amountKes, receipt, phone: phone.msisdn }),
        );
        expect(delivered).toEqual({ status: 200, body: ACCEPTED });
        await waitForIntent(t, payer, res.body.intentId, 'succeeded');
      },
    };
  }

  it('a second push to a phone with a prompt pending answers 409 until the first is answered', async () => {
    const payer = await newPayer(t);
    const friend = await newPayer(t);
    const first = await pendingPush(payer, payer.phone, 100);
    const again = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 150,
      meterNo: payer.meterNo,
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('PAYMENT_PROMPT_PENDING');
    expect(again.body.message).toMatch(/waiting on this phone/);
    // Whoever asks: the phone has one prompt at a time.
    const other = await stkPush(t, friend, {
      phoneNumber: payer.phone.local,
      amount: 20,
      meterNo: friend.meterNo,
    });
    expect(other.status).toBe(409);
    await first.answer();
    const after = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 150,
      meterNo: payer.meterNo,
    });
    expect(after.status).toBe(202);
  });

  it('of ten pushes to one phone at once, one prompts and nine answer 409', async () => {
    const payers = await Promise.all(Array.from({ length: 5 }, () => newPayer(t)));
    const phone = payers[0]!.phone;
    emulatorOf(t).setOutcome(phone.local, { resultCode: 0, deliveries: 0, delayMs: 0 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stkPush(t, payers[i % 5]!, {
          phoneNumber: phone.local,
          amount: 10 + i,
          meterNo: payers[i % 5]!.meterNo,
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, ...Array.from({ length: 9 }, () => 409)]);
  });

  it('a phone that is not the customer’s own gets at most 2 prompts from others per window (429), their own more', async () => {
    const payer = await newPayer(t);
    const stranger = newPhone();
    for (const amount of [10, 11]) {
      const p = await pendingPush(payer, stranger, amount);
      await p.answer();
    }
    const third = await stkPush(t, payer, {
      phoneNumber: stranger.local,
      amount: 12,
      meterNo: payer.meterNo,
    });
    expect(third.status).toBe(429);
    expect(third.body.error).toBe('RATE_LIMITED');
    expect(third.body.message).toMatch(/not your own/);
    // The real wait: until the oldest counted prompt leaves the window, never more than the window.
    const retryAfter = (third.body as { retryAfter?: number }).retryAfter;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(t.app.config.STK_PUSH_WINDOW_S);
    // A second customer cannot add to that phone's count either.
    const other = await newPayer(t);
    const fromOther = await stkPush(t, other, {
      phoneNumber: stranger.local,
      amount: 13,
      meterNo: other.meterNo,
    });
    expect(fromOther.status).toBe(429);
    // The customer's own phone keeps the ordinary limit.
    for (const amount of [20, 21, 22]) {
      const p = await pendingPush(payer, payer.phone, amount);
      await p.answer();
    }
  });

  it('refuses a push above the operator’s ceiling (KES 10,000 by default) with 400, and takes one at it', async () => {
    const payer = await newPayer(t);
    const over = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 10_001,
      meterNo: payer.meterNo,
    });
    expect(over.status).toBe(400);
    expect(over.body.error).toBe('PAYMENT_AMOUNT_TOO_LARGE');
    expect(over.body.message).toMatch(/10,000/);
    const { rows } = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payment_intents WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(rows[0]!.n).toBe(0);
    const at = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 10_000,
      meterNo: payer.meterNo,
    });
    expect(at.status).toBe(202);
    const config = await t.api<{ stkMaxKes: number }>('GET', '/api/config');
    expect(config.body.stkMaxKes).toBe(10_000);
  });
});

describe('STK push limits set by the operator', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp('pglite', { STK_PUSH_MAX_KES: 500, STK_PUSH_MAX_PER_OTHER_PHONE: 1 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('STK_PUSH_MAX_KES and STK_PUSH_MAX_PER_OTHER_PHONE apply, and the dashboard is told the ceiling', async () => {
    const payer = await newPayer(t);
    const over = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 501,
      meterNo: payer.meterNo,
    });
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/500/);
    expect((await t.api<{ stkMaxKes: number }>('GET', '/api/config')).body.stkMaxKes).toBe(500);
    const stranger = newPhone();
    const first = await stkPush(t, payer, {
      phoneNumber: stranger.local,
      amount: 50,
      meterNo: payer.meterNo,
    });
    expect(first.status).toBe(202);
    await waitForIntent(t, payer, first.body.intentId, 'succeeded');
    const second = await stkPush(t, payer, {
      phoneNumber: stranger.local,
      amount: 51,
      meterNo: payer.meterNo,
    });
    expect(second.status).toBe(429);
  });

  it('refuses a ceiling above M-Pesa’s own (KES 250,000) at start-up, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', STK_PUSH_MAX_KES: '250001' })).toThrow(/STK_PUSH_MAX_KES/);
    expect(loadConfig({ NODE_ENV: 'test' }).STK_PUSH_MAX_KES).toBe(10_000);
  });
});
