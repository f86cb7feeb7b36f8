import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseQuietHours, type QuietHours } from './sms/quiet-hours';
import { resolveMode, SANDBOX_PASSKEY, SANDBOX_SHORTCODE, type Mode } from './mode';

export { SANDBOX_PASSKEY } from './mode';

/**
 * All configuration, parsed once from the environment at start-up. Nothing else reads
 * process.env. A bad value stops start-up with a message naming the variable.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

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
/** The push services browsers subscribe with (Chrome/FCM, Firefox, Edge/WNS, Safari). */
export const DEFAULT_PUSH_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.notify.windows.com',
  'web.push.apple.com',
] as const;

const ipList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .pipe(z.array(z.union([z.ipv4(), z.ipv6()])).max(256));

/** Names proxy-addr (Fastify's trustProxy) knows for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const proxyAddress = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6(), z.enum(PROXY_RANGE_NAMES)]);
/**
 * Whose X-Forwarded-For to believe: nobody (false), the last N hops (a proxy chain of known
 * length), or only peers at these addresses/CIDRs. Trusting every hop (`true`) would let any
 * client write its own address past the callback allow-list and the per-address rate limits.
 */
export const trustProxy = z
  .string()
  .trim()
  .transform((text, ctx): false | number | string[] => {
    const lower = text.toLowerCase();
    if (lower === 'false' || lower === 'no' || lower === '0') return false;
    if (lower === 'true' || lower === 'yes') {
      ctx.addIssue({
        code: 'custom',
        message:
          "'true' would trust an X-Forwarded-For written by any client; give the number of proxies in front of the server (1 behind one reverse proxy), or the proxies' own addresses or CIDRs, comma-separated (e.g. 10.0.0.0/8,loopback); false (the default) when nothing is in front",
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(lower)) {
      const hops = Number(lower);
      if (hops > MAX_TRUSTED_PROXY_HOPS) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_TRUSTED_PROXY_HOPS} proxy hops` });
        return z.NEVER;
      }
      return hops === 0 ? false : hops;
    }
    const parts = text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0);
    const bad = parts.filter((part) => !proxyAddress.safeParse(part).success);
    if (parts.length === 0 || parts.length > 64 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be false, a number of proxy hops, or up to 64 comma-separated proxy addresses or CIDRs${bad.length ? ` (not an address: ${bad.slice(0, 3).join(', ')})` : ''}`,
      });
      return z.NEVER;
    }
    return parts;
  });
