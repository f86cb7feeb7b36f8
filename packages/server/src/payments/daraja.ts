import { randomBytes } from 'node:crypto';
import { baseUrlFor, createDarajaEmulator, DarajaClient, type DarajaEmulator } from '@umeme/daraja';
import type { Logger } from 'pino';
import { DARAJA_FORBIDDEN_URL_WORDS, type Config } from '../config';
import type { Db } from '../db/db';
import { PostgresDarajaTokenStore } from './daraja-token-store';
import { DARAJA_DEFAULT_MAX_REQUESTS_PER_S, DARAJA_REQUEST_TIMEOUT_MS } from './payments.limits';

/** The Daraja the server talks to: Safaricom's, or the built-in emulator (then also exposed for tests). */
export interface DarajaHandle {
  client: DarajaClient;
  emulator: DarajaEmulator | null;
  emulatorUrl: string | null;
}

/**
 * As `config.mode.payments` decides (mode.ts): a client for Safaricom's sandbox or production
 * (or DARAJA_BASE_URL, a staging proxy); or the emulator on 127.0.0.1 (it POSTs to whatever URL
 * it is given, so it is never exposed), with throw-away credentials, and a client pointed at it.
 * Only the demo gets the emulator's own pages (virtual phone, prompt answers, paybill payments).
 */
export async function startDaraja(
  config: Config,
  logger: Logger,
  /** on PostgreSQL, where several instances may run, they share one OAuth token (issue 16 §3) */
  db?: Db,
): Promise<DarajaHandle & { close(): Promise<void> }> {
  const clientLogger = logger.child({ part: 'daraja' });
  const common = {
    shortCode: config.DARAJA_SHORTCODE,
    passkey: config.DARAJA_PASSKEY,
    logger: clientLogger,
    timeoutMs: DARAJA_REQUEST_TIMEOUT_MS,
  };
  const { mode } = config;
  switch (mode.payments) {
    case 'daraja': {
      if (config.DARAJA_CONSUMER_KEY === undefined || config.DARAJA_CONSUMER_SECRET === undefined) {
        throw new Error('payments by Daraja without credentials: mode.ts should have refused');
      }
      const baseUrl = config.DARAJA_BASE_URL ?? baseUrlFor(config.DARAJA_ENV);
      if (config.DARAJA_BASE_URL !== undefined) {
        clientLogger.warn({ baseUrl }, 'DARAJA_BASE_URL: Daraja requests go to this address');
      }
      const client = new DarajaClient({
        ...common,
        // Instances on one PostgreSQL share the token (the emulator is each instance's own).
        ...(db?.kind === 'postgres'
          ? { tokenStore: new PostgresDarajaTokenStore(db, `${baseUrl}|${config.DARAJA_CONSUMER_KEY}`) }
          : {}),
        baseUrl,
        consumerKey: config.DARAJA_CONSUMER_KEY,
        consumerSecret: config.DARAJA_CONSUMER_SECRET,
        maxRequestsPerS: config.DARAJA_MAX_REQUESTS_PER_S ?? DARAJA_DEFAULT_MAX_REQUESTS_PER_S,
      });
      clientLogger.info({ env: config.DARAJA_ENV, baseUrl }, "payments go to Safaricom's Daraja");
      return { client, emulator: null, emulatorUrl: null, close: () => client.close() };
    }
    case 'emulator':
      break;
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('the Daraja emulator in production: mode.ts should have refused');
  }
  const credentials = {
    consumerKey: `emulator-${randomBytes(8).toString('hex')}`,
    consumerSecret: randomBytes(24).toString('base64url'),
  };
  const emulator = createDarajaEmulator({
    ...credentials,
    shortCode: config.DARAJA_SHORTCODE,
    passkey: config.DARAJA_PASSKEY,
    defaultDelayMs: config.DARAJA_EMULATOR_DELAY_MS,
    demo: mode.demo,
    c2bPayRoute: mode.demo,
    logger: logger.child({ part: 'daraja-emulator' }),
  });
  const emulatorUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
  const client = new DarajaClient({
    ...common,
    ...credentials,
    baseUrl: emulatorUrl,
    ...(config.DARAJA_MAX_REQUESTS_PER_S === undefined
      ? {}
      : { maxRequestsPerS: config.DARAJA_MAX_REQUESTS_PER_S }),
  });
  if (config.DARAJA_BASE_URL !== undefined) {
    clientLogger.warn('DARAJA_BASE_URL is ignored: the built-in emulator serves payments');
  }
  clientLogger.warn(
    { emulatorUrl, mode: mode.name },
    mode.demo
      ? 'DEMO: payments go to the built-in Daraja emulator; no real money moves'
      : 'STAGING: payments go to the built-in Daraja emulator, which approves them; no real money moves. Never use this with real customers.',
  );
  return {
    client,
    emulator,
    emulatorUrl,
    close: async () => {
      await client.close();
      await emulator.close();
    },
  };
}

/** The callback secret: configured, or generated once and kept in the settings table. */
export function callbackToken(db: Db, config: Config): Promise<string> {
  return storedCallbackToken(db, 'daraja_callback_token', config.DARAJA_CALLBACK_TOKEN);
}

/**
 * A callback secret (Daraja's, Africa's Talking's): the configured one, or one generated once
 * and kept in the settings table under `key`, so every instance and restart uses the same.
 */
export async function storedCallbackToken(
  db: Db,
  key: string,
  configured: string | undefined,
): Promise<string> {
  if (configured !== undefined) return configured;
  let fresh = randomBytes(32).toString('base64url');
  // Daraja refuses C2B URLs containing certain words, and the token is part of them.
  while (DARAJA_FORBIDDEN_URL_WORDS.test(fresh)) fresh = randomBytes(32).toString('base64url');
  await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
    key,
    fresh,
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [key]);
  const stored = rows[0]?.value;
  if (stored === undefined) throw new Error(`the callback token ${key} could not be stored`);
  return stored;
}
