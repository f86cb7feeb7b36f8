/** Limits of the browser realtime gateway, each named once. */
export const REALTIME_LIMITS = {
  /** consumption-driven balance updates per meter: at most one per window (docs/design.md §5) */
  coalesceWindowMs: 1000,
  /** meters in one balance_initial; a customer with more reads the rest over HTTP */
  snapshotMeters: 200,
  /** meters one socket may watch with subscribe_meter, beyond the ones it owns */
  watchedMetersPerSocket: 50,
  /** client → server events per socket per window; a socket that sends more is cut */
  clientEventsPerWindow: 30,
  clientEventWindowMs: 10_000,
  /** largest frame a client may send: clients only send tiny requests */
  maxClientFrameBytes: 16 * 1024,
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  connectTimeoutMs: 10_000,
  tokenMaxChars: 4096,
  /** packets kept for connection state recovery by the in-memory adapter */
  recoveryBufferPackets: 100_000,
  /** length of the Redis stream that carries events between instances */
  redisStreamMaxLen: 100_000,
  /** how long the Redis stream reader blocks; bounds how long closing waits for it */
  redisBlockMs: 1000,
  /** Redis reconnects forever, backing off by this much per attempt up to the cap */
  redisReconnectStepMs: 100,
  redisReconnectMaxMs: 2000,
  /** attempts a Redis command waits through while disconnected before it fails */
  redisRetriesPerCommand: 3,
  /** snapshots read at once when every local socket is resent balance_initial */
  resendSnapshotConcurrency: 20,
} as const;
