import { METER_NO_MESSAGE, METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { z } from 'zod';
import { reasonField } from '../shared/fields';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';

export const adjustmentBody = z.strictObject({
  /** signed: positive credits the meter, negative lowers its credit limit */
  energyKwh: z
    .number()
    .min(-L.adjustmentMaxKwh)
    .max(L.adjustmentMaxKwh)
    .refine((v) => v !== 0, 'an adjustment of zero changes nothing'),
  reason: reasonField,
});
export type AdjustmentBody = z.infer<typeof adjustmentBody>;

export const moveBody = z.strictObject({
  toMeterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE),
  reason: reasonField,
});

export const transactionIdParam = z.strictObject({ id: z.uuid() });

export const postingResponse = z.object({
  meterNo: z.string(),
  transactionId: z.string(),
  energyKwh: z.number(),
  creditLimitKwh: z.number(),
  balanceKwh: z.number(),
});

export const moveResponse = z.object({
  from: postingResponse,
  to: postingResponse,
});

/** The owner sends nothing; an operator granting it for a customer must give a reason. */
export const emergencyBody = z.strictObject({ reason: reasonField.optional() }).nullish();

export const emergencyResponse = postingResponse.extend({ debtCents: z.number().int() });
