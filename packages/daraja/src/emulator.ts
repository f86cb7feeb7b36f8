/**
 * A Daraja emulator: the endpoints and shapes of the real API (OAuth, STK push, STK query,
 * C2B URL registration) plus the asynchronous callbacks, with a choosable outcome per phone.
 * Used by the server when no Daraja credentials are configured, and by the tests.
 *
 * Request checks are done by hand rather than by route schemas because the point is to answer
 * exactly as Daraja does: its error envelope, its codes and its messages, field by field.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { postJson } from './http';
import {
  EMULATOR_BODY_LIMIT_BYTES,
  EMULATOR_C2B_VALIDATION_TIMEOUT_MS,
  EMULATOR_CALLBACK_TIMEOUT_MS,
  EMULATOR_MAX_C2B_REGISTRATIONS,
  EMULATOR_MAX_DELAY_MS,
  EMULATOR_MAX_DELIVERIES,
  EMULATOR_MAX_ARRIVALS,
  EMULATOR_MAX_PHONE_OUTCOMES,
  EMULATOR_MAX_PROMPTS_LISTED,
  EMULATOR_MAX_TOKENS,
  EMULATOR_MAX_TRANSACTIONS,
  EMULATOR_MAX_TRANSACTION_DESC_CHARS,
  EMULATOR_PROMPT_TIMEOUT_MS,
  EMULATOR_TIMESTAMP_TOLERANCE_MS,
  EMULATOR_TOKEN_LIFETIME_S,
  MAX_ACCOUNT_REFERENCE_CHARS,
  MAX_BILL_REF_CHARS,
  MAX_RESPONSE_BYTES,
  MAX_STK_AMOUNT_KES,
} from './limits';
import { PHONE_PAGE_CSP, renderPhonePage } from './emulator-phone-page';
import { silentLogger, urlOriginForLog, type DarajaLogger } from './logging';
import {
  C2B_RESPONSE_TYPES,
  MSISDN_PATTERN,
  STK_TRANSACTION_TYPES,
  darajaTimestamp,
  isHttpUrl,
  maskMsisdn,
  normalizeMsisdn,
  parseDarajaTimestamp,
  stkPassword,
  type C2bTransaction,
  type StkCallbackBody,
  type StkPushResponse,
  type StkQueryResponse,
  type StkTransactionType,
} from './schemas';

// ---------------------------------------------------------------------------------------------
// Public types

export interface EmulatorOutcome {
  /**
   * The M-Pesa ResultCode the push ends with: 0 success, 1 insufficient funds, 1032 cancelled,
   * 1037 no answer from the phone (no callback is sent; the query reports it), 2001 wrong PIN,
   * or any other code. 'never' is a success whose callback is lost: only the query learns of it.
   */
  resultCode: number | 'never';
  /** From the push to the result and its callback. */
  delayMs?: number;
  /** How many times the callback is POSTed, all at once: 0 drops it, k > 1 duplicates it. */
  deliveries?: number;
  /** How long each STK Query about the prompt takes to answer (Safaricom's take hundreds of ms). Default 0. */
  queryDelayMs?: number;
}

export interface DarajaEmulatorOptions {
  consumerKey: string;
  consumerSecret: string;
  shortCode: string;
  passkey: string;
  /** Used for every phone without its own outcome. Default: success. */
  defaultOutcome?: EmulatorOutcome;
  /** Used when an outcome gives no delay. Default 1000 ms. */
  defaultDelayMs?: number;
  logger?: DarajaLogger;
  /**
   * Prompts for phones without their own outcome wait for a person on the virtual phone page
   * (`GET /emulator/phone`) instead of resolving by themselves.
   */
  demo?: boolean;
  /**
   * `POST /emulator/c2b/pay`, a customer paying the paybill over HTTP. Default on; a server
   * outside its demo turns it off (it credits without money) and plays payments in-process with
   * `payBill` instead.
   */
  c2bPayRoute?: boolean;
  /** Shown in the prompt text. */
  businessName?: string;
  promptTimeoutMs?: number;
  timestampToleranceMs?: number;
  callbackTimeoutMs?: number;
  maxTransactions?: number;
}

export interface CallbackDelivery {
  atMs: number;
  status?: number;
  error?: string;
}

export interface EmulatedStkTransaction {
  merchantRequestId: string;
  checkoutRequestId: string;
  phoneNumber: string;
  amountKes: number;
  accountReference: string;
  transactionDesc: string;
  transactionType: StkTransactionType;
  callbackUrl: string;
  createdAtMs: number;
  state: 'pending' | 'completed';
  /** Waiting for a person on the virtual phone. */
  awaitingPerson: boolean;
  expiresAtMs?: number;
  resultCode?: number;
  resultDesc?: string;
  mpesaReceiptNumber?: string;
  transactionDate?: string;
  callbacks: CallbackDelivery[];
  /** STK Queries asked about this transaction (authorised and well-formed ones). */
  queries: number;
  /** How long each STK Query about it takes to answer (the outcome's `queryDelayMs`). */
  queryDelayMs: number;
}

