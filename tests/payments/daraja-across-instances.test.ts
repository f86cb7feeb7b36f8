// Protects issue 16 §3: instances share one Daraja OAuth token, a rate-limit answer means "not sent", and the throttle holds its rate.
import { randomBytes } from 'node:crypto';
import { createDarajaEmulator, type DarajaEmulator } from '@umeme/daraja';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../packages/server/src/config';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { scratchDatabase } from '../helpers/scratch-db';
import { creditsOf, emulatorOf, newPayer, startPaymentsApp, stkPush, waitForIntent } from './helpers';

const DATABASE_URL = process.env.DATABASE_URL;
const PUSH_PATH = '/mpesa/stkpush/v1/processrequest';
const QUERY_PATH = '/mpesa/stkpushquery/v1/query';

/** The most arrivals on `path` inside any one second (a count over the emulator's log). */
function maxPerSecond(emulator: DarajaEmulator, path: string): number {
  const times = emulator.arrivals.filter((a) => a.path === path).map((a) => a.atMs);
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= 1000) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe.skipIf(!DATABASE_URL)('one Daraja token for two instances on one PostgreSQL database', () => {
  let db: { url: string; drop: () => Promise<void> };
  let emulator: DarajaEmulator;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    db = await scratchDatabase(DATABASE_URL!, 'umeme_daraja');
    const defaults = testConfig();
    const credentials = {
      consumerKey: `key${randomBytes(4).toString('hex')}`,
      consumerSecret: randomBytes(16).toString('base64url'),
    };
    emulator = createDarajaEmulator({
      ...credentials,
      shortCode: defaults.DARAJA_SHORTCODE,
      passkey: defaults.DARAJA_PASSKEY,
      defaultDelayMs: 30,
    });
    const url = await emulator.listen({ port: 0, host: '127.0.0.1' });
    // Safaricom's Daraja as far as the servers know: credentials and a base URL, one for both.
    const settings = {
      DATABASE_URL: db.url,
      DARAJA_CONSUMER_KEY: credentials.consumerKey,
      DARAJA_CONSUMER_SECRET: credentials.consumerSecret,
      DARAJA_BASE_URL: url,
    };
    a = await startTestApp('pglite', settings);
    b = await startTestApp('pglite', settings);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await db?.drop();
  });

  it('two instances share one token: the emulator sees one token request, and a revoked token is replaced once for both', async () => {
    const before = emulator.calls.oauth;
    const tokens = await Promise.all([
      ...Array.from({ length: 10 }, () => a.app.daraja.client.getToken()),
      ...Array.from({ length: 10 }, () => b.app.daraja.client.getToken()),
    ]);
    expect(new Set(tokens).size).toBe(1);
    expect(emulator.calls.oauth - before).toBe(1);

    // A push from each instance goes through on the shared token (a second token would have
    // invalidated the first: the emulator keeps only the newest, as Daraja does).
    for (const t of [a, b]) {
      const payer = await newPayer(t);
      const res = await stkPush(t, payer, {
        phoneNumber: payer.phone.local,
        amount: 10,
        meterNo: payer.meterNo,
      });
      expect(res.status).toBe(202);
      await waitForIntent(t, payer, res.body.intentId, 'succeeded');
    }
    expect(emulator.calls.oauth - before).toBe(1);

    // Daraja revokes the token early: the first instance to meet that fetches a new one; the
    // other finds it in the database instead of fetching (and so invalidating) another.
    emulator.revokeTokens();
    for (const t of [a, b]) {
      const payer = await newPayer(t);
      const res = await stkPush(t, payer, {
        phoneNumber: payer.phone.local,
        amount: 10,
        meterNo: payer.meterNo,
      });
      expect(res.status).toBe(202);
    }
    expect(emulator.calls.oauth - before).toBe(2);
  });
});

