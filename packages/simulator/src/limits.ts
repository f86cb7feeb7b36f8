/** Every bound the simulator applies, named once. */

/** The load model and the energy register advance in fixed steps so that a seed replays identically however time is chunked. */
export const LOAD_STEP_MS = 1_000;

/** Kenya is UTC+3 all year (no daylight saving), so the daily curve is read in EAT. */
export const EAT_OFFSET_MS = 3 * 3_600_000;

export const DEFAULT_PUBLISH_INTERVAL_MS = 5_000;
export const MIN_PUBLISH_INTERVAL_MS = 1_000;
export const MAX_PUBLISH_INTERVAL_MS = 86_400_000;

/** Reconnect backoff: exponential from the minimum, capped, with jitter so a fleet does not reconnect in lock-step. */
export const RECONNECT_MIN_BACKOFF_MS = 500;
export const RECONNECT_MAX_BACKOFF_MS = 30_000;
export const MQTT_CONNECT_TIMEOUT_MS = 10_000;
export const MQTT_KEEPALIVE_S = 30;
/** Graceful close waits this long for the broker before dropping the socket. */
export const MQTT_CLOSE_TIMEOUT_MS = 3_000;

/**
 * QoS 1 publishes awaiting PUBACK per meter. Past this (or while offline) a report is skipped
 * rather than queued: the next report carries the register total, so nothing is lost and memory stays bounded.
 */
export const MAX_INFLIGHT_PUBLISHES = 16;

export const MAX_METERS = 20_000;
export const DEFAULT_CONNECT_CONCURRENCY = 50;
export const MAX_CONNECT_CONCURRENCY = 1_000;
/** Connect starts per second across the fleet, so thousands of meters do not hit the broker in one burst. */
export const DEFAULT_CONNECT_RATE_PER_S = 500;

/** Real-time driving: a stalled event loop (a laptop asleep) catches up at most this much load; the rest of the gap passes with no consumption. */
export const MAX_REALTIME_CATCHUP_MS = 10 * 60_000;
export const DEFAULT_REALTIME_TICK_MS = 1_000;

export const DEFAULT_PERSIST_INTERVAL_MS = 15_000;
export const STATE_IO_CONCURRENCY = 32;
export const MAX_STATE_FILE_BYTES = 64 * 1024;
export const MAX_CREDENTIALS_FILE_BYTES = 16 * 1024 * 1024;

export const HTTP_TIMEOUT_MS = 10_000;
export const HTTP_MAX_ATTEMPTS = 5;
export const REGISTER_CONCURRENCY = 8;