export interface EmulatedC2bTransaction {
  transId: string;
  body: C2bTransaction;
  outcome: 'confirmed' | 'rejected' | 'cancelled';
  validation?: { status?: number; answer?: unknown; error?: string };
  confirmation?: { status?: number; answer?: unknown; error?: string };
}

export interface EmulatorCallCounters {
  oauth: number;
  /** STK pushes received, valid or not. */
  stkPush: number;
  stkPushAccepted: number;
  stkQuery: number;
  /** Callback POSTs attempted (duplicates included). */
  callbacksSent: number;
  /** Callback POSTs answered with a 2xx. */
  callbacksDelivered: number;
  callbacksFailed: number;
  c2bRegister: number;
  c2bValidations: number;
  c2bConfirmations: number;
  /** API calls answered with a spike-arrest or quota error (`rejectNext`). */
  rateLimited: number;
}

/** What Daraja's gateway answers when it turns a call away unsent. */
export type EmulatorRejection = 'spike_arrest' | 'quota';

export interface DarajaEmulatorControls {
  /** Outcome for every later push to this phone (any common spelling of the number). */
  setOutcome(phone: string, outcome: EmulatorOutcome): void;
  /** Forgets one phone's outcome, or all of them. */
  clearOutcome(phone?: string): void;
  /** Invalidates every issued token, as Daraja sometimes does before expiry. */
  revokeTokens(): void;
  /**
   * The next `count` API calls (push, query, URL registration; not OAuth) are turned away as
   * Daraja's gateway does: `500.003.02` Spike Arrest Violation or `500.003.03` Quota Violation.
   */
  rejectNext(count: number, kind: EmulatorRejection): void;
  /**
   * Every OAuth and API request as it arrived (path without query, epoch ms): the newest
   * EMULATOR_MAX_ARRIVALS at least, the oldest dropped a tenth of that at a time.
   */
  readonly arrivals: readonly { path: string; atMs: number }[];
  /** Resolves once no callback or C2B delivery is in flight. */
  idle(): Promise<void>;
  /**
   * A customer pays the paybill: the same as `POST /emulator/c2b/pay` (body and answer), from
   * inside the process, so that it needs no route.
   */
  payBill(body: unknown): Promise<{ status: number; body: unknown }>;
  readonly calls: Readonly<EmulatorCallCounters>;
  /** By CheckoutRequestID, oldest first; capped, the oldest evicted first. */
  readonly transactions: ReadonlyMap<string, EmulatedStkTransaction>;
  /** By TransID. */
  readonly c2bTransactions: ReadonlyMap<string, EmulatedC2bTransaction>;
}

export type DarajaEmulator = FastifyInstance & DarajaEmulatorControls;

// ---------------------------------------------------------------------------------------------
// Wire details

/** ResultDesc texts as M-Pesa words them in callbacks and query answers. */
export const RESULT_DESCS: Readonly<Record<number, string>> = {
  0: 'The service request is processed successfully.',
  1: 'The balance is insufficient for the transaction.',
  17: 'System internal error.',
  26: 'System busy. The service request is rejected.',
  1001: 'Unable to lock subscriber, a transaction is already in process for the current subscriber',
  1019: 'Transaction has expired',
  1025: 'An error occurred while sending a push request',
  1031: 'Request cancelled by user',
  1032: 'Request cancelled by user',
  1037: 'DS timeout user cannot be reached',
  2001: 'The initiator information is invalid.',
  9999: 'An error occurred while sending a push request.',
};

/** Daraja refuses C2B URLs containing these words (published registration rules). */
const FORBIDDEN_URL_WORDS = /m-?pesa|safaricom|exe|cmd|sql|query/i;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomChars(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function requestId(): string {
  return `${randomInt(1000, 99999)}-${randomInt(1_000_000, 99_999_999)}-1`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Amount as Daraja takes it: a whole number, given as a JSON number or as digits. */
function wholeAmount(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,9}$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_STK_AMOUNT_KES ? n : undefined;
}

/** `DDMMYYYYHHmmssSSS` in Kenyan time, the stem of Daraja's CheckoutRequestIDs. */
function checkoutStem(now: Date): string {
  const t = darajaTimestamp(now);
  const ms = (now.getTime() % 1000).toString().padStart(3, '0');
  return `${t.slice(6, 8)}${t.slice(4, 6)}${t.slice(0, 4)}${t.slice(8)}${ms}`;
}

function formatKes(cents: number): string {
  return `${Math.floor(cents / 100)}.${(cents % 100).toString().padStart(2, '0')}`;
}

/** A Map that forgets its oldest entries beyond a cap; `onEvict` releases what they held. */
function putCapped<K, V>(map: Map<K, V>, key: K, value: V, cap: number, onEvict?: (key: K) => void): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > cap) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
    onEvict?.(oldest.value);
  }
}

