import { kwhToMwh, type MeterBalanceReport, type StatusReport } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';

/**
 * A meter's status and self-reported balance (MQTT `status`/`balance`, or the HTTP device
 * endpoints). Neither ever changes C or E: they are presence and reconciliation data.
 */
export class MeterReportsService {
  constructor(
    private readonly db: Db,
    private readonly alerts: AlertsService,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async applyStatus(meterNo: string, report: StatusReport): Promise<void> {
    const online = report.status !== 'offline';
    let userId: string | null = null;
    let eventSeq = 0;
    let relay: 'on' | 'off' = 'off';
    const changes = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ user_id: string | null; event_seq: number; relay: 'on' | 'off' }>(
        `UPDATE meters SET status = $2,
            last_seen = CASE WHEN $3 THEN now() ELSE last_seen END,
            fw = COALESCE($4, fw), wifi_rssi = COALESCE($5, wifi_rssi),
            meter_balance_mwh = COALESCE($6, meter_balance_mwh),
            status_changed_ms = $7,
            event_seq = event_seq + 1
          WHERE meter_no = $1 RETURNING user_id, event_seq, relay`,
        [
          meterNo,
          report.status,
          online,
          report.fw ?? null,
          report.wifi_rssi ?? null,
          report.balance === undefined ? null : kwhToMwh(report.balance),
          Date.now(),
        ],
      );
      const row = rows[0];
      if (!row) return null;
      userId = row.user_id;
      eventSeq = row.event_seq;
      relay = row.relay;
      return this.alerts.setConnectionLost(tx, meterNo, row.user_id, !online);
    });
    if (changes === null) return;
    this.alerts.publish(changes);
    this.bus.emit('meter_status', {
      meterNo,
      userId,
      status: report.status,
      relay,
      eventSeq,
      lastSeen: online ? Date.now() : null,
      at: Date.now(),
    });
    // Every (re)connect gets the current credit limit, whatever the broker kept (MQ-2/MQ-4).
    if (online) this.bus.emit('meter_online', { meterNo });
    if (report.ack !== undefined) this.bus.emit('command_acknowledged', { meterNo, commandId: report.ack });
    this.logger.debug({ meterNo, status: report.status }, 'meter status');
  }

  async applyBalance(meterNo: string, report: MeterBalanceReport): Promise<void> {
    const meterBalanceMwh = kwhToMwh(report.balance);
    const { rows } = await this.db.query<{ credit_limit_mwh: number; energy_mwh: number }>(
      `UPDATE meters SET meter_balance_mwh = $2 WHERE meter_no = $1 RETURNING credit_limit_mwh, energy_mwh`,
      [meterNo, meterBalanceMwh],
    );
    const row = rows[0];
    if (!row) return;
    const meterLimitMwh = kwhToMwh(report.creditLimit);
    if (meterLimitMwh < row.credit_limit_mwh) this.bus.emit('republish_credit_limit', { meterNo });
  }
}
