// Protects SMS delivery: one message per cause, outages delay but lose nothing, nothing is sent twice, costs add up.
import {
  AfricasTalkingClient,
  createAfricasTalkingEmulator,
  type AfricasTalkingEmulator,
} from '@umeme/africastalking';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/db';
import { migrate } from '../db/migrate';
import { openPglite } from '../db/pglite';
import { parseQuietHours } from './quiet-hours';
import { SMS_OUTBOX_LIMITS, SmsOutbox, type QueueSms } from './sms-outbox';

const creds = { username: 'umeme', apiKey: 'at-test-key-0123456789' };
const receipt = (n: number): QueueSms => ({
  dedupeKey: `receipt:tx-${n}`,
  userId: null,
  meterNo: '12345678',
  phone: '0712345678',
  lang: 'en',
  message: {
    kind: 'receipt',
    meterNo: '12345678',
    account: '12345678',
    amountCents: 10_000,
    energyMwh: 5_000_000,
    balanceMwh: 9_000_000,
    receipt: `QJK${n}`,
  },
});

describe('SMS outbox', () => {
  let db: Db;
  let emulator: AfricasTalkingEmulator;
  let outbox: SmsOutbox;
  let nowMs: number;
  let gatewayUrl: string;

  // One database for the file (opening and migrating PGlite is most of a test's time); each test
  // starts from an empty outbox and no users.
  beforeAll(async () => {
    db = await openPglite(null);
    await migrate(db);
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    await db.query(`TRUNCATE sms_outbox, sms_early_reports`);
    await db.query(`DELETE FROM users`);
    emulator = createAfricasTalkingEmulator({ ...creds, deliveryDelayMs: 0 });
    const url = await emulator.listen({ port: 0, host: '127.0.0.1' });
    gatewayUrl = url;
    nowMs = Date.parse('2026-12-07T12:00:00+03:00');
    outbox = new SmsOutbox({
      db,
      sender: new AfricasTalkingClient({ baseUrl: url, ...creds }),
      logger: pino({ level: 'silent' }),
      paybill: '4123456',
      quietHours: parseQuietHours('21:00-07:00'),
      now: () => nowMs,
    });
  });

  afterEach(async () => {
    await outbox.stop();
    await emulator.close();
  });

  const statuses = async () =>
    (await db.query<{ status: string }>('SELECT status FROM sms_outbox ORDER BY id')).rows.map(
      (r) => r.status,
    );

  it('queues one message per cause however often the cause is reported, and sends it once', async () => {
    const queued = await Promise.all(Array.from({ length: 100 }, () => outbox.enqueue(db, receipt(1))));
    expect(queued.filter(Boolean)).toHaveLength(1);
    await Promise.all([outbox.drain(), outbox.drain(), outbox.drain()]);
    await outbox.drain();
    expect(emulator.inbox('0712345678')).toHaveLength(1);
    expect(emulator.inbox('0712345678')[0]!.text).toContain('M-Pesa QJK1');
    expect(await statuses()).toEqual(['sent']);
  });

  it('holds every message through a gateway outage and then sends each exactly once', async () => {
    for (let i = 0; i < 20; i++) await outbox.enqueue(db, receipt(i));
    emulator.setOutage(true);
    // A minute of outage: each drain is refused and the messages back off.
    for (let s = 0; s <= 60; s += 5) {
      nowMs += 5_000;
      await outbox.drain();
    }
    expect(emulator.messages).toHaveLength(0);
    expect(new Set(await statuses())).toEqual(new Set(['queued']));
    emulator.setOutage(false);
    nowMs += SMS_OUTBOX_LIMITS.backoffMaxMs;
    const result = await outbox.drain();
    expect(result).toMatchObject({ claimed: 20, sent: 20 });
    await outbox.drain();
    const texts = emulator.messages.map((m) => m.text);
    expect(texts).toHaveLength(20);
    expect(new Set(texts).size).toBe(20);
  });

  it('gives up on a number the gateway refuses for good, and retries one it refuses for now', async () => {
    await outbox.enqueue(db, receipt(1));
    emulator.failNext(1, { statusCode: 406 });
    await outbox.drain();
    await outbox.enqueue(db, receipt(2));
    emulator.failNext(1, { statusCode: 405 });
    await outbox.drain();
    expect(await statuses()).toEqual(['failed', 'queued']);
    nowMs += 60_000;
    await outbox.drain();
    expect(await statuses()).toEqual(['failed', 'sent']);
    expect(emulator.messages).toHaveLength(1);
  });

  it('marks a claim whose instance died mid-send as unknown and does not send it again', async () => {
    await outbox.enqueue(db, receipt(1));
    await db.query(`UPDATE sms_outbox SET status = 'sending', claimed_at = $1`, [new Date(nowMs)]);
    nowMs += SMS_OUTBOX_LIMITS.staleClaimMs + 1;
    await outbox.drain();
    expect(await statuses()).toEqual(['unknown']);
    expect(emulator.messages).toHaveLength(0);
  });

  it('keeps low-balance messages for the morning but sends a receipt at night', async () => {
    nowMs = Date.parse('2026-12-07T23:00:00+03:00');
    await outbox.enqueue(db, receipt(1));
    await outbox.enqueue(db, {
      ...receipt(2),
      dedupeKey: 'low:1',
      message: { kind: 'low_balance', meterNo: '12345678', account: '12345678', balanceMwh: 1_000_000 },
    });
    await outbox.drain();
    expect(emulator.messages.map((m) => m.text.slice(0, 11))).toEqual(['Umeme: paid']);
    nowMs = Date.parse('2026-12-08T07:00:00+03:00');
    await outbox.drain();
    expect(emulator.messages).toHaveLength(2);
    expect(emulator.messages[1]!.text).toContain('kWh left');
  });

  it('sends nothing to a customer who opted out, or to a number that is not a mobile number', async () => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO users (email, name, phone, password_hash, role, sms_opt_out)
       VALUES ('a@example.com', 'A', '0712345678', 'x', 'customer', true) RETURNING id`,
    );
    expect(await outbox.enqueue(db, { ...receipt(1), userId: rows[0]!.id })).toBe(false);
    expect(await outbox.enqueue(db, { ...receipt(2), phone: '12345' })).toBe(false);
    expect(await statuses()).toEqual([]);
  });

  it('queues a burst in one statement: one per cause, in order, skipping opted-out customers and bad numbers', async () => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO users (email, name, phone, password_hash, role, sms_opt_out)
       VALUES ('b@example.com', 'B', '0712345678', 'x', 'customer', true) RETURNING id`,
    );
    const burst = [
      receipt(3),
      receipt(1),
      receipt(3),
      { ...receipt(4), userId: rows[0]!.id },
      { ...receipt(5), phone: '12345' },
      receipt(2),
    ];
    expect(await outbox.enqueueMany(db, burst)).toBe(3);
    expect(await outbox.enqueueMany(db, [receipt(1), receipt(6)])).toBe(1);
    const queued = await db.query<{ dedupe_key: string; created_at: Date; next_attempt_at: Date }>(
      'SELECT dedupe_key, created_at, next_attempt_at FROM sms_outbox ORDER BY id',
    );
    expect(queued.rows.map((r) => r.dedupe_key)).toEqual([
      'receipt:tx-3',
      'receipt:tx-1',
      'receipt:tx-2',
      'receipt:tx-6',
    ]);
    expect(
      queued.rows.every((r) => r.next_attempt_at.getTime() === nowMs && r.created_at.getTime() === nowMs),
    ).toBe(true);
    expect(await outbox.enqueueMany(db, [])).toBe(0);
  });

  it('hands the gateway no more messages a second than SMS_SEND_MAX_PER_S allows, in order', async () => {
    const client = new AfricasTalkingClient({ baseUrl: gatewayUrl, ...creds });
    const sentAt: number[] = [];
    const paced = new SmsOutbox({
      db,
      sender: {
        sendSms: (to, message) => {
          sentAt.push(performance.now());
          // A busy event loop (a loaded machine) holds the first send up for 80 ms: the turns
          // after it must still be 50 ms apart, counted from when each one really began.
          if (sentAt.length === 1) for (const until = performance.now() + 80; performance.now() < until;);
          return client.sendSms(to, message);
        },
      },
      logger: pino({ level: 'silent' }),
      paybill: '4123456',
      quietHours: null,
      maxPerSecond: 20,
    });
    for (let i = 0; i < 6; i++) await paced.enqueue(db, receipt(i));
    const result = await paced.drain();
    expect(result.sent).toBe(6);
    // 50 ms apart at least, less the moment between a turn beginning and its send starting
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49);
    expect(emulator.messages.map((m) => m.text.match(/QJK\d/)?.[0])).toEqual(
      Array.from({ length: 6 }, (_, i) => `QJK${i}`),
    );
    await paced.stop();
  });

  it('stores delivery reports, never undoes a final one, and adds up the month’s cost', async () => {
    await outbox.enqueue(db, receipt(1));
    await outbox.enqueue(db, receipt(2));
    await outbox.drain();
    const [a, b] = emulator.messages;
    expect(await outbox.recordDelivery({ id: a!.messageId, status: 'Success', phoneNumber: a!.to })).toBe(
      true,
    );
    expect(await outbox.recordDelivery({ id: a!.messageId, status: 'Failed', phoneNumber: a!.to })).toBe(
      true,
    );
    expect(
      await outbox.recordDelivery({
        id: b!.messageId,
        status: 'Rejected',
        phoneNumber: b!.to,
        failureReason: 'UserIsInactive',
      }),
    ).toBe(true);
    const { rows } = await db.query<{
      status: string;
      delivery_status: string;
      failure_reason: string | null;
    }>('SELECT status, delivery_status, failure_reason FROM sms_outbox ORDER BY id');
    expect(rows).toEqual([
      { status: 'delivered', delivery_status: 'Success', failure_reason: null },
      { status: 'failed', delivery_status: 'Rejected', failure_reason: 'UserIsInactive' },
    ]);
    expect(await outbox.monthlyCosts()).toEqual([
      { month: '2026-12', messages: 2, parts: 2, costTenThousandths: 16_000 },
    ]);
  });

  it('holds a delivery report that overtakes the stored message id and applies it when the id is stored', async () => {
    // The gateway answers the send, then its report reaches us before our own UPDATE stores the
    // id: the sender below posts the report itself before handing the answer back.
    const sender = new AfricasTalkingClient({ baseUrl: gatewayUrl, ...creds });
    let early: Promise<boolean> | null = null;
    const racing = new SmsOutbox({
      db,
      sender: {
        sendSms: async (to, message) => {
          const answer = await sender.sendSms(to, message);
          if (answer.kind === 'accepted') {
            early = outbox.recordDelivery({ id: answer.messageId, status: 'Success', phoneNumber: to });
            expect(await early).toBe(false);
          }
          return answer;
        },
      },
      logger: pino({ level: 'silent' }),
      paybill: '4123456',
      quietHours: null,
      now: () => nowMs,
    });
    await racing.enqueue(db, receipt(7));
    expect(await racing.drain()).toMatchObject({ sent: 1 });
    expect(early).not.toBeNull();
    const { rows } = await db.query<{ status: string; delivery_status: string | null }>(
      'SELECT status, delivery_status FROM sms_outbox',
    );
    expect(rows).toEqual([{ status: 'delivered', delivery_status: 'Success' }]);
    expect((await db.query('SELECT 1 FROM sms_early_reports')).rowCount).toBe(0);
    // A report for an id that never shows up is kept for a day, then dropped.
    expect(
      await outbox.recordDelivery({ id: 'ATXid_never', status: 'Success', phoneNumber: '+254712345678' }),
    ).toBe(false);
    expect((await db.query('SELECT 1 FROM sms_early_reports')).rowCount).toBe(1);
    nowMs += SMS_OUTBOX_LIMITS.heldReportMs + 1;
    await racing.drain();
    expect((await db.query('SELECT 1 FROM sms_early_reports')).rowCount).toBe(0);
    await racing.stop();
  });
});
