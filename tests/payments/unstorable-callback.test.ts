// Protects PAY-11: one callback that cannot be stored as sent (a NUL character, which jsonb and text refuse) fails no other callback stored or settled with it, and its evidence is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StkCallbackBody } from '@umeme/daraja';
import { databases, startTestApp, type TestApp } from '../helpers/app';
import { ACCEPTED, callbackUrl, heldPrompts, mwhForKes, newPayer, post } from './helpers';

const GENUINE = 53;

describe.each(databases)('a callback with a NUL character among many on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    // Every callback is stored and every confirmed success settled through the groups.
    t = await startTestApp(db, {
      DARAJA_EMULATOR_DELAY_MS: 0,
      PAYMENT_SETTLE_SINGLE_MAX: 0,
      PAYMENT_SETTLE_BATCH_MAX: 64,
      STK_PUSH_MAX_PER_METER: 1_000,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Prompts whose callbacks the emulator never sends: the test delivers them, all at once. */
  const prompts = (meterNo: string, userId: string, count: number, amountKes: number) =>
    heldPrompts(t, meterNo, userId, Array<number>(count).fill(amountKes));

  async function storedBodies(checkoutRequestIds: string[]) {
    const { rows } = await t.app.services.db.query<{ checkout_request_id: string; body: StkCallbackBody }>(
      `SELECT checkout_request_id, body FROM daraja_callbacks WHERE checkout_request_id = ANY($1::text[])`,
      [checkoutRequestIds],
    );
    return rows;
  }

  it('54 callbacks at once, one with a NUL: every genuine one is answered 200 and credited once', async () => {
    const payer = await newPayer(t);
    const genuine = await prompts(payer.meterNo, payer.userId, GENUINE + 1, 10);
    // The last payment's callback arrives with a NUL in its description: still M-Pesa's word that
    // the money was taken, so it is kept (NUL escaped) and credited like the others.
    const odd = genuine.pop()!;
    const withNul = structuredClone(odd.body);
    withNul.Body.stkCallback.ResultDesc = 'The service request is processed\u0000successfully.';
    const bodies = [...genuine.map((g) => g.body)];
    bodies.splice(GENUINE / 2, 0, withNul);
    const answers = await Promise.all(bodies.map((b) => post(callbackUrl(t), b)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(answers.every((a) => JSON.stringify(a.body) === JSON.stringify(ACCEPTED))).toBe(true);

    const { rows } = await t.app.services.db.query<{ external_ref: string; n: number }>(
      `SELECT external_ref, count(*)::int AS n FROM transactions WHERE meter_no = $1 AND type = 'payment'
        GROUP BY external_ref`,
      [payer.meterNo],
    );
    expect(rows).toHaveLength(GENUINE + 1);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const { rows: meter } = await t.app.services.db.query<{ credit_limit_mwh: number; e0_mwh: number }>(
      `SELECT credit_limit_mwh, e0_mwh FROM meters WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(meter[0]!.credit_limit_mwh - meter[0]!.e0_mwh).toBe(mwhForKes(10) * (GENUINE + 1));
    const { rows: intents } = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payment_intents WHERE meter_no = $1 AND status = 'succeeded'`,
      [payer.meterNo],
    );
    expect(intents[0]!.n).toBe(GENUINE + 1);
    // The evidence is kept: the odd callback is stored, its NUL written out visibly.
    const [stored] = await storedBodies([odd.checkoutRequestId]);
    expect(stored!.body.Body.stkCallback.ResultDesc).toBe(
      'The service request is processed\\u0000successfully.',
    );
  });

  it('a NUL in the CheckoutRequestID is kept for review (an orphan), and the callbacks with it are credited', async () => {
    const payer = await newPayer(t);
    const genuine = await prompts(payer.meterNo, payer.userId, 9, 10);
    const junk = structuredClone(genuine[0]!.body);
    junk.Body.stkCallback.CheckoutRequestID = `ws_CO_\u0000${Date.now()}`;
    const bodies = [...genuine.slice(0, 5).map((g) => g.body), junk, ...genuine.slice(5).map((g) => g.body)];
    const answers = await Promise.all(bodies.map((b) => post(callbackUrl(t), b)));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
    const { rows } = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions WHERE meter_no = $1 AND type = 'payment'`,
      [payer.meterNo],
    );
    expect(rows[0]!.n).toBe(9);
    const { rows: kept } = await t.app.services.db.query<{ outcome: string }>(
      `SELECT outcome FROM daraja_callbacks WHERE checkout_request_id = $1`,
      [junk.Body.stkCallback.CheckoutRequestID.replace('\u0000', '\\u0000')],
    );
    expect(kept.map((k) => k.outcome)).toEqual(['orphan']);
  });

  it('a callback the group statement cannot store fails alone: the others in its group are stored and credited once', async () => {
    const payer = await newPayer(t);
    const genuine = await prompts(payer.meterNo, payer.userId, GENUINE, 10);
    // A ResultCode past PostgreSQL's integer range: valid JSON, valid to the schema, unstorable.
    const unstorable = structuredClone(genuine[0]!.body);
    unstorable.Body.stkCallback.CheckoutRequestID = `ws_CO_unstorable_${Date.now()}`;
    unstorable.Body.stkCallback.ResultCode = 2 ** 33;
    delete unstorable.Body.stkCallback.CallbackMetadata;
    const bodies = genuine.map((g) => g.body);
    bodies.splice(GENUINE / 2, 0, unstorable);
    const answers = await Promise.all(bodies.map((b) => post(callbackUrl(t), b)));
    const odd = answers.splice(GENUINE / 2, 1)[0]!;
    expect(odd.status).toBe(500);
    expect(answers.map((a) => a.status)).toEqual(genuine.map(() => 200));
    const { rows } = await t.app.services.db.query<{ external_ref: string; n: number }>(
      `SELECT external_ref, count(*)::int AS n FROM transactions WHERE meter_no = $1 AND type = 'payment'
        GROUP BY external_ref`,
      [payer.meterNo],
    );
    expect(rows).toHaveLength(GENUINE);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(await storedBodies(genuine.map((g) => g.checkoutRequestId))).toHaveLength(GENUINE);
  });
});
