/**
 * Web push (issue 18 §4) over real HTTP: customers subscribe their browsers, the server sends
 * notices to a push service on loopback (VAPID-signed, encrypted for the subscription's keys),
 * which decrypts them as the browser would. Subscriptions are checked for their caller and for
 * where they point; a push service's 410 removes one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { PushServiceEmulator, type TestSubscription } from '../helpers/push-service';
import { newPayer, pay, waitForIntent, type Payer } from '../payments/helpers';

let t: TestApp;
let pushService: PushServiceEmulator;

beforeAll(async () => {
  pushService = await new PushServiceEmulator().start();
  t = await startTestApp(
    'pglite',
    {
      DARAJA_EMULATOR_DELAY_MS: 30,
      PUSH_ENDPOINT_HOSTS: [pushService.url, 'fcm.googleapis.com'],
      VAPID_SUBJECT: 'mailto:ops@umeme.test',
    },
    { pushAgent: pushService.agent! },
  );
}, 120_000);

afterAll(async () => {
  await t?.close();
  await pushService?.close();
});

const subscribe = (payer: Pick<Payer, 'token'>, sub: TestSubscription, extra: Record<string, unknown> = {}) =>
  t.api<Record<string, unknown>>(
    'POST',
    '/api/push/subscriptions',
    { endpoint: sub.endpoint, keys: sub.keys, ...extra },
    payer.token,
  );

/** Takes `kwh` off the meter's credit as an operator adjustment would: opens low balance at < 2 kWh. */
const takeBack = async (meterNo: string, kwh: number) => {
  const r = await t.api(
    'POST',
    `/api/admin/meters/${meterNo}/adjustments`,
    { energyKwh: -kwh, reason: 'push test: meter read back' },
    t.adminToken,
  );
  expect(r.status).toBe(201);
};

