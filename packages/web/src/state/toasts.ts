import type { MessageKey } from '../i18n/dictionary';
import { translate, type Locale, type MessageParams } from '../i18n/i18n';
import { formatKes, formatKwh } from './format';

export type ToastKind = 'success' | 'info' | 'warning' | 'error';

export interface Toast {
  id: number;
  /** One event can reach us several ways (payment_success, transaction_completed): one toast. */
  key: string;
  kind: ToastKind;
  /** Translated when shown, so a language switch re-words toasts already on screen. */
  message: MessageKey;
  params: ToastParams;
  expiresAtMs: number;
}

export const TOAST_LIMIT = 3;
export const TOAST_LIFETIME_MS = 7000;
/** How many past keys are remembered for de-duplication. */
export const TOAST_KEYS_REMEMBERED = 200;

export interface ToastState {
  toasts: Toast[];
  seenKeys: string[];
  nextId: number;
}

export const emptyToasts: ToastState = { toasts: [], seenKeys: [], nextId: 1 };

/**
 * Adds a toast unless its key was shown before. `supersedes` is a key prefix: toasts on screen
 * that start with it are removed, so "run out of credit" replaces "low balance".
 */
export function pushToast(
  state: ToastState,
  t: { key: string; kind: ToastKind; message: MessageKey; params?: ToastParams; supersedes?: string },
  nowMs: number,
): ToastState {
  if (state.seenKeys.includes(t.key)) return state;
  const { supersedes, ...shown } = t;
  const toast: Toast = { params: {}, ...shown, id: state.nextId, expiresAtMs: nowMs + TOAST_LIFETIME_MS };
  const kept =
    supersedes === undefined ? state.toasts : state.toasts.filter((x) => !x.key.startsWith(supersedes));
  return {
    toasts: [...kept, toast].slice(-TOAST_LIMIT),
    seenKeys: [...state.seenKeys, t.key].slice(-TOAST_KEYS_REMEMBERED),
    nextId: state.nextId + 1,
  };
}

export function dismissToast(state: ToastState, id: number): ToastState {
  return { ...state, toasts: state.toasts.filter((t) => t.id !== id) };
}

export function expireToasts(state: ToastState, nowMs: number): ToastState {
  const toasts = state.toasts.filter((t) => t.expiresAtMs > nowMs);
  return toasts.length === state.toasts.length ? state : { ...state, toasts };
}

/** Quantities stay numbers until shown, so they are formatted in the language on screen. */
export interface ToastParams {
  energyKwh?: number;
  amountKes?: number;
  meterNo?: string;
  reason?: string;
  title?: string;
  message?: string;
  hoursLeft?: number;
}

export function toastMessageParams(locale: Locale, p: ToastParams): MessageParams {
  const out: MessageParams = {};
  if (p.energyKwh !== undefined) out.energy = formatKwh(locale, p.energyKwh);
  if (p.amountKes !== undefined) out.amount = formatKes(locale, p.amountKes);
  if (p.meterNo !== undefined) out.meterNo = p.meterNo;
  // A failure's reason comes from the server (M-Pesa's words) in English: other languages get
  // the app's own generic words instead.
  if (p.reason !== undefined) out.reason = locale === 'en' ? p.reason : translate(locale, 'payFailedUnknown');
  if (p.title !== undefined) out.title = p.title;
  if (p.message !== undefined) out.message = p.message;
  if (p.hoursLeft !== undefined) out.hours = p.hoursLeft;
  return out;
}
