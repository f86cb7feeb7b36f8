import { randomBytes } from 'node:crypto';
import type { Db } from './db';

/** A secret made once and kept in `settings`, so every instance and restart uses the same one. */
export async function persistentSecret(db: Db, key: string): Promise<string> {
  const fresh = randomBytes(48).toString('base64url');
  await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
    key,
    fresh,
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [key]);
  return rows[0]!.value;
}
