import { ApiError, NetworkError } from '../api/http-client';
import { en, type MessageKey } from './dictionary';
import type { MessageParams } from './i18n';

/** The dictionary key for a server error code (`err_<CODE>`), or the generic one for a code the app does not know. */
export function errorMessageKey(code: string): MessageKey {
  const key = `err_${code}`;
  return Object.hasOwn(en, key) ? (key as MessageKey) : 'err_unknown';
}

/**
 * What to tell a person about a failed call, in their language: the catalogue code's words, the
 * network's, or the generic message. The server's English `message` is never shown.
 */
export function errorText(t: (key: MessageKey, params?: MessageParams) => string, err: unknown): string {
  return t(errorKey(err));
}

/** The dictionary key for a failed call: the catalogue code's, the network's, or the generic one. */
export function errorKey(err: unknown): MessageKey {
  if (err instanceof ApiError) return errorMessageKey(err.code);
  if (err instanceof NetworkError) return 'networkError';
  return 'err_unknown';
}
