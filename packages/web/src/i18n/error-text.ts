import { ApiError, NetworkError } from '../api/http-client';
import { en, type MessageKey } from './dictionary';
import type { Locale, MessageParams } from './i18n';

/** The dictionary key for a server error code (`err_<CODE>`), or the generic one for a code the app does not know. */
export function errorMessageKey(code: string): MessageKey {
  const key = `err_${code}`;
  return Object.hasOwn(en, key) ? (key as MessageKey) : 'err_unknown';
}

/**
 * What to tell a person about a failed call, in their language: the catalogue code's words, the
 * network's, or the generic message. Only an English reader sees the server's own `message`
 * (English, written for people, sometimes more precise than the code's words, e.g. "already
 * dismissed"); any other language never shows it.
 */
export function errorText(
  i18n: { locale: Locale; t: (key: MessageKey, params?: MessageParams) => string },
  err: unknown,
): string {
  if (i18n.locale === 'en' && err instanceof ApiError && err.message) return err.message;
  return i18n.t(errorKey(err));
}

/** The dictionary key for a failed call: the catalogue code's, the network's, or the generic one. */
export function errorKey(err: unknown): MessageKey {
  if (err instanceof ApiError) return errorMessageKey(err.code);
  if (err instanceof NetworkError) return 'networkError';
  return 'err_unknown';
}
