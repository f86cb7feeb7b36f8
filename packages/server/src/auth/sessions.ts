import type { Db, Queryable } from '../db/db';
import type { Caller, Role } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import type { TokenService } from './tokens';
import { AUTH_LIMITS } from './auth.limits';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type UserCaller = Extract<Caller, { kind: 'user' }>;

interface AccountState {
  role: Role;
  tokenVersion: number;
  disabled: boolean;
  /** created by the demo (migration 010): its sessions hold only in demo mode */
  demo: boolean;
  mustChangePassword: boolean;
}

/**
 * Turns a bearer token into a caller, but only for an account that exists, is enabled and has
 * not ended the token's sessions since (logout, password change, disabling bump the user's
 * token version). The account is read through a small per-instance cache with a short TTL:
 * a change made here is seen at once; other instances see it within the TTL (their sockets
 * are cut at once through the Socket.IO adapter).
 */
export class SessionGuard {
  private readonly cache = new Map<string, { state: AccountState | null; readAtMs: number }>();

  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    bus: EventBus,
    /** demo accounts' sessions are refused outside demo mode, even ones issued in it */
    private readonly demoMode: boolean,
  ) {
    bus.on('user_sessions_ended', (e) => this.cache.delete(e.userId));
  }

  /** The caller a token stands for, or UNAUTHENTICATED. */
  async authenticate(
    token: string,
  ): Promise<UserCaller & { expiresAtMs: number; mustChangePassword: boolean }> {
    const claims = await this.tokens.verify(token);
    const account = UUID.test(claims.userId) ? await this.account(claims.userId) : null;
    if (
      !account ||
      account.disabled ||
      (account.demo && !this.demoMode) ||
      account.tokenVersion !== claims.tokenVersion
    ) {
      throw new AppError('UNAUTHENTICATED', 'Your session has ended; sign in again.');
    }
    // The role is the account's, not the token's: a demoted operator loses the console at once.
    return {
      kind: 'user',
      userId: claims.userId,
      role: account.role,
      expiresAtMs: claims.expiresAtMs,
      mustChangePassword: account.mustChangePassword,
    };
  }

  /** Forgets what this instance knows of a user, so the next request reads it again. */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  private async account(userId: string): Promise<AccountState | null> {
    const now = Date.now();
    const hit = this.cache.get(userId);
    if (hit && now - hit.readAtMs < AUTH_LIMITS.accountCacheTtlMs) return hit.state;
    const { rows } = await this.db.query<{
      role: Role;
      token_version: number;
      disabled_at: Date | string | null;
      demo: boolean;
      must_change_password: boolean;
    }>(`SELECT role, token_version, disabled_at, demo, must_change_password FROM users WHERE id = $1`, [
      userId,
    ]);
    const row = rows[0];
    const state = row
      ? {
          role: row.role,
          tokenVersion: row.token_version,
          disabled: row.disabled_at !== null,
          demo: row.demo,
          mustChangePassword: row.must_change_password,
        }
      : null;
    this.cache.delete(userId);
    if (this.cache.size >= AUTH_LIMITS.accountCacheMaxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(userId, { state, readAtMs: now });
    return state;
  }
}

/**
 * Ends every session of a user: bumps the token version inside the caller's transaction (or on
 * its own) and returns the new version. Emit `user_sessions_ended` after the commit.
 */
export async function bumpTokenVersion(db: Queryable, userId: string): Promise<number | null> {
  const { rows } = await db.query<{ token_version: number }>(
    `UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version`,
    [userId],
  );
  return rows[0]?.token_version ?? null;
}
