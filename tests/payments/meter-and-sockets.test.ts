// Protects what a payment does outside the database: the meter's relay closes within one round trip (online or on reconnect), the payer's sockets hear payment_success or payment_failed and the server's relay decision, and an unanswered prompt resolves about when it expires.
import { RESULT_CODE_REASONS } from '@umeme/daraja';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsMeter, databases, waitFor, type TestApp } from '../helpers/app';
import { connected, openSocket } from '../helpers/sockets';
import {
  emulatedPush,
  emulatorOf,
  newPayer,
  pay,
  startPaymentsApp,
  waitForIntent,
  type Payer,
} from './helpers';

/** The firmware's credit rule (docs/design.md §3): the relay is closed iff E < C (no emergency credit here). */
const relayClosed = (energyKwh: number, creditLimitKwh: number) => energyKwh < creditLimitKwh;

interface WatchedMeter {
  client: MqttClient;
  /** every command/balance received, with its arrival time */
  limits: { creditLimitKwh: number; atMs: number }[];
}

async function watchMeter(t: TestApp, payer: Payer): Promise<WatchedMeter> {
  const client = await connectAsMeter(t.mqttUrl, payer, { clean: true });
  const limits: WatchedMeter['limits'] = [];
  client.on('message', (_topic, payload) => {
    if (payload.length === 0) return;
    limits.push({
      creditLimitKwh: (JSON.parse(payload.toString()) as { creditLimit: number }).creditLimit,
      atMs: Date.now(),
    });
  });
  await client.subscribeAsync(`smartmeter/${payer.meterNo}/command/balance`, { qos: 1 });
  return { client, limits };
}

const PROMPT_TIMEOUT_S = 2;

