import { arrayLiteral, type Db } from '../db/db';
import { assertUserAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import { DEMO_ACCOUNTS } from '../demo/demo-accounts';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
import type { TokenService } from './tokens';
import type { UserResponse } from './auth.schema';

interface UserRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  role: 'customer' | 'admin';
  locale: string;
  password_hash: string;
  /** created by the demo, with a well-known password (migration 010) */
  demo: boolean;
}

const toUser = (r: UserRow): UserResponse => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  role: r.role,
  locale: r.locale,
});

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    /** demo accounts may sign in only in demo mode */
    private readonly demoMode: boolean,
  ) {}

  async register(input: { name: string; email: string; phone: string; password: string }) {
    const hash = await hashPassword(input.password);
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (name, email, phone, password_hash, role) VALUES ($1, $2, $3, $4, 'customer')
       ON CONFLICT (email) DO NOTHING RETURNING *`,
      [input.name, input.email, input.phone, hash],
    );
    const row = rows[0];
    if (!row) throw new AppError('EMAIL_TAKEN');
    return { token: await this.tokens.issue(row.id, row.role), user: toUser(row) };
  }

  async login(email: string, password: string) {
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE email = $1`, [email]);
    const row = rows[0];
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyPasswordHash()));
    // Outside demo mode a demo account answers exactly like a wrong password.
    if (!row || !ok || (row.demo && !this.demoMode)) throw new AppError('INVALID_CREDENTIALS');
    return { token: await this.tokens.issue(row.id, row.role), user: toUser(row) };
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
  }): Promise<{ created: boolean; role: 'customer' | 'admin'; demo: boolean }> {
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
    role: 'customer' | 'admin';
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
      await this.db.query(`UPDATE users SET password_hash = $2, role = $3 WHERE id = $1 AND demo`, [
        existing.id,
        hash,
        input.role,
      ]);
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
