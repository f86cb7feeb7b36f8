import { z } from 'zod';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates are YYYY-MM-DD');
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'months are YYYY-MM');
const format = z.enum(['json', 'csv']).default('json');

export const dailyQuery = z.strictObject({ from: day, to: day, format });
export const monthlyQuery = z.strictObject({ from: month, to: month, format });

const row = z.object({
  period: z.string(),
  moneyCents: z.number().int(),
  moneyByChannelCents: z.record(z.string(), z.number().int()),
  ledgerAmountCents: z.number().int(),
  soldMwh: z.number().int(),
  soldKwh: z.number(),
  consumedMwh: z.number().int(),
  consumedKwh: z.number(),
  adjustmentMwh: z.number().int(),
  emergencyMwh: z.number().int(),
  activeMeters: z.number().int(),
  revenuePerMeterCents: z.number().int(),
});
export type ReportRow = z.infer<typeof row>;

export const reportResponse = z.object({
  unit: z.enum(['day', 'month']),
  from: z.string(),
  to: z.string(),
  rows: z.array(row),
  totals: row.omit({ period: true }),
});

export const statementParams = z.strictObject({ userId: z.uuid(), month });
export const ownStatementParams = z.strictObject({ month });
export const statementQuery = z.strictObject({
  format: z.enum(['json', 'csv', 'html']).default('json'),
  /** the HTML and CSV statement's language; default: the customer's SMS language */
  lang: z.enum(['en', 'sw']).optional(),
});

export const statementResponse = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  period: z.string(),
  meters: z.array(
    z.object({
      meterNo: z.string(),
      paidCents: z.number().int(),
      boughtMwh: z.number().int(),
      consumedMwh: z.number().int(),
      adjustmentMwh: z.number().int(),
      debtCents: z.number().int(),
      balanceKwh: z.number(),
    }),
  ),
  transactions: z.array(
    z.object({
      id: z.string(),
      meterNo: z.string(),
      type: z.string(),
      source: z.string(),
      status: z.string(),
      amountCents: z.number().int(),
      energyKwh: z.number(),
      recoveredDebtCents: z.number().int(),
      at: z.string(),
    }),
  ),
  totals: z.object({ paidCents: z.number().int(), boughtKwh: z.number(), consumedKwh: z.number() }),
  url: z.string(),
});
export type Statement = z.infer<typeof statementResponse>;
