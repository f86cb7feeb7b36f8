import { randomInt } from 'node:crypto';
import { ACCOUNT_NO_MAX_CHARS } from '@umeme/protocol';
import type { Queryable } from '../db/db';

/**
 * A meter's paybill account number (issue 17): what a customer types as the M-Pesa account and
 * what STK push sends as AccountReference, both at most 12 characters. The meter number itself
 * when it fits and no other meter answers to it; otherwise ten digits, generated.
 */
export const ACCOUNT_NO_SQL = `COALESCE(m.account_no, m.meter_no)`;

/** Generated account numbers: ten digits, easy to type on a phone's keypad. */
const GENERATED_DIGITS = 10;
const GENERATE_ATTEMPTS = 20;

async function accountTaken(db: Queryable, accountNo: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM meters m WHERE upper(${ACCOUNT_NO_SQL}) = upper($1) LIMIT 1`,
    [accountNo],
  );
  return (rowCount ?? 0) > 0;
}

/** The account number to store for a new meter: null when the meter number serves as its own. */
export async function chooseAccountNo(db: Queryable, meterNo: string): Promise<string | null> {
  if (meterNo.length <= ACCOUNT_NO_MAX_CHARS && !(await accountTaken(db, meterNo))) return null;
  for (let i = 0; i < GENERATE_ATTEMPTS; i++) {
    const candidate = String(randomInt(10 ** (GENERATED_DIGITS - 1), 10 ** GENERATED_DIGITS));
    if (!(await accountTaken(db, candidate))) return candidate;
  }
  throw new Error('no free account number after several attempts');
}

/** The paybill account number of a meter, or null when there is no such meter. */
export async function accountNoOf(db: Queryable, meterNo: string): Promise<string | null> {
  const { rows } = await db.query<{ account_no: string }>(
    `SELECT ${ACCOUNT_NO_SQL} AS account_no FROM meters m WHERE m.meter_no = $1`,
    [meterNo],
  );
  return rows[0]?.account_no ?? null;
}
