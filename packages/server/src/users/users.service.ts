import { randomInt } from 'node:crypto';
import type { Db, Queryable } from '../db/db';
import {
  actorId,
  assertCan,
  isOperatorRole,
  type Caller,
  type Permission,
  type Role,
} from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import { hashPassword } from '../auth/passwords';
import type { ManagedUser } from './users.schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** No 0/O, 1/l/I: read aloud or copied by hand to a new operator. */
const TEMP_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const TEMP_LENGTH = 14;

interface Row {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  disabled_at: Date | string | null;
  must_change_password: boolean;
}

const toManaged = (r: Row): ManagedUser => ({
  id: r.id,
  email: r.email,
  name: r.name,
  phone: r.phone,
  role: r.role,
  disabled: r.disabled_at !== null,
  temporaryCredentials: r.must_change_password,
});

const snapshot = (r: Row) => ({ role: r.role, phone: r.phone, disabled: r.disabled_at !== null });

export function temporaryPassword(): string {
  let out = '';
  for (let i = 0; i < TEMP_LENGTH; i++) out += TEMP_ALPHABET[randomInt(TEMP_ALPHABET.length)];
  return out;
}

/** Customer care on customers; operator accounts are the admins' alone. */
const permissionToManage = (target: Role): Permission =>
  isOperatorRole(target) ? 'operators.manage' : 'customers.care';

/**
 * The console's people management: operators created with a role, roles changed, accounts
 * disabled and enabled, temporary passwords, phone numbers. Every change is audited with the
 * actor and the account before and after; one that takes access away ends the account's sessions.
 */
export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  async createOperator(
    caller: Caller,
    body: { name: string; email: string; role: Role; reason: string },
  ): Promise<{ user: ManagedUser; temporaryPassword: string }> {
    assertCan(caller, 'operators.manage');
    const password = temporaryPassword();
    const hash = await hashPassword(password);
    const row = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `INSERT INTO users (name, email, password_hash, role, must_change_password) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (email) DO NOTHING RETURNING *`,
        [body.name, body.email, hash, body.role],
      );
      const created = rows[0];
      if (!created) throw new AppError('EMAIL_TAKEN');
      await audit(tx, caller, 'user.operator_created', created.id, {
        reason: body.reason,
        before: null,
        after: snapshot(created),
      });
      return created;
    });
    return { user: toManaged(row), temporaryPassword: password };
  }

  async changeRole(caller: Caller, userId: string, role: Role, reason: string): Promise<ManagedUser> {
    assertCan(caller, 'operators.manage');
    if (actorId(caller) === userId) throw new AppError('CANNOT_CHANGE_OWN_ROLE');
    return this.change(caller, userId, 'user.role_changed', reason, async (tx, before) => {
      if (before.role === role) return null;
      if (before.role === 'admin') await assertAnotherAdmin(tx, userId);
      return tx.query<Row>(
        `UPDATE users SET role = $2, token_version = token_version + 1 WHERE id = $1 RETURNING *`,
        [userId, role],
      );
    }).then((r) => {
      // The role is read per request; a socket in the operators' feed is cut at once.
      this.bus.emit('user_sessions_ended', { userId, reason: 'role_changed' });
      return r;
    });
  }

  /**
   * Disables an account (its sessions end everywhere and it cannot sign in) or enables it
   * again. An enabled account signs in afresh: its old tokens stay ended.
   */
  async setDisabled(caller: Caller, userId: string, disabled: boolean, reason: string) {
    if (disabled && actorId(caller) === userId) throw new AppError('CANNOT_DISABLE_SELF');
    const user = await this.change(
      caller,
      userId,
      disabled ? 'user.disabled' : 'user.enabled',
      reason,
      async (tx, before) => {
        if (disabled && before.role === 'admin' && before.disabled_at === null)
          await assertAnotherAdmin(tx, userId);
        return tx.query<Row>(
          `UPDATE users SET disabled_at = CASE WHEN $2::boolean THEN COALESCE(disabled_at, now()) END,
                            token_version = token_version + CASE WHEN $2::boolean THEN 1 ELSE 0 END
            WHERE id = $1 RETURNING *`,
          [userId, disabled],
        );
      },
    );
    if (disabled) this.bus.emit('user_sessions_ended', { userId, reason: 'disabled' });
    return user;
  }

  /**
   * Gives the account a temporary password, shown once to the operator; its sessions end and
   * it must choose its own password at the next sign-in.
   */
  async resetPassword(caller: Caller, userId: string, reason: string) {
    if (actorId(caller) === userId)
      throw new AppError('FORBIDDEN', 'Change your own password from your account.');
    const password = temporaryPassword();
    const hash = await hashPassword(password);
    const user = await this.change(caller, userId, 'user.password_reset', reason, (tx) =>
      tx.query<Row>(
        `UPDATE users SET password_hash = $2, must_change_password = true, token_version = token_version + 1
          WHERE id = $1 RETURNING *`,
        [userId, hash],
      ),
    );
    this.bus.emit('user_sessions_ended', { userId, reason: 'password_reset' });
    return { user, temporaryPassword: password };
  }

  async changePhone(caller: Caller, userId: string, phone: string, reason: string): Promise<ManagedUser> {
    return this.change(caller, userId, 'user.phone_changed', reason, (tx) =>
      tx.query<Row>(`UPDATE users SET phone = $2 WHERE id = $1 RETURNING *`, [userId, phone]),
    );
  }

  /**
   * One audited change to one account: locks it, checks the caller may manage an account of its
   * role, applies `apply` (null: nothing to change, still audited as asked) and writes the
   * before and after.
   */
  private async change(
    caller: Caller,
    userId: string,
    action: string,
    reason: string,
    apply: (tx: Queryable, before: Row) => Promise<{ rows: Row[] } | null>,
  ): Promise<ManagedUser> {
    assertCan(caller, 'customers.care');
    if (!UUID.test(userId)) throw new AppError('USER_NOT_FOUND');
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(`SELECT * FROM users WHERE id = $1 FOR UPDATE`, [userId]);
      const before = rows[0];
      if (!before) throw new AppError('USER_NOT_FOUND');
      assertCan(caller, permissionToManage(before.role));
      const after = (await apply(tx, before))?.rows[0] ?? before;
      await audit(tx, caller, action, userId, { reason, before: snapshot(before), after: snapshot(after) });
      return toManaged(after);
    });
  }
}

/** The last enabled admin is never demoted or disabled: nobody could manage operators again. */
async function assertAnotherAdmin(tx: Queryable, userId: string): Promise<void> {
  // Locks every enabled admin row, so two admins demoting each other at once cannot both pass.
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1 FOR UPDATE`,
    [userId],
  );
  if (rows.length === 0) throw new AppError('LAST_ADMIN');
}

function audit(tx: Queryable, caller: Caller, action: string, target: string, details: unknown) {
  return tx.query(
    `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, $2, $3, $4, $5)`,
    [actorId(caller), caller.kind === 'user' ? 'user' : 'system', action, target, JSON.stringify(details)],
  );
}
