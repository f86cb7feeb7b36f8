// Protects the Daraja emulator: real request checks, real callback shapes, choosable outcomes, C2B and the virtual phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarajaError, type DarajaClient } from './client';
import type { DarajaEmulator } from './emulator';
import {
  c2bTransactionSchema,
  darajaErrorResponseSchema,
  darajaTimestamp,
  readCallbackMetadata,
  resultCodeReason,
  stkCallbackBodySchema,
  stkPassword,
  type StkCallbackBody,
} from './schemas';
import {
  callbacksFor,
  CREDENTIALS,
  newClient,
  newPhone,
  sleep,
  startEmulator,
  startMerchant,
  waitFor,
  type Merchant,
} from './test-support';

let emulator: DarajaEmulator;
let baseUrl: string;
let merchant: Merchant;
let client: DarajaClient;

beforeAll(async () => {
  ({ emulator, baseUrl } = await startEmulator());
  merchant = await startMerchant();
  client = newClient(baseUrl);
});
afterAll(async () => {
  await emulator.close();
  await merchant.close();
});

async function push(phone: string, amountKes = 100, accountReference = 'M1') {
  return client.stkPush({
    phoneNumber: phone,
    amountKes,
    accountReference,
    description: 'Electricity',
    callbackUrl: merchant.callbackUrl,
  });
}

async function waitForCallbacks(checkoutRequestId: string, count = 1): Promise<StkCallbackBody[]> {
  await waitFor(
    () => callbacksFor(merchant, checkoutRequestId).length >= count,
    `callback ${checkoutRequestId}`,
  );
  return callbacksFor(merchant, checkoutRequestId).map((body) => stkCallbackBodySchema.parse(body));
}

