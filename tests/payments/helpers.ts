/**
 * Helpers for the payment suites: a server with its Daraja emulator, customers with their own
 * meter and phone, callback bodies shaped like Safaricom's, and ledger read-outs.
 */
import { randomInt } from 'node:crypto';
import type { DarajaEmulator, StkCallbackBody } from '@umeme/daraja';
import type { Config } from '../../packages/server/src/config';
import type { Caller } from '../../packages/server/src/shared/access';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';

/** Fast emulator answers; everything else as in production. */
export async function startPaymentsApp(
  db: 'pglite' | 'postgres',
  overrides: Partial<Config> = {},
): Promise<TestApp> {
  return startTestApp(db, { DARAJA_EMULATOR_DELAY_MS: 30, ...overrides });
}

export function emulatorOf(t: TestApp): DarajaEmulator {
  const emulator = t.app.daraja.emulator;
  if (!emulator) throw new Error('the test app runs without the Daraja emulator');
  return emulator;
}

let phoneCounter = 0;
/** A fresh Safaricom number per call, so outcomes and rate limits never leak between tests. */
export function newPhone(): { local: string; msisdn: string } {
  phoneCounter += 1;
  const tail = String((randomInt(1_000_000) * 100 + phoneCounter) % 100_000_000).padStart(8, '0');
  return { local: `07${tail}`, msisdn: `2547${tail}` };
}

export interface Payer {
  userId: string;
  token: string;
  meterNo: string;
  secret: string;
  phone: { local: string; msisdn: string };
}

let customerCounter = 0;
/**
 * A customer with a meter of their own (zero balance unless said) and a phone. Registered
 * through the service: the HTTP route is rate limited per address, and suites need dozens.
 */
export async function newPayer(t: TestApp, openingCreditKwh = 0): Promise<Payer> {
  customerCounter += 1;
  const phone = newPhone();
  const { token, user } = await t.app.services.auth.register({
    name: 'Paying Customer',
    email: `payer${customerCounter}-${randomInt(1_000_000_000)}@test.local`,
    phone: phone.msisdn,
    password: 'customer-pass-1',
  });
  const meter = await t.newMeter({ userId: user.id, openingCreditKwh });
  return { userId: user.id, token, ...meter, phone };
}

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
}

export async function post<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T };
}

export interface PushAnswer {
  intentId: string;
  checkoutRequestId: string | null;
  status: string;
  customerMessage: string;
}

export function stkPush(
  t: TestApp,
  payer: Pick<Payer, 'token'>,
  body: Record<string, unknown>,
  idempotencyKey?: string,
): Promise<HttpAnswer<PushAnswer & { error?: string; message?: string }>> {
  return post(`${t.url}/daraja/stkpush`, body, {
    authorization: `Bearer ${payer.token}`,
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
  });
}