describe('Daraja rate limits and the throttle', () => {
  let t: TestApp;
  // PGlite's start (WASM, migrations) alone has taken over a minute on the shared machine.
  beforeAll(async () => {
    t = await startPaymentsApp('pglite');
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('a spike-arrest answer means nothing was sent: the client backs off and sends the push once', async () => {
    const emulator = emulatorOf(t);
    const payer = await newPayer(t);
    const pushesBefore = emulator.calls.stkPushAccepted;
    emulator.rejectNext(1, 'spike_arrest');
    const res = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 20,
      meterNo: payer.meterNo,
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending');
    await waitForIntent(t, payer, res.body.intentId, 'succeeded');
    expect(emulator.calls.stkPushAccepted - pushesBefore).toBe(1);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(1);
  });

  it('spike arrests past the retries leave the intent failed and not sent (never unknown); a later retry sends it once', async () => {
    const emulator = emulatorOf(t);
    const payer = await newPayer(t);
    const pushesBefore = emulator.calls.stkPushAccepted;
    emulator.rejectNext(10, 'spike_arrest');
    const first = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 30,
      meterNo: payer.meterNo,
    });
    expect(first.status).toBe(502);
    expect(first.body.error).toBe('PAYMENT_PROVIDER_ERROR');
    emulator.rejectNext(0, 'spike_arrest');
    const { rows } = await t.app.services.db.query<{ status: string; checkout_request_id: string | null }>(
      `SELECT status, checkout_request_id FROM payment_intents WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(rows).toEqual([{ status: 'failed', checkout_request_id: null }]);
    expect(emulator.calls.stkPushAccepted - pushesBefore).toBe(0);

    const again = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 30,
      meterNo: payer.meterNo,
    });
    expect(again.status).toBe(202);
    await waitForIntent(t, payer, again.body.intentId, 'succeeded');
    expect(emulator.calls.stkPushAccepted - pushesBefore).toBe(1);
    expect((await creditsOf(t, payer.meterNo)).count).toBe(1);
  });

  it('a quota answer is not retried and is not "maybe sent"', async () => {
    const emulator = emulatorOf(t);
    const payer = await newPayer(t);
    const arrivalsBefore = emulator.arrivals.filter((x) => x.path === PUSH_PATH).length;
    emulator.rejectNext(1, 'quota');
    const res = await stkPush(t, payer, {
      phoneNumber: payer.phone.local,
      amount: 40,
      meterNo: payer.meterNo,
    });
    expect(res.status).toBe(502);
    expect(emulator.arrivals.filter((x) => x.path === PUSH_PATH).length - arrivalsBefore).toBe(1);
    const { rows } = await t.app.services.db.query<{ status: string }>(
      `SELECT status FROM payment_intents WHERE meter_no = $1`,
      [payer.meterNo],
    );
    expect(rows).toEqual([{ status: 'failed' }]);
  });

  it('the throttle holds DARAJA_MAX_REQUESTS_PER_S: twelve queries at four a second are spread over seconds, not sent at once', async () => {
    const limited = await startTestApp('pglite', { DARAJA_MAX_REQUESTS_PER_S: 4 });
    try {
      const emulator = limited.app.daraja.emulator!;
      const client = limited.app.daraja.client;
      await client.getToken();
      // Twelve queries at once: unthrottled they all land within a few milliseconds.
      const answers = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => client.stkQuery(`ws_CO_${Date.now()}${i}`)),
      );
      expect(answers).toHaveLength(12);
      await waitFor(() => emulator.arrivals.filter((x) => x.path === QUERY_PATH).length >= 12, 'every query');
      expect(emulator.arrivals.filter((x) => x.path === QUERY_PATH)).toHaveLength(12);
      // Four a second: the throttle sends each a quarter second after the last, so twelve span
      // at least 2.75 s. Unthrottled they span a few milliseconds. Slowness only stretches the
      // span; a stall can bunch arrivals (so no per-second count is asserted) and, at the very
      // first one, shorten it by its length: the bound leaves most of the span for that.
      const times = emulator.arrivals.filter((x) => x.path === QUERY_PATH).map((x) => x.atMs);
      console.info(
        `throttled queries: span ${times.at(-1)! - times[0]!} ms, most in one second ${maxPerSecond(emulator, QUERY_PATH)}`,
      );
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1_500);
    } finally {
      await limited.close();
    }
  }, 180_000);
});
