/**
 * An Africa's Talking emulator: the SMS send endpoint with its answers, delivery reports POSTed
 * back like the gateway's, and a driver for USSD sessions that calls our USSD callback the way
 * the network does. Used when no API key is configured (demo, staging) and by the tests, which
 * can also make it fail (an outage, a refused number, a spent account).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AT_PHONE_PAGE_CSP, renderAtPhonePage } from './emulator-phone-page';
import { smsLength, type SmsEncoding } from './gsm7';
import {
  AT_SMS_STATUS,
  MAX_USSD_REPLY_CHARS,
  toInternationalMsisdn,
  type AtSmsStatusCode,
  type DeliveryStatus,
} from './schemas';

export const AT_EMULATOR_MAX_MESSAGES = 10_000;
export const AT_EMULATOR_MAX_RECIPIENTS = 1_000;
export const AT_EMULATOR_MAX_TEXT_CHARS = 1_600;
export const AT_EMULATOR_MAX_USSD_SESSIONS = 1_000;
export const AT_EMULATOR_CALLBACK_TIMEOUT_MS = 10_000;
/** What one message part costs on the emulator, in ten-thousandths of a shilling. */
export const AT_EMULATOR_COST_PER_PART = 8_000;
const BODY_LIMIT_BYTES = 64 * 1024;

export interface AfricasTalkingEmulatorOptions {
  username: string;
  apiKey: string;
  /** Our delivery-report callback; no reports without it. */
  deliveryReportUrl?: string;
  /** Our USSD callback; USSD sessions need it. */
  ussdCallbackUrl?: string;
  /** The code a caller dials. Default `*384*1#`. */
  serviceCode?: string;
  /** From the send to its delivery report. Default 100 ms. */
  deliveryDelayMs?: number;
  maxMessages?: number;
  /** The demo: a virtual feature phone page (`GET /emulator/phone`) with the inbox and a USSD dialer. */
  demo?: boolean;
}

export interface EmulatedSms {
  messageId: string;
  to: string;
  from: string | null;
  text: string;
  encoding: SmsEncoding;
  parts: number;
  atMs: number;
  /** The last delivery status reported (or to be reported). */
  delivery: DeliveryStatus;
  failureReason?: string;
}

export interface UssdStep {
  sessionId: string;
  /** The reply shown to the caller, without its CON/END. */
  screen: string;
  /** END: the session is over. */
  ended: boolean;
  /** What the callback answered, when it was not a valid reply. */
  error?: string;
}

export type EmulatedSendFailure =
  /** The gateway answers this HTTP status, sending nothing. */
  | { httpStatus: number }
  /** The gateway answers 201 with this per-recipient status code. */
  | { statusCode: AtSmsStatusCode };

export interface AfricasTalkingEmulatorControls {
  readonly messages: readonly EmulatedSms[];
  /** Messages sent to one number (any common spelling), oldest first. */
  inbox(phone: string): EmulatedSms[];
  /** The next `count` sends fail this way. */
  failNext(count: number, failure: EmulatedSendFailure): void;
  /** While on, every send answers 503 and sends nothing. */
  setOutage(on: boolean): void;
  /** Later messages to this number are reported with this final status. */
  setDeliveryOutcome(phone: string, status: DeliveryStatus, failureReason?: string): void;
  /** A caller dials the service code (no `input`) or answers the open session's screen. */
  ussd(phone: string, input?: string): Promise<UssdStep>;
  readonly calls: { send: number; accepted: number; refused: number; failed: number; reports: number };
  /** Resolves once no delivery report is in flight. */
  idle(): Promise<void>;
}

export type AfricasTalkingEmulator = FastifyInstance & AfricasTalkingEmulatorControls;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const ussdDriveSchema = z
  .object({ phoneNumber: z.string().min(1).max(20), input: z.string().max(182).optional() })
  .strict();

