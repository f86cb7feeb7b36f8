import {
  DEFAULT_TARIFF_GROUP,
  MAX_TARIFF_BLOCKS,
  MAX_TARIFF_COMPONENTS,
  TARIFF_GROUP_PATTERN,
} from '@umeme/core';
import { z } from 'zod';
import { reasonField } from '../shared/fields';

/** How often each instance re-reads the tariff versions (a version cancelled or made elsewhere). */
export const TARIFF_REFRESH_MS = 5_000;
/** A scheduled version may be cancelled only this long before it takes effect, so every instance hears of it in time. */
export const TARIFF_CANCEL_LEAD_MS = 2 * TARIFF_REFRESH_MS;
export const TARIFF_LIST_MAX = 200;
/** Groups listed at most (with their meter counts). */
export const TARIFF_GROUPS_MAX = 100;
/** Meters moved to a group in one request at most. */
export const TARIFF_GROUP_MOVE_MAX = 500;

/** A customer group's name: 'standard' (every meter's first group), 'commercial', 'schools'… */
export const tariffGroupName = z
  .string()
  .regex(TARIFF_GROUP_PATTERN, 'a group is 1–32 lower-case letters, digits or dashes');

const code = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a code is lower-case letters, digits and _');
const label = z.string().trim().min(1).max(60);
const centsPerKwh = z.number().min(0).max(1_000_000);
const basisPoints = z.number().int().min(0).max(10_000);

export const tariffBlock = z.strictObject({
  upToKwh: z.number().int().min(1).max(1_000_000).nullable(),
  energyRateCentsPerKwh: centsPerKwh,
  label: label.optional(),
});
const passThrough = z.strictObject({ code, label, centsPerKwh });
const percentLevy = z.strictObject({
  code,
  label,
  basisPoints,
  base: z.array(z.string().max(32)).min(1).max(32),
});
const perKwhLevy = z.strictObject({ code, label, centsPerKwh });

/** A tariff in core's structure (packages/core/src/tariff.ts), without its id and date. */
export const tariffBody = z.strictObject({
  blocks: z.array(tariffBlock).min(1).max(MAX_TARIFF_BLOCKS),
  passThroughCentsPerKwh: z.array(passThrough).max(MAX_TARIFF_COMPONENTS).optional(),
  levies: z
    .array(z.union([percentLevy, perKwhLevy]))
    .max(MAX_TARIFF_COMPONENTS)
    .optional(),
  vat: z
    .strictObject({
      basisPoints,
      appliesTo: z.array(z.string().max(32)).min(1).max(32),
      label: label.optional(),
    })
    .optional(),
  standingChargeCents: z.number().int().min(0).max(100_000_000).optional(),
});
export type TariffBody = z.infer<typeof tariffBody>;

export const createTariffBody = z.strictObject({
  name: z.string().trim().min(1).max(80),
  /** ISO timestamp with a zone; absent: now. Never in the past. */
  effectiveFrom: z.iso.datetime({ offset: true }).optional(),
  tariff: tariffBody,
  /** the customer group it prices; absent: the default group */
  group: tariffGroupName.default(DEFAULT_TARIFF_GROUP),
  reason: reasonField.optional(),
});
export type CreateTariffBody = z.infer<typeof createTariffBody>;

export const tariffIdParam = z.strictObject({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export const cancelTariffBody = z.strictObject({ reason: reasonField });

export const tariffStatus = z.enum(['in_force', 'scheduled', 'past', 'cancelled']);

export const tariffVersionRow = z.object({
  /** null: the flat rate from configuration */
  id: z.number().int().nullable(),
  name: z.string(),
  group: z.string(),
  tariff: tariffBody,
  effectiveFrom: z.string(),
  status: tariffStatus,
  createdBy: z.string().nullable(),
  createdAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
});
export type TariffVersionRow = z.infer<typeof tariffVersionRow>;

export const tariffListResponse = z.object({
  versions: z.array(tariffVersionRow),
  /** the flat rate from configuration: the tariff when no version is in force */
  fallback: tariffVersionRow,
});
export const tariffVersionResponse = z.object({ version: tariffVersionRow });

/** The tariff in force, for the customer's Buy panel, and the next scheduled version if any. */
export const publicTariffResponse = z.object({
  inForce: tariffVersionRow.omit({ createdBy: true }),
  next: tariffVersionRow.omit({ createdBy: true }).nullable(),
});

export const tariffGroupQuery = z.strictObject({ group: tariffGroupName.default(DEFAULT_TARIFF_GROUP) });
export const quoteQuery = z.strictObject({
  amountKes: z.coerce.number().int().min(1).max(250_000),
  group: tariffGroupName.default(DEFAULT_TARIFF_GROUP),
});
export const quoteResponse = z.object({
  tariffId: z.string(),
  tariffName: z.string(),
  amountCents: z.number().int(),
  energyMwh: z.number().int(),
  lines: z.array(
    z.object({
      kind: z.string(),
      code: z.string(),
      label: z.string(),
      amountCents: z.number().int(),
      energyMwh: z.number().int().optional(),
    }),
  ),
});

/** The groups with meters or versions, each with its meter count and the version pricing it now. */
export const tariffGroupsResponse = z.object({
  groups: z.array(
    z.object({
      group: z.string(),
      meters: z.number().int(),
      /** the version pricing the group's meters now (the default group's when it has none in force) */
      inForce: z.object({ id: z.number().int().nullable(), name: z.string(), group: z.string() }),
    }),
  ),
});

export const moveToGroupBody = z.strictObject({
  meterNos: z.array(z.string().min(1).max(32)).min(1).max(TARIFF_GROUP_MOVE_MAX),
  reason: reasonField,
});
export const tariffGroupParam = z.strictObject({ group: tariffGroupName });
export const moveToGroupResponse = z.object({
  group: z.string(),
  /** meters moved (those already in the group are not counted) */
  moved: z.number().int(),
  /** meter numbers that match no meter */
  notFound: z.array(z.string()),
});
