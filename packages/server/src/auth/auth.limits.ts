/** Limits of sign-in, sessions and registration, named once. */
export const AUTH_LIMITS = {
  /** how long an instance trusts what it read of an account (role, token version, disabled) */
  accountCacheTtlMs: 5_000,
  /** accounts remembered per instance; the oldest is forgotten first */
  accountCacheMaxEntries: 10_000,
  /** how often an instance deletes back-off rows nobody has touched for backoffForgetAfterS */
  backoffSweepEveryMs: 10 * 60_000,
  backoffForgetAfterS: 24 * 3600,
  /** a registration code is good for this long, and for this many tries */
  registrationCodeTtlS: 30 * 60,
  registrationCodeMaxAttempts: 5,
  registrationCodeDigits: 6,
} as const;
