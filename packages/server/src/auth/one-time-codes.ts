import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/db';
import { AUTH_LIMITS } from './auth.limits';

/**
 * Short codes sent out of band (registration, password reset): digits, kept only as a hash
 * bound to whom they were sent, good for a while and for a few tries. Both uses go through
 * these functions; each keeps its codes in a table of its own with the columns
 * `code_hash`, `attempts` and `expires_at`.
 */
export function newCode(): string {
  return String(randomInt(10 ** AUTH_LIMITS.codeDigits)).padStart(AUTH_LIMITS.codeDigits, '0');
}

/** A code's hash, bound to its subject (an address or an account id). */
export const codeHash = (subject: string, code: string): string =>
  createHash('sha256').update(`${subject}\n${code}`).digest('hex');

/** The tables holding codes, and the column each is keyed by (constants, never input). */
const CODE_TABLES = {
  pending_registrations: 'email',
  password_resets: 'user_id',
} as const;
export type CodeTable = keyof typeof CODE_TABLES;

/**
 * Checks `code` against the row of `key` in `table`, in the caller's transaction, the row
 * locked. A wrong code counts one try; an expired code, or the last try, deletes the row. A
 * right code leaves the row for the caller to use and delete. True when the code is right.
 */
export async function checkCode(
  tx: Queryable,
  table: CodeTable,
  key: string,
  subject: string,
  code: string,
): Promise<boolean> {
  const column = CODE_TABLES[table];
  const { rows } = await tx.query<{ code_hash: string; attempts: number; live: boolean }>(
    `SELECT code_hash, attempts, expires_at > now() AS live FROM ${table} WHERE ${column} = $1 FOR UPDATE`,
    [key],
  );
  const row = rows[0];
  if (!row) return false;
  const right = timingSafeEqual(
    Buffer.from(row.code_hash, 'hex'),
    Buffer.from(codeHash(subject, code), 'hex'),
  );
  if (row.live && right) return true;
  if (!row.live || row.attempts + 1 >= AUTH_LIMITS.codeMaxAttempts) {
    await tx.query(`DELETE FROM ${table} WHERE ${column} = $1`, [key]);
  } else {
    await tx.query(`UPDATE ${table} SET attempts = attempts + 1 WHERE ${column} = $1`, [key]);
  }
  return false;
}
