// Protects paybill (C2B): the account number finds the meter (never the phone), unknown meters are refused at validation, confirmations credit once per TransID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, type TestApp } from '../helpers/app';
import { c2bUrls, creditsOf, emulatorOf, mwhForKes, newPayer, post, startPaymentsApp } from './helpers';

interface C2bPlay {
  TransID: string;
  outcome: 'confirmed' | 'rejected' | 'cancelled';
  validation: { status?: number; answer?: unknown } | null;
  confirmation: { status?: number; answer?: unknown } | null;
}

describe.each(databases)('paybill on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  /**
   * A customer pays the paybill from their phone, through the emulator and our registered URLs
   * (played in-process: the emulator's HTTP paybill page is the demo's only).
   */
  const payBill = async (
    billRefNumber: string,
    amount: number,
    msisdnFormat?: 'plain' | 'masked' | 'hashed',
  ) => {
    const res = await emulatorOf(t).payBill({
      msisdn: '0712345678',
      amount,
      billRefNumber,
      ...(msisdnFormat ? { msisdnFormat } : {}),
    });
    expect(res.status).toBe(200);
    return res.body as C2bPlay;
  };

  const c2bBody = (billRef: string, transId: string, amount = '100.00') => ({
    TransactionType: 'Pay Bill',
    TransID: transId,
    TransTime: '20251122104512',
    TransAmount: amount,
    BusinessShortCode: '174379',
    BillRefNumber: billRef,
    InvoiceNumber: '',
    OrgAccountBalance: '',
    ThirdPartyTransID: '',
    MSISDN: '2547 ***** 126',
    FirstName: 'JANE',
  });

  it('registers its validation and confirmation URLs with Daraja at start-up', () => {
    expect(emulatorOf(t).calls.c2bRegister).toBeGreaterThanOrEqual(1);
    const { validation, confirmation } = c2bUrls(t);
    for (const url of [validation, confirmation])
      expect(url).not.toMatch(/m-?pesa|safaricom|exe|cmd|sql|query/i);
  });

  it('a paybill payment to a meter number is accepted, confirmed and credited to that meter', async () => {
    const payer = await newPayer(t);
    const play = await payBill(payer.meterNo, 200);
    expect(play.outcome).toBe('confirmed');
    expect(play.validation?.answer).toEqual({ ResultCode: '0', ResultDesc: 'Accepted' });
    expect(play.confirmation?.answer).toEqual({ ResultCode: 0, ResultDesc: 'Success' });
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(200) });
    const { rows } = await t.app.services.db.query<{ external_ref: string; type: string }>(
      `SELECT external_ref, type FROM transactions WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(rows).toEqual([{ external_ref: `C2B-${play.TransID}`, type: 'paybill' }]);
  });

  it('the account number is matched however the customer typed it, and a masked or hashed MSISDN does not matter', async () => {
    const payer = await newPayer(t);
    const typed = ` ${payer.meterNo.toLowerCase()} `;
    expect((await payBill(typed, 50, 'masked')).outcome).toBe('confirmed');
    expect((await payBill(payer.meterNo.toUpperCase(), 30, 'hashed')).outcome).toBe('confirmed');
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 2, creditLimitMwh: mwhForKes(80) });
  });

  it('a paybill payment to an unknown meter is refused at validation with C2B00012 and credits nothing', async () => {
    const before = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions`,
    );
    const play = await payBill('NOSUCHMETER', 100);
    expect(play.outcome).toBe('rejected');
    expect(play.validation?.answer).toEqual({ ResultCode: 'C2B00012', ResultDesc: 'Rejected' });
    expect(play.confirmation).toBeNull();
    const after = await t.app.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('a confirmation delivered twice credits once and both deliveries are acknowledged', async () => {
    const payer = await newPayer(t);
    const body = c2bBody(payer.meterNo, `TX${Date.now().toString(36).toUpperCase()}`, '75.00');
    const answers = await Promise.all([1, 2, 3].map(() => post(c2bUrls(t).confirmation, body)));
    for (const a of answers)
      expect(a).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } });
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(75) });
  });

  it('a confirmation for an unknown account (validation bypassed) is acknowledged, kept unmatched, and credits nothing', async () => {
    const transId = `TU${Date.now().toString(36).toUpperCase()}`;
    const res = await post(c2bUrls(t).confirmation, c2bBody('GHOST-METER', transId));
    expect(res).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } });
    const { rows } = await t.app.services.db.query<{ status: string; meter_no: string | null }>(
      `SELECT status, meter_no FROM c2b_payments WHERE trans_id = $1`,
      [transId],
    );
    expect(rows).toEqual([{ status: 'unmatched', meter_no: null }]);
    const credited = await t.app.services.db.query(`SELECT 1 FROM transactions WHERE external_ref = $1`, [
      `C2B-${transId}`,
    ]);
    expect(credited.rowCount).toBe(0);
  });

  it('validation refuses an amount that is not money with C2B00013', async () => {
    const payer = await newPayer(t);
    const res = await post(c2bUrls(t).validation, c2bBody(payer.meterNo, 'TXZERO', '0.00'));
    expect(res).toEqual({ status: 200, body: { ResultCode: 'C2B00013', ResultDesc: 'Rejected' } });
  });

  it('paybill URLs without the right ?t= secret answer 404 and change nothing', async () => {
    const payer = await newPayer(t);
    const body = c2bBody(payer.meterNo, `TW${Date.now().toString(36).toUpperCase()}`);
    const { confirmation } = c2bUrls(t);
    const base = confirmation.split('?')[0]!;
    for (const url of [base, `${base}?t=wrong`, `${base}?t=`]) {
      const res = await post(url, body);
      expect(res.status).toBe(404);
    }
    expect((await post(`${c2bUrls(t).validation.split('?')[0]!}?t=nope`, body)).status).toBe(404);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
  });

  it('a malformed confirmation is answered 400 and nothing is stored', async () => {
    const before = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM daraja_callbacks`,
    );
    const payer = await newPayer(t);
    const { TransID: _omit, ...noTransId } = c2bBody(payer.meterNo, 'X');
    for (const body of [noTransId, { ...c2bBody(payer.meterNo, 'TXBAD'), TransAmount: 100 }, 'not json']) {
      expect((await post(c2bUrls(t).confirmation, body)).status).toBe(400);
    }
    const after = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM daraja_callbacks`,
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
  });
});
