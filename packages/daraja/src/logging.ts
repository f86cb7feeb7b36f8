/** Logging shared by the client and the emulator: a pino-like interface and secret redaction. */
import { maskMsisdn } from './schemas';

/** The subset of pino's logger we use; a pino logger fits it as it is. */
export interface DarajaLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: DarajaLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Fields whose value is a credential: never written to a log, whatever the endpoint. */
const SECRET_KEYS = new Set([
  'password',
  'access_token',
  'authorization',
  'securitycredential',
  'consumersecret',
  'consumerkey',
  'passkey',
  'token',
]);
/** Fields holding a customer's phone number: masked, because logs outlive consent. */
const PHONE_KEYS = new Set(['phonenumber', 'partya', 'msisdn']);
/** Our callback URLs carry a secret token in the path: only the origin is logged. */
const URL_KEYS = new Set(['callbackurl', 'confirmationurl', 'validationurl', 'url']);

export function urlOriginForLog(text: string): string {
  try {
    return `${new URL(text).origin}/…`;
  } catch {
    return '[invalid url]';
  }
}

const MAX_DEPTH = 6;
const MAX_STRING_CHARS = 512;
const MAX_ARRAY_ITEMS = 50;

/** A copy of a request or answer body that is safe to log. */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[depth]';
  if (typeof value === 'string') {
    return value.length > MAX_STRING_CHARS ? `${value.slice(0, MAX_STRING_CHARS)}…` : value;
  }
  if (Array.isArray(value)) {
    return value.slice(0, MAX_ARRAY_ITEMS).map((item) => redactForLog(item, depth + 1));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const k = key.toLowerCase();
      if (SECRET_KEYS.has(k)) out[key] = '[redacted]';
      else if (URL_KEYS.has(k) && typeof inner === 'string') out[key] = urlOriginForLog(inner);
      else if (PHONE_KEYS.has(k) && (typeof inner === 'string' || typeof inner === 'number')) {
        out[key] = maskMsisdn(String(inner));
      } else out[key] = redactForLog(inner, depth + 1);
    }
    // Callback metadata carries the phone as {Name: 'PhoneNumber', Value: 2547…}.
    if (typeof out.Name === 'string' && PHONE_KEYS.has(out.Name.toLowerCase()) && 'Value' in out) {
      out.Value = maskMsisdn(String(out.Value));
    }
    return out;
  }
  return value;
}
