import {
  HOLIDAY_PATTERN,
  MAX_FRIENDLY_HOLIDAYS,
  MAX_UTC_OFFSET_MINUTES,
  TIME_OF_DAY_PATTERN,
} from '@umeme/core';
import { z } from 'zod';
import { reasonField } from '../shared/fields';

const timeOfDay = z.string().regex(TIME_OF_DAY_PATTERN, 'must be a time of day HH:MM (00:00–23:59)');
const holiday = z
  .string()
  .regex(HOLIDAY_PATTERN, 'must be MM-DD (every year) or YYYY-MM-DD (once)')
  .refine((h) => {
    // A real calendar date: 02-29 is allowed every year (it happens in leap years).
    const full = h.length === 5 ? `2024-${h}` : h;
    return new Date(`${full}T00:00:00Z`).toISOString().slice(0, 10) === full;
  }, 'is not a calendar date');

export const friendlySchedule = z.strictObject({
  enabled: z.boolean(),
  nightStart: timeOfDay,
  nightEnd: timeOfDay,
  sundays: z.boolean(),
  /** MM-DD every year, YYYY-MM-DD once; duplicates are dropped */
  holidays: z.array(holiday).max(MAX_FRIENDLY_HOLIDAYS),
  utcOffsetMinutes: z.number().int().min(-MAX_UTC_OFFSET_MINUTES).max(MAX_UTC_OFFSET_MINUTES),
});

export const friendlyHoursBody = friendlySchedule.extend({ reason: reasonField });
export type FriendlyHoursBody = z.infer<typeof friendlyHoursBody>;

/** Where friendly hours stand now: what the customer dashboard shows. */
export const friendlyHoursNow = z.object({
  active: z.boolean(),
  /** when the current state ends (ISO), or null when it never changes */
  until: z.string().nullable(),
  /** the same instant as local "HH:MM" */
  untilLocalTime: z.string().nullable(),
});
export type FriendlyHoursNow = z.infer<typeof friendlyHoursNow>;

export const friendlyHoursResponse = z.object({
  schedule: friendlySchedule,
  now: friendlyHoursNow,
  updatedAt: z.string().nullable(),
});
