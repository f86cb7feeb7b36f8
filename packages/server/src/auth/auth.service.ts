import type { Db } from '../db/db';
import { assertUserAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
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
    if (!row || !ok) throw new AppError('INVALID_CREDENTIALS');
    return { token: await this.tokens.issue(row.id, row.role), user: toUser(row) };
  }

  async getUser(caller: Caller, userId: string): Promise<UserResponse> {
    assertUserAccess(caller, userId);
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [userId]);
    if (!rows[0]) throw new AppError('USER_NOT_FOUND');
    return toUser(rows[0]);
  }

  /** Creates or updates a user with a known password (admin bootstrap, demo accounts). */
  async ensureUser(input: {
    email: string;
    password: string;
    name: string;
    role: 'customer' | 'admin';
    phone?: string;
  }): Promise<string> {
    const { rows } = await this.db.query<UserRow>(`SELECT * FROM users WHERE email = $1`, [input.email]);
    const existing = rows[0];
    if (existing) {
      if (!(await verifyPassword(input.password, existing.password_hash)) || existing.role !== input.role) {
        await this.db.query(`UPDATE users SET password_hash = $2, role = $3 WHERE id = $1`, [
          existing.id,
          await hashPassword(input.password),
          input.role,
        ]);
      }
      return existing.id;
    }
    const created = await this.db.query<{ id: string }>(
      `INSERT INTO users (name, email, phone, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.name, input.email, input.phone ?? null, await hashPassword(input.password), input.role],
    );
    return created.rows[0]!.id;
  }
}