describe('STK push outcomes', () => {
  it('a successful push calls back with metadata the server can read by name', async () => {
    const phone = newPhone();
    const answer = await push(phone.local, 100, 'M12345');
    expect(answer.ResponseCode).toBe('0');
    expect(answer.CheckoutRequestID).toMatch(/^ws_CO_\d+$/);

    const [callback] = await waitForCallbacks(answer.CheckoutRequestID);
    const stk = callback?.Body.stkCallback;
    expect(stk?.ResultCode).toBe(0);
    expect(stk?.MerchantRequestID).toBe(answer.MerchantRequestID);
    const items = stk?.CallbackMetadata?.Item ?? [];
    expect(items.map((item) => item.Name)).toEqual([
      'Amount',
      'MpesaReceiptNumber',
      'Balance',
      'TransactionDate',
      'PhoneNumber',
    ]);
    expect(items.find((item) => item.Name === 'Balance')).not.toHaveProperty('Value');
    expect(typeof items.find((item) => item.Name === 'TransactionDate')?.Value).toBe('number');
    expect(typeof items.find((item) => item.Name === 'PhoneNumber')?.Value).toBe('number');

    const meta = readCallbackMetadata(stk?.CallbackMetadata?.Item);
    expect(meta.amountCents).toBe(10_000);
    expect(meta.mpesaReceiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    expect(meta.transactionDate).toMatch(/^\d{14}$/);
    expect(meta.phoneNumber).toBe(phone.msisdn);
    expect(merchant.callbacks.some((c) => c.path.endsWith(merchant.callbackToken))).toBe(true);

    const query = await client.stkQuery(answer.CheckoutRequestID);
    expect(query).toMatchObject({
      ResponseCode: '0',
      ResultCode: '0',
      CheckoutRequestID: answer.CheckoutRequestID,
    });
  });

  it.each([1, 1032, 2001, 17, 26, 1001, 1019, 1025, 9999, 1031])(
    'result %s calls back without metadata and with a readable reason',
    async (resultCode) => {
      const phone = newPhone();
      emulator.setOutcome(phone.local, { resultCode, delayMs: 10 });
      const answer = await push(phone.local);
      const [callback] = await waitForCallbacks(answer.CheckoutRequestID);
      const stk = callback?.Body.stkCallback;
      expect(stk?.ResultCode).toBe(resultCode);
      expect(stk).not.toHaveProperty('CallbackMetadata');
      expect(stk?.ResultDesc).toMatch(/\S/);
      expect(resultCodeReason(stk?.ResultCode ?? -1)).not.toMatch(/^Payment failed \(M-Pesa code/);
      const query = await client.stkQuery(answer.CheckoutRequestID);
      expect(query.ResultCode).toBe(String(resultCode));
    },
  );

  it('gives the customer-facing reasons the design names', () => {
    expect(resultCodeReason(1)).toMatch(/insufficient/i);
    expect(resultCodeReason(1032)).toMatch(/cancelled/i);
    expect(resultCodeReason(2001)).toMatch(/PIN/);
    expect(resultCodeReason(1037)).toMatch(/reached/);
  });

  it('1037: the phone never answers, no callback is sent, the query reports it', async () => {
    const phone = newPhone();
    emulator.setOutcome(phone.local, { resultCode: 1037, delayMs: 20 });
    const sentBefore = emulator.calls.callbacksSent;
    const answer = await push(phone.local);
    await waitFor(
      () => emulator.transactions.get(answer.CheckoutRequestID)?.state === 'completed',
      'resolved',
    );
    await sleep(100);
    expect(callbacksFor(merchant, answer.CheckoutRequestID)).toHaveLength(0);
    expect(emulator.calls.callbacksSent).toBe(sentBefore);
    const query = await client.stkQuery(answer.CheckoutRequestID);
    expect(query.ResultCode).toBe('1037');
    expect(resultCodeReason(query.ResultCode)).toMatch(/could not be reached/);
  });

  it("'never': the payment succeeds but its callback is lost; only the query tells", async () => {
    const phone = newPhone();
    emulator.setOutcome(phone.local, { resultCode: 'never', delayMs: 10 });
    const answer = await push(phone.local);
    await waitFor(
      () => emulator.transactions.get(answer.CheckoutRequestID)?.state === 'completed',
      'resolved',
    );
    await sleep(100);
    expect(callbacksFor(merchant, answer.CheckoutRequestID)).toHaveLength(0);
    expect((await client.stkQuery(answer.CheckoutRequestID)).ResultCode).toBe('0');
    expect(emulator.transactions.get(answer.CheckoutRequestID)?.mpesaReceiptNumber).toMatch(/^[A-Z0-9]{10}$/);
  });

  it('delivers the same callback k times when asked for duplicates', async () => {
    const phone = newPhone();
    emulator.setOutcome(phone.local, { resultCode: 0, delayMs: 10, deliveries: 5 });
    const sentBefore = emulator.calls.callbacksSent;
    const answer = await push(phone.local);
    const callbacks = await waitForCallbacks(answer.CheckoutRequestID, 5);
    expect(callbacks).toHaveLength(5);
    expect(new Set(callbacks.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(emulator.calls.callbacksSent - sentBefore).toBe(5);
  });

  it('gives every push its own CheckoutRequestID and every success its own receipt', async () => {
    const answers = await Promise.all(Array.from({ length: 25 }, () => push(newPhone().local)));
    const ids = answers.map((a) => a.CheckoutRequestID);
    expect(new Set(ids).size).toBe(25);
    await Promise.all(ids.map((id) => waitForCallbacks(id)));
    const receipts = ids.map((id) => emulator.transactions.get(id)?.mpesaReceiptNumber);
    expect(new Set(receipts).size).toBe(25);
  });

  it('answers a query for an unknown CheckoutRequestID with a 400', async () => {
    const err = await client.stkQuery('ws_CO_000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DarajaError);
    expect(err).toMatchObject({ status: 400, errorMessage: 'Bad Request - Invalid CheckoutRequestID' });
  });
});

describe('request checks, answered in Daraja error shape', () => {
  async function rawPush(change: Record<string, unknown>, authorization?: string) {
    const token = await client.getToken();
    const timestamp = darajaTimestamp();
    const phone = newPhone().msisdn;
    const body = {
      BusinessShortCode: CREDENTIALS.shortCode,
      Password: stkPassword(CREDENTIALS.shortCode, CREDENTIALS.passkey, timestamp),
      Timestamp: timestamp,
      TransactionType: 'CustomerPayBillOnline',
      Amount: 10,
      PartyA: phone,
      PartyB: CREDENTIALS.shortCode,
      PhoneNumber: phone,
      CallBackURL: merchant.callbackUrl,
      AccountReference: 'M1',
      TransactionDesc: 'Electricity',
      ...change,
    };
    const res = await fetch(`${baseUrl}/mpesa/stkpush/v1/processrequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: authorization ?? `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  function expectDarajaError(
    answer: { status: number; body: unknown },
    status: number,
    code: string,
    message: string,
  ) {
    expect(answer.status).toBe(status);
    const parsed = darajaErrorResponseSchema.parse(answer.body);
    expect(Object.keys(answer.body as object).sort()).toEqual(['errorCode', 'errorMessage', 'requestId']);
    expect(parsed).toMatchObject({ errorCode: code, errorMessage: message });
  }

  it('accepts the well-formed request the checks below spoil one field at a time', async () => {
    const answer = await rawPush({});
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ResponseCode: '0' });
  });

  it('refuses a wrong password with a 500 "Wrong credentials"', async () => {
    expectDarajaError(await rawPush({ Password: 'd3Jvbmc=' }), 500, '500.001.1001', 'Wrong credentials');
  });

  it('refuses a timestamp written in UTC instead of Kenyan time', async () => {
    const utc = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const answer = await rawPush({
      Timestamp: utc,
      Password: stkPassword(CREDENTIALS.shortCode, CREDENTIALS.passkey, utc),
    });
    expectDarajaError(answer, 400, '400.002.02', 'Bad Request - Invalid Timestamp');
  });

  it.each([
    ['Timestamp', { Timestamp: '2024-01-01 12:00' }],
    ['BusinessShortCode', { BusinessShortCode: '999999' }],
    ['TransactionType', { TransactionType: 'SendMoney' }],
    ['Amount', { Amount: 10.5 }],
    ['Amount', { Amount: 0 }],
    ['Amount', { Amount: 250_001 }],
    ['Amount', { Amount: '12abc' }],
    ['PartyA', { PartyA: '0712345678' }],
    ['PartyB', { PartyB: '600000' }],
    ['PhoneNumber', { PhoneNumber: '254812345678' }],
    ['CallBackURL', { CallBackURL: 'not a url' }],
    ['AccountReference', { AccountReference: 'M123456789012' }],
    ['AccountReference', { AccountReference: '' }],
    ['TransactionDesc', { TransactionDesc: '' }],
  ])('refuses a bad %s with 400.002.02', async (field, change) => {
    expectDarajaError(await rawPush(change), 400, '400.002.02', `Bad Request - Invalid ${field}`);
  });

  it('accepts an amount sent as digits, as Daraja does', async () => {
    expect((await rawPush({ Amount: '25' })).status).toBe(200);
  });

  it('refuses a missing or unknown access token', async () => {
    expectDarajaError(await rawPush({}, 'Basic abc'), 404, '404.001.04', 'Invalid Authentication Header');
    expectDarajaError(await rawPush({}, 'Bearer notatoken'), 404, '404.001.03', 'Invalid Access Token');
  });

  it('refuses wrong OAuth credentials and grant types', async () => {
    const wrong = Buffer.from(`${CREDENTIALS.consumerKey}:nope`).toString('base64');
    const res = await fetch(`${baseUrl}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${wrong}` },
    });
    expectDarajaError(
      { status: res.status, body: await res.json() },
      400,
      '400.008.01',
      'Invalid Authentication passed',
    );
    const right = Buffer.from(`${CREDENTIALS.consumerKey}:${CREDENTIALS.consumerSecret}`).toString('base64');
    const grant = await fetch(`${baseUrl}/oauth/v1/generate?grant_type=password`, {
      headers: { authorization: `Basic ${right}` },
    });
    expectDarajaError(
      { status: grant.status, body: await grant.json() },
      400,
      '400.008.02',
      'Invalid grant type passed',
    );
    const ok = await fetch(`${baseUrl}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${right}` },
    });
    expect(await ok.json()).toMatchObject({ expires_in: '3599' });
  });

  it('refuses payloads that are not JSON objects or are too large', async () => {
    const token = await client.getToken();
    const notJson = await fetch(`${baseUrl}/mpesa/stkpush/v1/processrequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"Amount":',
    });
    expectDarajaError(
      { status: notJson.status, body: await notJson.json() },
      400,
      '400.002.05',
      'Invalid Request Payload',
    );
    const huge = await fetch(`${baseUrl}/mpesa/stkpush/v1/processrequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ TransactionDesc: 'x'.repeat(100_000) }),
    });
    expect(huge.status).toBe(413);
    darajaErrorResponseSchema.parse(await huge.json());
  });
});

