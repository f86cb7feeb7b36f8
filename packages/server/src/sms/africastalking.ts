import { randomBytes } from 'node:crypto';
import {
  AfricasTalkingClient,
  atBaseUrlFor,
  createAfricasTalkingEmulator,
  type AfricasTalkingEmulator,
} from '@umeme/africastalking';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { SmsSender } from './sms-outbox';

/** What sends SMS: Africa's Talking, the built-in emulator, or nothing (SMS off). */
export interface SmsGateway {
  sender: SmsSender | null;
  emulator: AfricasTalkingEmulator | null;
  emulatorUrl: string | null;
  close(): Promise<void>;
}

/** Our callback URLs, which the emulator calls like the gateway would. */
export interface SmsCallbackUrls {
  ussd: string;
  delivery: string;
}

/** The emulator's request timeout to the gateway: it answers on this machine. */
const SMS_REQUEST_TIMEOUT_MS = 10_000;

/**
 * As `config.mode.sms` decides (mode.ts): a client for Africa's Talking; or the emulator on
 * 127.0.0.1 with throw-away credentials (never in production), calling our own callbacks; or
 * nothing, SMS off.
 */
export async function startSmsGateway(
  config: Config,
  logger: Logger,
  urls: SmsCallbackUrls,
): Promise<SmsGateway> {
  const log = logger.child({ part: 'africastalking' });
  const from = config.AT_SENDER_ID === undefined ? {} : { from: config.AT_SENDER_ID };
  switch (config.mode.sms) {
    case 'off':
      log.warn('SMS is off: AT_API_KEY is not set in production; no SMS is sent and USSD is closed');
      return { sender: null, emulator: null, emulatorUrl: null, close: async () => undefined };
    case 'africastalking': {
      if (config.AT_API_KEY === undefined || config.AT_USERNAME === undefined) {
        throw new Error("Africa's Talking without credentials: mode.ts should have refused");
      }
      const baseUrl = atBaseUrlFor(config.AT_ENVIRONMENT);
      log.info({ env: config.AT_ENVIRONMENT, baseUrl }, "SMS go to Africa's Talking");
      const sender = new AfricasTalkingClient({
        baseUrl,
        username: config.AT_USERNAME,
        apiKey: config.AT_API_KEY,
        timeoutMs: SMS_REQUEST_TIMEOUT_MS,
        ...from,
      });
      return { sender, emulator: null, emulatorUrl: null, close: async () => undefined };
    }
    case 'emulator':
      break;
  }
  if (config.NODE_ENV === 'production') {
    throw new Error("the Africa's Talking emulator in production: mode.ts should have refused");
  }
  const creds = { username: 'umeme-emulator', apiKey: randomBytes(24).toString('base64url') };
  const emulator = createAfricasTalkingEmulator({
    ...creds,
    deliveryReportUrl: urls.delivery,
    ussdCallbackUrl: urls.ussd,
    // Only the demo gets the virtual feature phone page.
    demo: config.mode.demo,
  });
  const emulatorUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
  log.warn({ emulatorUrl }, "SMS go to the built-in Africa's Talking emulator; no real SMS is sent");
  return {
    sender: new AfricasTalkingClient({ baseUrl: emulatorUrl, ...creds, ...from }),
    emulator,
    emulatorUrl,
    close: () => emulator.close(),
  };
}
