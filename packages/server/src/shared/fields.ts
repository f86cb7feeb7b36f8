import { METER_NO_MESSAGE, METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { z } from 'zod';
import { OPERATOR_LIMITS as L } from './operator.limits';

/** `:meterNo` of every route that names one meter. */
export const meterNoParam = z.strictObject({
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE),
});

/** Why an operator changes something: required, and kept in the audit log. */
export const reasonField = z.string().trim().min(1, 'a reason is required').max(L.reasonMaxChars);
