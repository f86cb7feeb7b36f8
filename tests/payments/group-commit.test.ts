// Protects group commit of STK success callbacks: many callbacks for the same meters settled
// together in one transaction credit exactly what settling them one after another would
// (inclining blocks, the month's standing charge), keep C = E0 + Σ ledger with the ledger in
// order, and leave anything unusual in the batch (a duplicate, a mismatched amount) to the
// single path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotePurchase, type Tariff } from '../../packages/core/src/index';
import { lockMeter } from '../../packages/server/src/credit/credit.sql';
import { tariffPricing } from '../../packages/server/src/credit/pricing';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { databases, startTestApp, waitFor, type TestApp } from '../helpers/app';
import { callbackUrl, heldPrompts, newPayer, post } from './helpers';

/** Blocks small enough that a few purchases cross them, and a standing charge at the month's first. */
const BLOCKS: Tariff = {
  id: 'group-commit-test',
  name: 'Inclining blocks (test)',
  effectiveFrom: '2024-01-01',
  blocks: [
    { upToKwh: 3, energyRateCentsPerKwh: 1000, label: 'Lifeline 0–3 kWh' },
    { upToKwh: 8, energyRateCentsPerKwh: 2000, label: '3–8 kWh' },
    { upToKwh: null, energyRateCentsPerKwh: 3000, label: 'Above 8 kWh' },
  ],
  passThroughCentsPerKwh: [],
  levies: [],
  vat: { basisPoints: 1600, appliesTo: ['energy'] },
  standingChargeCents: 2500,
};

