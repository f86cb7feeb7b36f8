// Protects PAY-5: a crash at each step of callback → credit → publish, then redelivery, leaves credits equal to confirmed payments and the meter with its credit limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentFailpoints } from '../../packages/server/src/payments/payments.service';
import { connectAsMeter, databases, waitFor, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  callbackUrl,
  creditsOf,
  emulatedPush,
  mwhForKes,
  newPayer,
  pay,
  post,
  startPaymentsApp,
  waitForIntent,
} from './helpers';

const STEPS: (keyof PaymentFailpoints)[] = [
  'afterCallbackPersisted',
  'afterCreditCommitted',
  'afterPublished',
];

describe.each(databases)('PAY-5 crash recovery on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db, { STK_PUSH_MAX_PER_PHONE: 50, STK_PUSH_MAX_PER_METER: 50 });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The next time the step is reached, it throws as a crash would; later times pass. */
  function crashOnceAt(step: keyof PaymentFailpoints): { crashed: () => boolean } {
    let crashed = false;
    t.app.services.payments.service.failpoints[step] = () => {
      delete t.app.services.payments.service.failpoints[step];
      crashed = true;
      throw new Error(`injected crash at ${step}`);
    };
    return { crashed: () => crashed };
  }

  async function confirmedPayments(meterNo: string): Promise<{ count: number; amountCents: number }> {
    const { rows } = await t.app.services.db.query<{ n: number; cents: number }>(
      `SELECT count(*)::int AS n, COALESCE(sum(amount_cents), 0)::bigint AS cents
         FROM payment_intents WHERE meter_no = $1 AND status = 'succeeded'`,
      [meterNo],
    );
    return { count: rows[0]!.n, amountCents: rows[0]!.cents };
  }

  it.each(STEPS)(
    'a crash at %s, then redelivery: credits equal confirmed payments and the meter gets its limit',
    async (step) => {
      const payer = await newPayer(t);
      const meter = await connectAsMeter(t.mqttUrl, payer, { clean: true });
      const limitsKwh: number[] = [];
      meter.on('message', (_topic, payload) => {
        if (payload.length > 0)
          limitsKwh.push((JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit);
      });
      await meter.subscribeAsync(`smartmeter/${payer.meterNo}/command/balance`, { qos: 1 });
      try {
        const crash = crashOnceAt(step);
        const push = await pay(t, payer, 100);
        await waitFor(() => crash.crashed(), `the crash at ${step}`);
        await waitFor(
          () => emulatedPush(t, push.checkoutRequestId!).callbacks.length === 1,
          'the first delivery answered',
        );
        // The crashed delivery was not acknowledged: Daraja (or an operator) delivers again.
        expect(emulatedPush(t, push.checkoutRequestId!).callbacks[0]!.status).toBe(500);
        const { rows } = await t.app.services.db.query<{ body: unknown }>(
          `SELECT body FROM daraja_callbacks WHERE checkout_request_id = $1 ORDER BY id LIMIT 1`,
          [push.checkoutRequestId],
        );
        expect(rows).toHaveLength(1);
        expect(await post(callbackUrl(t), rows[0]!.body)).toEqual({ status: 200, body: ACCEPTED });
        await waitForIntent(t, payer, push.intentId, 'succeeded');

        const credits = await creditsOf(t, payer.meterNo);
        expect(credits.count).toBe(1);
        expect(credits).toMatchObject(await confirmedPayments(payer.meterNo));
        expect(credits.creditLimitMwh).toBe(mwhForKes(100));
        expect(credits.e0Mwh + credits.ledgerMwh).toBe(credits.creditLimitMwh);
        await waitFor(() => limitsKwh.includes(5), 'command/balance with the paid credit limit');
      } finally {
        await meter.endAsync();
      }
    },
  );

  it('a crash after persisting, never redelivered, is settled by reconciliation from the stored callback', async () => {
    const payer = await newPayer(t);
    const crash = crashOnceAt('afterCallbackPersisted');
    const push = await pay(t, payer, 40);
    await waitFor(() => crash.crashed(), 'the crash');
    expect((await creditsOf(t, payer.meterNo)).count).toBe(0);
    // Stored callbacks are settled again once they are a few seconds old.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const report = await t.app.services.payments.reconciler.runOnce();
    expect(report.callbacksSettled).toBeGreaterThanOrEqual(1);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 1, creditLimitMwh: mwhForKes(40) });
  });

  it('ten payments with a crash at a random step each: credits equal confirmed payments', async () => {
    const payer = await newPayer(t);
    const seed = Date.now() % 1000;
    for (let i = 0; i < 10; i++) {
      const step = STEPS[(seed + i * 7) % STEPS.length]!;
      const crash = crashOnceAt(step);
      const push = await pay(t, payer, 10 + i);
      await waitFor(() => crash.crashed(), `crash ${i} at ${step} (seed ${seed})`);
      await waitFor(() => emulatedPush(t, push.checkoutRequestId!).callbacks.length === 1, 'first delivery');
      const { rows } = await t.app.services.db.query<{ body: unknown }>(
        `SELECT body FROM daraja_callbacks WHERE checkout_request_id = $1 ORDER BY id LIMIT 1`,
        [push.checkoutRequestId],
      );
      expect((await post(callbackUrl(t), rows[0]!.body)).status).toBe(200);
      const credits = await creditsOf(t, payer.meterNo);
      expect(credits, `seed ${seed}, payment ${i}, step ${step}`).toMatchObject(
        await confirmedPayments(payer.meterNo),
      );
      expect(credits.count).toBe(i + 1);
    }
    const total = Array.from({ length: 10 }, (_, i) => 10 + i).reduce((a, b) => a + b, 0);
    expect(await creditsOf(t, payer.meterNo)).toMatchObject({ count: 10, amountCents: total * 100 });
  });
});
