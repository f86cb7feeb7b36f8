import { z } from 'zod';

/** Limits of meter claims, named once. */
export const CLAIM_LIMITS = {
  /** characters of a claim code, from an alphabet without look-alikes (0/O, 1/I, 2/Z, 5/S, 8/B) */
  codeChars: 8,
  /** wrong claims allowed per account, and per typed account number, in one window */
  maxFailures: 10,
  failureWindowS: 60 * 60,
} as const;

export const claimBody = z.strictObject({
  /** the meter's paybill account number, as on its label and in M-Pesa */
  accountNo: z.string().trim().min(1).max(64),
  /** the claim code; spaces, dashes and case do not matter */
  code: z.string().trim().min(1).max(32),
});

export const claimResponse = z.object({ meterNo: z.string(), accountNo: z.string() });

export const claimCodeResponse = z.object({
  meterNo: z.string(),
  accountNo: z.string(),
  /** shown once: only its hash is kept */
  claimCode: z.string(),
  issuedAt: z.string(),
});

export const claimCodeStatusResponse = z.object({
  meterNo: z.string(),
  accountNo: z.string(),
  /** when the live code was issued; null when there is none (never issued, or used up) */
  issuedAt: z.string().nullable(),
  owned: z.boolean(),
});
