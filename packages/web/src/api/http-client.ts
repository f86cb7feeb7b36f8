import { readReceipt, type Receipt } from '../state/receipt';
import {
  readConsumption,
  readTransactions,
  type ApiMeter,
  type ApiUser,
  type AuthAnswer,
  type Bucket,
  type ConsumptionPoint,
  type MeterList,
  type PaymentIntent,
  type PublicConfig,
  type StkPushAnswer,
  type TransactionPage,
} from './api-types';

/** Past this an HTTP call is given up, so a stalled mobile link does not hang the screen. */
export const HTTP_TIMEOUT_MS = 15_000;
export const METERS_PAGE_SIZE = 200;
export const TRANSACTIONS_PAGE_SIZE = 20;

/** An answer other than 2xx; `message` is the server's, written for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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

export function createHttpClient(opts: HttpClientOptions) {
  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const token = opts.token();
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (err) {
      throw new NetworkError(err instanceof Error ? err.message : String(err));
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const o = (parsed ?? {}) as { error?: unknown; message?: unknown };
      const code = typeof o.error === 'string' ? o.error : `HTTP_${res.status}`;
      const message = typeof o.message === 'string' ? o.message : res.statusText || `HTTP ${res.status}`;
      if (res.status === 401 && token) opts.onUnauthorized?.();
      throw new ApiError(res.status, code, message);
    }
    return parsed as T;
  }

  const meterPath = (meterNo: string) => encodeURIComponent(meterNo);

  return {
    login: (email: string, password: string) =>
      request<AuthAnswer>('POST', '/auth/login', { email, password }),
    /** Sends a code to the address; the same answer whether or not it already has an account. */
    register: (input: { name: string; email: string; phone: string; password: string }) =>
      request<{ status: 'verification_sent'; message: string }>('POST', '/auth/register', input),
    verifyRegistration: (email: string, code: string) =>
      request<AuthAnswer>('POST', '/auth/verify', { email, code }),
    /** Ends every session of the account on the server: each token and live link it has. */
    logout: () => request<null>('POST', '/auth/logout'),
    me: () => request<ApiUser>('GET', '/api/me'),
    meters: () => request<MeterList>('GET', `/api/meters?limit=${METERS_PAGE_SIZE}`),
    meter: (meterNo: string) => request<ApiMeter>('GET', `/api/meters/${meterPath(meterNo)}`),
    async consumption(
      meterNo: string,
      bucket: Bucket,
      fromMs: number,
      toMs: number,
    ): Promise<ConsumptionPoint[]> {
      const q = new URLSearchParams({
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        bucket,
      });
      return readConsumption(
        await request<unknown>('GET', `/api/meters/${meterPath(meterNo)}/consumption?${q}`),
      );
    },
    async transactions(meterNo: string): Promise<TransactionPage> {
      return readTransactions(
        await request<unknown>(
          'GET',
          `/api/transactions/meter/${meterPath(meterNo)}?limit=${TRANSACTIONS_PAGE_SIZE}`,
        ),
      );
    },
    simulateTopUp: (meterNo: string, amountKes: number) =>
      request<{ transactionId: string; balanceKwh: number; energyKwh: number }>('POST', '/daraja/simulate', {
        meter_no: meterNo,
        amount: amountKes,
      }),
    /** Sends the M-Pesa PIN prompt; the same key for the same attempt never charges twice. */
    stkPush: (input: { phoneNumber: string; amount: number; meterNo: string }, idempotencyKey: string) =>
      request<StkPushAnswer>('POST', '/daraja/stkpush', input, { 'idempotency-key': idempotencyKey }),
    paymentIntent: (intentId: string) =>
      request<PaymentIntent>('GET', `/daraja/intents/${encodeURIComponent(intentId)}`),
    publicConfig: () => request<PublicConfig>('GET', '/api/config'),
    /** A purchase's receipt with its split; null when the answer is not one. */
    async receipt(transactionId: string): Promise<Receipt | null> {
      return readReceipt(
        await request<unknown>('GET', `/api/transactions/${encodeURIComponent(transactionId)}/receipt`),
      );
    },
  };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
