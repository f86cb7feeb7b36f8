import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * All configuration, parsed once from the environment at start-up. Nothing else reads
 * process.env. A bad value stops start-up with a message naming the variable.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

/** Safaricom's published sandbox passkey for shortcode 174379: not a secret. */
export const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
/** Daraja refuses C2B URLs containing these words, and the token is part of those URLs. */
export const DARAJA_FORBIDDEN_URL_WORDS = /m-?pesa|safaricom|exe|cmd|sql|query/i;
/** At most 96 characters: the token is a path segment, and the router refuses longer ones. */
const callbackToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{32,96}$/, 'must be 32 to 96 letters, digits, - or _')
  .refine(
    (t) => !DARAJA_FORBIDDEN_URL_WORDS.test(t),
    'must not contain mpesa, safaricom, exe, cmd, sql or query',
  );
const ipList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .pipe(z.array(z.union([z.ipv4(), z.ipv6()])).max(256));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port.default(3000),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** human-readable logs for a person at a terminal; JSON for log shippers */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DB_POOL_SIZE: positiveInt.max(100).default(10),
  MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL')
    .optional(),
  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  /** embedded broker: false turns the plain listener for meters off (TLS only) */
  MQTT_PLAIN: bool.default(true),
  /** embedded broker: MQTT over TLS on this port when MQTT_TLS_CERT and MQTT_TLS_KEY are set */
  MQTT_TLS_PORT: port.optional(),
  /** PEM files: the broker's certificate (chain) and key; MQTT_TLS_CA adds a CA chain (embedded), or is the CA trusted for an mqtts:// MQTT_URL */
  MQTT_TLS_CERT: z.string().min(1).optional(),
  MQTT_TLS_KEY: z.string().min(1).optional(),
  MQTT_TLS_CA: z.string().min(1).optional(),
  MQTT_SERVER_USERNAME: z.string().min(1).default('umeme-server'),
  MQTT_SERVER_PASSWORD: z.string().min(16).optional(),
  /**
   * with MQTT_URL: keep Mosquitto's dynamic-security plugin in step with the database (meter
   * accounts and roles, the server's own account); MQTT_URL then carries the dynsec admin account
   */
  MQTT_DYNSEC: bool.default(false),
  /**
   * the shared secret a broker's HTTP auth calls must carry (EMQX, mosquitto-go-auth); without
   * it the /mqtt/* hook routes do not exist
   */
  MQTT_AUTH_HOOK_SECRET: z.string().min(32, 'must be at least 32 characters').max(256).optional(),
  /** names this deployment's shared-subscription group, Redis keys and broker accounts */
  DEPLOYMENT_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,23}$/, 'must be 1 to 24 lowercase letters, digits or -, starting with a letter')
    .default('umeme'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** how long a dropped browser socket may come back and get the events it missed */
  SOCKET_RECOVERY_S: positiveInt.max(3600).default(120),
  SOCKET_MAX_PER_USER: positiveInt.max(1000).default(20),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_TTL_S: positiveInt.default(12 * 3600),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  DEMO: bool.default(true),
  DEMO_METERS: z.coerce.number().int().min(0).max(1000).default(3),
  DEMO_INTERVAL_S: z.coerce.number().min(0.1).max(3600).default(5),
  INGEST_BATCH_MAX: positiveInt.max(10_000).default(1000),
  INGEST_BATCH_DELAY_MS: z.coerce.number().int().min(0).max(1000).default(2),
  INGEST_QUEUE_HIGH_WATER: positiveInt.default(20_000),
  INGEST_CONCURRENCY: positiveInt.max(16).default(3),
  TRUST_PROXY: bool.default(false),
  /** on shutdown, how long one part (HTTP, MQTT, database…) may take before the next closes anyway */
  SHUTDOWN_STEP_TIMEOUT_MS: positiveInt.max(600_000).default(15_000),
  // M-Pesa Daraja (design §7). Without DARAJA_CONSUMER_KEY the built-in emulator is used.
  DARAJA_ENV: z.enum(['sandbox', 'production']).default('sandbox'),
  DARAJA_CONSUMER_KEY: z.string().min(1).max(256).optional(),
  DARAJA_CONSUMER_SECRET: z.string().min(1).max(256).optional(),
  DARAJA_SHORTCODE: z
    .string()
    .regex(/^\d{5,7}$/, 'must be a 5 to 7 digit shortcode')
    .default('174379'),
  /** the public sandbox passkey by default; production gets its own from Safaricom */
  DARAJA_PASSKEY: z.string().min(1).max(512).default(SANDBOX_PASSKEY),
  /** the secret in our callback URLs; generated once and kept in the database when unset */
  DARAJA_CALLBACK_TOKEN: callbackToken.optional(),
  /** comma-separated addresses allowed to deliver callbacks; empty = any address */
  DARAJA_CALLBACK_ALLOWLIST: ipList.default([]),
  /**
   * callbacks stored, and successes settled, each in a statement or transaction of its own at
   * once; beyond this, new ones wait to share one (group commit). 0 (the default): every
   * confirmed success takes the group path, whose pipelined transaction is two round trips
   * where a transaction of its own is eight; a callback arriving when nothing is in flight
   * still goes at once, as a group of one.
   */
  PAYMENT_SETTLE_SINGLE_MAX: z.coerce.number().int().min(0).max(1000).default(0),
  /** success callbacks settled together in one transaction at most (group commit under load) */
  PAYMENT_SETTLE_BATCH_MAX: positiveInt.max(1000).default(64),
  /**
   * such transactions in flight at once (PostgreSQL; on PGlite every callback settles singly).
   * 1: whatever arrives while one commits goes in the next, so groups grow with the load.
   */
  PAYMENT_SETTLE_CONCURRENCY: positiveInt.max(32).default(1),
  /** confirm each success callback with STK Query before crediting (PAY-9) */
  DARAJA_VERIFY_WITH_QUERY: bool.default(true),
  /** register the C2B URLs with Daraja at start-up (the emulator always gets them) */
  DARAJA_C2B_REGISTER: bool.default(false),
  /** the emulator's delay from an STK push to its result and callback */
  DARAJA_EMULATOR_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(1500),
  /** an intent still pending after this long is resolved with STK Query */
  PAYMENT_PENDING_TIMEOUT_S: positiveInt.max(86_400).default(120),
  /** an intent that M-Pesa still reports as processing after this long is expired */
  PAYMENT_EXPIRE_S: positiveInt.max(7 * 86_400).default(900),
  RECONCILE_INTERVAL_S: positiveInt.max(3600).default(30),
  /** STK pushes allowed per phone number, and per meter, within STK_PUSH_WINDOW_S (SEC-5) */
  STK_PUSH_MAX_PER_PHONE: positiveInt.max(100_000).default(5),
  STK_PUSH_MAX_PER_METER: positiveInt.max(100_000).default(10),
  STK_PUSH_WINDOW_S: positiveInt.max(86_400).default(600),
  /** how often the friendly-hours scheduler checks the schedule and the meters (issue 5 §4) */
  FRIENDLY_HOURS_TICK_S: positiveInt.max(3600).default(60),
  /** "about N hours of credit left" notice below this many hours at the recent rate (issue 5 §6) */
  LOW_BALANCE_FORECAST_HOURS: z.coerce.number().min(0.25).max(168).default(6),
  /** how often the forecast sweep runs */
  LOW_BALANCE_FORECAST_INTERVAL_S: positiveInt.max(86_400).default(300),
  /** names this instance's persistent MQTT session; stable across restarts */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default(
      () =>
        hostname()
          .replace(/[^A-Za-z0-9_-]/g, '')
          .slice(0, 32) || 'local',
    ),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** true when no external broker is configured: we run Aedes in-process */
  embeddedBroker: boolean;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const picked = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => {
      const v = env[k];
      return v === undefined || v === '' ? [] : [[k, v]];
    }),
  );
  const r = envSchema.safeParse(picked);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (r.data.DARAJA_CONSUMER_KEY !== undefined && r.data.DARAJA_CONSUMER_SECRET === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  DARAJA_CONSUMER_SECRET: required when DARAJA_CONSUMER_KEY is set',
    );
  }
  const tlsProblem = mqttTlsProblem(r.data);
  if (tlsProblem) throw new ConfigError(`Invalid configuration:\n  ${tlsProblem}`);
  if (r.data.MQTT_DYNSEC && r.data.MQTT_URL === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  MQTT_DYNSEC: needs MQTT_URL (the Mosquitto to manage, with its dynsec admin account)',
    );
  }
  if (r.data.PAYMENT_EXPIRE_S < r.data.PAYMENT_PENDING_TIMEOUT_S) {
    throw new ConfigError(
      'Invalid configuration:\n  PAYMENT_EXPIRE_S: must not be shorter than PAYMENT_PENDING_TIMEOUT_S',
    );
  }
  return {
    ...r.data,
    LOG_FORMAT: r.data.LOG_FORMAT ?? (r.data.NODE_ENV === 'development' ? 'pretty' : 'json'),
    embeddedBroker: r.data.MQTT_URL === undefined,
  };
}

