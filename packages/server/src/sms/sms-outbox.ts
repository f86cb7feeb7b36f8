/**
 * The SMS outbox. Causes queue messages under a key naming the cause ('receipt:<transaction>'),
 * so a callback delivered a hundred times queues one receipt. Any instance drains it: a claim
 * takes due rows with SKIP LOCKED, so two instances never send the same row. What the gateway
 * refused before sending goes back to the queue with back-off (an outage delays, loses nothing);
 * what may have reached it (a timeout, or a claim whose instance died mid-send) becomes
 * 'unknown' and is not sent again by itself, because the gateway has no idempotency key and a
 * retry could charge the customer's phone twice with the same message. Operators see those.
 */
import {
  AfricasTalkingError,
  parseAtCost,
  smsLength,
  toInternationalMsisdn,
  FINAL_DELIVERY_STATUSES,
  type DeliveryReport,
  type SendSmsResult,
} from '@umeme/africastalking';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/db';
import { quietUntilMs, type QuietHours } from './quiet-hours';
import { NON_URGENT_SMS, renderSms, type SmsLanguage, type SmsMessage } from './sms-texts';

export const SMS_OUTBOX_LIMITS = {
  /** Rows one drain claims. */
  batchSize: 100,
  /** Sends in flight at once per instance. */
  concurrency: 8,
  /** First retry after this, doubling up to the maximum. */
  backoffBaseMs: 5_000,
  backoffMaxMs: 10 * 60_000,
  /** After this many refusals the message is given up as failed. */
  maxAttempts: 30,
  /** A claim older than this belongs to an instance that died mid-send. */
  staleClaimMs: 5 * 60_000,
  /** A delivery report whose message id never got stored is dropped after this. */
  heldReportMs: 24 * 60 * 60_000,
} as const;

/** The gateway's final delivery statuses as an SQL list (constants, not input). */
const FINAL_STATUS_LIST = [...FINAL_DELIVERY_STATUSES].map((s) => `'${s}'`).join(', ');

/** What sends one SMS: the Africa's Talking client, or anything answering like it. */
export interface SmsSender {
  sendSms(to: string, message: string): Promise<SendSmsResult>;
}

export interface QueueSms {
  /** Names the cause: the same key never queues a second message. */
  dedupeKey: string;
  userId: string | null;
  meterNo: string | null;
  phone: string;
  lang: SmsLanguage;
  message: SmsMessage;
}

export interface DrainResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  unknown: number;
}

export interface SmsOutboxOptions {
  db: Db;
  sender: SmsSender;
  logger: Logger;
  paybill: string;
  quietHours: QuietHours | null;
  now?: () => number;
  /** First retry after this, doubling up to `backoffMaxMs` (defaults: SMS_OUTBOX_LIMITS). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * Messages a second this instance hands the gateway at most (SMS_SEND_MAX_PER_S): gateways
   * throttle single sends (commonly 5 to 10 a second), and a burst of receipts sent as fast as
   * the gateway answers takes the CPU and database the payments themselves need. Unlimited when unset.
   */
  maxPerSecond?: number;
}

interface ClaimedRow {
  id: number;
  phone: string;
  body: string;
  attempts: number;
}

export class SmsOutbox {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<DrainResult> | null = null;
  /**
   * Settles with the moment the last turn to send began (real time, whatever `now` says: the
   * pacing is real). Each turn waits for the one before it, then for 1/maxPerSecond after it.
   */
  private lastTurn: Promise<number> = Promise.resolve(-Infinity);

