// Protects PAY-9: forged callbacks (wrong path secret, disallowed address, a success STK Query denies) credit nothing; the secrets never reach the logs.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type UmemeApp } from '../../packages/server/src/app';
import { testConfig } from '../../packages/server/src/config';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { databases, uniqueMeterNo, waitFor, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  c2bUrls,
  callbackOutcomes,
  callbackUrl,
  creditsOf,
  emulatedPush,
  emulatorOf,
  intentOf,
  newPayer,
  newPhone,
  newReceipt,
  openAlerts,
  pay,
  post,
  startPaymentsApp,
  successCallback,
  waitForIntent,
} from './helpers';

describe.each(databases)('PAY-9 forged callbacks on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a callback to a wrong path secret gets 404, like a missing route, and nothing is stored or credited', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 60_000 });
    const push = await pay(t, payer, 100);
    const body = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 100,
      receipt: newReceipt(),
      phone: payer.phone.msisdn,
    });
    const real = callbackUrl(t);
    const token = real.split('/').pop()!;
    const wrongTokens = [
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      token.slice(0, 10),
      `${token}x`,
      'x'.repeat(96),
    ];
    for (const wrong of wrongTokens) {
      const res = await post(real.replace(token, wrong), body);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'NOT_FOUND', message: 'Not found.' });
    }
    expect((await post(`${t.url}/daraja/callback/`, body)).status).toBe(404);
    expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual([]);
    expect((await intentOf(t, payer, push.intentId)).status).toBe('pending');
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
  });

  it('a success callback that STK Query contradicts is refused as forged, credits nothing and raises an alert', async () => {
    const payer = await newPayer(t);
    // M-Pesa says the customer cancelled, and sends no callback of its own.
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 1032, delayMs: 10, deliveries: 0 });
    const push = await pay(t, payer, 100);
    await waitFor(() => emulatedPush(t, push.checkoutRequestId!).state === 'completed', 'the push to end');
    const forged = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 100,
      receipt: newReceipt(),
      phone: payer.phone.msisdn,
    });
    expect(await post(callbackUrl(t), forged)).toEqual({ status: 200, body: ACCEPTED });
    expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual(['forged']);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
    expect(await openAlerts(t, payer.meterNo, 'payment_mismatch')).toBe(1);
    const audit = await t.app.services.db.query(
      `SELECT 1 FROM audit_log WHERE action = 'payment.callback_forged' AND target = $1`,
      [push.intentId],
    );
    expect(audit.rowCount).toBe(1);
  });

  it('a success callback while STK Query still reports processing credits nothing until M-Pesa confirms', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 1_500, deliveries: 0 });
    const push = await pay(t, payer, 60);
    const early = successCallback({
      checkoutRequestId: push.checkoutRequestId!,
      amountKes: 60,
      receipt: newReceipt(),
      phone: payer.phone.msisdn,
    });
    expect(await post(callbackUrl(t), early)).toEqual({ status: 200, body: ACCEPTED });
    expect(await callbackOutcomes(t, push.checkoutRequestId!)).toEqual([null]);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
    // Once M-Pesa has completed the payment, the kept callback is settled and credited once.
    await waitFor(() => emulatedPush(t, push.checkoutRequestId!).state === 'completed', 'the payment');
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    await t.app.services.payments.reconciler.runOnce();
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    expect((await creditsOf(t, payer.meterNo)).count).toBe(1);
  });
});

describe('PAY-9 address allow-list', () => {
  let blocked: TestApp;
  let allowed: TestApp;
  beforeAll(async () => {
    blocked = await startPaymentsApp('pglite', {
      DARAJA_CALLBACK_ALLOWLIST: ['196.201.214.200', '196.201.214.206'],
    });
    allowed = await startPaymentsApp('pglite', {
      DARAJA_CALLBACK_ALLOWLIST: ['196.201.214.200', '127.0.0.1'],
    });
  });
  afterAll(async () => {
    await blocked?.close();
    await allowed?.close();
  });

  it('a callback from an address outside the allow-list gets 403 and credits nothing, even with the right secret', async () => {
    const payer = await newPayer(blocked);
    const push = await pay(blocked, payer, 100);
    await waitFor(
      () => emulatedPush(blocked, push.checkoutRequestId!).callbacks.length === 1,
      'the delivery',
    );
    expect(emulatedPush(blocked, push.checkoutRequestId!).callbacks[0]!.status).toBe(403);
    expect(await callbackOutcomes(blocked, push.checkoutRequestId!)).toEqual([]);
    expect((await creditsOf(blocked, payer.meterNo)).count).toBe(0);
    const paybill = await post(c2bUrls(blocked).validation, {});
    expect(paybill.status).toBe(403);
  });

  it('a callback from an allowed address is applied', async () => {
    const payer = await newPayer(allowed);
    const push = await pay(allowed, payer, 100);
    await waitForIntent(allowed, payer, push.intentId, 'succeeded');
    expect((await creditsOf(allowed, payer.meterNo)).count).toBe(1);
  });
});

describe('secrets in logs', () => {
  const lines: string[] = [];
  let app: UmemeApp;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    app = buildApp(
      testConfig({
        LOG_LEVEL: 'debug',
        DARAJA_EMULATOR_DELAY_MS: 20,
        DARAJA_CALLBACK_TOKEN: 'cbTOKEN-0123456789abcdefghijklmnopqrstuvwx',
        DARAJA_PASSKEY: 'passkey-SECRET-5d1c9e0f7a2b',
      }),
      { logger: pino({ level: 'debug' }, sink) },
    );
    await app.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('never writes the callback token, the passkey or the Daraja password to the logs', async () => {
    const { token, user } = await app.services.auth.register({
      name: 'Logged Customer',
      email: `logged${Date.now()}@test.local`,
      phone: '254700000001',
      password: 'customer-pass-1',
    });
    const meterNo = uniqueMeterNo('L');
    await app.services.meters.register(SYSTEM, { meterNo, userId: user.id, openingCreditKwh: 0 });
    const phone = newPhone();
    const res = await post<{ intentId: string }>(
      `${app.httpUrl}/daraja/stkpush`,
      { phoneNumber: phone.local, amount: 100, meterNo },
      { authorization: `Bearer ${token}` },
    );
    expect(res.status).toBe(202);
    await waitFor(async () => {
      const { rows } = await app.services.db.query<{ status: string }>(
        `SELECT status FROM payment_intents WHERE id = $1`,
        [res.body.intentId],
      );
      return rows[0]?.status === 'succeeded';
    }, 'the payment');
    const pay = await app.daraja.emulator!.payBill({
      msisdn: phone.local,
      amount: 50,
      billRefNumber: meterNo,
    });
    expect(pay.status).toBe(200);
    await post(`${app.httpUrl}/daraja/callback/wrong-token-attempt`, { Body: {} });

    const log = lines.join('');
    expect(log).toContain('stk callback settled');
    expect(log).toContain('paybill confirmation settled');
    expect(log).toContain('/daraja/callback/[redacted]');
    expect(log).not.toContain('cbTOKEN-0123456789abcdefghijklmnopqrstuvwx');
    expect(log).not.toContain('passkey-SECRET-5d1c9e0f7a2b');
    expect(log).not.toContain(Buffer.from('174379passkey-SECRET').toString('base64').slice(0, 16));
    expect(log).not.toContain('wrong-token-attempt');
  });
});
