import type { MeterSnapshot } from '@umeme/protocol';
import type { Db } from '../db/db';
import { assertMeterAccess, assertUserAccess, type Caller } from '../shared/access';
import { findMeterOwner } from '../shared/meter-owner';
import { snapshotFrom, type SnapshotRow } from './realtime.events';

const SNAPSHOT_SELECT = `SELECT meter_no, credit_limit_mwh, energy_mwh, relay, status, last_seen, power_w, event_seq
  FROM meters`;

/** What a socket may see: the same access rule as HTTP (conventions: one access check). */
export class RealtimeService {
  constructor(private readonly db: Db) {}

  /** The meters a user owns, by meter number, at most `limit`. Admins get their own too, not the fleet. */
  async snapshotForUser(caller: Caller, userId: string, limit: number): Promise<MeterSnapshot[]> {
    assertUserAccess(caller, userId);
    const { rows } = await this.db.query<SnapshotRow>(
      `${SNAPSHOT_SELECT} WHERE user_id = $1 ORDER BY meter_no LIMIT $2`,
      [userId, limit],
    );
    return rows.map(snapshotFrom);
  }

  async snapshotForMeter(caller: Caller, meterNo: string): Promise<MeterSnapshot> {
    assertMeterAccess(caller, meterNo, await findMeterOwner(this.db, meterNo));
    const { rows } = await this.db.query<SnapshotRow>(`${SNAPSHOT_SELECT} WHERE meter_no = $1`, [meterNo]);
    return snapshotFrom(rows[0]!);
  }
}
