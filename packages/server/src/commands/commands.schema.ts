import { z } from 'zod';
import { commandRow, reasonField } from '../admin/admin.schema';

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
  maxLoadW: z.number().int().min(0).max(1_000_000).optional(),
  reason: reasonField,
});
export type ConfigBody = z.infer<typeof configBody>;

export const commandResponse = commandRow;
