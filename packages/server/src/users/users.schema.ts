import { z } from 'zod';
import { OPERATOR_ROLES, ROLES } from '../shared/access';
import { reasonField } from '../shared/fields';

/**
 * A Kenyan mobile number as people write it (07…, 01…, +2547…, 2541…, with spaces or dashes),
 * stored as 2547XXXXXXXX or 2541XXXXXXXX.
 */
export const kenyanMobile = z
  .string()
  .max(20)
  .transform((v) => v.replace(/[\s-]/g, ''))
  .transform((v) => v.replace(/^\+/, '').replace(/^0(?=[17]\d{8}$)/, '254'))
  .pipe(z.string().regex(/^254[17]\d{8}$/, 'a Kenyan mobile number looks like 0712 345 678'));

export const createOperatorBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  email: z
    .email()
    .max(254)
    .transform((e) => e.toLowerCase()),
  role: z.enum(OPERATOR_ROLES),
  reason: reasonField,
});

export const changeRoleBody = z.strictObject({ role: z.enum(ROLES), reason: reasonField });
export const changePhoneBody = z.strictObject({ phone: kenyanMobile, reason: reasonField });
export const resetPasswordBody = z.strictObject({ reason: reasonField });

export const managedUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  temporaryCredentials: z.boolean(),
});
export type ManagedUser = z.infer<typeof managedUser>;

/** The temporary password is in this answer once and nowhere else (never stored or logged). */
export const temporaryPasswordResponse = z.object({
  user: managedUser,
  temporaryPassword: z.string(),
});
