import {
  METER_NO_MAX_CHARS,
  METER_NO_MESSAGE,
  METER_NO_PATTERN_SOURCE,
  supplyDecisionSchema,
} from '@umeme/protocol';
import { z } from 'zod';

const kwhInput = z.number().min(0).max(1_000_000);

export const registerMeterBody = z.strictObject({
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE),
  userId: z.uuid().optional(),
  ownerEmail: z.email().optional(),
  openingCreditKwh: kwhInput.optional(),
  initialRegisterKwh: kwhInput.optional(),
  emergencyCreditKwh: kwhInput.optional(),
  lowBalanceKwh: kwhInput.optional(),
  /** rated maximum load; unset: METER_RATED_POWER_DEFAULT_W bounds the register's growth (MQ-13) */
  maxLoadW: z.number().int().min(1).max(1_000_000).optional(),
});
export type RegisterMeterBody = z.infer<typeof registerMeterBody>;

export const meterResponse = z.object({
  meterNo: z.string(),
  /** the paybill account number (M-Pesa account / AccountReference), at most 12 characters */
  accountNo: z.string(),
  userId: z.string().nullable(),
  ownerName: z.string().nullable(),
  balanceKwh: z.number(),
  balanceMwh: z.number().int(),
  creditLimitKwh: z.number(),
  creditLimitMwh: z.number().int(),
  energyTotalKwh: z.number(),
  energyTotalMwh: z.number().int(),
  e0Mwh: z.number().int(),
  relay: z.enum(['on', 'off']),
  status: z.string(),
  lastSeen: z.string().nullable(),
  powerW: z.number().nullable(),
  fw: z.string().nullable(),
  meterBalanceKwh: z.number().nullable(),
  emergencyCreditKwh: z.number(),
  lowBalanceKwh: z.number(),
  publishIntervalS: z.number().int(),
  seq: z.number().int(),
  createdAt: z.string(),
  /** the customer group whose tariff prices this meter's purchases ('standard' unless moved) */
  tariffGroup: z.string(),
  /** the original system's field: the server's balance in kWh (the same as balanceKwh) */
  current_balance: z.number(),
  /** the server's own relay decision, what the dashboard shows as supply (docs/web.md) */
  supply: supplyDecisionSchema,
});
export type MeterResponse = z.infer<typeof meterResponse>;

export const registeredMeterResponse = z.object({
  meterNo: z.string(),
  meter: meterResponse,
  mqttUsername: z.string(),
  mqttPassword: z.string(),
  mqttClientId: z.string(),
});

export const listMetersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: z.string().max(METER_NO_MAX_CHARS).optional(),
});

export const meterListResponse = z.object({
  meters: z.array(meterResponse),
  next: z.string().nullable(),
});

export const simulateBody = z.strictObject({
  meter_no: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE)),
  amount: z.number().positive().max(1_000_000),
  reference: z.string().min(1).max(64).optional(),
});

export const bulkRotateBody = z
  .strictObject({
    meterNos: z
      .array(z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE)))
      .max(5000)
      .optional(),
    /** every active meter without an account on the managed broker */
    unprovisioned: z.boolean().optional(),
    reason: z.string().trim().min(3).max(500),
  })
  .refine((b) => (b.meterNos?.length ?? 0) > 0 || b.unprovisioned === true, {
    message: 'name meterNos, or set unprovisioned',
  });
