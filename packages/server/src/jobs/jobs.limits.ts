/** Limits of the run-once job leases (jobs/job-leases.ts), named once. */

/**
 * How often an instance tries the leases it does not hold, and the holder checks its lease
 * connection: a dead holder's jobs move within about this long (plus PostgreSQL noticing the
 * closed connection, at once when the process died).
 */
export const JOB_LEASE_CHECK_MS = 1_000;
export const JOB_LEASE_CONNECT_TIMEOUT_MS = 5_000;
/** A check that takes longer counts as a lost connection: the jobs stop. */
export const JOB_LEASE_QUERY_TIMEOUT_MS = 5_000;
/** First key of every job's advisory lock (the second is hashtext(job name)); "um" + 16. */
export const JOB_LEASE_LOCK_CLASS = 0x756d_0016;
