import type { Db } from '../db/db';
import { AppError } from '../shared/errors';
import { AUTH_LIMITS } from './auth.limits';

interface BackoffSettings {
  afterFailures: number;
  baseS: number;
  maxS: number;
}

/**
 * Per-account sign-in back-off, kept in the database so that every instance, and a restarted
 * one, sees it. Keyed by the email as typed (lower case), so an unknown address meets exactly
 * what a real one does. Each attempt is claimed before its password is checked, in one
 * statement under the row's lock: parallel guesses cannot slip past. From the Nth consecutive
 * failure on, each next attempt waits baseS · 2^(failures − N), at most maxS; an attempt
 * during the wait is refused unchecked. A success clears the row.
 */
export class LoginBackoff {
  private lastSweepMs = 0;

  constructor(
    private readonly db: Db,
    private readonly settings: BackoffSettings,
  ) {}

  /** Claims one attempt for `email`, or throws LOGIN_BACKOFF with the seconds left. */
  async claim(email: string): Promise<void> {
    const { afterFailures, baseS, maxS } = this.settings;
    const claimed = await this.db.query(
      `INSERT INTO login_backoff AS b (email, failures, blocked_until, updated_at)
       VALUES ($1, 1, CASE WHEN 1 >= $2 THEN now() + make_interval(secs => $3) END, now())
       ON CONFLICT (email) DO UPDATE SET
         failures = b.failures + 1,
         blocked_until = CASE WHEN b.failures + 1 >= $2
           THEN now() + make_interval(secs => LEAST($3 * power(2, b.failures + 1 - $2), $4)) END,
         updated_at = now()
       WHERE b.blocked_until IS NULL OR b.blocked_until <= now()
       RETURNING failures`,
      [email, afterFailures, baseS, maxS],
    );
    if (claimed.rowCount > 0) {
      this.sweepNowAndThen();
      return;
    }
    const { rows } = await this.db.query<{ wait_s: number }>(
      `SELECT GREATEST(1, ceil(extract(epoch FROM blocked_until - now())))::int AS wait_s
         FROM login_backoff WHERE email = $1`,
      [email],
    );
    const waitS = rows[0]?.wait_s ?? 1;
    throw new AppError(
      'LOGIN_BACKOFF',
      `Too many wrong passwords for this account; try again in ${waitS} s.`,
      { retryAfterS: waitS },
    );
  }

  /**
   * A wrong password: the wait, set when the attempt was claimed, runs again from now, so a
   * slow check (a loaded server) does not eat into it.
   */
  async failed(email: string): Promise<void> {
    const { afterFailures, baseS, maxS } = this.settings;
    await this.db.query(
      `UPDATE login_backoff
          SET blocked_until = now() + make_interval(secs => LEAST($2 * power(2, failures - $3), $4))
        WHERE email = $1 AND failures >= $3`,
      [email, baseS, afterFailures, maxS],
    );
  }

  /** A successful sign-in: the count starts again. */
  async clear(email: string): Promise<void> {
    await this.db.query(`DELETE FROM login_backoff WHERE email = $1`, [email]);
  }

  /** Rows of addresses nobody has tried for a day go, so guesses at made-up ones do not pile up. */
  private sweepNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastSweepMs < AUTH_LIMITS.backoffSweepEveryMs) return;
    this.lastSweepMs = now;
    this.db
      .query(
        `DELETE FROM login_backoff WHERE updated_at < now() - make_interval(secs => $1)
           AND (blocked_until IS NULL OR blocked_until < now())`,
        [AUTH_LIMITS.backoffForgetAfterS],
      )
      .catch(() => {});
  }
}
