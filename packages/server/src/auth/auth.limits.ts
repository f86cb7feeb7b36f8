/** Limits of sign-in, sessions and registration, named once. */
export const AUTH_LIMITS = {
  /** how long an instance trusts what it read of an account (role, token version, disabled) */
  accountCacheTtlMs: 5_000,
  /** accounts remembered per instance; the oldest is forgotten first */
  accountCacheMaxEntries: 10_000,
} as const;
