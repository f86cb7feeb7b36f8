import { z } from 'zod';

/** Days are Kenyan calendar days; hours are plain clock hours. */
export const CONSUMPTION_TIMEZONE = 'Africa/Nairobi';
export const CONSUMPTION_RANGE_MAX_DAYS = 400;
export const CONSUMPTION_POINTS_MAX = 10_000;
/** What a request without `from` gets: the last day by hour, the last 30 days by day. */
export const CONSUMPTION_DEFAULT_SPAN_MS = { hour: 24 * 3_600_000, day: 30 * 86_400_000 } as const;

export const consumptionQuery = z.strictObject({
  /** ISO 8601 with an offset; rounded down to the start of its bucket */
  from: z.iso.datetime({ offset: true }).optional(),
  /** ISO 8601 with an offset; exclusive; default now */
  to: z.iso.datetime({ offset: true }).optional(),
  bucket: z.enum(['hour', 'day']).default('hour'),
});
export type ConsumptionQuery = z.infer<typeof consumptionQuery>;

export const consumptionPoint = z.object({
  start: z.string(),
  energyKwh: z.number(),
  energyMwh: z.number().int(),
  maxPowerW: z.number().int().nullable(),
  reports: z.number().int(),
});

export const consumptionResponse = z.object({
  meterNo: z.string(),
  bucket: z.enum(['hour', 'day']),
  timezone: z.string(),
  from: z.string(),
  to: z.string(),
  points: z.array(consumptionPoint),
  totalKwh: z.number(),
  totalMwh: z.number().int(),
});
export type ConsumptionResponse = z.infer<typeof consumptionResponse>;
