import { kwhToMwh, type MeterBalanceReport, type StatusReport } from '@umeme/protocol';
import type { Logger } from 'pino';
import { meterLagsCreditLimit, type AlertsService } from '../alerts/alerts.service';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';

interface MeterBalanceRow {
  user_id: string | null;
  credit_limit_mwh: number;
  energy_mwh: number;
  low_balance_mwh: number;
}

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

  /**
   * The meter's own balance (today's report, or the original `{meterNo, balance, timestamp}`):
   * stored as the meter's reading and compared with the server's for balance_mismatch. It never
   * changes C, E or the server's balance.
   */
  async applyBalance(
    meterNo: string,
    report: Pick<MeterBalanceReport, 'balance' | 'creditLimit'>,
  ): Promise<void> {
    const meterBalanceMwh = kwhToMwh(report.balance);
    const outcome = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<MeterBalanceRow>(
        `UPDATE meters SET meter_balance_mwh = $2, meter_balance_at = now() WHERE meter_no = $1
          RETURNING user_id, credit_limit_mwh, energy_mwh, low_balance_mwh`,
        [meterNo, meterBalanceMwh],
      );
      const row = rows[0];
      if (!row) return null;
      const input = {
        meterNo,
        userId: row.user_id,
        balanceMwh: row.credit_limit_mwh - row.energy_mwh,
        lowBalanceMwh: row.low_balance_mwh,
        meterBalanceMwh,
        creditLimitMwh: row.credit_limit_mwh,
        energyMwh: row.energy_mwh,
      };
      return { input, changes: await this.alerts.evaluateBalances(tx, [input]) };
    });
    if (outcome === null) return;
    this.alerts.publish(outcome.changes);
    // A meter that reports a lower credit limit, or (original firmware, no limit) a balance
    // below the server's, evidently missed the last command/balance: send it again.
    const lags =
      report.creditLimit === undefined
        ? meterLagsCreditLimit(outcome.input)
        : kwhToMwh(report.creditLimit) < outcome.input.creditLimitMwh;
    if (lags) this.bus.emit('republish_credit_limit', { meterNo });
  }
}
