import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/db';
import { ACCOUNT_NO_SQL } from '../meters/account-no';
import { actorId, assertCan, type Caller } from '../shared/access';
import { iso } from '../shared/dates';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import { CLAIM_LIMITS } from './meter-claims.schema';

/** No look-alikes: a code is read off a label and typed on a phone. */
const ALPHABET = 'ACDEFGHJKLMNPQRTUVWXY34679';

/** `abcd-efgh ` → `ABCDEFGH`: what the customer typed, as the code was made. */
export const normaliseClaimCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');

const claimHash = (meterNo: string, code: string): string =>
  createHash('sha256')
    .update(`claim\n${meterNo}\n${normaliseClaimCode(code)}`)
    .digest('hex');

function newClaimCode(): string {
  let code = '';
  for (let i = 0; i < CLAIM_LIMITS.codeChars; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * A customer adds a meter to their account with its paybill account number and its claim code
 * (issue 17). Operators issue the codes; only their hashes are kept. To the claimer, "no such
 * meter", "wrong code" and "already owned" are one answer, and wrong claims are limited per
 * account and per account number typed.
 */
export class MeterClaimsService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  /** A new claim code for a meter, replacing any earlier one; shown once, audited. */
  async issueCode(caller: Caller, meterNo: string) {
    assertCan(caller, 'meters.manage');
    const code = newClaimCode();
    const row = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{
        account_no: string;
        issued_at: Date | string;
        user_id: string | null;
      }>(
        `UPDATE meters m SET claim_code_hash = $2, claim_code_issued_at = now() WHERE m.meter_no = $1
         RETURNING ${ACCOUNT_NO_SQL} AS account_no, m.claim_code_issued_at AS issued_at, m.user_id`,
        [meterNo, claimHash(meterNo, code)],
      );
      const r = rows[0];
      if (!r) throw new AppError('METER_NOT_FOUND');
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'meter.claim_code_issued', $2, $3)`,
        [actorId(caller), meterNo, JSON.stringify({ owned: r.user_id !== null })],
      );
      return r;
    });
    return { meterNo, accountNo: row.account_no, claimCode: code, issuedAt: iso(row.issued_at)! };
  }

  /** Whether a meter has a live claim code (never the code itself). */
  async codeStatus(caller: Caller, meterNo: string) {
    assertCan(caller, 'console.view');
    const { rows } = await this.db.query<{
      account_no: string;
      issued_at: Date | string | null;
      user_id: string | null;
    }>(
      `SELECT ${ACCOUNT_NO_SQL} AS account_no, m.claim_code_issued_at AS issued_at, m.user_id
         FROM meters m WHERE m.meter_no = $1`,
      [meterNo],
    );
    const r = rows[0];
    if (!r) throw new AppError('METER_NOT_FOUND');
    return { meterNo, accountNo: r.account_no, issuedAt: iso(r.issued_at), owned: r.user_id !== null };
  }

  /** The caller's claim: the right code for an unowned meter makes it theirs, audited; the code is used up. */
  async claim(caller: Caller, accountNo: string, code: string) {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const keys = [`account:${caller.userId}`, `meter:${accountNo.toUpperCase()}`];
    await this.assertNotLimited(keys);
    const claimed = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{
        meter_no: string;
        account_no: string;
        user_id: string | null;
        claim_code_hash: string | null;
      }>(
        `SELECT m.meter_no, ${ACCOUNT_NO_SQL} AS account_no, m.user_id, m.claim_code_hash
           FROM meters m WHERE upper(${ACCOUNT_NO_SQL}) = upper($1) FOR UPDATE`,
        [accountNo],
      );
      const m = rows.length === 1 ? rows[0]! : null;
      // Compared even when the meter is missing or owned, so the time taken does not tell.
      const given = Buffer.from(claimHash(m?.meter_no ?? accountNo, code), 'hex');
      const expected = Buffer.from(m?.claim_code_hash ?? '0'.repeat(64), 'hex');
      const right = timingSafeEqual(given, expected);
      if (!m || m.user_id !== null || m.claim_code_hash === null || !right) return null;
      await tx.query(
        `UPDATE meters SET user_id = $2, claim_code_hash = NULL, claim_code_issued_at = NULL,
                           event_seq = event_seq + 1 WHERE meter_no = $1`,
        [m.meter_no, caller.userId],
      );
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'meter.claimed', $2, $3)`,
        [caller.userId, m.meter_no, JSON.stringify({ accountNo: m.account_no })],
      );
      return m;
    });
    if (!claimed) {
      await this.recordFailure(keys);
      throw new AppError('CLAIM_REJECTED');
    }
    // Live views follow, as when an operator assigns the meter: the new owner's sockets hear it.
    this.bus.emit('meter_assigned', { meterNo: claimed.meter_no, from: null, to: caller.userId });
    return { meterNo: claimed.meter_no, accountNo: claimed.account_no };
  }

  private async assertNotLimited(keys: string[]): Promise<void> {
    const { rows } = await this.db.query<{ wait_s: number }>(
      `SELECT GREATEST(1, ceil(extract(epoch FROM window_started_at + make_interval(secs => $3) - now())))::int AS wait_s
         FROM claim_failures
        WHERE key IN ($1, $2) AND failures >= $4 AND window_started_at > now() - make_interval(secs => $3)
        ORDER BY wait_s DESC LIMIT 1`,
      [keys[0], keys[1], CLAIM_LIMITS.failureWindowS, CLAIM_LIMITS.maxFailures],
    );
    const wait = rows[0]?.wait_s;
    if (wait !== undefined) throw new AppError('CLAIM_LIMITED', undefined, { retryAfterS: wait });
  }

  /** One wrong claim against each key; a window that has run out starts again. */
  private async recordFailure(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.db.query(
        `INSERT INTO claim_failures AS f (key, failures, window_started_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN f.window_started_at > now() - make_interval(secs => $2) THEN f.failures + 1 ELSE 1 END,
           window_started_at = CASE WHEN f.window_started_at > now() - make_interval(secs => $2) THEN f.window_started_at ELSE now() END`,
        [key, CLAIM_LIMITS.failureWindowS],
      );
    }
    await this.db.query(
      `DELETE FROM claim_failures WHERE window_started_at < now() - make_interval(secs => $1)`,
      [CLAIM_LIMITS.failureWindowS],
    );
  }
}
