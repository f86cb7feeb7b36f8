import { randomBytes } from 'node:crypto';
import type { Db } from './db';

/**
 * A secret made once and kept in `settings`, so every instance and restart uses the same one:
 * the first instance to store its fresh value wins and every other reads that one.
 */
export async function persistentSecret(
  db: Db,
  key: string,
  make: () => string = () => randomBytes(48).toString('base64url'),
): Promise<string> {
  await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
    key,
    make(),
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [key]);
  return rows[0]!.value;
}
