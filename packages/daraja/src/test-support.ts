/**
 * Test helpers for the Daraja package: a captured pino logger, a running emulator, and a tiny
 * merchant server that receives callbacks over real HTTP. Not exported from the package.
 */
import Fastify from 'fastify';
import { pino } from 'pino';
import { DarajaClient, type DarajaClientOptions } from './client';
import { createDarajaEmulator, type DarajaEmulator, type DarajaEmulatorOptions } from './emulator';
import type { DarajaLogger } from './logging';
import { c2bAccept, c2bConfirmationAck, c2bReject } from './schemas';

export const CREDENTIALS = {
  consumerKey: 'ck-umeme-test-4f1d9a',
  consumerSecret: 'cs-umeme-SECRET-9b7e2c41',
  shortCode: '174379',
  passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
} as const;

interface CapturedLogger {
  logger: DarajaLogger;
  lines: string[];
}

/** A real pino logger at debug level whose output lines are kept for assertions. */
export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

let phoneCounter = 0;
/** A fresh phone number per call, so tests never share an outcome or a prompt. */
export function newPhone(): { local: string; msisdn: string } {
  phoneCounter += 1;
  const tail = (10_000_000 + ((process.pid * 7919 + phoneCounter) % 90_000_000)).toString().slice(-8);
  return { local: `07${tail}`, msisdn: `2547${tail}` };
}

export async function startEmulator(
  overrides: Partial<DarajaEmulatorOptions> = {},
): Promise<{ emulator: DarajaEmulator; baseUrl: string }> {
  const emulator = createDarajaEmulator({ ...CREDENTIALS, defaultDelayMs: 20, ...overrides });
  const baseUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
  return { emulator, baseUrl };
}

export function newClient(baseUrl: string, overrides: Partial<DarajaClientOptions> = {}): DarajaClient {
  return new DarajaClient({
    baseUrl,
    ...CREDENTIALS,
    logger: captureLogger().logger,
    timeoutMs: 2_000,
    retries: 2,
    retryBaseDelayMs: 5,
    ...overrides,
  });
}

export interface Received {
  /** Arrival order across every route of the merchant. */
  seq: number;
  path: string;
  body: unknown;
}

export interface Merchant {
  baseUrl: string;
  /** Our STK callback URL, with its secret token. */
  callbackUrl: string;
  callbackToken: string;
  callbacks: Received[];
  validations: Received[];
  confirmations: Received[];
  close(): Promise<void>;
}

/**
 * The merchant side: receives STK callbacks and C2B validation/confirmation. Validation accepts
 * account numbers starting with "M" (our meters) and rejects the rest with C2B00012.
 */
export async function startMerchant(): Promise<Merchant> {
  const app = Fastify({ logger: false });
  const callbacks: Received[] = [];
  const validations: Received[] = [];
  const confirmations: Received[] = [];
  const callbackToken = `tok-${Math.random().toString(36).slice(2)}-cbsecret`;
  let seq = 0;
  const receive = (path: string, body: unknown): Received => ({ seq: (seq += 1), path, body });
  app.post('/daraja/callback/:token', async (request) => {
    callbacks.push(receive(request.url, request.body));
    return { ResultCode: 0, ResultDesc: 'Accepted' };
  });
  app.post('/c2b/validation', async (request) => {
    validations.push(receive(request.url, request.body));
    const ref = (request.body as { BillRefNumber?: unknown }).BillRefNumber;
    return typeof ref === 'string' && ref.startsWith('M') ? c2bAccept() : c2bReject('C2B00012');
  });
  app.post('/c2b/confirmation', async (request) => {
    confirmations.push(receive(request.url, request.body));
    return c2bConfirmationAck();
  });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    baseUrl,
    callbackUrl: `${baseUrl}/daraja/callback/${callbackToken}`,
    callbackToken,
    callbacks,
    validations,
    confirmations,
    close: () => app.close(),
  };
}

/** Polls until the check passes; fails the test with the message after timeoutMs. */
export async function waitFor(check: () => boolean, message: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function callbacksFor(merchant: Merchant, checkoutRequestId: string): unknown[] {
  return merchant.callbacks
    .map((c) => c.body)
    .filter(
      (body) =>
        (body as { Body?: { stkCallback?: { CheckoutRequestID?: unknown } } }).Body?.stkCallback
          ?.CheckoutRequestID === checkoutRequestId,
    );
}
