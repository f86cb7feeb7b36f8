import { z } from 'zod';
import { PERMISSIONS, ROLES } from '../shared/access';

export const phoneSchema = z.string().regex(/^254[17]\d{8}$/, 'phone must look like 2547XXXXXXXX');

export const registerBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  email: z
    .email()
    .max(254)
    .transform((e) => e.toLowerCase()),
  phone: phoneSchema,
  password: z.string().min(8, 'password must be at least 8 characters').max(200),
});

export const loginBody = z.strictObject({
  email: z
    .string()
    .max(254)
    .transform((e) => e.toLowerCase()),
  password: z.string().max(200),
});

export const verifyBody = z.strictObject({
  email: z
    .string()
    .max(254)
    .transform((e) => e.toLowerCase()),
  code: z
    .string()
    .trim()
    .regex(/^\d{4,10}$/, 'the code is the digits in the message'),
});

/** One answer for every address, new or taken: nothing here tells whether an account exists. */
export const registrationResponse = z.object({
  status: z.literal('verification_sent'),
  message: z.string(),
});

/** An email address, or a phone number (07…, +2547…, 2547…) that names one account. */
const login = z.string().trim().min(3).max(254);

export const resetRequestBody = z.strictObject({ login });

export const resetConfirmBody = z.strictObject({
  login,
  code: z
    .string()
    .trim()
    .regex(/^\d{4,10}$/, 'the code is the digits in the message'),
  newPassword: z.string().min(8, 'password must be at least 8 characters').max(200),
});

/** One answer for every login, with or without an account. */
export const resetRequestResponse = z.object({ status: z.literal('reset_code_sent'), message: z.string() });

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().max(200),
  newPassword: z.string().min(8, 'password must be at least 8 characters').max(200),
});

export const tokenResponse = z.object({ token: z.string(), user: z.lazy(() => userResponse) });

export const userResponse = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  role: z.enum(ROLES),
  locale: z.string(),
  /** what the console lets this account do: it hides the rest (the server refuses it anyway) */
  permissions: z.array(z.enum(PERMISSIONS)),
  /** an operator set a temporary password: nothing but choosing a new one works until then */
  temporaryCredentials: z.boolean(),
});
export type UserResponse = z.infer<typeof userResponse>;
