import { arrayLiteral, type Db } from '../db/db';
import { assertUserAccess, permissionsOf, type Caller, type Role } from '../shared/access';
import { AppError } from '../shared/errors';
import { DEMO_ACCOUNTS } from '../demo/demo-accounts';
import type { EventBus } from '../shared/events';
import { AUTH_LIMITS } from './auth.limits';
import type { LoginBackoff } from './login-backoff';
import type { Notifier } from './notifier';
import { checkCode, codeHash, newCode } from './one-time-codes';
import { assertAcceptablePassword } from './password-policy';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './passwords';
import { bumpTokenVersion } from './sessions';
import type { TokenService } from './tokens';
import type { UserResponse } from './auth.schema';

interface UserRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  role: Role;
  locale: string;
  password_hash: string;
  /** created by the demo, with a well-known password (migration 010) */
  demo: boolean;
  token_version: number;
  disabled_at: Date | string | null;
  must_change_password: boolean;
}

const toUser = (r: UserRow): UserResponse => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  role: r.role,
  locale: r.locale,
  permissions: permissionsOf(r.role),
  temporaryCredentials: r.must_change_password,
});

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly bus: EventBus,
    private readonly backoff: LoginBackoff,
    private readonly notifier: Notifier,
    /** demo accounts may sign in only in demo mode */
    private readonly demoMode: boolean,
  ) {}

  private async signedIn(row: UserRow) {
    return { token: await this.tokens.issue(row.id, row.role, row.token_version), user: toUser(row) };
  }

  /**
   * Self-registration, first step. The answer is the same whether or not the address has an
   * account: a new address gets a code to finish with (`verifyRegistration`); the owner of an
   * existing one is told that someone tried. Without a sender, registration is closed.
   */
  async requestRegistration(input: {
    name: string;
    email: string;
    phone: string;
    password: string;
  }): Promise<void> {
    if (!this.notifier.configured) throw new AppError('REGISTRATION_CLOSED');
    assertAcceptablePassword(input.password, input.email);
    // Hashed on both paths, so the time taken does not tell them apart.
    const hash = await hashPassword(input.password);
    const taken = await this.db.query(`SELECT 1 FROM users WHERE email = $1`, [input.email]);
    if (taken.rowCount > 0) {
      await this.deliver({ kind: 'registration_attempt', to: input.email });
      return;
    }
    const code = newCode();
    await this.db.query(`DELETE FROM pending_registrations WHERE expires_at < now()`);
    // A new request replaces an earlier one: only whoever reads the address's messages can finish.
    await this.db.query(
      `INSERT INTO pending_registrations (email, name, phone, password_hash, code_hash, attempts, expires_at)
       VALUES ($1, $2, $3, $4, $5, 0, now() + make_interval(secs => $6))
       ON CONFLICT (email) DO UPDATE SET name = $2, phone = $3, password_hash = $4, code_hash = $5,
         attempts = 0, expires_at = now() + make_interval(secs => $6), created_at = now()`,
      [
        input.email,
        input.name,
        input.phone,
        hash,
        codeHash(input.email, code),
        AUTH_LIMITS.registrationCodeTtlS,
      ],
    );
    await this.deliver({ kind: 'verification_code', to: input.email, code });
  }

  /** Self-registration, second step: the code from the message creates the account and signs in. */
  async verifyRegistration(email: string, code: string) {
    const created = await this.db.transaction(async (tx) => {
      if (!(await checkCode(tx, 'pending_registrations', email, email, code))) return null;
      const { rows } = await tx.query<{ name: string; phone: string; password_hash: string }>(
        `SELECT name, phone, password_hash FROM pending_registrations WHERE email = $1`,
        [email],
      );
      const pending = rows[0]!;
      await tx.query(`DELETE FROM pending_registrations WHERE email = $1`, [email]);
      const inserted = await tx.query<UserRow>(
        `INSERT INTO users (name, email, phone, password_hash, role) VALUES ($1, $2, $3, $4, 'customer')
         ON CONFLICT (email) DO NOTHING RETURNING *`,
        [pending.name, email, pending.phone, pending.password_hash],
      );
      return inserted.rows[0] ?? null;
    });
    if (!created) throw new AppError('INVALID_CODE');
    return this.signedIn(created);
  }

  private async deliver(notice: Parameters<Notifier['send']>[0]): Promise<void> {
    // The answer must not differ when delivery fails; the failure is for the operators.
    await this.notifier.send(notice).catch((err: unknown) => this.onDeliveryFailed?.(err));
  }

  /** Set by the app to log a failed delivery. */
  onDeliveryFailed?: (err: unknown) => void;

  /**
   * Creates a verified customer account directly and signs it in (tests, benchmarks, operator
   * tooling). Customers sign themselves up through `requestRegistration`.
   */
  async register(input: { name: string; email: string; phone: string; password: string }) {
    assertAcceptablePassword(input.password, input.email);
    const hash = await hashPassword(input.password);
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (name, email, phone, password_hash, role) VALUES ($1, $2, $3, $4, 'customer')
       ON CONFLICT (email) DO NOTHING RETURNING *`,
      [input.name, input.email, input.phone, hash],
    );
    const row = rows[0];
    if (!row) throw new AppError('EMAIL_TAKEN');
    return this.signedIn(row);
  }

  async login(email: string, password: string) {
    // Before the password is looked at: during a back-off it is not checked at all.
    await this.backoff.claim(email);
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE email = $1`, [email]);
    const row = rows[0];
    // An unknown address costs one hash too, so the answer's timing does not tell.
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyPasswordHash()));
    // Outside demo mode a demo account answers exactly like a wrong password.
    if (!row || !ok || (row.demo && !this.demoMode)) {
      await this.backoff.failed(email);
      throw new AppError('INVALID_CREDENTIALS');
    }
    await this.backoff.clear(email);
    if (needsRehash(row.password_hash)) await this.rehash(row, password);
    // Told only to someone who knows the password.
    if (row.disabled_at !== null) throw new AppError('ACCOUNT_DISABLED');
    return this.signedIn(row);
  }

  /** Ends every session of the caller (every token and socket), not just this one. */
  async logout(caller: Caller): Promise<void> {
    if (caller.kind !== 'user') throw new AppError('UNAUTHENTICATED');
    await bumpTokenVersion(this.db, caller.userId);
    this.bus.emit('user_sessions_ended', { userId: caller.userId, reason: 'logout' });
  }

  /** Changes the caller's password; every other session ends, and this one gets a new token. */
  async changePassword(caller: Caller, currentPassword: string, newPassword: string) {
    if (caller.kind !== 'user') throw new AppError('UNAUTHENTICATED');
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [caller.userId]);
    const row = rows[0];
    if (!row) throw new AppError('UNAUTHENTICATED');
    assertAcceptablePassword(newPassword, row.email);
    // A stolen session must not become a way around the sign-in back-off.
    await this.backoff.claim(row.email);
    if (!(await verifyPassword(currentPassword, row.password_hash))) {
      await this.backoff.failed(row.email);
      throw new AppError('CURRENT_PASSWORD_WRONG');
    }
    await this.backoff.clear(row.email);
    const updated = await this.db.query<UserRow>(
      `UPDATE users SET password_hash = $2, must_change_password = false, token_version = token_version + 1
        WHERE id = $1 RETURNING *`,
      [row.id, await hashPassword(newPassword)],
    );
    this.bus.emit('user_sessions_ended', { userId: row.id, reason: 'password_changed' });
    return this.signedIn(updated.rows[0]!);
  }

  /** Rewrites a hash made at an older setting, now that the password is known to be right. */
  private async rehash(row: UserRow, password: string): Promise<void> {
    await this.db.query(`UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [
      row.id,
      row.password_hash,
      await hashPassword(password),
    ]);
  }

  async getUser(caller: Caller, userId: string): Promise<UserResponse> {
    assertUserAccess(caller, userId);
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [userId]);
    if (!rows[0]) throw new AppError('USER_NOT_FOUND');
    return toUser(rows[0]);
  }

  /**
   * ADMIN_EMAIL/ADMIN_PASSWORD: creates the operator when no account has that email. An existing
   * account is left as it is: its password may have been changed since, and a restart must not
   * undo that. Returns whether it was created, and the role an existing account has.
   */
  async bootstrapAdmin(input: {
    email: string;
    password: string;
    name: string;
  }): Promise<{ created: boolean; role: Role; demo: boolean }> {
    const created = await this.db.query<{ id: string }>(
      `INSERT INTO users (name, email, password_hash, role) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [input.name, input.email, await hashPassword(input.password)],
    );
    if (created.rows[0]) return { created: true, role: 'admin', demo: false };
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE email = $1`, [input.email]);
    return { created: false, role: rows[0]?.role ?? 'admin', demo: rows[0]?.demo ?? false };
  }

  /**
   * A demo account (demo mode only): created flagged `demo`, or, when it exists and is flagged,
   * given its well-known password and role again. An account with that email that the demo did
   * not create is never touched: returns null.
   */
  async ensureDemoUser(input: {
    email: string;
    password: string;
    name: string;
    role: Role;
    phone?: string;
  }): Promise<string | null> {
    const hash = await hashPassword(input.password);
    const created = await this.db.query<{ id: string }>(
      `INSERT INTO users (name, email, phone, password_hash, role, demo) VALUES ($1, $2, $3, $4, $5, true)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [input.name, input.email, input.phone ?? null, hash, input.role],
    );
    if (created.rows[0]) return created.rows[0].id;
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE email = $1`, [input.email]);
    const existing = rows[0];
    if (!existing?.demo) return null;
    if (!(await verifyPassword(input.password, existing.password_hash)) || existing.role !== input.role) {
      await this.db.query(
        `UPDATE users SET password_hash = $2, role = $3, token_version = token_version + 1 WHERE id = $1 AND demo`,
        [existing.id, hash, input.role],
      );
    }
    return existing.id;
  }

  /**
   * Before migration 010 the demo created its accounts unflagged, in every mode. An account
   * with a demo email whose password is still the published one is such an account (and if it
   * is not, that password is public anyway): flag it, so it cannot sign in outside the demo.
   * Returns the emails flagged now.
   */
  async flagLegacyDemoAccounts(): Promise<string[]> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT * FROM users WHERE NOT demo AND email = ANY($1::text[])`,
      [arrayLiteral(DEMO_ACCOUNTS.map((a) => a.email))],
    );
    const flagged: string[] = [];
    for (const row of rows) {
      const account = DEMO_ACCOUNTS.find((a) => a.email === row.email);
      if (account && (await verifyPassword(account.password, row.password_hash))) {
        await this.db.query(`UPDATE users SET demo = true WHERE id = $1`, [row.id]);
        flagged.push(row.email);
      }
    }
    return flagged;
  }

  /** Accounts flagged demo: outside demo mode their sessions are refused too. */
  async demoUserIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM users WHERE demo`);
    return rows.map((r) => r.id);
  }
}