describe('web push', () => {
  it('gives the VAPID key to a signed-in customer only, and keeps it across restarts (in the database)', async () => {
    expect((await t.api('GET', '/api/push/config')).status).toBe(401);
    const payer = await newPayer(t);
    const config = await t.api<{ publicKey: string; kinds: string[] }>(
      'GET',
      '/api/push/config',
      undefined,
      payer.token,
    );
    expect(config.status).toBe(200);
    expect(config.body.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(config.body.kinds).toContain('low_balance');
    const { rows } = await t.app.services.db.query<{ value: string }>(
      `SELECT value FROM settings WHERE key = 'vapid_keys'`,
    );
    expect(JSON.parse(rows[0]!.value)).toMatchObject({ publicKey: config.body.publicKey });
  });

  it('refuses endpoints off the allowed push services, foreign keys and other customers’ subscriptions', async () => {
    const payer = await newPayer(t);
    const other = await newPayer(t);
    const sub = pushService.newSubscription();
    const cases: [Record<string, unknown>, number, string?][] = [
      [{ endpoint: 'https://attacker.example/push/1', keys: sub.keys }, 400, 'PUSH_ENDPOINT_NOT_ALLOWED'],
      [
        { endpoint: 'http://fcm.googleapis.com/fcm/send/x', keys: sub.keys },
        400,
        'PUSH_ENDPOINT_NOT_ALLOWED',
      ],
      [
        { endpoint: 'https://fcm.googleapis.com.evil.example/x', keys: sub.keys },
        400,
        'PUSH_ENDPOINT_NOT_ALLOWED',
      ],
      [{ endpoint: `${pushService.url.replace('127.0.0.1', 'localhost')}/push/1`, keys: sub.keys }, 400],
      [{ endpoint: `${pushService.url.replace('https:', 'http:')}/push/1`, keys: sub.keys }, 400],
      [{ endpoint: sub.endpoint, keys: { p256dh: 'not base64!', auth: sub.keys.auth } }, 400],
      [{ endpoint: sub.endpoint, keys: sub.keys, kinds: ['everything'] }, 400],
      [{ endpoint: sub.endpoint, keys: sub.keys, userId: other.userId }, 400],
    ];
    for (const [body, status, code] of cases) {
      const r = await t.api<{ error: string; message: string }>(
        'POST',
        '/api/push/subscriptions',
        body,
        payer.token,
      );
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(typeof r.body.message).toBe('string');
      if (code) expect(r.body.error).toBe(code);
    }
    expect(
      (await t.api('POST', '/api/push/subscriptions', { endpoint: sub.endpoint, keys: sub.keys })).status,
    ).toBe(401);
    const { rows } = await t.app.services.db.query(`SELECT 1 FROM push_subscriptions WHERE user_id = $1`, [
      payer.userId,
    ]);
    expect(rows).toHaveLength(0);

    expect((await subscribe(payer, sub)).status).toBe(201);
    // Another customer cannot remove it, and does not see it.
    const del = await t.api('DELETE', '/api/push/subscriptions', { endpoint: sub.endpoint }, other.token);
    expect(del.status).toBe(404);
    const theirs = await t.api<{ subscriptions: unknown[] }>(
      'GET',
      '/api/push/subscriptions',
      undefined,
      other.token,
    );
    expect(theirs.body.subscriptions).toHaveLength(0);
    const mine = await t.api<{ subscriptions: { endpoint: string }[] }>(
      'GET',
      '/api/push/subscriptions',
      undefined,
      payer.token,
    );
    expect(mine.body.subscriptions.map((s) => s.endpoint)).toEqual([sub.endpoint]);
    // Signed in as the other customer on the same browser: the subscription moves to them.
    expect((await subscribe(other, sub)).status).toBe(201);
    const moved = await t.api<{ subscriptions: unknown[] }>(
      'GET',
      '/api/push/subscriptions',
      undefined,
      payer.token,
    );
    expect(moved.body.subscriptions).toHaveLength(0);
    expect(
      (await t.api('DELETE', '/api/push/subscriptions', { endpoint: sub.endpoint }, other.token)).status,
    ).toBe(204);
  });

  it('pushes low balance, power off and back on, and the purchase receipt, signed and encrypted for the browser', async () => {
    const payer = await newPayer(t, 3);
    const en = pushService.newSubscription();
    const sw = pushService.newSubscription();
    const receiptsOnly = pushService.newSubscription();
    expect((await subscribe(payer, en)).status).toBe(201);
    expect((await subscribe(payer, sw, { lang: 'sw' })).status).toBe(201);
    expect((await subscribe(payer, receiptsOnly, { kinds: ['receipt'] })).status).toBe(201);

    await takeBack(payer.meterNo, 2); // 1 kWh left: low balance
    const low = await waitFor(
      () => pushService.for(en.id).find((p) => p.notice.kind === 'low_balance'),
      'low push',
    );
    expect(low.notice.title).toBe('Low balance');
    expect(low.notice.body).toContain(payer.meterNo);
    expect(low.notice.body).toContain('1.00 kWh');
    expect(low.notice.url).toBe(`/meters/${payer.meterNo}`);
    expect(low.vapid.aud).toBe(pushService.url);
    expect(low.vapid.sub).toBe('mailto:ops@umeme.test');
    const key = await t.api<{ publicKey: string }>('GET', '/api/push/config', undefined, payer.token);
    expect(low.vapid.publicKey).toBe(key.body.publicKey);
    expect(low.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(low.headers.ttl)).toBeGreaterThan(0);
    const lowSw = await waitFor(
      () => pushService.for(sw.id).find((p) => p.notice.kind === 'low_balance'),
      'sw push',
    );
    expect(lowSw.notice.title).toBe('Salio la chini');

    await takeBack(payer.meterNo, 1); // zero: supply cut
    const cut = await waitFor(
      () => pushService.for(en.id).find((p) => p.notice.kind === 'supply_cut'),
      'cut push',
    );
    expect(cut.headers.urgency).toBe('high');

    const push = await pay(t, payer, 50);
    const intent = await waitForIntent(t, payer, push.intentId, 'succeeded');
    const receipt = await waitFor(
      () => pushService.for(receiptsOnly.id).find((p) => p.notice.kind === 'receipt'),
      'receipt push',
    );
    expect(receipt.notice.body).toContain('KES 50.00');
    expect(receipt.notice.body).toContain(intent.receipt!);
    await waitFor(
      () => pushService.for(en.id).find((p) => p.notice.kind === 'supply_restored'),
      'restored push',
    );
    await t.app.services.notices.idle();
    // The receipts-only browser got nothing else; nothing was unreadable.
    expect(pushService.for(receiptsOnly.id).map((p) => p.notice.kind)).toEqual(['receipt']);
    expect(pushService.problems).toEqual([]);
  });

  it('removes a subscription its push service says is gone (410), and sends to it no more', async () => {
    const payer = await newPayer(t, 5);
    const sub = pushService.newSubscription();
    expect((await subscribe(payer, sub)).status).toBe(201);
    pushService.drop(sub.id);
    await takeBack(payer.meterNo, 4);
    await waitFor(async () => {
      const { rows } = await t.app.services.db.query(`SELECT 1 FROM push_subscriptions WHERE endpoint = $1`, [
        sub.endpoint,
      ]);
      return rows.length === 0;
    }, 'the gone subscription to be removed');
    const gone = await t.app.metrics.registry.getSingleMetricAsString('umeme_push_sent_total');
    expect(gone).toMatch(/outcome="gone"\} [1-9]/);
    expect(pushService.for(sub.id)).toEqual([]);
  });
});
