import type { Db } from '../db/db';
import type { Mode } from '../mode';
import { assertCan, type Caller } from '../shared/access';
import { iso } from '../shared/dates';
import { AppError } from '../shared/errors';
import { maskPhone } from '../shared/mask-phone';
import type { SmsOutbox } from './sms-outbox';
import { smsLanguage } from '../notices/customer-notices';
import type { SmsListQuery, SmsPreferences } from './sms.schema';

interface OutboxRow {
  id: string;
  created_at: Date | string;
  sent_at: Date | string | null;
  delivered_at: Date | string | null;
  meter_no: string | null;
  phone: string;
  kind: string;
  lang: 'en' | 'sw';
  body: string;
  parts: number;
  status: 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'unknown' | 'cancelled';
  attempts: number;
  delivery_status: string | null;
  failure_reason: string | null;
  last_error: string | null;
  cost_ten_thousandths: string | null;
}

/** What operators see of the SMS outbox, and a customer's own SMS settings. */
export class SmsService {
  constructor(
    private readonly db: Db,
    private readonly outbox: SmsOutbox,
    private readonly gateway: Mode['sms'],
  ) {}

  async list(caller: Caller, q: SmsListQuery) {
    assertCan(caller, 'console.view');
    const params: unknown[] = [q.limit];
    if (q.meterNo !== undefined) params.push(q.meterNo);
    const [{ rows }, months, counts] = await Promise.all([
      this.db.query<OutboxRow>(
        `SELECT id::text, created_at, sent_at, delivered_at, meter_no, phone, kind, lang, body, parts, status, attempts,
                delivery_status, failure_reason, last_error, cost_ten_thousandths
           FROM sms_outbox ${q.meterNo === undefined ? '' : 'WHERE meter_no = $2'}
          ORDER BY id DESC LIMIT $1`,
        params,
      ),
      this.outbox.monthlyCosts(),
      this.db.query<{ status: string; n: string }>(
        `SELECT status, count(*)::bigint AS n FROM sms_outbox GROUP BY status`,
      ),
    ]);
    return {
      gateway: this.gateway,
      messages: rows.map((r) => ({
        id: r.id,
        createdAt: iso(r.created_at)!,
        sentAt: iso(r.sent_at),
        deliveredAt: iso(r.delivered_at),
        meterNo: r.meter_no,
        phone: maskPhone(r.phone) ?? '',
        kind: r.kind,
        lang: r.lang,
        // A reset code lets whoever reads it into the account: operators see that one went, not the code.
        body: r.kind === 'password_reset' ? 'Umeme: password reset code (hidden)' : r.body,
        parts: Number(r.parts),
        status: r.status,
        attempts: Number(r.attempts),
        deliveryStatus: r.delivery_status,
        failureReason: r.failure_reason,
        lastError: r.last_error,
        costTenThousandths: r.cost_ten_thousandths === null ? null : Number(r.cost_ten_thousandths),
      })),
      months: months.map((m) => ({
        month: m.month,
        messages: Number(m.messages),
        parts: Number(m.parts),
        costTenThousandths: Number(m.costTenThousandths),
      })),
      counts: Object.fromEntries(counts.rows.map((r) => [r.status, Number(r.n)])),
    };
  }

  async preferences(caller: Caller): Promise<SmsPreferences> {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const { rows } = await this.db.query<{ locale: string; sms_opt_out: boolean }>(
      `SELECT locale, sms_opt_out FROM users WHERE id = $1`,
      [caller.userId],
    );
    const r = rows[0];
    if (!r) throw new AppError('USER_NOT_FOUND');
    return { lang: smsLanguage(r.locale), optOut: r.sms_opt_out };
  }

  async setPreferences(caller: Caller, body: SmsPreferences): Promise<SmsPreferences> {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    await this.db.transaction(async (tx) => {
      await tx.query(`UPDATE users SET locale = $2, sms_opt_out = $3 WHERE id = $1`, [
        caller.userId,
        body.lang,
        body.optOut,
      ]);
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'sms.preferences', $2, $3)`,
        [caller.userId, caller.userId, JSON.stringify(body)],
      );
    });
    return this.preferences(caller);
  }
}
