import { METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { z } from 'zod';
import { reasonField } from '../shared/fields';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';

export const holdActions = ['accept', 'reset_epoch', 'dismiss'] as const;
export type HoldAction = (typeof holdActions)[number];

export const holdIdParam = z.strictObject({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

/** Every decision on a held jump is audited with the operator's reason. */
export const holdDecisionBody = z.strictObject({ reason: reasonField });

export const holdsQuery = z.strictObject({
  status: z.enum(['held', 'all']).default('held'),
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE)).optional(),
  limit: z.coerce.number().int().min(1).max(L.pageMax).default(L.pageDefault),
});

export const registerHoldRow = z.object({
  id: z.number().int(),
  meterNo: z.string(),
  status: z.enum(['held', 'accepted', 'rebased', 'dismissed']),
  reportKind: z.enum(['v2', 'legacy']),
  /** the applied register when the hold opened, and now */
  baseEnergyMwh: z.number().int(),
  appliedEnergyMwh: z.number().int(),
  /** lowest held register, and that of the last held report */
  heldFromMwh: z.number().int(),
  heldEnergyMwh: z.number().int(),
  /** the most the register could plausibly have grown when the first report was held */
  allowedMwh: z.number().int(),
  elapsedMs: z.number().int(),
  ratedPowerW: z.number().int(),
  reports: z.number().int(),
  firstReceivedAt: z.string(),
  lastReceivedAt: z.string(),
  /** the newest report was debited from the old register: the jump looks like a glitch */
  backOnRegister: z.boolean(),
  /** what an operator may do now: accept / reset_epoch while the meter reports the held level, dismiss once it is back */
  actions: z.array(z.enum(holdActions)),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  reason: z.string().nullable(),
  debitedMwh: z.number().int().nullable(),
  rebasedMwh: z.number().int().nullable(),
});
export type RegisterHoldRow = z.infer<typeof registerHoldRow>;

export const holdsResponse = z.object({ holds: z.array(registerHoldRow) });

export const holdDecisionResponse = z.object({
  hold: registerHoldRow,
  meter: z.object({
    meterNo: z.string(),
    e0Mwh: z.number().int(),
    energyTotalMwh: z.number().int(),
    creditLimitMwh: z.number().int(),
    balanceMwh: z.number().int(),
  }),
});
