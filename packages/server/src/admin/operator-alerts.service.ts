import { OFFLINE_METER_STATUSES } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import type { Db } from '../db/db';
import { actorId, assertCan, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import { toAlertRow, type AlertDbRow } from './meter-detail';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';

/** Alerts raised for operators that only they can clear: acknowledging one also closes it. */
const CLOSED_ON_ACK = new Set(['command_expired', 'payment_mismatch']);

/**
 * The operators' side of alerts: the list, acknowledgement, and the periodic sweep that
 * marks meters lost after `missedIntervalsBeforeLost` publish intervals without a report.
 */
export class OperatorAlertsService {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly alerts: AlertsService,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweepConnectionLost().catch((err: unknown) =>
        this.logger.warn({ err }, 'connection sweep failed'),
      );
    }, L.connectionSweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async list(
    caller: Caller,
    q: {
      open: 'true' | 'false';
      meterNo?: string | undefined;
      kind?: string | undefined;
      limit: number;
      before?: number | undefined;
    },
  ) {
    assertCan(caller, 'console.view');
    const params: unknown[] = [q.before ?? Number.MAX_SAFE_INTEGER, q.limit + 1];
    const where = [`id < $1`, q.open === 'true' ? 'closed_at IS NULL' : 'closed_at IS NOT NULL'];
    if (q.meterNo) {
      params.push(q.meterNo);
      where.push(`meter_no = $${params.length}`);
    }
    if (q.kind) {
      params.push(q.kind);
      where.push(`kind = $${params.length}`);
    }
    const { rows } = await this.db.query<AlertDbRow>(
      `SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $2`,
      params,
    );
    const page = rows.slice(0, q.limit);
    return {
      alerts: page.map(toAlertRow),
      next: rows.length > q.limit ? Number(page[page.length - 1]!.id) : null,
    };
  }

  async acknowledge(caller: Caller, id: number) {
    assertCan(caller, 'alerts.handle');
    const { row, changes } = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<AlertDbRow & { user_id: string | null }>(
        `UPDATE alerts a SET acknowledged_by = $2, acknowledged_at = COALESCE(a.acknowledged_at, now()),
                closed_at = CASE WHEN a.kind = ANY($3::text[]) THEN COALESCE(a.closed_at, now()) ELSE a.closed_at END
           FROM meters m WHERE a.id = $1 AND m.meter_no = a.meter_no
          RETURNING a.*, m.user_id`,
        [id, actorId(caller), [...CLOSED_ON_ACK]],
      );
      const r = rows[0];
      if (!r) throw new AppError('NOT_FOUND', 'Alert not found.');
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'alert.acknowledged', $2, $3)`,
        [actorId(caller), r.meter_no, JSON.stringify({ alertId: id, kind: r.kind })],
      );
      return { row: r, changes: [] };
    });
    this.alerts.publish(changes);
    this.bus.emit('alert_acknowledged', {
      alertId: id,
      meterNo: row.meter_no,
      kind: row.kind,
      closed: row.closed_at !== null,
    });
    return toAlertRow(row);
  }

  /** Marks meters silent for too long offline and opens `connection_lost`. Returns how many. */
  async sweepConnectionLost(now: Date = new Date()): Promise<number> {
    const lost = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{
        meter_no: string;
        user_id: string | null;
        event_seq: number;
        relay: 'on' | 'off';
      }>(
        `UPDATE meters m SET status = 'offline', status_changed_ms = NULL, event_seq = event_seq + 1
          WHERE m.meter_no IN (
            SELECT meter_no FROM meters
             WHERE status <> ALL($4::text[]) AND last_seen IS NOT NULL
               AND last_seen < $1::timestamptz - (publish_interval_s * $2::int) * interval '1 second'
             ORDER BY meter_no LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING m.meter_no, m.user_id, m.event_seq, m.relay`,
        [now, L.missedIntervalsBeforeLost, L.connectionSweepBatch, OFFLINE_METER_STATUSES],
      );
      const changes = [];
      for (const r of rows)
        changes.push(...(await this.alerts.setConnectionLost(tx, r.meter_no, r.user_id, true)));
      return { rows, changes };
    });
    this.alerts.publish(lost.changes);
    for (const r of lost.rows) {
      this.bus.emit('meter_status', {
        meterNo: r.meter_no,
        userId: r.user_id,
        status: 'offline',
        relay: r.relay,
        eventSeq: r.event_seq,
        lastSeen: null,
        at: Date.now(),
      });
    }
    return lost.rows.length;
  }
}