const c2bPaySchema = z.strictObject({
  msisdn: z.string().max(32),
  amount: z.number().positive().max(MAX_STK_AMOUNT_KES),
  billRefNumber: z.string().max(MAX_BILL_REF_CHARS),
  shortCode: z.string().max(16).optional(),
  /** How MSISDN appears in the validation and confirmation bodies. */
  msisdnFormat: z.enum(['plain', 'masked', 'hashed']).optional(),
  firstName: z.string().max(64).optional(),
  middleName: z.string().max(64).optional(),
  lastName: z.string().max(64).optional(),
});

const pinSchema = z.strictObject({ pin: z.string().regex(/^\d{4}$/, 'a 4-digit PIN') });
const promptParamsSchema = z.strictObject({ checkoutRequestId: z.string().min(1).max(128) });
const promptsQuerySchema = z.strictObject({ phone: z.string().max(32).optional() });

interface C2bRegistration {
  confirmationUrl: string;
  validationUrl: string;
  responseType: (typeof C2B_RESPONSE_TYPES)[number];
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

function checkOutcome(outcome: EmulatorOutcome): EmulatorOutcome {
  const { resultCode, delayMs, deliveries, queryDelayMs } = outcome;
  if (resultCode !== 'never' && (!Number.isSafeInteger(resultCode) || resultCode < 0)) {
    throw new RangeError(`emulator outcome: bad resultCode ${String(resultCode)}`);
  }
  checkDelay('delayMs', delayMs);
  checkDelay('queryDelayMs', queryDelayMs);
  if (
    deliveries !== undefined &&
    (!Number.isSafeInteger(deliveries) || deliveries < 0 || deliveries > EMULATOR_MAX_DELIVERIES)
  ) {
    throw new RangeError(`emulator outcome: deliveries must be 0..${EMULATOR_MAX_DELIVERIES}`);
  }
  return { ...outcome };
}

function checkDelay(name: string, ms: number | undefined): void {
  if (ms !== undefined && (!Number.isFinite(ms) || ms < 0 || ms > EMULATOR_MAX_DELAY_MS)) {
    throw new RangeError(`emulator outcome: ${name} must be 0..${EMULATOR_MAX_DELAY_MS}`);
  }
}

// ---------------------------------------------------------------------------------------------

/** Builds the emulator (routes registered, nothing listening): the caller does `listen`. */
export function createDarajaEmulator(options: DarajaEmulatorOptions): DarajaEmulator {
  const log = options.logger ?? silentLogger;
  const shortCode = options.shortCode;
  const businessName = (options.businessName ?? 'UMEME').slice(0, 40);
  const defaultOutcome = checkOutcome(options.defaultOutcome ?? { resultCode: 0 });
  const defaultDelayMs = clampInt(options.defaultDelayMs, 1000, 0, EMULATOR_MAX_DELAY_MS);
  const promptTimeoutMs = clampInt(
    options.promptTimeoutMs,
    EMULATOR_PROMPT_TIMEOUT_MS,
    1,
    EMULATOR_MAX_DELAY_MS,
  );
  const toleranceMs = clampInt(options.timestampToleranceMs, EMULATOR_TIMESTAMP_TOLERANCE_MS, 0, 86_400_000);
  const callbackTimeoutMs = clampInt(options.callbackTimeoutMs, EMULATOR_CALLBACK_TIMEOUT_MS, 1, 60_000);
  const maxTransactions = clampInt(
    options.maxTransactions,
    EMULATOR_MAX_TRANSACTIONS,
    1,
    EMULATOR_MAX_TRANSACTIONS,
  );

  const calls: EmulatorCallCounters = {
    oauth: 0,
    stkPush: 0,
    stkPushAccepted: 0,
    stkQuery: 0,
    callbacksSent: 0,
    callbacksDelivered: 0,
    callbacksFailed: 0,
    c2bRegister: 0,
    c2bValidations: 0,
    c2bConfirmations: 0,
    rateLimited: 0,
  };
  const tokens = new Map<string, number>();
  const arrivals: { path: string; atMs: number }[] = [];
  let rejections: { left: number; kind: EmulatorRejection } = { left: 0, kind: 'spike_arrest' };
  const transactions = new Map<string, EmulatedStkTransaction>();
  const timers = new Map<string, NodeJS.Timeout>();
  const phoneOutcomes = new Map<string, EmulatorOutcome>();
  const registrations = new Map<string, C2bRegistration>();
  const c2bTransactions = new Map<string, EmulatedC2bTransaction>();
  const orgBalanceCents = new Map<string, number>();
  const issuedIds = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  /** Set when the emulator starts closing: no new callback may start after that. */
  let closing = false;
  let sequence = 0;

  /** Receipt numbers and TransIDs: ten uppercase alphanumerics, never repeated. */
  function newReceipt(): string {
    for (;;) {
      const id = randomChars(LETTERS, 1) + randomChars(ALPHANUMERIC, 9);
      if (issuedIds.has(id)) continue;
      issuedIds.add(id);
      if (issuedIds.size > 2 * maxTransactions) {
        const oldest = issuedIds.values().next();
        if (oldest.done !== true) issuedIds.delete(oldest.value);
      }
      return id;
    }
  }

  function clearTimer(checkoutRequestId: string): void {
    const timer = timers.get(checkoutRequestId);
    if (timer !== undefined) clearTimeout(timer);
    timers.delete(checkoutRequestId);
  }

  function schedule(checkoutRequestId: string, delayMs: number, action: () => void): void {
    clearTimer(checkoutRequestId);
    const timer = setTimeout(() => {
      timers.delete(checkoutRequestId);
      action();
    }, delayMs);
    // The HTTP server keeps the process alive; a forgotten prompt should not.
    timer.unref();
    timers.set(checkoutRequestId, timer);
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  function sendError(
    reply: FastifyReply,
    status: number,
    errorCode: string,
    errorMessage: string,
  ): FastifyReply {
    return reply.code(status).send({ requestId: requestId(), errorCode, errorMessage });
  }

  function badRequest(reply: FastifyReply, field: string): FastifyReply {
    return sendError(reply, 400, '400.002.02', `Bad Request - Invalid ${field}`);
  }

  /** Bearer check; answers the error itself and returns false when the token is not good. */
  function authorised(request: FastifyRequest, reply: FastifyReply): boolean {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header) : null;
    if (match?.[1] === undefined) {
      void sendError(reply, 404, '404.001.04', 'Invalid Authentication Header');
      return false;
    }
    const expiresAt = tokens.get(match[1]);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      void sendError(reply, 404, '404.001.03', 'Invalid Access Token');
      return false;
    }
    return true;
  }