describe.each(databases)('payments reaching meters and browsers on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    // An unanswered prompt is queried PAYMENT_PENDING_TIMEOUT_S after it (65 s in production);
    // the interval is an hour, so only the wake-up each prompt schedules can resolve it here.
    t = await startPaymentsApp(db, {
      PAYMENT_PENDING_TIMEOUT_S: PROMPT_TIMEOUT_S,
      RECONCILE_INTERVAL_S: 3600,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a payment at zero balance takes the meter from relay off to relay on within one round trip', async () => {
    const payer = await newPayer(t);
    const meter = await watchMeter(t, payer);
    try {
      await waitFor(() => meter.limits.length > 0, 'the retained credit limit');
      const energyKwh = 0;
      expect(relayClosed(energyKwh, meter.limits.at(-1)!.creditLimitKwh)).toBe(false);
      const push = await pay(t, payer, 100);
      await waitFor(
        () => meter.limits.some((l) => l.creditLimitKwh === 5),
        'command/balance after the payment',
      );
      const delivered = emulatedPush(t, push.checkoutRequestId!).callbacks[0];
      const arrived = meter.limits.find((l) => l.creditLimitKwh === 5)!;
      // The meter sent nothing: the server pushed the new limit as part of settling the callback
      // (how soon after is the payments benchmark's figure, not a test's).
      expect(delivered?.status).toBe(200);
      expect(relayClosed(energyKwh, arrived.creditLimitKwh)).toBe(true);
    } finally {
      await meter.client.endAsync();
    }
  });

  it('a meter offline during the payment turns on when it reconnects', async () => {
    const payer = await newPayer(t);
    const first = await watchMeter(t, payer);
    await waitFor(() => first.limits.length > 0, 'the retained credit limit');
    expect(relayClosed(0, first.limits.at(-1)!.creditLimitKwh)).toBe(false);
    await first.client.endAsync();
    const push = await pay(t, payer, 60);
    await waitForIntent(t, payer, push.intentId, 'succeeded');
    await t.app.services.publisher.idle();
    const again = await watchMeter(t, payer);
    try {
      await waitFor(() => again.limits.length > 0, 'the retained credit limit on reconnect');
      expect(again.limits[0]!.creditLimitKwh).toBe(3);
      expect(relayClosed(0, again.limits[0]!.creditLimitKwh)).toBe(true);
    } finally {
      await again.client.endAsync();
    }
  });

  it('the payer’s socket hears payment_success for a paid prompt and payment_failed with the reason for a cancelled one', async () => {
    const payer = await newPayer(t);
    const socket = openSocket(t.url, payer.token);
    try {
      await connected(socket);
      await waitFor(() => socket.of('balance_initial').length > 0, 'balance_initial');
      const paid = await pay(t, payer, 40);
      const intent = await waitForIntent(t, payer, paid.intentId, 'succeeded');
      await waitFor(() => socket.of('payment_success').length > 0, 'payment_success');
      expect(socket.of('payment_success')[0]).toMatchObject({
        transactionId: intent.transactionId,
        amount: 40,
        meterNo: payer.meterNo,
      });

      emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 1032, delayMs: 10 });
      const cancelled = await pay(t, payer, 40);
      await waitFor(() => socket.of('payment_failed').length > 0, 'payment_failed');
      expect(socket.of('payment_failed')[0]).toEqual({
        transactionId: cancelled.intentId,
        reason: 'Payment cancelled on the phone',
        meterNo: payer.meterNo,
      });
    } finally {
      socket.close();
    }
  });

  it('balance_updated carries the server’s relay decision: on at once after a payment, off with the operator’s reason after a disconnect', async () => {
    // The meter never connects, so never reports a relay: like a legacy meter, only the server's decision can say.
    const payer = await newPayer(t);
    const socket = openSocket(t.url, payer.token);
    try {
      await connected(socket);
      await waitFor(() => socket.of('balance_initial').length > 0, 'balance_initial');
      const initial = socket.of('balance_initial')[0] as { meters: { supply?: unknown }[] };
      expect(initial.meters[0]?.supply).toEqual({
        relay: 'off',
        reason: 'no_credit',
        operatorReason: null,
        debt: 0,
      });

      const paid = await pay(t, payer, 40);
      await waitForIntent(t, payer, paid.intentId, 'succeeded');
      const updates = () => socket.of('balance_updated') as { transactionType: string; supply?: unknown }[];
      await waitFor(
        () => updates().some((u) => u.transactionType === 'payment'),
        'the payment’s balance_updated',
      );
      expect(updates().find((u) => u.transactionType === 'payment')?.supply).toEqual({
        relay: 'on',
        reason: 'credit',
        operatorReason: null,
        debt: 0,
      });

      const cut = await t.api(
        'POST',
        `/api/admin/meters/${payer.meterNo}/relay`,
        { action: 'disconnect', reason: 'Meter inspection on Tuesday' },
        t.adminToken,
      );
      expect(cut.status).toBe(201);
      const disconnected = {
        relay: 'off',
        reason: 'override_disconnect',
        operatorReason: 'Meter inspection on Tuesday',
        debt: 0,
      };
      await waitFor(
        () => updates().some((u) => JSON.stringify(u.supply) === JSON.stringify(disconnected)),
        'the disconnect’s balance_updated',
      );
      const meter = await t.api<{ supply: unknown }>(
        'GET',
        `/api/meters/${payer.meterNo}`,
        undefined,
        payer.token,
      );
      expect(meter.body.supply).toEqual(disconnected);
    } finally {
      socket.close();
    }
  });

  it('an unanswered prompt is resolved by STK Query once PAYMENT_PENDING_TIMEOUT_S passes, without waiting for the reconciliation interval', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 1037, delayMs: 10 });
    const push = await pay(t, payer, 100);
    const failed = await waitForIntent(t, payer, push.intentId, 'failed', 15_000);
    expect(failed).toMatchObject({ resultCode: 1037, reason: RESULT_CODE_REASONS[1037] });
  });

  it('another customer’s socket hears nothing of the payment', async () => {
    const payer = await newPayer(t);
    const stranger = await newPayer(t);
    const socket = openSocket(t.url, stranger.token);
    try {
      await connected(socket);
      emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 2001, delayMs: 10 });
      const failed = await pay(t, payer, 40);
      await waitForIntent(t, payer, failed.intentId, 'failed');
      emulatorOf(t).clearOutcome(payer.phone.local);
      const paid = await pay(t, payer, 40);
      await waitForIntent(t, payer, paid.intentId, 'succeeded');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(socket.of('payment_success')).toEqual([]);
      expect(socket.of('payment_failed')).toEqual([]);
    } finally {
      socket.close();
    }
  });
});
