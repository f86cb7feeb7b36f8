import { randomBytes } from 'node:crypto';
import { baseUrlFor, createDarajaEmulator, DarajaClient, type DarajaEmulator } from '@umeme/daraja';
import type { Logger } from 'pino';
import { DARAJA_FORBIDDEN_URL_WORDS, type Config } from '../config';
import type { Db } from '../db/db';
import { DARAJA_REQUEST_TIMEOUT_MS } from './payments.limits';

/** The Daraja the server talks to: Safaricom's, or the built-in emulator (then also exposed for tests). */
export interface DarajaHandle {
  client: DarajaClient;
  emulator: DarajaEmulator | null;
  emulatorUrl: string | null;
}

/**
 * With DARAJA_CONSUMER_KEY: a client for Safaricom's sandbox or production. Without: the
 * emulator on 127.0.0.1 (it POSTs to whatever URL it is given, so it is never exposed), with
 * throw-away credentials, and a client pointed at it. Demo mode lets a person answer prompts on
 * the emulator's virtual phone page.
 */
export async function startDaraja(
  config: Config,
  logger: Logger,
): Promise<DarajaHandle & { close(): Promise<void> }> {
  const clientLogger = logger.child({ part: 'daraja' });
  const common = {
    shortCode: config.DARAJA_SHORTCODE,
    passkey: config.DARAJA_PASSKEY,
    logger: clientLogger,
    timeoutMs: DARAJA_REQUEST_TIMEOUT_MS,
  };
  if (config.DARAJA_CONSUMER_KEY !== undefined && config.DARAJA_CONSUMER_SECRET !== undefined) {
    const client = new DarajaClient({
      ...common,
      baseUrl: baseUrlFor(config.DARAJA_ENV),
      consumerKey: config.DARAJA_CONSUMER_KEY,
      consumerSecret: config.DARAJA_CONSUMER_SECRET,
    });
    return { client, emulator: null, emulatorUrl: null, close: () => client.close() };
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
    demo: config.DEMO,
    logger: logger.child({ part: 'daraja-emulator' }),
  });
  const emulatorUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
  const client = new DarajaClient({ ...common, ...credentials, baseUrl: emulatorUrl });
  clientLogger.info(
    { emulatorUrl, demo: config.DEMO },
    'no DARAJA_CONSUMER_KEY: using the built-in Daraja emulator',
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
export async function callbackToken(db: Db, config: Config): Promise<string> {
  if (config.DARAJA_CALLBACK_TOKEN !== undefined) return config.DARAJA_CALLBACK_TOKEN;
  let fresh = randomBytes(32).toString('base64url');
  // Daraja refuses C2B URLs containing certain words, and the token is part of them.
  while (DARAJA_FORBIDDEN_URL_WORDS.test(fresh)) fresh = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO settings (key, value) VALUES ('daraja_callback_token', $1) ON CONFLICT (key) DO NOTHING`,
    [fresh],
  );
  const { rows } = await db.query<{ value: string }>(
    `SELECT value FROM settings WHERE key = 'daraja_callback_token'`,
  );
  const stored = rows[0]?.value;
  if (stored === undefined) throw new Error('the Daraja callback token could not be stored');
  return stored;
}
