import createClient, { type Middleware } from 'openapi-fetch';
import { receiptFromAnswer, type Receipt } from '../state/receipt';
import {
  consumptionPoints,
  transactionPage,
  type Body,
  type Bucket,
  type ConsumptionPoint,
  type TransactionPage,
} from './api-types';
import type { paths } from './openapi.gen';

/** Past this an HTTP call is given up, so a stalled mobile link does not hang the screen. */
export const HTTP_TIMEOUT_MS = 15_000;
export const METERS_PAGE_SIZE = 200;
export const TRANSACTIONS_PAGE_SIZE = 20;
export const TOPUPS_PAGE_SIZE = 20;

/** An answer other than 2xx; `message` is the server's, written for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** seconds the server asked us to wait (a 429's `retryAfter`), when it said */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
  }
}

/** The request never got an answer (offline, timeout). */
export class NetworkError extends Error {}

export interface HttpClientOptions {
  token: () => string | null;
  onUnauthorized?: () => void;
}

/** What openapi-fetch hands back: the typed answer, or the server's `{error, message}`. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The typed answer, or an ApiError / NetworkError: callers see one error shape for every route. */
export async function answer<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (err) {
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const o = (typeof error === 'object' && error !== null ? error : {}) as {
      error?: unknown;
      message?: unknown;
      retryAfter?: unknown;
    };
    const code = typeof o.error === 'string' ? o.error : `HTTP_${response.status}`;
    const message =
      typeof o.message === 'string' ? o.message : response.statusText || `HTTP ${response.status}`;
    const retryAfterS =
      typeof o.retryAfter === 'number' && Number.isFinite(o.retryAfter) && o.retryAfter >= 0
        ? o.retryAfter
        : null;
    throw new ApiError(response.status, code, message, retryAfterS);
  }
  return data as T;
}

/** An openapi-fetch client over the contract that sends the session's token and reports a 401. */
export function createApiClient(opts: HttpClientOptions) {
  const api = createClient<paths>({ headers: { accept: 'application/json' } });
  const session: Middleware = {
    onRequest({ request }) {
      const token = opts.token();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has('authorization')) opts.onUnauthorized?.();
      return response;
    },
  };
  api.use(session);
  return api;
}

/** Aborts an HTTP call past HTTP_TIMEOUT_MS. */
export const timeout = (): AbortSignal => AbortSignal.timeout(HTTP_TIMEOUT_MS);

/**
 * The server's API, typed by the generated contract (openapi.gen.ts): paths, parameters, bodies
 * and answers are checked at compile time against docs/openapi.json.
 */