  /** Timestamp then Password, as every Lipa na M-Pesa call carries them. */
  function credentialsOk(body: Record<string, unknown>, reply: FastifyReply): boolean {
    const timestamp = body.Timestamp;
    const instant = typeof timestamp === 'string' ? parseDarajaTimestamp(timestamp) : null;
    if (
      typeof timestamp !== 'string' ||
      instant === null ||
      Math.abs(instant.getTime() - Date.now()) > toleranceMs
    ) {
      void badRequest(reply, 'Timestamp');
      return false;
    }
    const password = body.Password;
    if (
      typeof password !== 'string' ||
      !safeEqual(password, stkPassword(shortCode, options.passkey, timestamp))
    ) {
      // Daraja answers a bad password with a 500 and this wording.
      void sendError(reply, 500, '500.001.1001', 'Wrong credentials');
      return false;
    }
    return true;
  }

  function callbackBody(tx: EmulatedStkTransaction): StkCallbackBody {
    const resultCode = tx.resultCode ?? 1037;
    const base = {
      MerchantRequestID: tx.merchantRequestId,
      CheckoutRequestID: tx.checkoutRequestId,
      ResultCode: resultCode,
      ResultDesc: tx.resultDesc ?? '',
    };
    if (resultCode !== 0) return { Body: { stkCallback: base } };
    return {
      Body: {
        stkCallback: {
          ...base,
          CallbackMetadata: {
            Item: [
              { Name: 'Amount', Value: tx.amountKes },
              { Name: 'MpesaReceiptNumber', Value: tx.mpesaReceiptNumber ?? '' },
              { Name: 'Balance' },
              { Name: 'TransactionDate', Value: Number(tx.transactionDate) },
              { Name: 'PhoneNumber', Value: Number(tx.phoneNumber) },
            ],
          },
        },
      },
    };
  }