describe.each(databases)('group commit of STK callbacks on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      db,
      // Every confirmed success goes through the batch (the default), in groups of up to 64.
      { DARAJA_EMULATOR_DELAY_MS: 0, PAYMENT_SETTLE_SINGLE_MAX: 0, PAYMENT_SETTLE_BATCH_MAX: 64 },
      { pricing: tariffPricing([BLOCKS]) },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Intents whose callbacks the emulator never sends: the test delivers them, all at once. */
  const prompts = (meterNo: string, userId: string, amountsKes: number[], queryDelayMs = 0) =>
    heldPrompts(t, meterNo, userId, amountsKes, queryDelayMs);

  async function batchSizes(): Promise<{ count: number; sum: number }> {
    const metric = await t.app.metrics.registry.getSingleMetric('umeme_payment_settle_batch_size')!.get();
    const named = metric.values as { metricName?: string; value: number }[];
    const count = named.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const sum = named.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    return { count, sum };
  }

  it('settles many payments for a few meters together, crediting exactly what one after another would', async () => {
    const before = await batchSizes();
    const payers = await Promise.all([newPayer(t), newPayer(t), newPayer(t)]);
    const amounts = [50, 20, 120, 35, 80, 10, 60, 45];
    const all = (await Promise.all(payers.map((p) => prompts(p.meterNo, p.userId, amounts)))).flat();
    const answers = await Promise.all(all.map((p) => post(callbackUrl(t), p.body)));
    expect(answers.every((a) => a.status === 200)).toBe(true);

    for (const payer of payers) {
      const { rows: ledger } = await t.app.services.db.query<{
        energy_mwh: number;
        amount_cents: number;
        credit_limit_after_mwh: number;
        receipt: { lines: { amountCents: number }[] };
      }>(
        `SELECT l.energy_mwh, l.amount_cents, l.credit_limit_after_mwh, t.receipt
           FROM ledger_entries l JOIN transactions t ON t.id = l.transaction_id
          WHERE l.meter_no = $1 ORDER BY l.id`,
        [payer.meterNo],
      );
      expect(ledger).toHaveLength(amounts.length);
      // Replay in ledger order with the tariff engine alone: each purchase sees the month so far.
      const { rows } = await t.app.services.db.query<{
        e0_mwh: number;
        credit_limit_mwh: number;
        event_seq: number;
      }>(`SELECT e0_mwh, credit_limit_mwh, event_seq FROM meters WHERE meter_no = $1`, [payer.meterNo]);
      const meter = rows[0]!;
      let c = meter.e0_mwh;
      let monthMwh = 0;
      ledger.forEach((entry, i) => {
        const quote = quotePurchase({
          tariff: BLOCKS,
          amountCents: entry.amount_cents,
          purchasedThisMonthMwh: monthMwh,
          standingChargeDue: i === 0,
          debtCents: 0,
        });
        expect(entry.energy_mwh).toBe(quote.energyMwh);
        expect(entry.receipt.lines.reduce((s, l) => s + l.amountCents, 0)).toBe(entry.amount_cents);
        monthMwh += quote.energyMwh;
        c += quote.energyMwh;
        expect(entry.credit_limit_after_mwh).toBe(c);
      });
      expect(meter.credit_limit_mwh).toBe(c);
      expect(ledger.map((l) => l.amount_cents).sort((a, b) => a - b)).toEqual(
        amounts.map((a) => a * 100).sort((a, b) => a - b),
      );
    }
    const { rows: intents } = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payment_intents WHERE checkout_request_id = ANY($1::text[]) AND status = 'succeeded'
          AND transaction_id IS NOT NULL`,
      [all.map((p) => p.checkoutRequestId)],
    );
    expect(intents[0]!.n).toBe(all.length);
    // On PostgreSQL the batch path did the work: some transaction settled several callbacks.
    // (PGlite runs one transaction at a time, so there callbacks always settle one by one, and
    // this checks that path.)
    if (db === 'postgres') {
      const after = await batchSizes();
      expect(after.sum - before.sum).toBeGreaterThan(after.count - before.count);
    }
  });

  /** Each CheckoutRequestID's stored callbacks: how many rows, and their outcomes. */
  async function storedOutcomes(checkoutRequestIds: string[]): Promise<Map<string, (string | null)[]>> {
    const { rows } = await t.app.services.db.query<{ checkout_request_id: string; outcome: string | null }>(
      `SELECT checkout_request_id, outcome FROM daraja_callbacks WHERE checkout_request_id = ANY($1::text[])
        ORDER BY id`,
      [checkoutRequestIds],
    );
    const out = new Map(checkoutRequestIds.map((id) => [id, [] as (string | null)[]]));
    for (const r of rows) out.get(r.checkout_request_id)!.push(r.outcome);
    return out;
  }

  it('a settle group that fails inside its transaction hands its callbacks to the single path: each credited once', async () => {
    const payer = await newPayer(t);
    const paid = await prompts(payer.meterNo, payer.userId, [11, 12, 13, 14, 15, 16, 17, 18]);
    let failed = 0;
    const failpoints = t.app.services.payments.service.failpoints;
    failpoints.inSettleGroup = () => {
      delete failpoints.inSettleGroup;
      failed += 1;
      throw new Error('injected failure inside a settle group');
    };
    try {
      const answers = await Promise.all(paid.map((p) => post(callbackUrl(t), p.body)));
      expect(answers.map((a) => a.status)).toEqual(paid.map(() => 200));
    } finally {
      delete failpoints.inSettleGroup;
    }
    // PGlite has no settle groups
    expect(failed).toBe(db === 'postgres' ? 1 : 0);
    // the failed group changed nothing: each callback is stored once and applied, and credited once
    const stored = await storedOutcomes(paid.map((p) => p.checkoutRequestId));
    expect([...stored.values()]).toEqual(paid.map(() => ['applied']));
    const { rows } = await t.app.services.db.query<{ external_ref: string; n: number }>(
      `SELECT external_ref, count(*)::int AS n FROM transactions WHERE meter_no = $1 GROUP BY external_ref`,
      [payer.meterNo],
    );
    expect(rows.map((r) => r.n)).toEqual(paid.map(() => 1));
  });

  it('leaves duplicates and a mismatched amount in a batch to the single path: one credit each, none for the mismatch', async () => {
    const payer = await newPayer(t);
    const [good, other, wrong] = await prompts(payer.meterNo, payer.userId, [30, 40, 25]);
    const mismatched = structuredClone(wrong!.body);
    const items = mismatched.Body.stkCallback.CallbackMetadata!.Item;
    items.find((i) => i.Name === 'Amount')!.Value = 2500;
    const deliveries = [
      ...Array.from({ length: 10 }, () => good!.body),
      ...Array.from({ length: 5 }, () => other!.body),
      mismatched,
    ];
    const answers = await Promise.all(deliveries.map((b) => post(callbackUrl(t), b)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const { rows } = await t.app.services.db.query<{ external_ref: string; n: number }>(
      `SELECT external_ref, count(*)::int AS n FROM transactions WHERE meter_no = $1 GROUP BY external_ref`,
      [payer.meterNo],
    );
    expect(rows.map((r) => r.n)).toEqual([1, 1]);
    const { rows: state } = await t.app.services.db.query<{ status: string; checkout_request_id: string }>(
      `SELECT status, checkout_request_id FROM payment_intents WHERE meter_no = $1`,
      [payer.meterNo],
    );
    const statusOf = new Map(state.map((s) => [s.checkout_request_id, s.status]));
    expect(statusOf.get(good!.checkoutRequestId)).toBe('succeeded');
    expect(statusOf.get(other!.checkoutRequestId)).toBe('succeeded');
    expect(statusOf.get(wrong!.checkoutRequestId)).not.toBe('succeeded');
    const { rows: outcomes } = await t.app.services.db.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM daraja_callbacks WHERE checkout_request_id = ANY($1::text[])
        GROUP BY outcome ORDER BY outcome`,
      [[good!.checkoutRequestId, other!.checkoutRequestId, wrong!.checkoutRequestId]],
    );
    expect(Object.fromEntries(outcomes.map((o) => [o.outcome, o.n]))).toEqual({
      applied: 2,
      duplicate: 13,
      mismatch: 1,
    });
  });

  it('stores callbacks arriving together in one statement, each under its own row, even copies of one CheckoutRequestID', async () => {
    const storeBatches = async () => {
      const metric = await t.app.metrics.registry
        .getSingleMetric('umeme_payment_callback_store_batch_size')!
        .get();
      const named = metric.values as { metricName?: string; value: number }[];
      return {
        count: named.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0,
        sum: named.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0,
      };
    };
    const before = await storeBatches();
    const payer = await newPayer(t);
    const [paid] = await prompts(payer.meterNo, payer.userId, [40]);
    // A forged copy: same CheckoutRequestID and receipt, another amount (PAY-2).
    const forged = structuredClone(paid!.body);
    forged.Body.stkCallback.CallbackMetadata!.Item.find((i) => i.Name === 'Amount')!.Value = 4000;
    const deliveries = Array.from({ length: 24 }, (_, i) => (i % 4 === 3 ? forged : paid!.body));
    const answers = await Promise.all(deliveries.map((b) => post(callbackUrl(t), b)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const { rows } = await t.app.services.db.query<{ amount: number; outcome: string | null }>(
      `SELECT (SELECT (item->>'Value')::int FROM jsonb_array_elements(body->'Body'->'stkCallback'->'CallbackMetadata'->'Item') item
                WHERE item->>'Name' = 'Amount') AS amount, outcome
         FROM daraja_callbacks WHERE checkout_request_id = $1`,
      [paid!.checkoutRequestId],
    );
    expect(rows).toHaveLength(24);
    expect(rows.filter((r) => r.amount === 4000)).toHaveLength(6);
    // Each stored row was settled by the delivery it belongs to: the one credit is a right-amount
    // row, and no forged row is applied or taken for a duplicate of the real one.
    expect(rows.filter((r) => r.outcome === 'applied').map((r) => r.amount)).toEqual([40]);
    expect(rows.filter((r) => r.amount === 4000).every((r) => r.outcome === 'mismatch')).toBe(true);
    const { rows: credits } = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(credits[0]!.n).toBe(1);
    if (db === 'postgres') {
      const after = await storeBatches();
      expect(after.sum - before.sum).toBeGreaterThan(after.count - before.count);
    }
  });

  it('a batch that meets a receipt already credited elsewhere credits the rest and refuses that one', async () => {
    const payer = await newPayer(t);
    const [a, b] = await prompts(payer.meterNo, payer.userId, [15, 15]);
    // Another credit of another amount already used b's M-Pesa receipt as its reference: b
    // must not credit (the same reference for the same meter and amount would be the same payment).
    const receiptB = b!.body.Body.stkCallback.CallbackMetadata!.Item.find(
      (i) => i.Name === 'MpesaReceiptNumber',
    )!.Value as string;
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: payer.meterNo,
      amountCents: 1400,
      source: 'simulate',
      type: 'payment',
      externalRef: `MPESA-${receiptB}`,
    });
    const answers = await Promise.all([a!.body, b!.body, a!.body].map((body) => post(callbackUrl(t), body)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const { rows } = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(rows[0]!.n).toBe(2);
    const { rows: intents } = await t.app.services.db.query<{ checkout_request_id: string; status: string }>(
      `SELECT checkout_request_id, status FROM payment_intents WHERE meter_no = $1`,
      [payer.meterNo],
    );
    const statusOf = new Map(intents.map((s) => [s.checkout_request_id, s.status]));
    expect(statusOf.get(a!.checkoutRequestId)).toBe('succeeded');
    expect(statusOf.get(b!.checkoutRequestId)).not.toBe('succeeded');
  });

  it('while STK Query answers slowly, a success is stored before its answer comes, then credited once', async () => {
    const payer = await newPayer(t);
    const [slow] = await prompts(payer.meterNo, payer.userId, [25], 5_000);
    const answer = post(callbackUrl(t), slow!.body);
    // Stored (not settled yet) while STK Query has not answered: the callback never waits
    // unstored for a slow answer.
    await waitFor(
      async () =>
        (await storedOutcomes([slow!.checkoutRequestId])).get(slow!.checkoutRequestId)!.length === 1,
      'the callback stored before STK Query answers',
      4_000,
    );
    expect((await storedOutcomes([slow!.checkoutRequestId])).get(slow!.checkoutRequestId)).toEqual([null]);
    expect(await answer).toEqual({ status: 200, body: expect.objectContaining({ ResultCode: 0 }) });
    expect((await storedOutcomes([slow!.checkoutRequestId])).get(slow!.checkoutRequestId)).toEqual([
      'applied',
    ]);
  });
});

