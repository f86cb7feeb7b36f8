// Protects POST /daraja/stkpush: ownership, input bounds, PAY-3 (one prompt per Idempotency-Key), SEC-5 (limits per phone and per meter) and push errors.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { DarajaClient } from '@umeme/daraja';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, type TestApp } from '../helpers/app';
import {
  emulatorOf,
  intentOf,
  newPayer,
  newPhone,
  pay,
  startPaymentsApp,
  stkPush,
  waitForIntent,
} from './helpers';

describe.each(databases)('STK push on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp(db, { STK_PUSH_MAX_PER_PHONE: 3, STK_PUSH_MAX_PER_METER: 4 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const intentsOf = async (meterNo: string) =>
    (
      await t.app.services.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM payment_intents WHERE meter_no = $1`,
        [meterNo],
      )
    ).rows[0]!.n;

  it('answers 202 with the intent, prompts the phone in 2547… form, and names the meter as AccountReference', async () => {
    const payer = await newPayer(t);
    const res = await stkPush(t, payer, {
      phoneNumber: `+254 ${payer.phone.local.slice(1, 4)} ${payer.phone.local.slice(4)}`,
      amount: 150,
      meterNo: payer.meterNo,
    });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body).sort()).toEqual([
      'checkoutRequestId',
      'customerMessage',
      'intentId',
      'status',
    ]);
    expect(res.body.status).toBe('pending');
    const emulated = emulatorOf(t).transactions.get(res.body.checkoutRequestId!)!;
    expect(emulated).toMatchObject({
      phoneNumber: payer.phone.msisdn,
      amountKes: 150,
      accountReference: payer.meterNo,
    });
    await waitForIntent(t, payer, res.body.intentId, 'succeeded');
  });

  it('answers 404 for another customer’s meter exactly as for a missing one, and prompts nobody', async () => {
    const payer = await newPayer(t);
    const other = await newPayer(t);
    const pushesBefore = emulatorOf(t).calls.stkPushAccepted;
    const theirs = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 50,
      meterNo: other.meterNo,
    });
    const missing = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 50,
      meterNo: 'NOPE404',
    });
    expect(theirs.status).toBe(404);
    expect(theirs).toEqual(missing);
    expect(emulatorOf(t).calls.stkPushAccepted).toBe(pushesBefore);
    expect(await intentsOf(other.meterNo)).toBe(0);
  });

  it.each([
    ['an amount below the minimum', { amount: 5 }],
    ['an amount above Daraja’s ceiling', { amount: 250_001 }],
    ['cents', { amount: 10.5 }],
    ['a text amount', { amount: '100' }],
    ['a landline', { phoneNumber: '0202345678' }],
    ['a foreign number', { phoneNumber: '+255712345678' }],
    ['a meter number that is not one', { meterNo: 'DROP TABLE;' }],
  ])('refuses %s with 400 and prompts nobody', async (_name, patch) => {
    const payer = await newPayer(t);
    const pushesBefore = emulatorOf(t).calls.stkPushAccepted;
    const res = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 100,
      meterNo: payer.meterNo,
      ...patch,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'BAD_REQUEST' });
    expect(emulatorOf(t).calls.stkPushAccepted).toBe(pushesBefore);
    expect(await intentsOf(payer.meterNo)).toBe(0);
  });

  it('PAY-3: 50 concurrent retries with one Idempotency-Key send one prompt and get identical answers', async () => {
    const payer = await newPayer(t);
    emulatorOf(t).setOutcome(payer.phone.local, { resultCode: 0, delayMs: 2_000 });
    const pushesBefore = emulatorOf(t).calls.stkPushAccepted;
    const key = `buy-${randomUUID()}`;
    const body = { phoneNumber: payer.phone.local, amount: 100, meterNo: payer.meterNo };
    const answers = await Promise.all(Array.from({ length: 50 }, () => stkPush(t, payer, body, key)));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 202));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(emulatorOf(t).calls.stkPushAccepted - pushesBefore).toBe(1);
    expect(await intentsOf(payer.meterNo)).toBe(1);
    // A retry after the payment went through still gets the first answer, and no new prompt.
    await waitForIntent(t, payer, answers[0]!.body.intentId, 'succeeded');
    const late = await stkPush(t, payer, body, key);
    expect(late).toEqual(answers[0]);
    expect(emulatorOf(t).calls.stkPushAccepted - pushesBefore).toBe(1);
  });

  it('PAY-3: the same Idempotency-Key with another body is refused with 409 and prompts nobody', async () => {
    const payer = await newPayer(t);
    const key = `buy-${randomUUID()}`;
    const first = await stkPush(
      t,
      payer,
      { phoneNumber: payer.phone.local, amount: 100, meterNo: payer.meterNo },
      key,
    );
    expect(first.status).toBe(202);
    const pushesBefore = emulatorOf(t).calls.stkPushAccepted;
    const other = await stkPush(
      t,
      payer,
      { phoneNumber: payer.phone.local, amount: 200, meterNo: payer.meterNo },
      key,
    );
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ error: 'IDEMPOTENCY_CONFLICT' });
    expect(emulatorOf(t).calls.stkPushAccepted).toBe(pushesBefore);
    expect(await intentsOf(payer.meterNo)).toBe(1);
  });

  it('PAY-3: keys belong to one customer: another customer’s identical key is a new request', async () => {
    const a = await newPayer(t);
    const b = await newPayer(t);
    const key = `shared-${randomUUID()}`;
    const ra = await stkPush(t, a, { phoneNumber: a.phone.local, amount: 20, meterNo: a.meterNo }, key);
    const rb = await stkPush(t, b, { phoneNumber: b.phone.local, amount: 20, meterNo: b.meterNo }, key);
    expect([ra.status, rb.status]).toEqual([202, 202]);
    expect(ra.body.intentId).not.toBe(rb.body.intentId);
  });

  it('SEC-5: a phone gets 429 after its limit of prompts, across meters, and nothing more is sent', async () => {
    const payers = [await newPayer(t), await newPayer(t)];
    // The first payer's own phone (others may prompt a phone not theirs less often), one prompt
    // at a time: each is answered before the next.
    const phone = payers[0]!.phone;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const payer = payers[i % 2]!;
      const res = await stkPush(t, payer, {
        phoneNumber: phone.local,
        amount: 10 + i,
        meterNo: payer.meterNo,
      });
      statuses.push(res.status);
      if (res.status === 202) await waitForIntent(t, payer, res.body.intentId, 'succeeded');
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    const intents = await t.app.services.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payment_intents WHERE phone = $1`,
      [phone.msisdn],
    );
    expect(intents.rows[0]!.n).toBe(3);
  });

  it('SEC-5: a meter gets 429 after its limit of prompts, whatever phones are used', async () => {
    const payer = await newPayer(t);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await stkPush(t, payer, {
        phoneNumber: newPhone().local,
        amount: 10,
        meterNo: payer.meterNo,
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body).toMatchObject({ error: 'RATE_LIMITED' });
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    expect(await intentsOf(payer.meterNo)).toBe(4);
  });

  it('SEC-5: the meter limit holds under a concurrent burst', async () => {
    const payer = await newPayer(t);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        stkPush(t, payer, { phoneNumber: newPhone().local, amount: 10, meterNo: payer.meterNo }),
      ),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(4);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(8);
    expect(await intentsOf(payer.meterNo)).toBe(4);
  });

  it('GET /daraja/intents/:id shows the intent to its owner only', async () => {
    const payer = await newPayer(t);
    const other = await newPayer(t);
    const push = await pay(t, payer, 30);
    expect((await intentOf(t, payer, push.intentId)).intentId).toBe(push.intentId);
    const theirs = await t.api('GET', `/daraja/intents/${push.intentId}`, undefined, other.token);
    const missing = await t.api('GET', `/daraja/intents/${randomUUID()}`, undefined, other.token);
    expect(theirs.status).toBe(404);
    expect(theirs).toEqual(missing);
    const admin = await t.api<{ intentId: string; phone: string }>(
      'GET',
      `/daraja/intents/${push.intentId}`,
      undefined,
      t.adminToken,
    );
    expect(admin.status).toBe(200);
    expect(admin.body.phone).not.toContain(payer.phone.msisdn.slice(4, 8));
  });
});