  async function deliver(tx: EmulatedStkTransaction, body: StkCallbackBody): Promise<void> {
    calls.callbacksSent += 1;
    const result = await postJson(tx.callbackUrl, body, {
      timeoutMs: callbackTimeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    const delivered = result.status !== undefined && result.status >= 200 && result.status < 300;
    if (delivered) calls.callbacksDelivered += 1;
    else calls.callbacksFailed += 1;
    tx.callbacks.push({
      atMs: Date.now(),
      ...(result.status === undefined ? {} : { status: result.status }),
      ...(result.error === undefined ? {} : { error: result.error }),
    });
    log.info(
      {
        event: 'emulator.callback',
        checkoutRequestId: tx.checkoutRequestId,
        resultCode: tx.resultCode,
        to: urlOriginForLog(tx.callbackUrl),
        status: result.status,
        error: result.error,
      },
      'emulator callback',
    );
  }

  /** Ends a pending push with a result and sends its callback(s). Later calls do nothing. */
  function complete(tx: EmulatedStkTransaction, resultCode: number, deliveries: number): void {
    if (tx.state !== 'pending') return;
    clearTimer(tx.checkoutRequestId);
    tx.state = 'completed';
    tx.awaitingPerson = false;
    delete tx.expiresAtMs;
    tx.resultCode = resultCode;
    tx.resultDesc = RESULT_DESCS[resultCode] ?? 'The service request has failed.';
    if (resultCode === 0) {
      tx.mpesaReceiptNumber = newReceipt();
      tx.transactionDate = darajaTimestamp(new Date());
    }
    log.info(
      { event: 'emulator.stk_result', checkoutRequestId: tx.checkoutRequestId, resultCode, deliveries },
      'emulator push resolved',
    );
    // A phone that never answered produces no callback: only the query learns of it.
    if (resultCode === 1037 || closing) return;
    const body = callbackBody(tx);
    for (let i = 0; i < deliveries; i += 1) track(deliver(tx, body));
  }

  function completeFromOutcome(tx: EmulatedStkTransaction, outcome: EmulatorOutcome): void {
    if (outcome.resultCode === 'never') complete(tx, 0, 0);
    else complete(tx, outcome.resultCode, outcome.deliveries ?? 1);
  }

  function pendingPrompts(phone: string | undefined): EmulatedStkTransaction[] {
    const out: EmulatedStkTransaction[] = [];
    // Newest first: the page shows what the person just asked for at the top.
    for (const tx of [...transactions.values()].reverse()) {
      if (out.length >= EMULATOR_MAX_PROMPTS_LISTED) break;
      if (tx.state === 'pending' && tx.awaitingPerson && (phone === undefined || tx.phoneNumber === phone)) {
        out.push(tx);
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------

  const app = Fastify({ logger: false, bodyLimit: EMULATOR_BODY_LIMIT_BYTES, return503OnClosing: true });

  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    if (status >= 500) log.error({ event: 'emulator.error', error: error.message }, 'emulator error');
    if (status === 413) return sendError(reply, 413, '413.001.01', 'Request payload too large');
    if (status < 500) return sendError(reply, status, '400.002.05', 'Invalid Request Payload');
    return sendError(reply, 500, '500.003.1001', 'Internal Server Error');
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, '404.001.01', 'Resource not found'));

  app.addHook('onClose', async () => {
    closing = true;
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    // Deliveries already under way finish (each is bounded by its timeout): cutting a callback
    // in half leaves the receiving server holding a connection it cannot close.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  });

  // Gateway: every call is logged; `rejectNext` turns API calls away before they reach M-Pesa.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/oauth/') && !path.startsWith('/mpesa/')) return;
    arrivals.push({ path, atMs: Date.now() });
    // Trimmed a tenth at a time: cutting one entry off the front of a full log on every request
    // moved 10,000 entries per request (a tenth of the server's time in the payments benchmark).
    if (arrivals.length > EMULATOR_MAX_ARRIVALS * 1.1)
      arrivals.splice(0, arrivals.length - EMULATOR_MAX_ARRIVALS);
    if (!path.startsWith('/mpesa/') || rejections.left <= 0) return;
    rejections.left -= 1;
    calls.rateLimited += 1;
    return rejections.kind === 'quota'
      ? sendError(reply, 500, '500.003.03', 'Error Occurred: Quota Violation')
      : sendError(reply, 500, '500.003.02', 'Error Occurred: Spike Arrest Violation');
  });

  // OAuth ---------------------------------------------------------------------------------------
  app.get('/oauth/v1/generate', async (request, reply) => {
    calls.oauth += 1;
    const query = request.query as Record<string, unknown>;
    if (query.grant_type !== 'client_credentials') {
      return sendError(reply, 400, '400.008.02', 'Invalid grant type passed');
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header) : null;
    const expected = `${options.consumerKey}:${options.consumerSecret}`;
    if (match?.[1] === undefined || !safeEqual(Buffer.from(match[1], 'base64').toString('utf8'), expected)) {
      return sendError(reply, 400, '400.008.01', 'Invalid Authentication passed');
    }
    const token = randomChars(`${ALPHANUMERIC}abcdefghijklmnopqrstuvwxyz`, 28);
    // Safaricom documents that a new token invalidates the previous one.
    tokens.clear();
    putCapped(tokens, token, Date.now() + EMULATOR_TOKEN_LIFETIME_S * 1000, EMULATOR_MAX_TOKENS);
    log.info({ event: 'emulator.oauth' }, 'emulator issued a token');
    return { access_token: token, expires_in: String(EMULATOR_TOKEN_LIFETIME_S) };
  });

  // STK push --------------------------------------------------------------------------------------
  app.post('/mpesa/stkpush/v1/processrequest', async (request, reply) => {
    calls.stkPush += 1;
    if (!authorised(request, reply)) return reply;
    const body = request.body;
    if (!isRecord(body)) return sendError(reply, 400, '400.002.05', 'Invalid Request Payload');
    if (body.BusinessShortCode !== shortCode) return badRequest(reply, 'BusinessShortCode');
    if (!credentialsOk(body, reply)) return reply;
    const type = body.TransactionType;
    if (typeof type !== 'string' || !(STK_TRANSACTION_TYPES as readonly string[]).includes(type)) {
      return badRequest(reply, 'TransactionType');
    }
    const transactionType = type as StkTransactionType;
    const amountKes = wholeAmount(body.Amount);
    if (amountKes === undefined) return badRequest(reply, 'Amount');
    if (typeof body.PartyA !== 'string' || !MSISDN_PATTERN.test(body.PartyA))
      return badRequest(reply, 'PartyA');
    const partyB = body.PartyB;
    const partyBOk =
      transactionType === 'CustomerPayBillOnline'
        ? partyB === shortCode
        : typeof partyB === 'string' && /^\d{5,7}$/.test(partyB);
    if (!partyBOk) return badRequest(reply, 'PartyB');
    const phone = body.PhoneNumber;
    if (typeof phone !== 'string' || !MSISDN_PATTERN.test(phone)) return badRequest(reply, 'PhoneNumber');
    const callbackUrl = body.CallBackURL;
    if (typeof callbackUrl !== 'string' || !isHttpUrl(callbackUrl)) return badRequest(reply, 'CallBackURL');
    const reference = body.AccountReference ?? '';
    const referenceOk =
      typeof reference === 'string' &&
      reference.length <= MAX_ACCOUNT_REFERENCE_CHARS &&
      (reference.length > 0 || transactionType === 'CustomerBuyGoodsOnline');
    if (!referenceOk) return badRequest(reply, 'AccountReference');
    const desc = body.TransactionDesc;
    if (typeof desc !== 'string' || desc.length === 0 || desc.length > EMULATOR_MAX_TRANSACTION_DESC_CHARS) {
      return badRequest(reply, 'TransactionDesc');
    }

    const now = new Date();
    sequence += 1;
    let checkoutRequestId: string;
    do {
      checkoutRequestId = `ws_CO_${checkoutStem(now)}${randomInt(100_000, 999_999)}`;
    } while (transactions.has(checkoutRequestId));
    const own = phoneOutcomes.get(phone);
    const tx: EmulatedStkTransaction = {
      merchantRequestId: `${randomInt(10_000, 99_999)}-${randomInt(10_000_000, 99_999_999)}-${sequence}`,
      checkoutRequestId,
      phoneNumber: phone,
      amountKes,
      accountReference: reference,
      transactionDesc: desc,
      transactionType,
      callbackUrl,
      createdAtMs: now.getTime(),
      state: 'pending',
      awaitingPerson: false,
      callbacks: [],
      queries: 0,
      queryDelayMs: (own ?? defaultOutcome).queryDelayMs ?? 0,
    };
    putCapped(transactions, checkoutRequestId, tx, maxTransactions, clearTimer);
    calls.stkPushAccepted += 1;

    if (options.demo === true && own === undefined) {
      tx.awaitingPerson = true;
      tx.expiresAtMs = now.getTime() + promptTimeoutMs;
      // A prompt nobody answers ends as 1037, like a phone left in a pocket.
      schedule(checkoutRequestId, promptTimeoutMs, () => complete(tx, 1037, 0));
    } else {
      const outcome = own ?? defaultOutcome;
      schedule(checkoutRequestId, outcome.delayMs ?? defaultDelayMs, () => completeFromOutcome(tx, outcome));
    }
    log.info(
      {
        event: 'emulator.stk_push',
        checkoutRequestId,
        phone: maskMsisdn(phone),
        amountKes,
        awaitingPerson: tx.awaitingPerson,
      },
      'emulator accepted a push',
    );
    const answer: StkPushResponse = {
      MerchantRequestID: tx.merchantRequestId,
      CheckoutRequestID: checkoutRequestId,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    };
    return answer;
  });

  // STK query ---------------------------------------------------------------------------------------
  app.post('/mpesa/stkpushquery/v1/query', async (request, reply) => {
    calls.stkQuery += 1;
    if (!authorised(request, reply)) return reply;
    const body = request.body;
    if (!isRecord(body)) return sendError(reply, 400, '400.002.05', 'Invalid Request Payload');
    if (body.BusinessShortCode !== shortCode) return badRequest(reply, 'BusinessShortCode');
    if (!credentialsOk(body, reply)) return reply;
    const id = body.CheckoutRequestID;
    const tx = typeof id === 'string' ? transactions.get(id) : undefined;
    if (tx === undefined) return badRequest(reply, 'CheckoutRequestID');
    tx.queries += 1;
    if (tx.queryDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, tx.queryDelayMs));
    if (tx.state === 'pending')
      return sendError(reply, 500, '500.001.1001', 'The transaction is being processed');
    const answer: StkQueryResponse = {
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successfully',
      MerchantRequestID: tx.merchantRequestId,
      CheckoutRequestID: tx.checkoutRequestId,
      ResultCode: String(tx.resultCode ?? 1037),
      ResultDesc: tx.resultDesc ?? '',
    };
    return answer;
  });

  // C2B URL registration ------------------------------------------------------------------------------
  app.post('/mpesa/c2b/v1/registerurl', async (request, reply) => {
    calls.c2bRegister += 1;
    if (!authorised(request, reply)) return reply;
    const body = request.body;
    if (!isRecord(body)) return sendError(reply, 400, '400.002.05', 'Invalid Request Payload');
    const code = body.ShortCode;
    if (typeof code !== 'string' || code !== shortCode) return badRequest(reply, 'ShortCode');
    const responseType = body.ResponseType;
    if (
      typeof responseType !== 'string' ||
      !(C2B_RESPONSE_TYPES as readonly string[]).includes(responseType)
    ) {
      return badRequest(reply, 'ResponseType');
    }
    for (const field of ['ConfirmationURL', 'ValidationURL'] as const) {
      const url = body[field];
      if (typeof url !== 'string' || !isHttpUrl(url) || FORBIDDEN_URL_WORDS.test(url)) {
        return badRequest(reply, field);
      }
    }
    putCapped(
      registrations,
      code,
      {
        confirmationUrl: body.ConfirmationURL as string,
        validationUrl: body.ValidationURL as string,
        responseType: responseType as C2bRegistration['responseType'],
      },
      EMULATOR_MAX_C2B_REGISTRATIONS,
    );
    log.info(
      { event: 'emulator.c2b_register', shortCode: code, responseType },
      'emulator registered C2B URLs',
    );
    return {
      OriginatorCoversationID: `${randomInt(1000, 9999)}-${randomInt(10_000_000, 99_999_999)}-1`,
      ResponseCode: '0',
      ResponseDescription: 'Success',
    };
  });

  // Emulator only: a customer pays the paybill from their phone ------------------------------------------
  async function payBill(body: unknown): Promise<{ status: number; body: unknown }> {
    const refuse = (errorCode: string, errorMessage: string) => ({
      status: 400,
      body: { requestId: requestId(), errorCode, errorMessage },
    });
    const parsed = c2bPaySchema.safeParse(body);
    if (!parsed.success) return refuse('400.002.05', 'Invalid Request Payload');
    const input = parsed.data;
    const msisdn = normalizeMsisdn(input.msisdn);
    if (msisdn === null) return refuse('400.002.02', 'Bad Request - Invalid Msisdn');
    const cents = Math.round(input.amount * 100);
    if (Math.abs(cents - input.amount * 100) > 1e-6)
      return refuse('400.002.02', 'Bad Request - Invalid Amount');
    const code = input.shortCode ?? shortCode;
    const registration = registrations.get(code);
    if (registration === undefined) return refuse('400.003.01', 'No URLs registered for ShortCode');

    const shownMsisdn =
      input.msisdnFormat === 'masked'
        ? `${msisdn.slice(0, 4)} ***** ${msisdn.slice(-3)}`
        : input.msisdnFormat === 'hashed'
          ? createHash('sha256').update(msisdn).digest('hex')
          : msisdn;
    const transId = newReceipt();
    const base: C2bTransaction = {
      TransactionType: 'Pay Bill',
      TransID: transId,
      TransTime: darajaTimestamp(new Date()),
      TransAmount: formatKes(cents),
      BusinessShortCode: code,
      BillRefNumber: input.billRefNumber,
      InvoiceNumber: '',
      OrgAccountBalance: '',
      ThirdPartyTransID: '',
      MSISDN: shownMsisdn,
      FirstName: input.firstName ?? 'JOHN',
      MiddleName: input.middleName ?? '',
      LastName: input.lastName ?? 'DOE',
    };
    const record: EmulatedC2bTransaction = { transId, body: base, outcome: 'cancelled' };
    putCapped(c2bTransactions, transId, record, maxTransactions);

    const work = (async () => {
      calls.c2bValidations += 1;
      const validation = await postJson(registration.validationUrl, base, {
        timeoutMs: EMULATOR_C2B_VALIDATION_TIMEOUT_MS,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      record.validation = {
        ...(validation.status === undefined ? {} : { status: validation.status }),
        ...(validation.json === undefined ? {} : { answer: validation.json }),
        ...(validation.error === undefined ? {} : { error: validation.error }),
      };
      const answer = isRecord(validation.json) ? validation.json : undefined;
      const answered = validation.status !== undefined && validation.status < 300 && answer !== undefined;
      if (answered && answer.ResultCode !== '0' && answer.ResultCode !== 0) {
        record.outcome = 'rejected';
        return;
      }
      // Unreachable validation: M-Pesa applies the default action chosen at registration.
      if (!answered && registration.responseType === 'Cancelled') {
        record.outcome = 'cancelled';
        return;
      }
      const balance = (orgBalanceCents.get(code) ?? 0) + cents;
      putCapped(orgBalanceCents, code, balance, EMULATOR_MAX_C2B_REGISTRATIONS);
      record.body = { ...base, OrgAccountBalance: formatKes(balance) };
      record.outcome = 'confirmed';
      calls.c2bConfirmations += 1;
      const confirmation = await postJson(registration.confirmationUrl, record.body, {
        timeoutMs: callbackTimeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      record.confirmation = {
        ...(confirmation.status === undefined ? {} : { status: confirmation.status }),
        ...(confirmation.json === undefined ? {} : { answer: confirmation.json }),
        ...(confirmation.error === undefined ? {} : { error: confirmation.error }),
      };
    })();
    track(work);
    await work;
    log.info(
      { event: 'emulator.c2b_pay', transId, outcome: record.outcome, billRefNumber: input.billRefNumber },
      'emulator paybill payment',
    );
    return {
      status: 200,
      body: {
        TransID: transId,
        outcome: record.outcome,
        validation: record.validation ?? null,
        confirmation: record.confirmation ?? null,
      },
    };
  }
  if (options.c2bPayRoute !== false) {
    app.post('/emulator/c2b/pay', async (request, reply) => {
      const answer = await payBill(request.body);
      return reply.code(answer.status).send(answer.body);
    });
  }

  // Demo: the virtual phone ---------------------------------------------------------------------------------
  if (options.demo === true) {
    app.get('/emulator/phone', async (_request, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', PHONE_PAGE_CSP)
        .header('cache-control', 'no-store')
        .send(renderPhonePage({ businessName })),
    );

    app.get('/emulator/prompts', async (request, reply) => {
      const query = promptsQuerySchema.safeParse(request.query);
      if (!query.success) return sendError(reply, 400, '400.002.05', 'Invalid Request Payload');
      let phone: string | undefined;
      if (query.data.phone !== undefined) {
        const normalised = normalizeMsisdn(query.data.phone);
        if (normalised === null) return badRequest(reply, 'PhoneNumber');
        phone = normalised;
      }
      const now = Date.now();
      return {
        prompts: pendingPrompts(phone).map((tx) => ({
          checkoutRequestId: tx.checkoutRequestId,
          phoneNumber: tx.phoneNumber,
          amountKes: tx.amountKes,
          accountReference: tx.accountReference,
          businessName,
          message: `Pay KES ${tx.amountKes} to ${businessName} for account ${tx.accountReference}? Enter PIN`,
          expiresInMs: Math.max(0, (tx.expiresAtMs ?? now) - now),
        })),
      };
    });

    const answerPrompt =
      (action: 'accept' | 'decline') =>
      async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
        const params = promptParamsSchema.safeParse(request.params);
        if (!params.success) return sendError(reply, 400, '400.002.05', 'Invalid Request Payload');
        const tx = transactions.get(params.data.checkoutRequestId);
        if (tx === undefined) return badRequest(reply, 'CheckoutRequestID');
        let resultCode = 1032;
        if (action === 'accept') {
          const pin = pinSchema.safeParse(request.body);
          if (!pin.success) return sendError(reply, 400, '400.002.05', 'Enter a 4-digit PIN');
          // A fixed wrong PIN lets a demo show the 2001 path on purpose.
          resultCode = pin.data.pin === '0000' ? 2001 : 0;
        }
        if (tx.state !== 'pending' || !tx.awaitingPerson) {
          return sendError(reply, 409, '409.001.01', 'This request is no longer waiting for an answer');
        }
        complete(tx, resultCode, 1);
        return { checkoutRequestId: tx.checkoutRequestId, resultCode, resultDesc: tx.resultDesc };
      };
    app.post('/emulator/prompts/:checkoutRequestId/accept', answerPrompt('accept'));
    app.post('/emulator/prompts/:checkoutRequestId/decline', answerPrompt('decline'));
  }

  const controls: DarajaEmulatorControls = {
    setOutcome(phone, outcome) {
      const normalised = normalizeMsisdn(phone);
      if (normalised === null) throw new RangeError('emulator.setOutcome: not a Kenyan mobile number');
      putCapped(phoneOutcomes, normalised, checkOutcome(outcome), EMULATOR_MAX_PHONE_OUTCOMES);
    },
    clearOutcome(phone) {
      if (phone === undefined) {
        phoneOutcomes.clear();
        return;
      }
      const normalised = normalizeMsisdn(phone);
      if (normalised !== null) phoneOutcomes.delete(normalised);
    },
    revokeTokens() {
      tokens.clear();
    },
    rejectNext(count, kind) {
      if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('emulator.rejectNext: count');
      rejections = { left: count, kind };
    },
    arrivals,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    payBill,
    calls,
    transactions,
    c2bTransactions,
  };
  return Object.assign(app, controls);
}
