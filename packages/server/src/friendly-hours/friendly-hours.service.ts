import {
  DEFAULT_FRIENDLY_SCHEDULE,
  isFriendlyTime,
  localTimeOfDay,
  nextFriendlyTransition,
  validateFriendlySchedule,
  type FriendlySchedule,
} from '@umeme/core';
import { isOnlineStatus } from '@umeme/protocol';
import type { Logger } from 'pino';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import { FRIENDLY_HOURS_END_REASON, FRIENDLY_HOURS_REASON, type CommandDbRow } from '../commands/command-row';
import type { CommandsService } from '../commands/commands.service';
import type { Db } from '../db/db';
import { actorId, assertCan, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { FriendlyHoursBody, FriendlyHoursNow } from './friendly-hours.schema';

const SETTINGS_KEY = 'friendly_hours';
/** One instance at a time sends the transitions (PostgreSQL with several instances). */
const TICK_LOCK_KEY = 7262638;

interface Stored {
  schedule: FriendlySchedule;
  updatedAt: string | null;
}

const view = (s: FriendlySchedule) => ({ ...s, holidays: [...s.holidays] });

interface TickResult {
  active: boolean;
  /** commands written this tick */
  created: number;
  /** of those, published at once (the meter was online); the rest go out when it comes online */
  published: number;
}

/**
 * Friendly hours (issue 5 §4). The schedule lives in `settings`; a tick compares, for every
 * meter, the relay command in force with what the schedule wants now and writes the
 * difference in one batch: `connect` (reason friendly_hours) inside a window, `auto`
 * (friendly_hours_end) after it. An operator's own connect or disconnect is never overridden;
 * once the operator sets the meter back to auto, the next tick applies the window. Stale open
 * friendly commands are superseded, so a meter reconnecting gets only the current one.
 */
export class FriendlyHoursService {
  private timer: NodeJS.Timeout | null = null;
  private stored: Stored = { schedule: DEFAULT_FRIENDLY_SCHEDULE, updatedAt: null };
  /** ticks run one after another in this process */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly commands: CommandsService,
    private readonly logger: Logger,
    private readonly opts: { tickIntervalMs: number; clock?: () => number },
  ) {}

  private nowMs(): number {
    return (this.opts.clock ?? Date.now)();
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.logger.warn({ err }, 'friendly-hours tick failed'));
    }, this.opts.tickIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The schedule as last read, evaluated at an instant: for the customer dashboard. */
  status(atMs: number = this.nowMs()): FriendlyHoursNow {
    const s = this.stored.schedule;
    const next = nextFriendlyTransition(s, atMs);
    return {
      active: isFriendlyTime(s, atMs),
      until: next === null ? null : new Date(next).toISOString(),
      untilLocalTime: next === null ? null : localTimeOfDay(s, next),
    };
  }

  async read(caller: Caller) {
    assertCan(caller, 'console.view');
    this.stored = await this.load();
    return { schedule: view(this.stored.schedule), now: this.status(), updatedAt: this.stored.updatedAt };
  }

  async update(caller: Caller, body: FriendlyHoursBody) {
    assertCan(caller, 'meters.manage');
    const { reason, ...fields } = body;
    const schedule: FriendlySchedule = { ...fields, holidays: [...new Set(fields.holidays)].sort() };
    try {
      validateFriendlySchedule(schedule);
    } catch (err) {
      throw new AppError('BAD_REQUEST', (err as Error).message);
    }
    const stored: Stored = { schedule, updatedAt: new Date().toISOString() };
    await this.db.transaction(async (tx) => {
      const prev = await tx.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1 FOR UPDATE`, [
        SETTINGS_KEY,
      ]);
      await tx.query(
        `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [SETTINGS_KEY, JSON.stringify(stored)],
      );
      const previous = prev.rows[0] ? (JSON.parse(prev.rows[0].value) as Stored).schedule : null;
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'friendly_hours.update', $2, $3)`,
        [actorId(caller), SETTINGS_KEY, JSON.stringify({ previous, schedule, reason })],
      );
    });
    this.stored = stored;
    // Apply at once rather than at the next tick: the operator sees the effect of the change.
    await this.tick();
    return { schedule: view(schedule), now: this.status(), updatedAt: stored.updatedAt };
  }

  /** Brings every meter's relay command in line with the schedule at `atMs`. */
  tick(atMs: number = this.nowMs()): Promise<TickResult> {
    const run = this.serial.then(() => this.applyAt(atMs));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<Stored> {
    const { rows } = await this.db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [
      SETTINGS_KEY,
    ]);
    if (!rows[0]) return { schedule: DEFAULT_FRIENDLY_SCHEDULE, updatedAt: null };
    const stored = JSON.parse(rows[0].value) as Stored;
    validateFriendlySchedule(stored.schedule);
    return stored;
  }

  private async applyAt(atMs: number): Promise<TickResult> {
    // Read every tick: another instance may have changed the schedule.
    this.stored = await this.load();
    const schedule = this.stored.schedule;
    const active = isFriendlyTime(schedule, atMs);
    const next = nextFriendlyTransition(schedule, atMs);
    // A window's command is worthless after the window: it expires at the next transition.
    const expiresAt = new Date(next ?? atMs + L.commandTtlMs);
    const created = await this.db.transaction(async (tx) => {
      const lock = await tx.query<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS got`, [
        TICK_LOCK_KEY,
      ]);
      if (!lock.rows[0]?.got) return [];
      // The relay command in force per meter is the newest one neither expired nor superseded.
      const wanted = active
        ? `cur.action IS NULL OR cur.action = 'auto'`
        : `cur.created_by IS NULL AND cur.reason = '${FRIENDLY_HOURS_REASON}' AND cur.action = 'connect'`;
      const targets = await tx.query<{ meter_no: string }>(
        `SELECT m.meter_no FROM meters m
           LEFT JOIN LATERAL (
             SELECT c.created_by, c.reason, c.payload->>'action' AS action FROM meter_commands c
              WHERE c.meter_no = m.meter_no AND c.kind = 'relay' AND c.status IN ('pending', 'sent', 'acknowledged')
              ORDER BY c.created_at DESC LIMIT 1) cur ON true
          WHERE ${wanted}`,
      );
      const meterNos = targets.rows.map((r) => r.meter_no);
      if (meterNos.length === 0) return [];
      await tx.query(
        `UPDATE meter_commands SET status = 'superseded'
          WHERE meter_no = ANY($1::text[]) AND kind = 'relay' AND status IN ('pending', 'sent')
            AND created_by IS NULL AND reason IN ($2, $3)`,
        [meterNos, FRIENDLY_HOURS_REASON, FRIENDLY_HOURS_END_REASON],
      );
      const reason = active ? FRIENDLY_HOURS_REASON : FRIENDLY_HOURS_END_REASON;
      const payload = { action: active ? 'connect' : 'auto', reason };
      const { rows } = await tx.query<CommandDbRow & { meter_status: string }>(
        `WITH ins AS (
           INSERT INTO meter_commands (meter_no, kind, payload, reason, expires_at)
           SELECT t.meter_no, 'relay', $2::jsonb, $3, $4 FROM unnest($1::text[]) AS t(meter_no)
           RETURNING *)
         SELECT ins.*, m.status AS meter_status FROM ins JOIN meters m USING (meter_no)`,
        [meterNos, JSON.stringify(payload), reason, expiresAt],
      );
      await tx.query(
        `INSERT INTO audit_log (actor_kind, action, target, details) VALUES ('system', $1, $2, $3)`,
        [
          active ? 'friendly_hours.window_start' : 'friendly_hours.window_end',
          SETTINGS_KEY,
          JSON.stringify({
            meters: rows.length,
            at: new Date(atMs).toISOString(),
            until: expiresAt.toISOString(),
          }),
        ],
      );
      return rows;
    });
    // Offline meters get theirs from CommandsService when they come online.
    const online = created.filter((c) => isOnlineStatus(c.meter_status));
    const published = online.length === 0 ? 0 : await this.commands.publishMany(online);
    if (created.length > 0) {
      this.logger.info({ active, created: created.length, published }, 'friendly-hours relay commands sent');
    }
    return { active, created: created.length, published };
  }
}
