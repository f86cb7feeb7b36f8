import type { Db, Queryable, Transaction } from '../db/db';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import { AUTH_LIMITS } from './auth.limits';
import type { LoginBackoff } from './login-backoff';
import type { Notifier } from './notifier';
import { checkCode, codeHash, newCode } from './one-time-codes';
import { assertAcceptablePassword } from './password-policy';
import { hashPassword } from './passwords';

/** What the SMS channel needs to send a reset code (set by the app when SMS is on). */
export interface ResetSms {
  userId: string;
  phone: string;
  locale: string;
  code: string;
  /** names this request, so the outbox queues it once */
  requestId: string;
}

interface Account {
  id: string;
  email: string;
  phone: string | null;
  locale: string;
}

/** A phone number as customers type it (07…, +2547…, 2547…) → 2547…; null when it is not one. */
export function phoneLogin(login: string): string | null {
  const digits = login.replace(/[\s-]/g, '');
  const m = /^(?:\+?254|0)([17]\d{8})$/.exec(digits);
  return m ? `254${m[1]}` : null;
}

/**
 * Forgotten password (issue 17): a code sent to the account's email (the notifier) and phone
 * (the SMS outbox), then the code with a new password. Every answer is the same whether or
 * not the address has an account. The codes are registration's (`one-time-codes`): hashed,
 * short-lived, a few tries.
 */
export class PasswordResetService {
  /** Set by the app when SMS is on: queues the code to the account's phone. */
  sendSms?: (tx: Transaction, sms: ResetSms) => Promise<void>;
  /** Set by the app to log a failed delivery. */
  onDeliveryFailed?: (err: unknown) => void;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly backoff: LoginBackoff,
    private readonly notifier: Notifier,
    /** demo accounts are not reset outside demo mode (they cannot sign in there) */
    private readonly demoMode: boolean,
  ) {}

  /** The account a login (email, or a phone number that names exactly one account) names. */
  private async accountOf(q: Queryable, login: string): Promise<Account | null> {
    const phone = phoneLogin(login);
    const { rows } = await q.query<Account>(
      `SELECT id, email, phone, locale FROM users
        WHERE ${phone === null ? 'email = $1' : 'phone = $1'}
          AND disabled_at IS NULL AND (NOT demo OR $2::boolean)
        LIMIT 2`,
      [phone ?? login.trim().toLowerCase(), this.demoMode],
    );
    return rows.length === 1 ? rows[0]! : null;
  }

  /**
   * First step. Sends nothing when the login names no account, or when a code went to it a
   * moment ago (a flood of requests sends one message); the caller cannot tell which.
   */
  async request(login: string): Promise<void> {
    const sent = await this.db.transaction(async (tx) => {
      const account = await this.accountOf(tx, login);
      if (!account) return null;
      const code = newCode();
      const { rows } = await tx.query<{ created_ms: string }>(
        `INSERT INTO password_resets AS r (user_id, code_hash, attempts, expires_at)
         VALUES ($1, $2, 0, now() + make_interval(secs => $3))
         ON CONFLICT (user_id) DO UPDATE SET code_hash = $2, attempts = 0,
           expires_at = now() + make_interval(secs => $3), created_at = now()
         WHERE r.created_at < now() - make_interval(secs => $4)
         RETURNING (extract(epoch FROM created_at) * 1000)::bigint::text AS created_ms`,
        [account.id, codeHash(account.id, code), AUTH_LIMITS.resetCodeTtlS, AUTH_LIMITS.resetResendAfterS],
      );
      if (!rows[0]) return null;
      if (account.phone !== null && this.sendSms) {
        await this.sendSms(tx, {
          userId: account.id,
          phone: account.phone,
          locale: account.locale,
          code,
          requestId: rows[0].created_ms,
        });
      }
      return { account, code };
    });
    await this.db.query(`DELETE FROM password_resets WHERE expires_at < now()`);
    if (!sent) return;
    await this.notifier
      .send({ kind: 'password_reset_code', to: sent.account.email, code: sent.code })
      .catch((err: unknown) => this.onDeliveryFailed?.(err));
  }

  /**
   * Second step: the right code sets the new password (the policy applies), ends every session
   * of the account and is used up; audited. A wrong, expired or unknown one is INVALID_CODE.
   */
  async confirm(login: string, code: string, newPassword: string): Promise<void> {
    const hash = await hashPassword(newPassword);
    const account = await this.db.transaction(async (tx) => {
      const account = await this.accountOf(tx, login);
      if (!account || !(await checkCode(tx, 'password_resets', account.id, account.id, code))) return null;
      // Refused before the code is used up: the customer tries again with a better password.
      assertAcceptablePassword(newPassword, account.email);
      await tx.query(`DELETE FROM password_resets WHERE user_id = $1`, [account.id]);
      await tx.query(`UPDATE users SET password_hash = $2, token_version = token_version + 1 WHERE id = $1`, [
        account.id,
        hash,
      ]);
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, 'user', 'user.password_reset', $2, $3)`,
        [account.id, account.id, JSON.stringify({ via: phoneLogin(login) === null ? 'email' : 'phone' })],
      );
      return account;
    });
    if (!account)
      throw new AppError('INVALID_CODE', 'That code is not right or has expired. Ask for a new one.');
    await this.backoff.clear(account.email);
    this.bus.emit('user_sessions_ended', { userId: account.id, reason: 'password_changed' });
  }
}
