import { z } from 'zod';
import { reasonField } from '../shared/fields';

export const relayBody = z.strictObject({
  action: z.enum(['connect', 'disconnect', 'auto']),
  reason: reasonField,
});
export type RelayBody = z.infer<typeof relayBody>;

const kwh = z.number().min(0).max(1_000_000);
export const configBody = z.strictObject({
  publishIntervalS: z.number().int().min(1).max(86_400),
  lowBalanceKwh: kwh,
  emergencyCreditKwh: kwh,
  /** absent: keep the meter's limit; null: clear it (no limit); a number: set it */
  maxLoadW: z.number().int().min(0).max(1_000_000).nullable().optional(),
  reason: reasonField,
});
export type ConfigBody = z.infer<typeof configBody>;

export const commandRow = z.object({
  id: z.string(),
  meterNo: z.string(),
  kind: z.string(),
  payload: z.record(z.string(), z.unknown()),
  status: z.string(),
  reason: z.string(),
  createdBy: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  expiresAt: z.string(),
});

export const commandResponse = commandRow;
