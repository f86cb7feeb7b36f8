import { AppError, type ErrorCode } from './errors';

/** Every role an account can have. Operators are the roles that may open the console. */
export const ROLES = ['customer', 'viewer', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const OPERATOR_ROLES = ['viewer', 'support', 'admin'] as const satisfies readonly Role[];
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/**
 * What an operator may do, one name per kind of act. A console route declares the one it needs
 * (`config.permission`), a service method asserts it again, and a socket joins the operators'
 * feed only with `console.view`.
 */
export const PERMISSIONS = [
  /** read everything the console shows: fleet, meters, users, payments, audit, reports, live feed */
  'console.view',
  /** customer care: a customer's phone, a temporary password, disabling and enabling a customer */
  'customers.care',
  /** acknowledge an operator alert */
  'alerts.handle',
  /** register, assign, retire meters; their secrets, configuration and friendly hours */
  'meters.manage',
  /** relay on/off: switching power is switching what a customer gets for their money */
  'relay.command',
  /**
   * anything that changes a balance: adjustments, moves, emergency advances, top-up approvals,
   * orphan payments, releasing a held register jump, paying for someone else's meter
   */
  'money.move',
  /** tariff versions */
  'tariffs.manage',
  /** create operators, change roles, manage operator accounts */
  'operators.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The matrix, denied by default: a role has exactly what is listed here. docs/operations.md mirrors it. */
const GRANTS: Record<Role, readonly Permission[]> = {
  customer: [],
  viewer: ['console.view'],
  support: ['console.view', 'customers.care', 'alerts.handle'],
  admin: PERMISSIONS,
};

export const isRole = (v: unknown): v is Role =>
  typeof v === 'string' && (ROLES as readonly string[]).includes(v);
export const isOperatorRole = (role: Role): role is OperatorRole => role !== 'customer';

/** The permissions a role holds (for the me endpoint and the console). */
export const permissionsOf = (role: Role): Permission[] => [...GRANTS[role]];

/** Who is calling. Every service method that touches a user, meter or payment takes one. */
export type Caller =
  { kind: 'user'; userId: string; role: Role } | { kind: 'system' } | { kind: 'device'; meterNo: string };

export const SYSTEM: Caller = { kind: 'system' };

/** The user an audit row names: null for the system. */
export const actorId = (caller: Caller): string | null => (caller.kind === 'user' ? caller.userId : null);

/** Whether the caller holds a permission. The system holds all; devices and customers none. */
export function can(caller: Caller, permission: Permission): boolean {
  if (caller.kind === 'system') return true;
  if (caller.kind !== 'user') return false;
  return GRANTS[caller.role].includes(permission);
}

export function assertCan(caller: Caller, permission: Permission): void {
  if (!can(caller, permission)) throw new AppError('FORBIDDEN');
}

/** An operator who may read every account and meter (lists are not narrowed to their own). */
export const seesEverything = (caller: Caller): boolean => can(caller, 'console.view');

/**
 * The one access check, denied by default. `owner` is what the database says about the
 * meter (null when it does not exist). "Not found" and "not yours" answer the same.
 * An operator passes with `operatorNeeds`: reading by default; acts that move money say so.
 */
export function assertMeterAccess(
  caller: Caller,
  meterNo: string,
  owner: { userId: string | null } | null,
  operatorNeeds: Permission = 'console.view',
): void {
  if (owner !== null) {
    if (can(caller, operatorNeeds)) return;
    if (caller.kind === 'user' && owner.userId !== null && owner.userId === caller.userId) return;
    if (caller.kind === 'device' && caller.meterNo === meterNo) return;
  }
  throw new AppError('METER_NOT_FOUND');
}

export function assertUserAccess(
  caller: Caller,
  userId: string,
  operatorNeeds: Permission = 'console.view',
): void {
  if (can(caller, operatorNeeds)) return;
  if (caller.kind === 'user' && caller.userId === userId) return;
  throw new AppError('USER_NOT_FOUND');
}

/**
 * For records that belong to a user (payment intents, top-up requests): the owner or an operator.
 * `owner` is null when the record does not exist; "not found" and "not yours" answer the same.
 */
export function assertRecordAccess(
  caller: Caller,
  owner: { userId: string } | null,
  notFound: ErrorCode = 'NOT_FOUND',
): void {
  if (owner !== null) {
    if (seesEverything(caller)) return;
    if (caller.kind === 'user' && caller.userId === owner.userId) return;
  }
  throw new AppError(notFound);
}
