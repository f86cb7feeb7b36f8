/**
 * The shapes of the HTTP API as the web app uses them, taken from the generated contract
 * (openapi.gen.ts, from docs/openapi.json): a field the server renames breaks the typecheck, not
 * the screen. The few view types below are what the app keeps of an answer.
 */
import type { paths } from './openapi.gen';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON answer of `method path` with `status` (200 unless said). */
export type Answer<
  P extends keyof paths,
  M extends 'get' | 'post' | 'put' | 'patch' | 'delete',
  S extends number = 200,
> = paths[P][M] extends { responses: infer R } ? (S extends keyof R ? JsonOf<R[S]> : never) : never;

/** The JSON body `method path` takes. */
export type Body<P extends keyof paths, M extends 'post' | 'put' | 'patch' | 'delete'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type ApiUser = Answer<'/api/me', 'get'>;
export type AuthAnswer = Answer<'/auth/login', 'post'>;
export type MeterList = Answer<'/api/meters', 'get'>;
export type ApiMeter = Answer<'/api/meters/{meterNo}', 'get'>;
/** `POST /daraja/stkpush` (202). */
export type StkPushAnswer = Answer<'/daraja/stkpush', 'post', 202>;
/** `GET /daraja/intents/:id`. */
export type PaymentIntent = Answer<'/daraja/intents/{id}', 'get'>;
export type IntentStatus = PaymentIntent['status'];
/** `GET /api/config` (public). */
export type PublicConfig = Answer<'/api/config', 'get'>;
export type ConsumptionAnswer = Answer<'/api/meters/{meterNo}/consumption', 'get'>;
export type Bucket = ConsumptionAnswer['bucket'];
export type TransactionsAnswer = Answer<'/api/v2/transactions/meter/{meterNo}', 'get'>;
export type ReceiptAnswer = Answer<'/api/transactions/{id}/receipt', 'get'>;

/** One bucket of the usage chart. */
export interface ConsumptionPoint {
  startMs: number;
  kwh: number;
}

/** One row of the transactions card. */
export interface TransactionItem {
  id: string;
  type: string;
  status: string;
  amountKes: number;
  energyKwh: number;
  atMs: number;
}

export interface TransactionPage {
  items: TransactionItem[];
  next: string | null;
}

export function consumptionPoints(answer: ConsumptionAnswer): ConsumptionPoint[] {
  return answer.points.map((p) => ({ startMs: Date.parse(p.start), kwh: p.energyKwh }));
}

export function transactionPage(answer: TransactionsAnswer): TransactionPage {
  return {
    items: answer.transactions.map((t) => ({
      id: t.id,
      type: t.type,
      status: t.status,
      amountKes: t.amountKes,
      energyKwh: t.energyKwh,
      atMs: Date.parse(t.createdAt),
    })),
    next: answer.next,
  };
}