const MAX_TRUSTED_PROXY_HOPS = 16;

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
  /** consecutive failed sign-ins of one account (any address, any instance) before each next attempt waits */
  LOGIN_BACKOFF_AFTER_FAILURES: positiveInt.max(100).default(5),
  /** the first wait; it doubles with each further failure, up to LOGIN_BACKOFF_MAX_S */
  LOGIN_BACKOFF_BASE_S: positiveInt.max(3600).default(2),
  LOGIN_BACKOFF_MAX_S: positiveInt.max(86_400).default(300),
  /**
   * who delivers registration codes: `log` writes them to the log (development and demos; refused
   * in production), `none` closes self-registration. Default: `log`, `none` in production.
   */
  NOTIFIER: z.enum(['log', 'none']).optional(),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  /**
   * The demo (demo accounts, simulated meters, emulator with virtual phone, demo top-up). Unset:
   * on only when no production setting is present (see mode.ts). Refused with NODE_ENV=production.
   */
  DEMO: bool.optional(),
  DEMO_METERS: z.coerce.number().int().min(0).max(1000).default(3),
  DEMO_INTERVAL_S: z.coerce.number().min(0.1).max(3600).default(5),
  INGEST_BATCH_MAX: positiveInt.max(10_000).default(1000),
  INGEST_BATCH_DELAY_MS: z.coerce.number().int().min(0).max(1000).default(2),
  INGEST_QUEUE_HIGH_WATER: positiveInt.default(20_000),
  INGEST_CONCURRENCY: positiveInt.max(16).default(3),
  /** rated power of a meter without its own max load: a register growing faster is held (MQ-13) */
  METER_RATED_POWER_DEFAULT_W: positiveInt.max(1_000_000).default(24_000),
  /** time at rated power a register may always grow on top of rated power × elapsed × 3/2 */
  REGISTER_JUMP_GRACE_S: z.coerce.number().int().min(0).max(86_400).default(900),
  TRUST_PROXY: trustProxy.default(false),
  /** bearer token for GET /metrics (on both listeners); without it /metrics is absent from the public listener */
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').max(512).optional(),
  /** a listener of its own for GET /metrics, on METRICS_HOST; unset = none */
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** on shutdown, how long one part (HTTP, MQTT, database…) may take before the next closes anyway */
  SHUTDOWN_STEP_TIMEOUT_MS: positiveInt.max(600_000).default(15_000),
  // M-Pesa Daraja (docs/design.md §7): real Daraja with credentials; the built-in emulator only in the
  // demo or with DARAJA_EMULATOR=true, never in production (mode.ts).
  DARAJA_ENV: z.enum(['sandbox', 'production']).default('sandbox'),
  /** the built-in emulator serves payments (staging); refused with NODE_ENV=production */
  DARAJA_EMULATOR: bool.optional(),
  /** overrides the Daraja API base that DARAJA_ENV picks (a staging proxy) */
  DARAJA_BASE_URL: z.url().optional(),
  DARAJA_CONSUMER_KEY: z.string().min(1).max(256).optional(),
  DARAJA_CONSUMER_SECRET: z.string().min(1).max(256).optional(),
  DARAJA_SHORTCODE: z
    .string()
    .regex(/^\d{5,7}$/, 'must be a 5 to 7 digit shortcode')
    .optional(),
  /** the public sandbox passkey by default outside production; production must set its own */
  DARAJA_PASSKEY: z.string().min(1).max(512).optional(),
  /** the secret in our callback URLs; generated once and kept in the database when unset */
  DARAJA_CALLBACK_TOKEN: callbackToken.optional(),
  /** comma-separated addresses allowed to deliver callbacks; empty = any address */
  DARAJA_CALLBACK_ALLOWLIST: ipList.default([]),
  /** web push (VAPID) keys; generated once and kept in the database when unset */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, 'must be an uncompressed P-256 public key, base64url (87 characters)')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a P-256 private key, base64url (43 characters)')
    .optional(),
  /** who push services may contact about our pushes: mailto: or https:; PUBLIC_URL by default */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https:// address')
    .optional(),
  /**
   * hosts a browser's push endpoint may be on (comma-separated; `*.example.com` matches
   * subdomains). The server sends to these only, so a subscription cannot point it elsewhere.
   * By default the push services of Chrome, Firefox, Edge and Safari.
   */
  PUSH_ENDPOINT_HOSTS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim().toLowerCase())
        .filter((part) => part.length > 0),
    )
    .default([...DEFAULT_PUSH_HOSTS]),
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
  /**
   * requests a second this instance sends to Daraja at most (token, push, query); the rest wait
   * their turn. Unset: DARAJA_DEFAULT_MAX_REQUESTS_PER_S for Safaricom, no limit for the emulator.
   */
  DARAJA_MAX_REQUESTS_PER_S: positiveInt.max(10_000).optional(),
  /** the emulator's delay from an STK push to its result and callback */
  DARAJA_EMULATOR_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(1500),
  /**
   * an intent still pending after this long is resolved with STK Query: just past the 60 s an
   * STK prompt stays on the phone, so an unanswered prompt resolves in about a minute (a
   * wake-up per prompt, not the reconciliation interval, runs that query)
   */
  PAYMENT_PENDING_TIMEOUT_S: positiveInt.max(86_400).default(65),
  /** an intent that M-Pesa still reports as processing after this long is expired */
  PAYMENT_EXPIRE_S: positiveInt.max(7 * 86_400).default(900),
  RECONCILE_INTERVAL_S: positiveInt.max(3600).default(30),
  /** query each STK prompt still pending as soon as it is overdue (off only for tests that run passes by hand) */
  PAYMENT_PROMPT_WAKEUPS: bool.default(true),
  /** STK pushes allowed per phone number, and per meter, within STK_PUSH_WINDOW_S (SEC-5) */
  STK_PUSH_MAX_PER_PHONE: positiveInt.max(100_000).default(5),
  STK_PUSH_MAX_PER_METER: positiveInt.max(100_000).default(10),
  STK_PUSH_WINDOW_S: positiveInt.max(86_400).default(600),
  /** prompts to a phone that is not the asking customer's own, from all such customers, per window */
  STK_PUSH_MAX_PER_OTHER_PHONE: positiveInt.max(100_000).default(2),
  /** prompts waiting on one phone at once (M-Pesa shows one at a time) */
  STK_PUSH_MAX_PENDING_PER_PHONE: positiveInt.max(100_000).default(1),
  /** largest STK push in whole KES; M-Pesa's own ceiling is 250,000 */
  STK_PUSH_MAX_KES: positiveInt.min(10).max(250_000).default(10_000),
  /** how often the friendly-hours scheduler checks the schedule and the meters (issue 5 §4) */
  FRIENDLY_HOURS_TICK_S: positiveInt.max(3600).default(60),
  /** "about N hours of credit left" notice below this many hours at the recent rate (issue 5 §6) */
  LOW_BALANCE_FORECAST_HOURS: z.coerce.number().min(0.25).max(168).default(6),
  /** the flat price per kWh in KES (up to 6 decimals) when no operator tariff version is in force (docs/payments.md) */
  TARIFF_KES_PER_KWH: z.coerce.number().min(0.01).max(10_000).default(20),
  /** how often the forecast sweep runs */
  LOW_BALANCE_FORECAST_INTERVAL_S: positiveInt.max(86_400).default(300),
  // Africa's Talking SMS and USSD (docs/sms-ussd.md): the real gateway with AT_API_KEY; the built-in
  // emulator without it outside production; in production without it SMS is off (mode.ts).
  AT_USERNAME: z.string().min(1).max(128).optional(),
  AT_API_KEY: z.string().min(1).max(512).optional(),
  AT_ENVIRONMENT: z.enum(['sandbox', 'production']).default('sandbox'),
  /** a registered alphanumeric sender id or short code; the account's default when unset */
  AT_SENDER_ID: z.string().min(1).max(11).optional(),
  /** the secret in our USSD and delivery-report callback URLs; generated once and kept in the database when unset */
  AT_CALLBACK_TOKEN: callbackToken.optional(),
  /** comma-separated addresses allowed to deliver USSD and delivery-report callbacks; empty = any address */
  AT_CALLBACK_ALLOWLIST: ipList.default([]),
  /** Nairobi time during which low-balance SMS wait for the morning ("21:00-07:00"); "off" = never */
  SMS_QUIET_HOURS: z
    .string()
    .default('21:00-07:00')
    .transform((text, ctx): QuietHours | null => {
      if (text.trim().toLowerCase() === 'off') return null;
      try {
        return parseQuietHours(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** how often each instance sends what the SMS outbox holds */
  SMS_SEND_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
  /** SMS this instance hands the gateway a second, at most: what the gateway contract allows */
  SMS_SEND_MAX_PER_S: positiveInt.max(10_000).default(10),
  /** first retry of a message the gateway refused before sending; it doubles up to SMS_RETRY_MAX_MS */
  SMS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  SMS_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400_000)
    .default(10 * 60_000),
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

export interface Config extends Omit<Env, 'DARAJA_SHORTCODE' | 'DARAJA_PASSKEY' | 'NOTIFIER'> {
  /** who delivers registration codes; `none` in production unless set (never `log` there) */
  NOTIFIER: 'log' | 'none';
  /** the setting, else the sandbox shortcode (production must set it: mode.ts) */
  DARAJA_SHORTCODE: string;
  /** the setting, else the sandbox passkey (production must set it: mode.ts) */
  DARAJA_PASSKEY: string;
  /** true when no external broker is configured: we run Aedes in-process */
  embeddedBroker: boolean;
  /** how this server runs, decided once from the settings (mode.ts) */
  mode: Mode;
}

export class ConfigError extends Error {}

/** Every variable the server reads; each may instead be given as `<NAME>_FILE`. */
export const CONFIG_KEYS: readonly string[] = Object.keys(envSchema.shape);

/** A secret file larger than this is a mistake (a certificate bundle, /dev/zero), not a value. */
const SECRET_FILE_MAX_BYTES = 64 * 1024;

/**
 * Docker and Kubernetes secrets arrive as files: `X_FILE=/run/secrets/x` sets X to that file's
 * content, without its trailing newline. Setting both X and X_FILE, or naming a file that cannot
 * be read or is empty, is an error that names the variable and the path, never the content.
 */
export function resolveFileVariables(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const resolved = { ...env };
  const problems: string[] = [];
  for (const key of CONFIG_KEYS) {
    const fileVar = `${key}_FILE`;
    const path = env[fileVar];
    if (path === undefined || path === '') continue;
    if (env[key] !== undefined && env[key] !== '') {
      problems.push(`  ${key}: set either ${key} or ${fileVar}, not both`);
      continue;
    }
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error('not a regular file');
      if (stat.size > SECRET_FILE_MAX_BYTES) throw new Error(`larger than ${SECRET_FILE_MAX_BYTES} bytes`);
      const value = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
      if (value === '') throw new Error('empty');
      resolved[key] = value;
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      problems.push(`  ${key}: cannot read ${fileVar} ${path}: ${reason}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return resolved;
}

function invalid(lines: string[]): ConfigError {
  return new ConfigError(`Invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  env = resolveFileVariables(env);
  const picked = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => {
      const v = env[k];
      return v === undefined || v === '' ? [] : [[k, v]];
    }),
  );
  const r = envSchema.safeParse(picked);
  if (!r.success) throw invalid(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return completeConfig(r.data);
}

/** Checks what no single variable can, resolves the mode and fills in what follows from it. */
function completeConfig(env: Env): Config {
  const problems: string[] = [];
  if (env.SMS_RETRY_MAX_MS < env.SMS_RETRY_BASE_MS) {
    problems.push('SMS_RETRY_MAX_MS: must not be shorter than SMS_RETRY_BASE_MS');
  }
  if (env.PAYMENT_EXPIRE_S < env.PAYMENT_PENDING_TIMEOUT_S) {
    problems.push('PAYMENT_EXPIRE_S: must not be shorter than PAYMENT_PENDING_TIMEOUT_S');
  }
  if (env.NODE_ENV === 'production' && env.NOTIFIER === 'log') {
    problems.push('NOTIFIER: `log` writes registration codes to the log; not in production');
  }
  const tlsProblem = mqttTlsProblem(env);
  if (tlsProblem) problems.push(tlsProblem);
  if (env.MQTT_DYNSEC && env.MQTT_URL === undefined) {
    problems.push('MQTT_DYNSEC: needs MQTT_URL (the Mosquitto to manage, with its dynsec admin account)');
  }
  const resolved = resolveMode(env);
  if (!resolved.ok) problems.push(...resolved.problems);
  else if (resolved.mode.demo && !env.MQTT_PLAIN) {
    problems.push(
      'MQTT_PLAIN: the demo meters connect over plain MQTT; set DEMO=false to turn plain MQTT off',
    );
  }
  if (problems.length > 0 || !resolved.ok) throw invalid(problems);
  return {
    ...env,
    DARAJA_SHORTCODE: env.DARAJA_SHORTCODE ?? SANDBOX_SHORTCODE,
    DARAJA_PASSKEY: env.DARAJA_PASSKEY ?? SANDBOX_PASSKEY,
    NOTIFIER: env.NOTIFIER ?? (env.NODE_ENV === 'production' ? 'none' : 'log'),
    LOG_FORMAT: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
    embeddedBroker: env.MQTT_URL === undefined,
    mode: resolved.mode,
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
  return null;
}

/**
 * A test/embedded configuration: in-memory database, ephemeral ports, no demo, and the Daraja
 * emulator unless the overrides give Daraja credentials or NODE_ENV=production. The overrides
 * are merged before the mode is resolved, so `{ DEMO: true }` is a demo and a production
 * override must be a valid production configuration.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const { mode: _mode, embeddedBroker: _embedded, ...settings } = overrides;
  const base = envSchema.parse({
    NODE_ENV: 'test',
    PORT: '0',
    MQTT_PORT: '0',
    DEMO: 'false',
    LOG_LEVEL: 'silent',
    // A test's afterAll hook has 60 s: a hung part must not use them all.
    SHUTDOWN_STEP_TIMEOUT_MS: '5000',
  });
  const merged: Env = {
    ...base,
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    DATA_DIR: ':memory:',
    ...settings,
  };
  const realDaraja = merged.DARAJA_CONSUMER_KEY !== undefined || merged.NODE_ENV === 'production';
  if (!('DARAJA_EMULATOR' in settings) && !realDaraja) merged.DARAJA_EMULATOR = true;
  return completeConfig(merged);
}