describe('C2B paybill', () => {
  let c2b: { emulator: DarajaEmulator; baseUrl: string };
  beforeAll(async () => {
    c2b = await startEmulator();
    await newClient(c2b.baseUrl).registerC2bUrls({
      confirmationUrl: `${merchant.baseUrl}/c2b/confirmation`,
      validationUrl: `${merchant.baseUrl}/c2b/validation`,
      responseType: 'Completed',
    });
  });
  afterAll(async () => {
    await c2b.emulator.close();
  });

  async function pay(body: Record<string, unknown>) {
    const res = await fetch(`${c2b.baseUrl}/emulator/c2b/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { TransID: string; outcome: string } };
  }

  it('a payment goes through validation, then confirmation, with real-shaped bodies', async () => {
    const phone = newPhone();
    const result = await pay({ msisdn: phone.local, amount: 150, billRefNumber: 'M9001' });
    expect(result.status).toBe(200);
    expect(result.body.outcome).toBe('confirmed');

    const validation = merchant.validations.find(
      (v) => (v.body as { TransID?: string }).TransID === result.body.TransID,
    );
    const confirmation = merchant.confirmations.find(
      (c) => (c.body as { TransID?: string }).TransID === result.body.TransID,
    );
    const v = c2bTransactionSchema.parse(validation?.body);
    const c = c2bTransactionSchema.parse(confirmation?.body);
    expect(v).toMatchObject({
      TransAmount: '150.00',
      BillRefNumber: 'M9001',
      MSISDN: phone.msisdn,
      TransactionType: 'Pay Bill',
    });
    expect(v.TransID).toMatch(/^[A-Z0-9]{10}$/);
    expect(c).toMatchObject({ TransID: v.TransID, TransAmount: '150.00', BillRefNumber: 'M9001' });
    expect(c.OrgAccountBalance).toMatch(/^\d+\.\d{2}$/);
    // Confirmation only after the validation answered.
    expect(validation?.seq).toBeLessThan(confirmation?.seq ?? -1);
    expect(c2b.emulator.c2bTransactions.get(v.TransID)?.confirmation?.answer).toEqual({
      ResultCode: 0,
      ResultDesc: 'Success',
    });
  });

  it('a rejected validation stops the payment before confirmation', async () => {
    const confirmationsBefore = c2b.emulator.calls.c2bConfirmations;
    const receivedBefore = merchant.confirmations.length;
    const result = await pay({ msisdn: newPhone().local, amount: 50, billRefNumber: 'NOPE42' });
    expect(result.body.outcome).toBe('rejected');
    expect(c2b.emulator.c2bTransactions.get(result.body.TransID)?.validation?.answer).toEqual({
      ResultCode: 'C2B00012',
      ResultDesc: 'Rejected',
    });
    expect(c2b.emulator.calls.c2bConfirmations).toBe(confirmationsBefore);
    expect(merchant.confirmations.length).toBe(receivedBefore);
  });

  it('can mask the MSISDN the way newer payloads do', async () => {
    const phone = newPhone();
    const result = await pay({
      msisdn: phone.local,
      amount: 20,
      billRefNumber: 'M1',
      msisdnFormat: 'masked',
    });
    const body = c2b.emulator.c2bTransactions.get(result.body.TransID)?.body;
    expect(body?.MSISDN).toBe(`2547 ***** ${phone.msisdn.slice(-3)}`);
  });

  it('refuses to register URLs with words Daraja forbids', async () => {
    const err = await newClient(c2b.baseUrl)
      .registerC2bUrls({
        confirmationUrl: `${merchant.baseUrl}/mpesa/confirmation`,
        validationUrl: `${merchant.baseUrl}/c2b/validation`,
        responseType: 'Completed',
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, errorMessage: 'Bad Request - Invalid ConfirmationURL' });
  });
});

describe('virtual phone (demo mode)', () => {
  let demo: { emulator: DarajaEmulator; baseUrl: string };
  let demoClient: DarajaClient;
  beforeAll(async () => {
    demo = await startEmulator({ demo: true, promptTimeoutMs: 400 });
    demoClient = newClient(demo.baseUrl);
  });
  afterAll(async () => {
    await demo.emulator.close();
  });

  interface Prompt {
    checkoutRequestId: string;
    message: string;
    expiresInMs: number;
  }

  async function prompts(phone: string): Promise<Prompt[]> {
    const res = await fetch(`${demo.baseUrl}/emulator/prompts?phone=${encodeURIComponent(phone)}`);
    return ((await res.json()) as { prompts: Prompt[] }).prompts;
  }

  async function answer(id: string, action: 'accept' | 'decline', body: unknown = {}) {
    const res = await fetch(`${demo.baseUrl}/emulator/prompts/${id}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { resultCode?: number } };
  }

  async function demoPush(phone: string) {
    return demoClient.stkPush({
      phoneNumber: phone,
      amountKes: 100,
      accountReference: 'M1',
      description: 'Electricity',
      callbackUrl: merchant.callbackUrl,
    });
  }

  it('serves a self-contained page with no external assets', async () => {
    const res = await fetch(`${demo.baseUrl}/emulator/phone`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<html');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link /i);
  });

  it('waits for the person: the prompt is listed, a PIN accepts it and the success callback follows', async () => {
    const phone = newPhone();
    const pushed = await demoPush(phone.local);
    await sleep(60);
    expect(demo.emulator.transactions.get(pushed.CheckoutRequestID)?.state).toBe('pending');
    const [prompt] = await prompts(phone.local);
    expect(prompt?.message).toBe('Pay KES 100 to UMEME for account M1? Enter PIN');
    expect(prompt?.expiresInMs).toBeGreaterThan(0);

    expect((await answer(pushed.CheckoutRequestID, 'accept', { pin: '12' })).status).toBe(400);
    expect((await answer(pushed.CheckoutRequestID, 'accept', { pin: '1234' })).body.resultCode).toBe(0);
    const [callback] = await waitForCallbacks(pushed.CheckoutRequestID);
    expect(callback?.Body.stkCallback.ResultCode).toBe(0);
    expect(await prompts(phone.local)).toHaveLength(0);
    expect((await answer(pushed.CheckoutRequestID, 'decline')).status).toBe(409);
  });

  it('PIN 0000 is a wrong PIN (2001) and Decline is a cancellation (1032)', async () => {
    const phone = newPhone();
    const wrongPin = await demoPush(phone.local);
    await answer(wrongPin.CheckoutRequestID, 'accept', { pin: '0000' });
    const declined = await demoPush(phone.local);
    await answer(declined.CheckoutRequestID, 'decline');
    const [a] = await waitForCallbacks(wrongPin.CheckoutRequestID);
    const [b] = await waitForCallbacks(declined.CheckoutRequestID);
    expect(a?.Body.stkCallback.ResultCode).toBe(2001);
    expect(b?.Body.stkCallback.ResultCode).toBe(1032);
    expect(b?.Body.stkCallback).not.toHaveProperty('CallbackMetadata');
  });

  it('an unanswered prompt expires as 1037 with no callback', async () => {
    const phone = newPhone();
    const pushed = await demoPush(phone.local);
    await waitFor(
      () => demo.emulator.transactions.get(pushed.CheckoutRequestID)?.state === 'completed',
      'expiry',
    );
    expect((await demoClient.stkQuery(pushed.CheckoutRequestID)).ResultCode).toBe('1037');
    expect(callbacksFor(merchant, pushed.CheckoutRequestID)).toHaveLength(0);
  });

  it('a phone with its own outcome does not wait for a person', async () => {
    const phone = newPhone();
    demo.emulator.setOutcome(phone.local, { resultCode: 1, delayMs: 10 });
    const pushed = await demoPush(phone.local);
    const [callback] = await waitForCallbacks(pushed.CheckoutRequestID);
    expect(callback?.Body.stkCallback.ResultCode).toBe(1);
  });
});

describe('limits', () => {
  it('keeps at most maxTransactions, forgetting the oldest', async () => {
    const small = await startEmulator({ maxTransactions: 3, defaultDelayMs: 60_000 });
    try {
      const smallClient = newClient(small.baseUrl);
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const answer = await smallClient.stkPush({
          phoneNumber: newPhone().local,
          amountKes: 10,
          accountReference: `M${i}`,
          description: 'Electricity',
          callbackUrl: merchant.callbackUrl,
        });
        ids.push(answer.CheckoutRequestID);
      }
      expect(small.emulator.transactions.size).toBe(3);
      expect([...small.emulator.transactions.keys()]).toEqual(ids.slice(2));
      const err = await smallClient.stkQuery(ids[0] ?? '').catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 400 });
    } finally {
      await small.emulator.close();
    }
  });

  it('refuses outcomes outside the limits', () => {
    expect(() => emulator.setOutcome('0712345678', { resultCode: 0, deliveries: 1_000 })).toThrow(RangeError);
    expect(() => emulator.setOutcome('0712345678', { resultCode: 0, delayMs: -1 })).toThrow(RangeError);
    expect(() => emulator.setOutcome('0712345678', { resultCode: 0, queryDelayMs: -1 })).toThrow(RangeError);
    expect(() => emulator.setOutcome('0712345678', { resultCode: 0, queryDelayMs: Infinity })).toThrow(
      RangeError,
    );
    expect(() => emulator.setOutcome('not a phone', { resultCode: 0 })).toThrow(RangeError);
  });
});