export function createHttpClient(opts: HttpClientOptions) {
  const api = createApiClient(opts);
  const meter = (meterNo: string) => ({ path: { meterNo } });

  return {
    login: (email: string, password: string) =>
      answer(api.POST('/auth/login', { body: { email, password }, signal: timeout() })),
    /** Sends a code to the address; the same answer whether or not it already has an account. */
    register: (input: { name: string; email: string; phone: string; password: string }) =>
      answer(api.POST('/auth/register', { body: input, signal: timeout() })),
    verifyRegistration: (email: string, code: string) =>
      answer(api.POST('/auth/verify', { body: { email, code }, signal: timeout() })),
    /** Sends a reset code to the account's email and phone; the same answer for every login. */
    requestPasswordReset: (login: string) =>
      answer(api.POST('/auth/password-reset', { body: { login }, signal: timeout() })),
    confirmPasswordReset: (body: { login: string; code: string; newPassword: string }) =>
      answer(api.POST('/auth/password-reset/confirm', { body, signal: timeout() })),
    /** Adds an unowned meter to the caller's account with its account number and claim code. */
    claimMeter: (accountNo: string, code: string) =>
      answer(api.POST('/api/meters/claim', { body: { accountNo, code }, signal: timeout() })),
    /** The caller's statement for a month (YYYY-MM) as data. */
    statement: (month: string) =>
      answer(
        api.GET('/api/statements/{month}', {
          params: { path: { month }, query: { format: 'json' } },
          signal: timeout(),
        }),
      ),
    /** The same statement as a CSV or printable HTML document. */
    statementFile: (month: string, format: 'csv' | 'html') =>
      answer(
        api.GET('/api/statements/{month}', {
          params: { path: { month }, query: { format } },
          parseAs: 'text',
          signal: timeout(),
        }),
      ),
    /** Ends every session of the account on the server: each token and live link it has. */
    logout: () => answer(api.POST('/auth/logout', { signal: timeout() })),
    me: () => answer(api.GET('/api/me', { signal: timeout() })),
    /** What an amount buys at the tariff in force (issue 17 item 2): the Buy panel's estimate. */
    tariffQuote: (amountKes: number, group: string | null = null) =>
      answer(
        api.GET('/api/tariff/quote', {
          params: { query: { amountKes, ...(group === null ? {} : { group }) } },
          signal: timeout(),
        }),
      ),
    /** The customer's SMS language and opt-out (issue 18). */
    smsPreferences: () => answer(api.GET('/api/me/sms', { signal: timeout() })),
    setSmsPreferences: (body: { lang: 'en' | 'sw'; optOut: boolean }) =>
      answer(api.PUT('/api/me/sms', { body, signal: timeout() })),
    meters: () =>
      answer(api.GET('/api/meters', { params: { query: { limit: METERS_PAGE_SIZE } }, signal: timeout() })),
    meter: (meterNo: string) =>
      answer(api.GET('/api/meters/{meterNo}', { params: meter(meterNo), signal: timeout() })),
    async consumption(
      meterNo: string,
      bucket: Bucket,
      fromMs: number,
      toMs: number,
    ): Promise<ConsumptionPoint[]> {
      const query = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), bucket };
      return consumptionPoints(
        await answer(
          api.GET('/api/meters/{meterNo}/consumption', {
            params: { ...meter(meterNo), query },
            signal: timeout(),
          }),
        ),
      );
    },
    async transactions(meterNo: string): Promise<TransactionPage> {
      return transactionPage(
        await answer(
          api.GET('/api/v2/transactions/meter/{meterNo}', {
            params: { ...meter(meterNo), query: { limit: TRANSACTIONS_PAGE_SIZE } },
            signal: timeout(),
          }),
        ),
      );
    },
    /** The one emergency advance at zero balance, owed as debt the next purchase repays. */
    emergency: (meterNo: string) =>
      answer(
        // The owner gives no reason (an operator must: the console sends one).
        api.POST('/api/meters/{meterNo}/emergency', { params: meter(meterNo), body: {}, signal: timeout() }),
      ),
    simulateTopUp: (meterNo: string, amountKes: number) =>
      answer(
        api.POST('/daraja/simulate', { body: { meter_no: meterNo, amount: amountKes }, signal: timeout() }),
      ),
    /** The customer's manual top-up requests for one meter, newest first. */
    topups: (meterNo: string) =>
      answer(
        api.GET('/transactions/topup', {
          params: { query: { meterNo, limit: TOPUPS_PAGE_SIZE } },
          signal: timeout(),
        }),
      ),
    /** Asks an operator to credit money paid another way (cash at an agent, a bank transfer). */
    requestTopup: (body: Body<'/transactions/topup', 'post'>) =>
      answer(api.POST('/transactions/topup', { body, signal: timeout() })),
    /** Sends the M-Pesa PIN prompt; the same key for the same attempt never charges twice. */
    stkPush: (input: { phoneNumber: string; amount: number; meterNo: string }, idempotencyKey: string) =>
      answer(
        api.POST('/daraja/stkpush', {
          body: input,
          params: { header: { 'idempotency-key': idempotencyKey } },
          signal: timeout(),
        }),
      ),
    paymentIntent: (intentId: string) =>
      answer(api.GET('/daraja/intents/{id}', { params: { path: { id: intentId } }, signal: timeout() })),
    publicConfig: () => answer(api.GET('/api/config', { signal: timeout() })),
    /** The server's VAPID public key for web push, and the kinds of notice it sends. */
    pushConfig: () => answer(api.GET('/api/push/config', { signal: timeout() })),
    /** Keeps this browser's push subscription for the signed-in customer. */
    subscribePush: (body: Body<'/api/push/subscriptions', 'post'>) =>
      answer(api.POST('/api/push/subscriptions', { body, signal: timeout() })),
    unsubscribePush: (endpoint: string) =>
      answer(api.DELETE('/api/push/subscriptions', { body: { endpoint }, signal: timeout() })),
    /** A purchase's receipt with its split. */
    async receipt(transactionId: string): Promise<Receipt> {
      return receiptFromAnswer(
        await answer(
          api.GET('/api/transactions/{id}/receipt', {
            params: { path: { id: transactionId } },
            signal: timeout(),
          }),
        ),
      );
    },
  };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
