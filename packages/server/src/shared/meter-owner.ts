import type { Queryable } from '../db/db';

/** What `assertMeterAccess` needs to know about a meter: its owner, or null when it does not exist. */
export async function findMeterOwner(
  db: Queryable,
  meterNo: string,
): Promise<{ userId: string | null } | null> {
  const { rows } = await db.query<{ user_id: string | null }>(
    `SELECT user_id FROM meters WHERE meter_no = $1`,
    [meterNo],
  );
  const row = rows[0];
  return row ? { userId: row.user_id } : null;
}