export function createAfricasTalkingEmulator(options: AfricasTalkingEmulatorOptions): AfricasTalkingEmulator {
  const maxMessages = Math.min(options.maxMessages ?? AT_EMULATOR_MAX_MESSAGES, AT_EMULATOR_MAX_MESSAGES);
  const serviceCode = options.serviceCode ?? '*384*1#';
  const deliveryDelayMs = options.deliveryDelayMs ?? 100;
  const messages: EmulatedSms[] = [];
  const outcomes = new Map<string, { status: DeliveryStatus; failureReason?: string }>();
  const failures: EmulatedSendFailure[] = [];
  const sessions = new Map<string, { sessionId: string; answers: string[] }>();
  const inFlight = new Set<Promise<void>>();
  const calls = { send: 0, accepted: 0, refused: 0, failed: 0, reports: 0 };
  let outage = false;

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES });
  void app.register(formbody);

  app.post('/version1/messaging', async (req, reply) => {
    calls.send++;
    const apiKey = req.headers.apikey;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (
      typeof apiKey !== 'string' ||
      !sameSecret(apiKey, options.apiKey) ||
      body.username !== options.username
    ) {
      calls.failed++;
      return reply.code(401).type('text/plain').send('The supplied authentication is invalid');
    }
    if (outage) {
      calls.failed++;
      return reply.code(503).type('text/plain').send('Service Unavailable');
    }
    const failure = failures.shift();
    if (failure && 'httpStatus' in failure) {
      calls.failed++;
      return reply.code(failure.httpStatus).type('text/plain').send('Request failed');
    }
    const to = typeof body.to === 'string' ? body.to : '';
    const text = typeof body.message === 'string' ? body.message : '';
    const from = typeof body.from === 'string' && body.from !== '' ? body.from : null;
    const numbers = to
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (numbers.length === 0 || text === '' || text.length > AT_EMULATOR_MAX_TEXT_CHARS) {
      calls.failed++;
      return reply.code(400).type('text/plain').send('Invalid request: to and message are required');
    }
    if (numbers.length > AT_EMULATOR_MAX_RECIPIENTS) {
      calls.failed++;
      return reply.code(400).type('text/plain').send('Too many recipients');
    }
    const length = smsLength(text);
    let totalCost = 0;
    const recipients = numbers.map((raw) => {
      const number = toInternationalMsisdn(raw);
      if (number === null) {
        return { statusCode: 403, number: raw, status: 'InvalidPhoneNumber', cost: '0', messageId: 'None' };
      }
      if (failure && 'statusCode' in failure) {
        return {
          statusCode: failure.statusCode,
          number,
          status: AT_SMS_STATUS[failure.statusCode],
          cost: '0',
          messageId: 'None',
        };
      }
      const messageId = `ATXid_${randomBytes(16).toString('hex')}`;
      const outcome = outcomes.get(number) ?? { status: 'Success' as const };
      const sms: EmulatedSms = {
        messageId,
        to: number,
        from,
        text,
        encoding: length.encoding,
        parts: length.parts,
        atMs: Date.now(),
        delivery: 'Sent',
      };
      messages.push(sms);
      // trimmed a tenth at a time, not one message per send off the front of a full list
      if (messages.length > maxMessages * 1.1) messages.splice(0, messages.length - maxMessages);
      const cost = AT_EMULATOR_COST_PER_PART * length.parts;
      totalCost += cost;
      scheduleReport(sms, outcome);
      return { statusCode: 101, number, status: 'Success', cost: `KES ${costText(cost)}`, messageId };
    });
    const sent = recipients.filter((r) => r.statusCode === 101).length;
    if (sent > 0) calls.accepted++;
    else calls.refused++;
    return reply.code(201).send({
      SMSMessageData: {
        Message: `Sent to ${sent}/${numbers.length} Total Cost: KES ${costText(totalCost)}`,
        Recipients: recipients,
      },
    });
  });

  app.get('/emulator/sms', async (req) => {
    const phone = (req.query as Record<string, unknown>).phone;
    const list = typeof phone === 'string' ? inbox(phone) : messages;
    return { messages: list.slice(-200) };
  });

  if (options.demo === true) {
    app.get('/emulator/phone', async (_req, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', AT_PHONE_PAGE_CSP)
        .header('cache-control', 'no-store')
        .send(renderAtPhonePage({ serviceCode })),
    );
  }

  app.post('/emulator/ussd', async (req, reply) => {
    const parsed = ussdDriveSchema.safeParse(req.body);
    if (!parsed.success) {
      return reply
        .code(400)
        .send({ error: 'VALIDATION_FAILED', message: 'phoneNumber (and input) expected' });
    }
    return ussd(parsed.data.phoneNumber, parsed.data.input);
  });

  function inbox(phone: string): EmulatedSms[] {
    const number = toInternationalMsisdn(phone);
    return number === null ? [] : messages.filter((m) => m.to === number);
  }

  function scheduleReport(
    sms: EmulatedSms,
    outcome: { status: DeliveryStatus; failureReason?: string },
  ): void {
    const url = options.deliveryReportUrl;
    const done = (async () => {
      await new Promise((r) => setTimeout(r, deliveryDelayMs));
      sms.delivery = outcome.status;
      if (outcome.failureReason !== undefined) sms.failureReason = outcome.failureReason;
      if (url === undefined) return;
      const form = new URLSearchParams({
        id: sms.messageId,
        status: outcome.status,
        phoneNumber: sms.to,
        networkCode: '63902',
        retryCount: '0',
      });
      if (outcome.failureReason !== undefined) form.set('failureReason', outcome.failureReason);
      calls.reports++;
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: AbortSignal.timeout(AT_EMULATOR_CALLBACK_TIMEOUT_MS),
        redirect: 'error',
      })
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
    })();
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  }

  async function ussd(phone: string, input?: string): Promise<UssdStep> {
    const number = toInternationalMsisdn(phone) ?? phone;
    const url = options.ussdCallbackUrl;
    let session = sessions.get(number);
    if (input === undefined || session === undefined) {
      session = { sessionId: `ATUid_${randomBytes(12).toString('hex')}`, answers: [] };
      sessions.set(number, session);
      if (sessions.size > AT_EMULATOR_MAX_USSD_SESSIONS) sessions.delete(sessions.keys().next().value!);
    } else {
      session.answers.push(input);
    }
    if (url === undefined) {
      sessions.delete(number);
      return {
        sessionId: session.sessionId,
        screen: 'USSD is not set up',
        ended: true,
        error: 'no callback',
      };
    }
    const form = new URLSearchParams({
      sessionId: session.sessionId,
      serviceCode,
      phoneNumber: number,
      networkCode: '63902',
      text: session.answers.join('*'),
    });
    const step = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: AbortSignal.timeout(AT_EMULATOR_CALLBACK_TIMEOUT_MS),
      redirect: 'error',
    }).then(
      async (r) => ({ status: r.status, text: await r.text() }),
      (err: unknown) => ({ status: 0, text: err instanceof Error ? err.message : String(err) }),
    );
    const m = /^(CON|END) ([\s\S]*)$/.exec(step.text);
    if (step.status !== 200 || !m) {
      sessions.delete(number);
      return {
        sessionId: session.sessionId,
        screen: 'Connection problem or invalid MMI code.',
        ended: true,
        error: `callback answered ${step.status}: ${step.text.slice(0, 200)}`,
      };
    }
    const ended = m[1] === 'END';
    if (ended) sessions.delete(number);
    return {
      sessionId: session.sessionId,
      screen: m[2]!.slice(0, MAX_USSD_REPLY_CHARS),
      ended,
      ...(m[2]!.length > MAX_USSD_REPLY_CHARS
        ? { error: `reply longer than ${MAX_USSD_REPLY_CHARS} characters` }
        : {}),
    };
  }

  const controls: AfricasTalkingEmulatorControls = {
    messages,
    inbox,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    setOutage(on) {
      outage = on;
    },
    setDeliveryOutcome(phone, status, failureReason) {
      const number = toInternationalMsisdn(phone);
      if (number === null) throw new RangeError(`not a Kenyan mobile number: ${phone}`);
      outcomes.set(number, failureReason === undefined ? { status } : { status, failureReason });
    },
    ussd,
    calls,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
  app.addHook('onClose', async () => controls.idle());
  return Object.assign(app, controls);
}

function costText(tenThousandths: number): string {
  return `${Math.floor(tenThousandths / 10_000)}.${String(tenThousandths % 10_000).padStart(4, '0')}`;
}
