import { AppError, type ErrorCode } from './errors';

/** Who is calling. Every service method that touches a user, meter or payment takes one. */
export type Caller =
  | { kind: 'user'; userId: string; role: 'customer' | 'admin' }
  | { kind: 'system' }
  | { kind: 'device'; meterNo: string };

export const SYSTEM: Caller = { kind: 'system' };

/** The user an audit row names: null for the system. */
export const actorId = (caller: Caller): string | null => (caller.kind === 'user' ? caller.userId : null);

export function isAdmin(caller: Caller): boolean {
  return caller.kind === 'system' || (caller.kind === 'user' && caller.role === 'admin');
}

/**
 * The one access check, denied by default. `owner` is what the database says about the
 * meter (null when it does not exist). "Not found" and "not yours" answer the same.
 */
export function assertMeterAccess(
  caller: Caller,
  meterNo: string,
  owner: { userId: string | null } | null,
): void {
  if (owner !== null) {
    if (isAdmin(caller)) return;
    if (caller.kind === 'user' && owner.userId !== null && owner.userId === caller.userId) return;
    if (caller.kind === 'device' && caller.meterNo === meterNo) return;
  }
  throw new AppError('METER_NOT_FOUND');
}

export function assertUserAccess(caller: Caller, userId: string): void {
  if (isAdmin(caller)) return;
  if (caller.kind === 'user' && caller.userId === userId) return;
  throw new AppError('USER_NOT_FOUND');
}

export function assertAdmin(caller: Caller): void {
  if (!isAdmin(caller)) throw new AppError('FORBIDDEN');
}

/**
 * For records that belong to a user (payment intents, top-up requests): the owner or an admin.
 * `owner` is null when the record does not exist; "not found" and "not yours" answer the same.
 */
export function assertRecordAccess(
  caller: Caller,
  owner: { userId: string } | null,
  notFound: ErrorCode = 'NOT_FOUND',
): void {
  if (owner !== null) {
    if (isAdmin(caller)) return;
    if (caller.kind === 'user' && caller.userId === owner.userId) return;
  }
  throw new AppError(notFound);
}