/** Pushes for the payer's own meter from the payer's phone and expects the prompt to be sent. */
export async function pay(t: TestApp, payer: Payer, amountKes: number): Promise<PushAnswer> {
  const res = await stkPush(t, payer, {
    phoneNumber: payer.phone.local,
    amount: amountKes,
    meterNo: payer.meterNo,
  });
  if (res.status !== 202) throw new Error(`stk push answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export function callbackUrl(t: TestApp): string {
  return t.app.services.payments.urls().stkCallback;
}

export function c2bUrls(t: TestApp): { validation: string; confirmation: string } {
  const urls = t.app.services.payments.urls();
  return { validation: urls.c2bValidation, confirmation: urls.c2bConfirmation };
}

export interface SuccessFields {
  checkoutRequestId: string;
  merchantRequestId?: string;
  amountKes: number;
  receipt: string;
  phone: string | number;
}

/** A prompt the emulator settled but never called back about, with the callback a test delivers. */
export interface HeldPrompt {
  checkoutRequestId: string;
  amountKes: number;
  phone: { local: string; msisdn: string };
  body: StkCallbackBody;
}

/**
 * STK pushes for `meterNo`, one per amount, each from a fresh phone, whose callbacks the emulator
 * never sends: the test delivers them (`body`), when and how it likes. Resolves once the emulator
 * has settled every prompt (its receipt number).
 */
export async function heldPrompts(
  t: TestApp,
  meterNo: string,
  userId: string,
  amountsKes: readonly number[],
  /** how long the emulator's STK Query takes to answer about these prompts */
  queryDelayMs = 0,
): Promise<HeldPrompt[]> {
  const emulator = emulatorOf(t);
  const caller: Caller = { kind: 'user', userId, role: 'customer' };
  const pushed: Omit<HeldPrompt, 'body'>[] = [];
  for (const amountKes of amountsKes) {
    const phone = newPhone();
    emulator.setOutcome(phone.local, { resultCode: 'never', delayMs: 0, queryDelayMs });
    const answer = await t.app.services.payments.service.requestStkPush(caller, {
      phoneNumber: phone.local,
      amount: amountKes,
      meterNo,
    });
    const checkoutRequestId = (answer.body as { checkoutRequestId: string }).checkoutRequestId;
    pushed.push({ checkoutRequestId, amountKes, phone });
  }
  await waitFor(
    () =>
      pushed.every((p) => emulator.transactions.get(p.checkoutRequestId)?.mpesaReceiptNumber !== undefined),
    'the emulator to settle the prompts',
  );
  return pushed.map((p) => {
    const tx = emulator.transactions.get(p.checkoutRequestId)!;
    return {
      ...p,
      body: successCallback({
        checkoutRequestId: p.checkoutRequestId,
        merchantRequestId: tx.merchantRequestId,
        amountKes: p.amountKes,
        receipt: tx.mpesaReceiptNumber!,
        phone: p.phone.msisdn,
      }),
    };
  });
}

/** A success callback as Safaricom words it, Balance item without a Value included. */
export function successCallback(f: SuccessFields): StkCallbackBody {
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: f.merchantRequestId ?? '29115-34620561-1',
        CheckoutRequestID: f.checkoutRequestId,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        CallbackMetadata: {
          Item: [
            { Name: 'Amount', Value: f.amountKes },
            { Name: 'MpesaReceiptNumber', Value: f.receipt },
            { Name: 'Balance' },
            { Name: 'TransactionDate', Value: 20251122104512 },
            { Name: 'PhoneNumber', Value: typeof f.phone === 'string' ? Number(f.phone) : f.phone },
          ],
        },
      },
    },
  };
}

export function failureCallback(checkoutRequestId: string, resultCode: number): StkCallbackBody {
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: '29115-34620561-1',
        CheckoutRequestID: checkoutRequestId,
        ResultCode: resultCode,
        ResultDesc: 'Request cancelled by user',
      },
    },
  };
}

let receiptCounter = 0;
/** Ten capitals and digits, like an M-Pesa receipt, never repeated within a run. */
export function newReceipt(): string {
  receiptCounter += 1;
  return `T${String(receiptCounter % 1000).padStart(3, '0')}${String(randomInt(1_000_000)).padStart(6, '0')}`;
}

export const ACCEPTED = { ResultCode: 0, ResultDesc: 'Accepted' };

export interface IntentView {
  intentId: string;
  status: string;
  reason: string | null;
  resultCode: number | null;
  receipt: string | null;
  transactionId: string | null;
  energyKwh: number | null;
}

export async function intentOf(
  t: TestApp,
  payer: Pick<Payer, 'token'>,
  intentId: string,
): Promise<IntentView> {
  const res = await t.api<IntentView>('GET', `/daraja/intents/${intentId}`, undefined, payer.token);
  if (res.status !== 200) throw new Error(`GET intent answered ${res.status}`);
  return res.body;
}

export async function waitForIntent(
  t: TestApp,
  payer: Pick<Payer, 'token'>,
  intentId: string,
  status: string,
  timeoutMs = 10_000,
): Promise<IntentView> {
  return waitFor(
    async () => {
      const intent = await intentOf(t, payer, intentId);
      return intent.status === status ? intent : null;
    },
    `intent ${intentId} to be ${status}`,
    timeoutMs,
  );
}

/** Credits on a meter as the ledger has them: count and sum, plus C. */
export async function creditsOf(
  t: TestApp,
  meterNo: string,
): Promise<{ count: number; amountCents: number; creditLimitMwh: number; ledgerMwh: number; e0Mwh: number }> {
  const { rows } = await t.app.services.db.query<{
    count: number;
    amount_cents: number;
    credit_limit_mwh: number;
    ledger_mwh: number;
    e0_mwh: number;
  }>(
    `SELECT (SELECT count(*)::int FROM transactions WHERE meter_no = $1 AND amount_cents > 0) AS count,
            (SELECT COALESCE(sum(amount_cents), 0)::bigint FROM transactions WHERE meter_no = $1) AS amount_cents,
            m.credit_limit_mwh, m.e0_mwh,
            (SELECT COALESCE(sum(energy_mwh), 0)::bigint FROM ledger_entries WHERE meter_no = $1) AS ledger_mwh
       FROM meters m WHERE m.meter_no = $1`,
    [meterNo],
  );
  const r = rows[0]!;
  return {
    count: r.count,
    amountCents: r.amount_cents,
    creditLimitMwh: r.credit_limit_mwh,
    ledgerMwh: r.ledger_mwh,
    e0Mwh: r.e0_mwh,
  };
}

export async function callbackOutcomes(t: TestApp, checkoutRequestId: string): Promise<(string | null)[]> {
  const { rows } = await t.app.services.db.query<{ outcome: string | null }>(
    `SELECT outcome FROM daraja_callbacks WHERE checkout_request_id = $1 ORDER BY id`,
    [checkoutRequestId],
  );
  return rows.map((r) => r.outcome);
}

export async function openAlerts(t: TestApp, meterNo: string, kind: string): Promise<number> {
  const { rows } = await t.app.services.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM alerts WHERE meter_no = $1 AND kind = $2 AND closed_at IS NULL`,
    [meterNo, kind],
  );
  return rows[0]?.n ?? 0;
}

/** The emulator's record of a push: its receipt once it completed. */
export function emulatedPush(t: TestApp, checkoutRequestId: string) {
  const tx = emulatorOf(t).transactions.get(checkoutRequestId);
  if (!tx) throw new Error(`the emulator has no push ${checkoutRequestId}`);
  return tx;
}

/** 20 KES per kWh (the default flat tariff): what a purchase adds to C. */
export const mwhForKes = (kes: number): number => kes * 50_000;