describe.each(databases)('batch crediting equals crediting one by one, on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(db, {}, { pricing: tariffPricing([BLOCKS]) });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A meter 5 Wh past its credit, last switched on by friendly hours (not by an operator). */
  async function meterInFriendlyDebt(): Promise<string> {
    const { meterNo } = await t.newMeter({ openingCreditKwh: 0 });
    await t.app.services.db.query(`UPDATE meters SET energy_mwh = e0_mwh + 5000 WHERE meter_no = $1`, [
      meterNo,
    ]);
    await t.app.services.db.query(
      `INSERT INTO meter_commands (meter_no, kind, payload, status, reason, expires_at)
       VALUES ($1, 'relay', '{"action":"connect"}', 'acknowledged', 'friendly_hours', now() + interval '1 day')`,
      [meterNo],
    );
    return meterNo;
  }

  const request = (meterNo: string, amountKes: number) => ({
    meterNo,
    amountCents: amountKes * 100,
    source: 'mpesa_stk' as const,
    type: 'payment' as const,
    externalRef: `MPESA-${meterNo}-${amountKes}-${Math.random().toString(36).slice(2, 10)}`,
    phone: '254700000001',
  });

  it('receipts (friendly-hours line, blocks, standing charge), C and the ledger match', async () => {
    const single = await meterInFriendlyDebt();
    const batched = await meterInFriendlyDebt();
    const amounts = [100, 40, 250];
    const one: unknown[] = [];
    for (const kes of amounts) {
      const r = await t.app.services.credit.credit(SYSTEM, request(single, kes));
      one.push(r.receipt);
    }
    const credit = t.app.services.credit;
    const applied = await t.app.services.db.transaction(async (tx) => {
      const locked = await lockMeter(tx, batched);
      return credit.creditBatchWithin(
        tx,
        SYSTEM,
        amounts.map((kes) => request(batched, kes)),
        new Map([[batched, locked!]]),
      );
    });
    // several credits for one meter in one batch compound exactly as one after the other
    expect(applied.map((a) => (a.kind === 'applied' ? a.result.receipt : a.kind))).toEqual(one);
    expect((one[0] as { infoLines?: { code: string }[] }).infoLines).toEqual([
      expect.objectContaining({ code: 'friendly_hours_debt', energyMwh: 5_000 }),
    ]);
    const state = async (meterNo: string) =>
      (
        await t.app.services.db.query<{ c: number; seq: number; ledger: string }>(
          `SELECT m.credit_limit_mwh - m.e0_mwh AS c, m.event_seq AS seq,
                  (SELECT string_agg(energy_mwh || ':' || (credit_limit_after_mwh - m.e0_mwh), ',' ORDER BY id)
                     FROM ledger_entries WHERE meter_no = m.meter_no) AS ledger
             FROM meters m WHERE meter_no = $1`,
          [meterNo],
        )
      ).rows[0]!;
    expect(await state(batched)).toEqual(await state(single));
  });
});
