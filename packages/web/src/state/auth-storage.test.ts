// Protects the remembered sign-in: expired or unreadable tokens sign the customer out.
import { describe, expect, it } from 'vitest';
import { AUTH_STORAGE_KEY, loadAuth, saveAuth, tokenExpiryS, type KeyValueStorage } from './auth-storage';

function memoryStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

function jwt(payload: object): string {
  const b64 = (o: object) =>
    btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256' })}.${b64(payload)}.signature`;
}

const user = {
  id: 'u1',
  name: 'Achieng',
  email: 'a@x.ke',
  phone: null,
  role: 'customer' as const,
  locale: 'en',
  permissions: [],
  temporaryCredentials: false,
};

describe('auth storage', () => {
  it('reads the expiry of a JWT', () => {
    expect(tokenExpiryS(jwt({ sub: 'u1', exp: 1_800_000_000 }))).toBe(1_800_000_000);
    expect(tokenExpiryS('not-a-jwt')).toBeNull();
  });

  it('a saved sign-in is remembered until its token expires', () => {
    const storage = memoryStorage();
    const token = jwt({ exp: 2000 });
    saveAuth(storage, { token, user });
    expect(loadAuth(storage, 1_999_000)).toEqual({ token, user });
    expect(loadAuth(storage, 2_000_000)).toBeNull();
    expect(storage.map.has(AUTH_STORAGE_KEY)).toBe(false);
  });

  it('garbage in storage means signed out', () => {
    const storage = memoryStorage();
    storage.setItem(AUTH_STORAGE_KEY, '{not json');
    expect(loadAuth(storage, 0)).toBeNull();
    storage.setItem(AUTH_STORAGE_KEY, JSON.stringify({ token: 5 }));
    expect(loadAuth(storage, 0)).toBeNull();
    saveAuth(storage, null);
    expect(storage.map.size).toBe(0);
  });
});
