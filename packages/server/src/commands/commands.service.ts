import { commandTopic, kwhToMwh, type CommandKind } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import type { Db, Queryable } from '../db/db';
import type { CommandTransport } from '../mqtt/command-publisher';
import { actorId, assertCan, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus, MeterChanged } from '../shared/events';
import { SUPPLY_COLUMNS, supplyInputsOf, type SupplyRow } from '../meters/supply';
import {
  FRIENDLY_HOURS_END_REASON,
  FRIENDLY_HOURS_REASON,
  isFriendlyHoursCommand,
  toCommandRow,
  type CommandDbRow,
} from './command-row';
import type { ConfigBody, RelayBody } from './commands.schema';

/**
 * Persistent meter commands (issue 5 §3): written before they are published, re-sent
 * whenever the meter comes online, retired when its status carries `ack: <id>`, expired
 * after a set time with an alert that tells the operators. Every one is in the audit log.
 */
export class CommandsService {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly transport: CommandTransport,
    private readonly bus: EventBus,
    private readonly alerts: AlertsService,
    private readonly logger: Logger,
    private readonly ttlMs: number = L.commandTtlMs,
  ) {
    bus.on('meter_online', (e) => {
      this.resend(e.meterNo).catch((err: unknown) => this.logger.warn({ err }, 'resending commands failed'));
    });
    bus.on('command_acknowledged', (e) => {
      this.acknowledge(e.meterNo, e.commandId).catch((err: unknown) =>
        this.logger.warn({ err }, 'acknowledging a command failed'),
      );
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      this.expireDue().catch((err: unknown) => this.logger.warn({ err }, 'command expiry sweep failed'));
    }, L.commandSweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async relay(caller: Caller, meterNo: string, body: RelayBody) {
    const payload = { action: body.action, reason: body.reason };
    let changed: MeterChanged | null = null;
    const command = await this.create(caller, meterNo, 'relay', payload, body.reason, async (tx) => {
      // The server's own relay decision (and the customer's dashboard) follows the operator's word.
      const { rows } = await tx.query<OverriddenMeter>(
        `UPDATE meters SET relay_override = $2, relay_override_reason = $3, event_seq = event_seq + 1
          WHERE meter_no = $1
          RETURNING meter_no, user_id, credit_limit_mwh, energy_mwh, event_seq, relay, status, power_w,
                    ${SUPPLY_COLUMNS}`,
        [meterNo, body.action, body.action === 'auto' ? null : body.reason],
      );
      changed = rows[0] ? overrideChanged(rows[0]) : null;
      return {};
    });
    // After commit: the customer sees the new supply decision and its reason at once.
    if (changed) this.bus.emit('meter_changed', changed);
    return command;
  }

  /**
   * `maxLoadW` absent keeps the meter's limit (and sends it again: a config without it clears the
   * limit on the meter), null clears it on the server and the meter, a number sets it.
   */
  async config(caller: Caller, meterNo: string, body: ConfigBody) {
    const payload: Record<string, unknown> = {
      publishIntervalS: body.publishIntervalS,
      lowBalanceKwh: body.lowBalanceKwh,
      emergencyCreditKwh: body.emergencyCreditKwh,
    };
    return this.create(caller, meterNo, 'config', payload, body.reason, async (tx) => {
      // The server judges alerts with the same thresholds the meter is being given.
      const { rows } = await tx.query<{ max_load_w: number | null }>(
        `UPDATE meters SET publish_interval_s = $2, low_balance_mwh = $3, emergency_credit_mwh = $4,
                max_load_w = CASE WHEN $6::boolean THEN $5::int ELSE max_load_w END
          WHERE meter_no = $1 RETURNING max_load_w`,
        [
          meterNo,
          body.publishIntervalS,
          kwhToMwh(body.lowBalanceKwh),
          kwhToMwh(body.emergencyCreditKwh),
          body.maxLoadW ?? null,
          body.maxLoadW !== undefined,
        ],
      );
      const maxLoadW = rows[0]?.max_load_w ?? null;
      if (maxLoadW !== null) payload.maxLoadW = maxLoadW;
      return body.maxLoadW === null ? { maxLoadCleared: true } : {};
    });
  }

  private async create(
    caller: Caller,
    meterNo: string,
    kind: Extract<CommandKind, 'relay' | 'config'>,
    payload: Record<string, unknown>,
    reason: string,
    /** runs first in the transaction; may complete `payload` and adds what it returns to the audit */
    alsoWithin?: (tx: Queryable) => Promise<Record<string, unknown>>,
  ) {
    assertCan(caller, kind === 'relay' ? 'relay.command' : 'meters.manage');
    const row = await this.db.transaction(async (tx) => {
      const m = await tx.query(`SELECT 1 FROM meters WHERE meter_no = $1 FOR UPDATE`, [meterNo]);
      if (m.rowCount === 0) throw new AppError('METER_NOT_FOUND');
      if (kind === 'relay') {
        // The operator's word is the newest: a system relay command still waiting must not replay after it.
        await tx.query(
          `UPDATE meter_commands SET status = 'superseded'
            WHERE meter_no = $1 AND kind = 'relay' AND status IN ('pending', 'sent') AND created_by IS NULL
              AND reason IN ('${FRIENDLY_HOURS_REASON}', '${FRIENDLY_HOURS_END_REASON}')`,
          [meterNo],
        );
      }
      const auditExtra = (await alsoWithin?.(tx)) ?? {};
      const { rows } = await tx.query<CommandDbRow>(
        `INSERT INTO meter_commands (meter_no, kind, payload, created_by, reason, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + ($6::bigint * interval '1 millisecond')) RETURNING *`,
        [meterNo, kind, JSON.stringify(payload), actorId(caller), reason, this.ttlMs],
      );
      const cmd = rows[0]!;
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', $2, $3, $4)`,
        [
          actorId(caller),
          `command.${kind}`,
          meterNo,
          JSON.stringify({ commandId: cmd.id, payload, reason, ...auditExtra }),
        ],
      );
      return cmd;
    });
    this.bus.emit('meter_command_created', {
      meterNo,
      commandId: String(row.id),
      kind,
      action: typeof payload.action === 'string' ? payload.action : null,
      reason,
    });
    const sent = await this.publish(row);
    return toCommandRow(sent ?? row);
  }

  /** Publishes one command (QoS 1, not retained) and marks it sent. */
  private async publish(cmd: CommandDbRow): Promise<CommandDbRow | null> {
    try {
      await this.transport.publish(
        commandTopic(cmd.meter_no, cmd.kind as CommandKind),
        this.message(cmd),
        false,
      );
    } catch (err) {
      this.logger.warn({ meterNo: cmd.meter_no, err: (err as Error).message }, 'command publish failed');
      return null;
    }
    const { rows } = await this.db.query<CommandDbRow>(
      `UPDATE meter_commands SET status = 'sent', sent_at = now(), attempts = attempts + 1
        WHERE id = $1 AND status IN ('pending', 'sent') RETURNING *`,
      [cmd.id],
    );
    return rows[0] ?? null;
  }

  /**
   * Publishes many system commands (QoS 1, not retained), a bounded number in flight, and marks
   * those published as sent in one statement. Returns how many went out.
   */
  async publishMany(cmds: readonly CommandDbRow[]): Promise<number> {
    const sent: string[] = [];
    for (let i = 0; i < cmds.length; i += L.commandPublishConcurrency) {
      const chunk = cmds.slice(i, i + L.commandPublishConcurrency);
      const results = await Promise.allSettled(
        chunk.map((cmd) =>
          this.transport.publish(
            commandTopic(cmd.meter_no, cmd.kind as CommandKind),
            this.message(cmd),
            false,
          ),
        ),
      );
      results.forEach((r, j) => {
        if (r.status === 'fulfilled') sent.push(chunk[j]!.id);
      });
    }
    if (sent.length < cmds.length) {
      this.logger.warn({ failed: cmds.length - sent.length }, 'some system commands were not published');
    }
    if (sent.length > 0) {
      await this.db.query(
        `UPDATE meter_commands SET status = 'sent', sent_at = now(), attempts = attempts + 1
          WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'sent')`,
        [sent],
      );
    }
    return sent.length;
  }

  private message(cmd: CommandDbRow): string {
    return JSON.stringify(
      cmd.kind === 'relay'
        ? { ...cmd.payload, timestamp: Math.floor(Date.now() / 1000), id: cmd.id }
        : { ...cmd.payload, id: cmd.id },
    );
  }

  /** Re-sends every open command of a meter that just came online, oldest first. */
  async resend(meterNo: string): Promise<number> {
    const { rows } = await this.db.query<CommandDbRow>(
      `SELECT * FROM meter_commands WHERE meter_no = $1 AND status IN ('pending', 'sent') AND expires_at > now()
        ORDER BY created_at LIMIT $2`,
      [meterNo, L.commandsResentPerMeter],
    );
    for (const cmd of rows) await this.publish(cmd);
    return rows.length;
  }

  /** The meter's status carried `ack: <id>`: that command is done. Unknown ids are ignored. */
  async acknowledge(meterNo: string, commandId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(commandId)) return false;
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<CommandDbRow>(
        `UPDATE meter_commands SET status = 'acknowledged', acknowledged_at = now()
          WHERE id = $1 AND meter_no = $2 AND status IN ('pending', 'sent') RETURNING *`,
        [commandId, meterNo],
      );
      const cmd = rows[0];
      if (!cmd) return false;
      await tx.query(
        `INSERT INTO audit_log (actor_kind, action, target, details) VALUES ('device', 'command.acknowledged', $1, $2)`,
        [meterNo, JSON.stringify({ commandId, kind: cmd.kind })],
      );
      return true;
    });
  }

  /** Expires overdue commands; each opens a `command_expired` alert, which notifies the admins. */
  async expireDue(now: Date = new Date()): Promise<number> {
    const changes = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<CommandDbRow & { user_id: string | null }>(
        `UPDATE meter_commands c SET status = 'expired'
           FROM meters m
          WHERE m.meter_no = c.meter_no AND c.status IN ('pending', 'sent') AND c.expires_at <= $1
          RETURNING c.*, m.user_id`,
        [now],
      );
      // System commands (friendly hours) expire at their window's end by design: an offline meter
      // is already a connection_lost alert, so they are neither audited one by one nor alerted.
      const operatorCommands = rows.filter((c) => !isFriendlyHoursCommand(c));
      for (const c of operatorCommands) {
        await tx.query(
          `INSERT INTO audit_log (actor_kind, action, target, details) VALUES ('system', 'command.expired', $1, $2)`,
          [c.meter_no, JSON.stringify({ commandId: c.id, kind: c.kind, reason: c.reason })],
        );
      }
      const alerts = await this.alerts.apply(
        tx,
        operatorCommands.map((c) => ({
          meterNo: c.meter_no,
          userId: c.user_id,
          kind: 'command_expired' as const,
          open: true,
          severity: 'warning' as const,
          message: `The meter did not acknowledge the ${c.kind} command (${c.reason}) in time.`,
        })),
      );
      return { count: rows.length, alerts };
    });
    this.alerts.publish(changes.alerts);
    return changes.count;
  }
}

type OverriddenMeter = SupplyRow & {
  meter_no: string;
  user_id: string | null;
  event_seq: number;
  relay: 'on' | 'off';
  status: string;
  power_w: number | null;
};

/** An operator's override moves no energy: the balance stays, the supply decision changes. */
function overrideChanged(r: OverriddenMeter): MeterChanged {
  const balanceMwh = r.credit_limit_mwh - r.energy_mwh;
  return {
    meterNo: r.meter_no,
    userId: r.user_id,
    eventSeq: r.event_seq,
    previousBalanceMwh: balanceMwh,
    balanceMwh,
    creditLimitMwh: r.credit_limit_mwh,
    energyMwh: r.energy_mwh,
    powerW: r.power_w,
    relay: r.relay,
    status: r.status,
    lastSeen: null,
    cause: 'adjustment',
    at: Date.now(),
    supply: supplyInputsOf(r),
  };
}