  constructor(private readonly opts: SmsOutboxOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Queues a message unless its cause already queued one, the customer opted out or the number
   * is not a mobile number. Runs in the caller's transaction when given one. True if queued.
   */
  async enqueue(q: Queryable, sms: QueueSms): Promise<boolean> {
    return (await this.enqueueMany(q, [sms])) > 0;
  }

  /**
   * `enqueue` for many messages in one statement (a burst of payments' receipts): how many were
   * queued. Two with the same cause in one call queue one.
   */
  async enqueueMany(q: Queryable, list: readonly QueueSms[]): Promise<number> {
    const nowMs = this.now();
    const rows = list.flatMap((sms) => {
      const phone = toInternationalMsisdn(sms.phone);
      if (phone === null) return [];
      const body = renderSms(sms.message, sms.lang, this.opts.paybill);
      const holdUntil = NON_URGENT_SMS.has(sms.message.kind)
        ? quietUntilMs(nowMs, this.opts.quietHours)
        : null;
      return [{ sms, phone, body, parts: Math.max(1, smsLength(body).parts), at: holdUntil ?? nowMs }];
    });
    if (rows.length === 0) return 0;
    const { rowCount } = await q.query(
      `INSERT INTO sms_outbox (dedupe_key, user_id, meter_no, phone, kind, lang, body, parts, next_attempt_at, created_at)
       SELECT dedupe_key, user_id, meter_no, phone, kind, lang, body, parts, to_timestamp(at_ms / 1000.0), $10::timestamptz
         FROM (SELECT DISTINCT ON (s.dedupe_key) s.*
                 FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                             $8::int[], $9::bigint[]) WITH ORDINALITY
                      AS s(dedupe_key, user_id, meter_no, phone, kind, lang, body, parts, at_ms, n)
                WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.sms_opt_out)
                ORDER BY s.dedupe_key, s.n) first
        ORDER BY n
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [
        rows.map((r) => r.sms.dedupeKey),
        rows.map((r) => r.sms.userId),
        rows.map((r) => r.sms.meterNo),
        rows.map((r) => r.phone),
        rows.map((r) => r.sms.message.kind),
        rows.map((r) => r.sms.lang),
        rows.map((r) => r.body),
        rows.map((r) => r.parts),
        rows.map((r) => r.at),
        new Date(nowMs),
      ],
    );
    return rowCount;
  }

  /** One pass: claims what is due and sends it. Concurrent calls share one pass. */
  drain(): Promise<DrainResult> {
    this.draining ??= this.drainOnce().finally(() => (this.draining = null));
    return this.draining;
  }

  private async drainOnce(): Promise<DrainResult> {
    const result: DrainResult = { claimed: 0, sent: 0, retried: 0, failed: 0, unknown: 0 };
    const nowMs = this.now();
    await this.opts.db.query(
      `UPDATE sms_outbox SET status = 'unknown', last_error = 'the sending instance stopped mid-send'
       WHERE status = 'sending' AND claimed_at < $1`,
      [new Date(nowMs - SMS_OUTBOX_LIMITS.staleClaimMs)],
    );
    await this.opts.db.query(`DELETE FROM sms_early_reports WHERE received_at < $1`, [
      new Date(nowMs - SMS_OUTBOX_LIMITS.heldReportMs),
    ]);
    const { rows } = await this.opts.db.query<ClaimedRow>(
      `UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1, claimed_at = $1
       WHERE id IN (
         SELECT id FROM sms_outbox WHERE status = 'queued' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, phone, body, attempts`,
      // Paced, a pass claims about two seconds' worth: the rest stays queued for the next pass
      // (or another instance) rather than sitting claimed while it waits its turn.
      [
        new Date(nowMs),
        Math.min(SMS_OUTBOX_LIMITS.batchSize, Math.ceil(2 * (this.opts.maxPerSecond ?? Infinity))),
      ],
    );
    result.claimed = rows.length;
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        await this.paced();
        const outcome = await this.sendOne(row);
        result[outcome]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(SMS_OUTBOX_LIMITS.concurrency, rows.length) }, worker));
    return result;
  }

  /**
   * Waits for this send's turn under `maxPerSecond`, turns being handed out in order. A turn is
   * counted from when the one before it actually began, not from when it was due: a timer that
   * fires late (a busy event loop) must not let the next send follow it sooner than the gateway
   * allows (CI saw two sends 38 ms apart at 20/s when turns were fixed in advance).
   */
  private async paced(): Promise<void> {
    const perSecond = this.opts.maxPerSecond;
    if (perSecond === undefined) return;
    const turn = this.lastTurn.then(async (previous) => {
      const at = previous + 1000 / perSecond;
      // a timer may fire a millisecond early by this clock: wait until it is really time
      for (let now = performance.now(); now < at; now = performance.now()) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, at - now)));
      }
      return performance.now();
    });
    this.lastTurn = turn;
    await turn;
  }

  private async sendOne(row: ClaimedRow): Promise<'sent' | 'retried' | 'failed' | 'unknown'> {
    let answer: SendSmsResult;
    try {
      answer = await this.opts.sender.sendSms(row.phone, row.body);
    } catch (err) {
      const maybeSent = !(err instanceof AfricasTalkingError) || err.mayHaveBeenSent;
      const message = err instanceof Error ? err.message : String(err);
      if (maybeSent) {
        await this.opts.db.query(`UPDATE sms_outbox SET status = 'unknown', last_error = $2 WHERE id = $1`, [
          row.id,
          message,
        ]);
        this.opts.logger.warn(
          { smsId: row.id, err: message },
          'SMS may or may not have been sent; not retried',
        );
        return 'unknown';
      }
      return this.retryLater(row, message);
    }
    if (answer.kind === 'accepted') {
      const cost = parseAtCost(answer.cost);
      await this.opts.db.query(
        `UPDATE sms_outbox SET status = 'sent', message_id = $2, cost_ten_thousandths = $3, sent_at = $4,
           last_error = NULL WHERE id = $1`,
        [row.id, answer.messageId, cost?.tenThousandths ?? null, new Date(this.now())],
      );
      await this.applyHeldReport(answer.messageId);
      return 'sent';
    }
    const reason = `${answer.statusCode} ${answer.status}`;
    if (answer.permanent) {
      await this.opts.db.query(`UPDATE sms_outbox SET status = 'failed', last_error = $2 WHERE id = $1`, [
        row.id,
        reason,
      ]);
      return 'failed';
    }
    return this.retryLater(row, reason);
  }

  private async retryLater(row: ClaimedRow, reason: string): Promise<'retried' | 'failed'> {
    if (row.attempts >= SMS_OUTBOX_LIMITS.maxAttempts) {
      await this.opts.db.query(`UPDATE sms_outbox SET status = 'failed', last_error = $2 WHERE id = $1`, [
        row.id,
        `gave up after ${row.attempts} attempts: ${reason}`,
      ]);
      return 'failed';
    }
    const delayMs = Math.min(
      (this.opts.backoffBaseMs ?? SMS_OUTBOX_LIMITS.backoffBaseMs) * 2 ** Math.min(row.attempts - 1, 20),
      this.opts.backoffMaxMs ?? SMS_OUTBOX_LIMITS.backoffMaxMs,
    );
    await this.opts.db.query(
      `UPDATE sms_outbox SET status = 'queued', next_attempt_at = $2, claimed_at = NULL, last_error = $3
       WHERE id = $1`,
      [row.id, new Date(this.now() + delayMs), reason],
    );
    return 'retried';
  }

  /**
   * Stores a delivery report. A final status is never undone. A report for a message id not
   * stored yet (it overtook the sending instance's own UPDATE) is held and applied when the id is
   * stored: true when applied now, false when held.
   */
  async recordDelivery(report: DeliveryReport): Promise<boolean> {
    const final = FINAL_DELIVERY_STATUSES.has(report.status);
    const status = report.status === 'Success' ? 'delivered' : final ? 'failed' : null;
    const { rowCount } = await this.opts.db.query(
      `UPDATE sms_outbox SET delivery_status = $2, failure_reason = $3,
         status = COALESCE($4, status), delivered_at = CASE WHEN $4 = 'delivered' THEN $5 ELSE delivered_at END
       WHERE message_id = $1 AND status NOT IN ('delivered', 'failed')`,
      [report.id, report.status, report.failureReason ?? null, status, new Date(this.now())],
    );
    if (rowCount > 0) return true;
    const { rowCount: known } = await this.opts.db.query('SELECT 1 FROM sms_outbox WHERE message_id = $1', [
      report.id,
    ]);
    if (known > 0) return true;
    await this.opts.db.query(
      `INSERT INTO sms_early_reports (message_id, status, failure_reason, received_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (message_id) DO UPDATE SET status = EXCLUDED.status, failure_reason = EXCLUDED.failure_reason,
         received_at = EXCLUDED.received_at
       WHERE sms_early_reports.status NOT IN (${FINAL_STATUS_LIST})`,
      [report.id, report.status, report.failureReason ?? null, new Date(this.now())],
    );
    // The send may have stored its id between our UPDATE and this INSERT: whichever of the two
    // writes commits last applies the held report, so it is never left behind.
    return this.applyHeldReport(report.id);
  }

  /** Applies (and drops) a held delivery report once its message id is stored. */
  private async applyHeldReport(messageId: string): Promise<boolean> {
    const { rowCount } = await this.opts.db.query(
      `WITH held AS (
         DELETE FROM sms_early_reports
         WHERE message_id = $1 AND EXISTS (SELECT 1 FROM sms_outbox WHERE message_id = $1)
         RETURNING status, failure_reason, received_at)
       UPDATE sms_outbox o SET delivery_status = held.status, failure_reason = held.failure_reason,
         status = CASE WHEN held.status = 'Success' THEN 'delivered'
                       WHEN held.status IN (${FINAL_STATUS_LIST}) THEN 'failed' ELSE o.status END,
         delivered_at = CASE WHEN held.status = 'Success' THEN held.received_at ELSE o.delivered_at END
       FROM held WHERE o.message_id = $1 AND o.status NOT IN ('delivered', 'failed')`,
      [messageId],
    );
    return rowCount > 0;
  }

  /** Messages, parts and cost by Nairobi calendar month, newest first. */
  async monthlyCosts(): Promise<
    { month: string; messages: number; parts: number; costTenThousandths: number }[]
  > {
    const { rows } = await this.opts.db.query<{
      month: string;
      messages: number;
      parts: number;
      cost: number;
    }>(
      `SELECT to_char(sent_at AT TIME ZONE 'Africa/Nairobi', 'YYYY-MM') AS month, count(*)::bigint AS messages,
         sum(parts)::bigint AS parts, COALESCE(sum(cost_ten_thousandths), 0)::bigint AS cost
       FROM sms_outbox WHERE sent_at IS NOT NULL GROUP BY 1 ORDER BY 1 DESC LIMIT 24`,
    );
    return rows.map((r) => ({
      month: r.month,
      messages: r.messages,
      parts: r.parts,
      costTenThousandths: r.cost,
    }));
  }

  /** Drains every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    if (this.timer) return;
    const tick = () => {
      this.drain().then(
        () => undefined,
        (err: unknown) => this.opts.logger.error({ err }, 'SMS outbox drain failed'),
      );
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.draining?.catch(() => undefined);
  }
}
