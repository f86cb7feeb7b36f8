/** Limits of sign-in, sessions and registration, named once. */
export const AUTH_LIMITS = {
  /** how long an instance trusts what it read of an account (role, token version, disabled) */
  accountCacheTtlMs: 5_000,
  /** accounts remembered per instance; the oldest is forgotten first */
  accountCacheMaxEntries: 10_000,
  /** how often an instance deletes back-off rows nobody has touched for backoffForgetAfterS */
  backoffSweepEveryMs: 10 * 60_000,
  backoffForgetAfterS: 24 * 3600,
  /** a code sent out of band (registration, password reset) has this many digits and tries */
  codeDigits: 6,
  codeMaxAttempts: 5,
  /** a registration code is good for this long */
  registrationCodeTtlS: 30 * 60,
  /** a password-reset code is good for this long: it lets whoever reads it into the account */
  resetCodeTtlS: 15 * 60,
  /** a second reset request for the same account within this sends nothing new */
  resetResendAfterS: 60,
} as const;