describe('STK push when Daraja misbehaves', () => {
  let t: TestApp;
  let daraja: Awaited<ReturnType<typeof startBrokenDaraja>>;
  beforeAll(async () => {
    t = await startPaymentsApp('pglite');
    daraja = await startBrokenDaraja();
  });
  afterAll(async () => {
    await t?.close();
    await daraja?.close();
  });

  /** Sends the app's pushes to a Daraja stand-in that fails in the given way, through a real client. */
  async function withDaraja(mode: 'hang' | 'gateway_503' | 'refuse_400', run: () => Promise<void>) {
    daraja.mode = mode;
    const broken = new DarajaClient({
      baseUrl: daraja.url,
      consumerKey: 'k',
      consumerSecret: 's',
      shortCode: '174379',
      passkey: 'p',
      logger: t.app.logger,
      timeoutMs: 300,
      retries: 1,
      retryBaseDelayMs: 1,
    });
    const client = t.app.daraja.client;
    const original = client.stkPush.bind(client);
    client.stkPush = (input) => broken.stkPush(input);
    try {
      await run();
    } finally {
      client.stkPush = original;
    }
  }

  it('a push that may have reached M-Pesa (no answer in time) is kept unknown, not failed, and not sent twice', async () => {
    const payer = await newPayer(t);
    await withDaraja('hang', async () => {
      const res = await stkPush(t, payer, {
        phoneNumber: payer.phone.local,
        amount: 100,
        meterNo: payer.meterNo,
      });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'unknown', checkoutRequestId: null });
      expect(daraja.pushes).toBe(1);
      expect((await intentOf(t, payer, res.body.intentId)).status).toBe('unknown');
    });
  });

  it('a gateway 5xx after sending is also kept unknown', async () => {
    const payer = await newPayer(t);
    await withDaraja('gateway_503', async () => {
      const before = daraja.pushes;
      const res = await stkPush(t, payer, {
        phoneNumber: payer.phone.local,
        amount: 100,
        meterNo: payer.meterNo,
      });
      expect(res.body).toMatchObject({ status: 'unknown' });
      expect(daraja.pushes - before).toBe(1);
    });
  });

  it('a push M-Pesa refuses marks the intent failed with a readable reason and answers 400', async () => {
    const payer = await newPayer(t);
    const failed: string[] = [];
    const listener = (e: { intentId: string }) => failed.push(e.intentId);
    t.app.bus.on('payment_failed', listener);
    await withDaraja('refuse_400', async () => {
      const res = await stkPush(t, payer, {
        phoneNumber: payer.phone.local,
        amount: 100,
        meterNo: payer.meterNo,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'PAYMENT_REJECTED',
        message: 'M-Pesa refused the payment request: Bad Request - Invalid PhoneNumber',
      });
      const { rows } = await t.app.services.db.query<{ id: string; status: string; reason: string }>(
        `SELECT id, status, reason FROM payment_intents WHERE meter_no = $1`,
        [payer.meterNo],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'failed' });
      expect(failed).toContain(rows[0]!.id);
    });
    t.app.bus.off('payment_failed', listener);
  });

  it('a Daraja that cannot be reached answers 502 and the intent fails', async () => {
    const payer = await newPayer(t);
    const client = t.app.daraja.client;
    const original = client.stkPush.bind(client);
    // A port that was just free: the connection is refused, so nothing can have been sent.
    const closed = Fastify();
    const closedUrl = await closed.listen({ port: 0, host: '127.0.0.1' });
    await closed.close();
    const unreachable = new DarajaClient({
      baseUrl: closedUrl,
      consumerKey: 'k',
      consumerSecret: 's',
      shortCode: '174379',
      passkey: 'p',
      logger: t.app.logger,
      retries: 0,
    });
    client.stkPush = (input) => unreachable.stkPush(input);
    try {
      const res = await stkPush(t, payer, {
        phoneNumber: payer.phone.local,
        amount: 100,
        meterNo: payer.meterNo,
      });
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ error: 'PAYMENT_PROVIDER_ERROR' });
      const { rows } = await t.app.services.db.query<{ status: string }>(
        `SELECT status FROM payment_intents WHERE meter_no = $1`,
        [payer.meterNo],
      );
      expect(rows).toEqual([{ status: 'failed' }]);
    } finally {
      client.stkPush = original;
    }
  });
});

/** A Daraja stand-in over real HTTP: OAuth works, STK push fails the way it is told to. */
async function startBrokenDaraja() {
  const app = Fastify({ logger: false });
  const state = { mode: 'hang' as 'hang' | 'gateway_503' | 'refuse_400', pushes: 0 };
  app.get('/oauth/v1/generate', async () => ({ access_token: 'broken-daraja-token', expires_in: '3599' }));
  app.post('/mpesa/stkpush/v1/processrequest', async (_req, reply) => {
    state.pushes += 1;
    if (state.mode === 'hang') {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return reply.code(200).send({});
    }
    if (state.mode === 'gateway_503') return reply.code(503).send('Service Unavailable');
    return reply.code(400).send({
      requestId: '1-2-3',
      errorCode: '400.002.02',
      errorMessage: 'Bad Request - Invalid PhoneNumber',
    });
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return Object.assign(state, { url, close: () => app.close() });
}
