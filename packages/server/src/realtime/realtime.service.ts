import type { MeterSnapshot } from '@umeme/protocol';
import type { Db } from '../db/db';
import { assertMeterAccess, assertUserAccess, type Caller } from '../shared/access';
import { findMeterOwner } from '../shared/meter-owner';
import { SUPPLY_COLUMNS, type SupplyRow } from '../meters/supply';
import { snapshotFrom, type SnapshotRow } from './realtime.events';

const SNAPSHOT_SELECT = `SELECT meter_no, credit_limit_mwh, energy_mwh, relay, status, last_seen, power_w, event_seq,
  ${SUPPLY_COLUMNS} FROM meters`;

/** What a socket may see: the same access rule as HTTP (conventions: one access check). */
export class RealtimeService {
  constructor(
    private readonly db: Db,
    /** whether friendly hours are on now, for the server's relay decision */
    private readonly friendlyHoursNow: () => boolean = () => false,
  ) {}

  /** The meters a user owns, by meter number, at most `limit`. Admins get their own too, not the fleet. */
  async snapshotForUser(caller: Caller, userId: string, limit: number): Promise<MeterSnapshot[]> {
    assertUserAccess(caller, userId);
    const { rows } = await this.db.query<SnapshotRow & SupplyRow>(
      `${SNAPSHOT_SELECT} WHERE user_id = $1 ORDER BY meter_no LIMIT $2`,
      [userId, limit],
    );
    return rows.map((r) => snapshotFrom(r, this.friendlyHoursNow()));
  }

  /**
   * Which of `meterNos` the caller may watch now, by the one access rule (one statement for all
   * of them): a watched meter is re-checked on every (re)connection and snapshot, since it may
   * have changed hands since it was subscribed.
   */
  async watchableMeters(caller: Caller, meterNos: readonly string[]): Promise<Set<string>> {
    if (meterNos.length === 0) return new Set();
    const { rows } = await this.db.query<{ meter_no: string; user_id: string | null }>(
      `SELECT meter_no, user_id FROM meters WHERE meter_no = ANY($1::text[])`,
      [meterNos],
    );
    const owners = new Map(rows.map((r) => [r.meter_no, { userId: r.user_id }]));
    const entitled = new Set<string>();
    for (const meterNo of meterNos) {
      try {
        assertMeterAccess(caller, meterNo, owners.get(meterNo) ?? null);
        entitled.add(meterNo);
      } catch {
        // not found or not theirs: not watchable
      }
    }
    return entitled;
  }

  async snapshotForMeter(caller: Caller, meterNo: string): Promise<MeterSnapshot> {
    assertMeterAccess(caller, meterNo, await findMeterOwner(this.db, meterNo));
    const { rows } = await this.db.query<SnapshotRow & SupplyRow>(`${SNAPSHOT_SELECT} WHERE meter_no = $1`, [
      meterNo,
    ]);
    return snapshotFrom(rows[0]!, this.friendlyHoursNow());
  }
}