function mqttTlsProblem(e: Env): string | null {
  const external = e.MQTT_URL !== undefined;
  if (external) {
    if (e.MQTT_TLS_CERT || e.MQTT_TLS_KEY || e.MQTT_TLS_PORT !== undefined || !e.MQTT_PLAIN)
      return 'MQTT_TLS_CERT: the MQTT_TLS_* listener settings and MQTT_PLAIN are for the embedded broker; with MQTT_URL use mqtts:// (and MQTT_TLS_CA for a private CA)';
    if (e.MQTT_TLS_CA && !e.MQTT_URL!.startsWith('mqtts://'))
      return 'MQTT_TLS_CA: set for an mqtt:// MQTT_URL; use mqtts:// to reach the broker over TLS';
    return null;
  }
  if ((e.MQTT_TLS_CERT === undefined) !== (e.MQTT_TLS_KEY === undefined))
    return 'MQTT_TLS_CERT: MQTT_TLS_CERT and MQTT_TLS_KEY go together';
  const tls = e.MQTT_TLS_CERT !== undefined;
  if (!tls && (e.MQTT_TLS_PORT !== undefined || e.MQTT_TLS_CA !== undefined))
    return 'MQTT_TLS_PORT: needs MQTT_TLS_CERT and MQTT_TLS_KEY';
  if (!e.MQTT_PLAIN && !tls)
    return 'MQTT_PLAIN: false needs MQTT_TLS_CERT and MQTT_TLS_KEY (meters need a listener)';
  if (!e.MQTT_PLAIN && e.DEMO)
    return 'MQTT_PLAIN: the demo meters connect over plain MQTT; set DEMO=false to turn plain MQTT off';
  return null;
}

/** A test/embedded configuration: in-memory database, ephemeral ports, no demo. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      MQTT_PORT: '0',
      DEMO: 'false',
      LOG_LEVEL: 'silent',
      // A test's afterAll hook has 60 s: a hung part must not use them all.
      SHUTDOWN_STEP_TIMEOUT_MS: '5000',
    }),
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    DATA_DIR: ':memory:',
    ...overrides,
  };
}
