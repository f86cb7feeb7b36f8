// Protects issue 17 item 1: devices and clients written for the original system (its payloads, ids, paths and events) still work.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsMeter, waitFor, type TestApp } from '../helpers/app';
import { openReadySocket, type RecordingClient } from '../helpers/sockets';
import {
  creditsOf,
  emulatorOf,
  mwhForKes,
  newPhone,
  pay,
  startPaymentsApp,
  waitForIntent,
} from '../payments/helpers';

/** The original schema's own example: 14 characters, more than M-Pesa's AccountReference takes. */
const ORIGINAL_METER_NO = 'METER_12345678';

interface MeterView {
  meterNo: string;
  accountNo: string;
  balanceKwh: number;
  balanceMwh: number;
  meterBalanceKwh: number | null;
  current_balance: number;
  status: string;
}
interface Customer {
  userId: string;
  token: string;
  phone: { local: string; msisdn: string };
}

describe('devices and clients of the original system', () => {
  let t: TestApp;
  let customer: Customer;
  let secret: string;
  let socket: RecordingClient | null = null;

  const meter = async (meterNo = ORIGINAL_METER_NO) =>
    (await t.api<MeterView>('GET', `/api/meters/${meterNo}`, undefined, customer.token)).body;
  const deviceAuth = (meterNo: string, s: string) =>
    `Basic ${Buffer.from(`${meterNo}:${s}`).toString('base64')}`;
  const openAlert = async (kind: string) =>
    (
      await t.app.services.db.query(
        `SELECT 1 FROM alerts WHERE meter_no = $1 AND kind = $2 AND closed_at IS NULL`,
        [ORIGINAL_METER_NO, kind],
      )
    ).rowCount === 1;

  beforeAll(async () => {
    t = await startPaymentsApp('pglite');
    const phone = newPhone();
    const { token, user } = await t.app.services.auth.register({
      name: 'Original Customer',
      email: `original-${randomInt(1_000_000_000)}@test.local`,
      phone: phone.msisdn,
      password: 'customer-pass-1',
    });
    customer = { userId: user.id, token, phone };
    const registered = await t.api<{ meter: MeterView; mqttPassword: string }>(
      'POST',
      '/api/meters',
      { meterNo: ORIGINAL_METER_NO, userId: user.id },
      t.adminToken,
    );
    expect(registered.status).toBe(201);
    secret = registered.body.mqttPassword;
  });
  afterAll(async () => {
    socket?.close();
    await t?.close();
  });

  it('registers METER_12345678 with a generated paybill account number of at most 12 characters, and a short meter number is its own', async () => {
    const m = await meter();
    expect(m.meterNo).toBe(ORIGINAL_METER_NO);
    expect(m.accountNo).toMatch(/^\d{10}$/);
    const short = await t.api<{ meter: MeterView }>(
      'POST',
      '/api/meters',
      { meterNo: 'MTR-42' },
      t.adminToken,
    );
    expect(short.body.meter.accountNo).toBe('MTR-42');
    const longest = 'M'.repeat(32);
    const ok = await t.api<{ meter: MeterView }>('POST', '/api/meters', { meterNo: longest }, t.adminToken);
    expect(ok.status).toBe(201);
    expect(ok.body.meter.accountNo.length).toBeLessThanOrEqual(12);
    const tooLong = await t.api('POST', '/api/meters', { meterNo: 'M'.repeat(33) }, t.adminToken);
    expect(tooLong.status).toBe(400);
  });

  it('an STK push for METER_12345678 sends its account number as AccountReference and credits the meter', async () => {
    const { accountNo } = await meter();
    const push = await pay(t, { ...customer, meterNo: ORIGINAL_METER_NO, secret }, 150);
    expect(emulatorOf(t).transactions.get(push.checkoutRequestId!)).toMatchObject({
      accountReference: accountNo,
      amountKes: 150,
    });
    const intent = await waitForIntent(t, customer, push.intentId, 'succeeded');
    expect(await creditsOf(t, ORIGINAL_METER_NO)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(150) });
    // The receipt shows the account number the customer pays to.
    const receipt = await t.api(
      'GET',
      `/api/transactions/${intent.transactionId}/receipt`,
      undefined,
      customer.token,
    );
    expect(receipt).toMatchObject({ status: 200, body: { meterNo: ORIGINAL_METER_NO, accountNo } });
  });

  it('a paybill (C2B) payment to the generated account number is validated, confirmed and credited to METER_12345678', async () => {
    const { accountNo } = await meter();
    const res = await emulatorOf(t).payBill({
      msisdn: customer.phone.local,
      amount: 100,
      billRefNumber: accountNo,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'confirmed',
      validation: { answer: { ResultCode: '0', ResultDesc: 'Accepted' } },
    });
    expect(await creditsOf(t, ORIGINAL_METER_NO)).toMatchObject({ count: 2, creditLimitMwh: mwhForKes(250) });
  });

  it('the original balance report on smartmeter/METER_12345678/balance is stored as the meter’s reading, compared, and never changes the server’s balance', async () => {
    const before = await meter();
    const client = await connectAsMeter(t.mqttUrl, { meterNo: ORIGINAL_METER_NO, secret });
    try {
      // Milliseconds, as the original firmware sent them; the meter claims far more than it has.
      await client.publishAsync(
        `smartmeter/${ORIGINAL_METER_NO}/balance`,
        JSON.stringify({ meterNo: ORIGINAL_METER_NO, balance: 45.5, timestamp: Date.now() }),
        { qos: 1 },
      );
      await waitFor(async () => (await meter()).meterBalanceKwh === 45.5, 'the meter’s reading stored');
      await waitFor(() => openAlert('balance_mismatch'), 'balance_mismatch opened');
      const after = await meter();
      expect(after.balanceMwh).toBe(before.balanceMwh);
      expect(
        await t.app.services.db.query(`SELECT 1 FROM ledger_entries WHERE meter_no = $1`, [
          ORIGINAL_METER_NO,
        ]),
      ).toMatchObject({ rowCount: 2 });
      // Seconds, and agreeing with the server: the disagreement closes.
      await client.publishAsync(
        `smartmeter/${ORIGINAL_METER_NO}/balance`,
        JSON.stringify({
          meterNo: ORIGINAL_METER_NO,
          balance: after.balanceKwh,
          timestamp: Math.floor(Date.now() / 1000),
        }),
        { qos: 1 },
      );
      await waitFor(async () => !(await openAlert('balance_mismatch')), 'balance_mismatch closed');
      expect((await meter()).balanceMwh).toBe(before.balanceMwh);
    } finally {
      await client.endAsync();
    }
  });

  it('balance_initial carries balance for a single-meter customer, and get_current_balance answers with or without an ack', async () => {
    socket = await openReadySocket(t.url, customer.token);
    const { balanceKwh } = await meter();
    const [initial] = socket.of('balance_initial');
    expect(initial).toMatchObject({ balance: balanceKwh, meterNo: ORIGINAL_METER_NO });
    expect(initial!.meters).toEqual([
      expect.objectContaining({ meterNo: ORIGINAL_METER_NO, balance: balanceKwh }),
    ]);
    socket.socket.emit('get_current_balance');
    await waitFor(() => socket!.of('balance_initial').length === 2, 'balance_initial as an answer');
    const acked = await socket.socket.timeout(5000).emitWithAck('get_current_balance');
    expect(acked).toMatchObject({
      balance: balanceKwh,
      meters: [expect.objectContaining({ meterNo: ORIGINAL_METER_NO })],
    });
  });

  it('a failed purchase emits transaction_failed (beside payment_failed) to the customer', async () => {
    emulatorOf(t).setOutcome(customer.phone.local, { resultCode: 1032, delayMs: 10 });
    const push = await pay(t, { ...customer, meterNo: ORIGINAL_METER_NO, secret }, 60);
    await waitForIntent(t, customer, push.intentId, 'failed');
    const failed = await waitFor(
      () => socket!.of('transaction_failed').find((e) => e.transactionId === push.intentId),
      'transaction_failed',
    );
    expect(failed).toMatchObject({ meterNo: ORIGINAL_METER_NO, reason: expect.any(String) });
    expect(socket!.of('payment_failed').some((e) => e.transactionId === push.intentId)).toBe(true);
    emulatorOf(t).setOutcome(customer.phone.local, { resultCode: 0, delayMs: 10 });
  });

  it('bill_generated carries billId, amount and utility', async () => {
    const month = new Date().toISOString().slice(0, 7);
    expect((await t.api('GET', `/api/statements/${month}`, undefined, customer.token)).status).toBe(200);
    const bill = await waitFor(() => socket!.of('bill_generated')[0], 'bill_generated');
    expect(bill).toMatchObject({
      billId: expect.any(String),
      amount: 250,
      utility: 'electricity',
      period: month,
    });
  });

  it('the original top-up request {amount, description} and approval {"status":"success"} credit the meter', async () => {
    const before = await meter();
    const req = await t.api<{ id: string; meterNo: string; reference: string }>(
      'POST',
      '/transactions/topup',
      { amount: 500, description: 'Cash paid at agent' },
      customer.token,
    );
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ meterNo: ORIGINAL_METER_NO, reference: 'Cash paid at agent' });
    const done = await t.api<{ status: string }>(
      'PATCH',
      `/transactions/topup/${req.body.id}/process`,
      { status: 'success' },
      t.adminToken,
    );
    expect(done).toMatchObject({ status: 200, body: { status: 'approved' } });
    expect((await meter()).balanceMwh).toBe(before.balanceMwh + mwhForKes(500));
  });

  it('/health carries timestamp and uptime', async () => {
    const res = await t.api<{ status: string; timestamp: string; uptime: number }>('GET', '/health');
    expect(res.body.status).toBe('ok');
    expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
    expect(res.body.uptime).toBeGreaterThan(0);
  });

  it('the original transaction paths answer a plain array, newest first, 50 by default; pages are on /api/v2', async () => {
    for (let i = 0; i < 50; i++) await t.creditKes(ORIGINAL_METER_NO, 1);
    for (const path of [
      `/api/transactions/${customer.userId}`,
      `/api/transactions/meter/${ORIGINAL_METER_NO}`,
    ]) {
      const list = await t.api<{ createdAt: string; meterNo: string }[]>(
        'GET',
        path,
        undefined,
        customer.token,
      );
      expect(Array.isArray(list.body), path).toBe(true);
      expect(list.body).toHaveLength(50);
      const times = list.body.map((x) => Date.parse(x.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const all = await t.api<unknown[]>('GET', `${path}?limit=100`, undefined, customer.token);
      expect(all.body).toHaveLength(53);
      const page = await t.api<{ transactions: unknown[]; next: string | null }>(
        'GET',
        path.replace('/api/', '/api/v2/'),
        undefined,
        customer.token,
      );
      expect(page.body.transactions).toHaveLength(20);
      expect(page.body.next).toEqual(expect.any(String));
    }
  });

  it('GET /api/meters/:meterId includes current_balance', async () => {
    const m = await meter();
    expect(m.current_balance).toBe(m.balanceKwh);
  });

  it('the device routes take the original bodies from an authenticated meter and never move the server’s balance', async () => {
    const before = await meter();
    const url = `${t.url}/api/meters/${ORIGINAL_METER_NO}`;
    const send = (path: string, body: unknown, auth?: string) =>
      fetch(`${url}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(body),
      });
    expect((await send('balance', { balance: 999 })).status).toBe(401);
    expect((await send('balance', { balance: 999 }, deviceAuth(ORIGINAL_METER_NO, 'wrong'))).status).toBe(
      401,
    );
    expect((await send('balance', { balance: 999 }, deviceAuth(ORIGINAL_METER_NO, secret))).status).toBe(200);
    const status = { load_connected: true, wifi_status: 'connected', mqtt_status: 'connected' };
    expect((await send('status', status, deviceAuth(ORIGINAL_METER_NO, secret))).status).toBe(200);
    const after = await meter();
    expect(after.meterBalanceKwh).toBe(999);
    expect(after.status).toBe('online');
    expect(after.balanceMwh).toBe(before.balanceMwh);
    expect(await openAlert('balance_mismatch')).toBe(true);
  });
});
