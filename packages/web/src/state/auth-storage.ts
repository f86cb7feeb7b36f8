import type { ApiUser } from '../api/api-types';

export const AUTH_STORAGE_KEY = 'umeme.auth';
export const LOCALE_STORAGE_KEY = 'umeme.locale';

export interface StoredAuth {
  token: string;
  user: ApiUser;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Seconds since the epoch at which a JWT expires, or null when it does not say. */
export function tokenExpiryS(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}

/** The remembered sign-in, unless it is unreadable or its token has expired. */
export function loadAuth(storage: KeyValueStorage, nowMs: number): StoredAuth | null {
  const raw = storage.getItem(AUTH_STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<StoredAuth>;
    if (typeof parsed.token !== 'string' || typeof parsed.user?.id !== 'string') return null;
    const exp = tokenExpiryS(parsed.token);
    if (exp !== null && exp * 1000 <= nowMs) {
      storage.removeItem(AUTH_STORAGE_KEY);
      return null;
    }
    return parsed as StoredAuth;
  } catch {
    return null;
  }
}

export function saveAuth(storage: KeyValueStorage, auth: StoredAuth | null): void {
  if (auth) storage.setItem(AUTH_STORAGE_KEY, JSON.stringify(auth));
  else storage.removeItem(AUTH_STORAGE_KEY);
}
