import { ALERT_KINDS } from '@umeme/core';
import { METER_NO_MESSAGE, METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { ROLES } from '../shared/access';
import { z } from 'zod';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import { reasonField } from '../shared/fields';
import { commandRow } from '../commands/commands.schema';
import { ledgerSource } from './ledger-source';
import { reportingInterval } from './reporting-interval';

export const fleetFilters = ['offline', 'low_balance', 'relay_off', 'alerting'] as const;
export const fleetSorts = ['meterNo', 'balance', 'lastSeen', 'power'] as const;
const sortValues = [...fleetSorts, ...fleetSorts.map((s) => `-${s}` as const)] as const;

export const fleetQuery = z.strictObject({
  filter: z.enum(fleetFilters).optional(),
  q: z.string().trim().max(L.searchMaxChars).optional(),
  sort: z.enum(sortValues).default('meterNo'),
  cursor: z.string().max(L.cursorMaxChars).optional(),
  limit: z.coerce.number().int().min(1).max(L.pageMax).default(L.pageDefault),
});
export type FleetQuery = z.infer<typeof fleetQuery>;

export const fleetRow = z.object({
  meterNo: z.string(),
  userId: z.string().nullable(),
  ownerName: z.string().nullable(),
  ownerEmail: z.string().nullable(),
  balanceKwh: z.number(),
  balanceMwh: z.number().int(),
  powerW: z.number().nullable(),
  relay: z.enum(['on', 'off']),
  online: z.boolean(),
  status: z.string(),
  lastSeen: z.string().nullable(),
  fw: z.string().nullable(),
  openAlerts: z.number().int(),
  debtCents: z.number().int(),
});
export type FleetRow = z.infer<typeof fleetRow>;

export const fleetResponse = z.object({
  meters: z.array(fleetRow),
  next: z.string().nullable(),
  total: z.number().int(),
});

export const meterDetailResponse = z.object({
  meter: fleetRow.extend({
    creditLimitMwh: z.number().int(),
    energyTotalMwh: z.number().int(),
    e0Mwh: z.number().int(),
    /** the meter's own view next to the server's */
    meterBalanceKwh: z.number().nullable(),
    serverBalanceKwh: z.number(),
    emergencyCreditKwh: z.number(),
    lowBalanceKwh: z.number(),
    publishIntervalS: z.number().int(),
    /** how often it really reports: the median gap of its recent reports */
    reportingInterval,
    maxLoadW: z.number().int().nullable(),
    emergencyTakenAt: z.string().nullable(),
    createdAt: z.string(),
  }),
  ledger: z.array(
    z.object({
      id: z.number().int(),
      kind: z.string(),
      energyKwh: z.number(),
      energyMwh: z.number().int(),
      amountCents: z.number().int(),
      creditLimitAfterMwh: z.number().int(),
      /** C − E0 after this entry: the credit granted so far */
      runningCreditMwh: z.number().int(),
      transactionId: z.string().nullable(),
      memo: z.string().nullable(),
      at: z.string(),
      source: ledgerSource,
    }),
  ),
  statusHistory: z.array(z.object({ status: z.string(), relay: z.string().nullable(), at: z.string() })),
  alerts: z.array(z.lazy(() => alertRow)),
  readings: z.array(
    z.object({
      seq: z.number().int(),
      energyKwh: z.number(),
      powerW: z.number().nullable(),
      reportedAt: z.string().nullable(),
      receivedAt: z.string(),
    }),
  ),
  commands: z.array(z.lazy(() => commandRow)),
  audit: z.array(z.lazy(() => auditRow)),
});

export const alertRow = z.object({
  id: z.number().int(),
  meterNo: z.string(),
  kind: z.string(),
  severity: z.string(),
  message: z.string(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
});

export const auditRow = z.object({
  id: z.number().int(),
  actorId: z.string().nullable(),
  actorKind: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  details: z.unknown(),
  at: z.string(),
});

export const alertsQuery = z.strictObject({
  open: z.enum(['true', 'false']).default('true'),
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE).optional(),
  /** one kind of alert (`low_balance`, `connection_lost`, …) */
  kind: z.enum(ALERT_KINDS, { error: `must be one of ${ALERT_KINDS.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(L.pageMax).default(L.pageDefault),
  before: z.coerce.number().int().min(1).optional(),
});
export const alertsResponse = z.object({ alerts: z.array(alertRow), next: z.number().int().nullable() });
export const alertIdParam = z.strictObject({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

export const usersQuery = z.strictObject({
  q: z.string().trim().max(L.searchMaxChars).optional(),
  /** a role, or `operator`: every role that may open the console */
  role: z.enum([...ROLES, 'operator']).optional(),
  after: z
    .string()
    .max(L.searchMaxChars * 2)
    .optional(),
  limit: z.coerce.number().int().min(1).max(L.pageMax).default(L.pageDefault),
});
export const usersResponse = z.object({
  users: z.array(
    z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      phone: z.string().nullable(),
      role: z.string(),
      meters: z.array(z.string()),
      createdAt: z.string(),
      disabled: z.boolean(),
    }),
  ),
  next: z.string().nullable(),
});

export const userIdParam = z.strictObject({ id: z.uuid() });
/** Moving a meter changes who pays for it and who sees it, so the operator says why. */
export const assignBody = z.strictObject({ userId: z.uuid().nullable(), reason: reasonField });

/** Disabling or enabling an account changes who may sign in, so the operator says why. */
export const userAccessBody = z.strictObject({ reason: reasonField });

export const importBody = z.strictObject({ csv: z.string().min(1).max(L.importCsvMaxChars) });
export const importResponse = z.object({
  rows: z.array(
    z.object({
      line: z.number().int(),
      meterNo: z.string(),
      ok: z.boolean(),
      error: z.string().nullable(),
      mqttUsername: z.string().nullable(),
      mqttPassword: z.string().nullable(),
    }),
  ),
  created: z.number().int(),
  failed: z.number().int(),
});

export const auditQuery = z.strictObject({
  target: z.string().trim().max(64).optional(),
  /** the actor's user id, or their email (exact, any case) */
  actor: z.string().trim().max(L.searchMaxChars).optional(),
  /** an action (`meter.assigned`), or a family of them ending in a dot (`meter.`) */
  action: z
    .string()
    .trim()
    .max(64)
    .regex(/^[a-z_]+(\.[a-z_]+)*\.?$/, 'actions look like meter.assigned')
    .optional(),
  limit: z.coerce.number().int().min(1).max(L.pageMax).default(L.pageDefault),
  before: z.coerce.number().int().min(1).optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;
export const auditResponse = z.object({
  entries: z.array(auditRow.extend({ actorEmail: z.string().nullable() })),
  next: z.number().int().nullable(),
});
