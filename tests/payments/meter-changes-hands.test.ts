// Protects SEC-1 for purchases across a change of hands: a purchase belongs to whoever paid, on statements (JSON, CSV, HTML), lists and receipts, also when the meter moves while the payment is in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, waitFor, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  callbackUrl,
  emulatedPush,
  emulatorOf,
  newPayer,
  pay,
  post,
  startPaymentsApp,
  stkPush,
  successCallback,
  waitForIntent,
  type Payer,
} from './helpers';

interface StatementBody {
  transactions: { id: string; meterNo: string; type: string; amountCents: number }[];
  totals: { paidCents: number };
}

/** This month as the statements count it (Kenyan time). */
const thisMonth = () => new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 7);

describe.each(databases)('a meter that changes hands, on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  const move = async (meterNo: string, to: Payer) => {
    const r = await t.api(
      'POST',
      `/api/admin/meters/${meterNo}/assign`,
      { userId: to.userId, reason: 'tenant moved out' },
      t.adminToken,
    );
    expect(r.status).toBe(200);
  };
  const statement = async (p: Payer) => {
    const r = await t.api<StatementBody>('GET', `/api/statements/${thisMonth()}`, undefined, p.token);
    expect(r.status).toBe(200);
    return r.body;
  };
  const statementText = async (p: Payer, format: 'csv' | 'html') => {
    const r = await t.api<string>(
      'GET',
      `/api/statements/${thisMonth()}?format=${format}`,
      undefined,
      p.token,
    );
    expect(r.status).toBe(200);
    return r.body;
  };
  const purchasesOn = (s: StatementBody, meterNo: string) =>
    s.transactions.filter((x) => x.meterNo === meterNo && x.type === 'payment').map((x) => x.amountCents);
  const csvPurchasesOn = (csv: string, meterNo: string) =>
    csv.split('\r\n').filter((l) => l.includes(`,${meterNo},payment,`)).length;
  const htmlPurchasesOn = (html: string, meterNo: string) =>
    html.split('<tr>').filter((r) => r.includes(`<td translate="no">${meterNo}</td><td>payment</td>`)).length;

  it("each owner's statement lists their own purchases on the meter and none of the other's", async () => {
    const a = await newPayer(t);
    const b = await newPayer(t);
    const meterNo = a.meterNo;
    const first = await pay(t, a, 123);
    await waitForIntent(t, a, first.intentId, 'succeeded');
    await move(meterNo, b);
    const second = await stkPush(t, b, { phoneNumber: b.phone.local, amount: 77, meterNo });
    expect(second.status).toBe(202);
    await waitForIntent(t, b, second.body.intentId, 'succeeded');

    const [sa, sb] = [await statement(a), await statement(b)];
    expect(purchasesOn(sa, meterNo)).toEqual([12_300]);
    expect(sa.totals.paidCents).toBe(12_300);
    expect(purchasesOn(sb, meterNo)).toEqual([7_700]);
    expect(sb.totals.paidCents).toBe(7_700);
    for (const [p, n] of [
      [a, 1],
      [b, 1],
    ] as const) {
      expect(csvPurchasesOn(await statementText(p, 'csv'), meterNo)).toBe(n);
      expect(htmlPurchasesOn(await statementText(p, 'html'), meterNo)).toBe(n);
    }
    const aCsv = await statementText(a, 'csv');
    expect(aCsv).not.toContain(',77');
    const bHtml = await statementText(b, 'html');
    expect(bHtml).not.toContain('<td>123');
  });

  it('a payment in flight when the meter moves stays the payer’s: receipt 200 for them, 404 for the new owner', async () => {
    const a = await newPayer(t);
    const b = await newPayer(t);
    const meterNo = a.meterNo;
    // M-Pesa takes the money, but its callback is held back until the meter has moved.
    emulatorOf(t).setOutcome(a.phone.local, { resultCode: 0, deliveries: 0, delayMs: 20 });
    const push = await pay(t, a, 150);
    await move(meterNo, b);
    const receipt = await waitFor(
      () => emulatedPush(t, push.checkoutRequestId!).mpesaReceiptNumber,
      'M-Pesa to take the money',
    );
    const delivered = await post(
      callbackUrl(t),
      successCallback({
        checkoutRequestId: push.checkoutRequestId!,
        amountKes: 150,
        receipt,
        phone: a.phone.msisdn,
      }),
    );
    expect(delivered).toEqual({ status: 200, body: ACCEPTED });
    const intent = await waitForIntent(t, a, push.intentId, 'succeeded');
    expect(intent.transactionId).not.toBeNull();

    const mine = await t.api('GET', `/api/transactions/${intent.transactionId}/receipt`, undefined, a.token);
    expect(mine.status).toBe(200);
    const theirs = await t.api(
      'GET',
      `/api/transactions/${intent.transactionId}/receipt`,
      undefined,
      b.token,
    );
    expect(theirs.status).toBe(404);
    expect(purchasesOn(await statement(a), meterNo)).toEqual([15_000]);
    expect(purchasesOn(await statement(b), meterNo)).toEqual([]);
    const list = await t.api<{ id: string }[]>('GET', `/api/transactions/${a.userId}`, undefined, a.token);
    expect(list.body.map((x) => x.id)).toContain(intent.transactionId);
  });
});
