import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { METER_NO_MESSAGE, METER_NO_PATTERN } from '@umeme/protocol';
import type { MeterCredentials } from './fleet';
import {
  HTTP_MAX_ATTEMPTS,
  HTTP_TIMEOUT_MS,
  MAX_CREDENTIALS_FILE_BYTES,
  MAX_METERS,
  REGISTER_CONCURRENCY,
} from './limits';
import { forEachBounded } from './state-store';

/** Where meter secrets come from: a credentials file, a shared secret with generated numbers, or registration with the server. */

const secretSchema = z.string().min(1).max(256);
/** Accepts `{meterNo, secret}` and the server's own answer shape `{meterNo, mqttUsername, mqttPassword}`. */
const credentialEntrySchema = z.union([
  z.object({ meterNo: z.string().regex(METER_NO_PATTERN), secret: secretSchema }),
  z.object({ meterNo: z.string().regex(METER_NO_PATTERN), mqttPassword: secretSchema }),
]);
const credentialsFileSchema = z.array(credentialEntrySchema).min(1).max(MAX_METERS);

export class CredentialsError extends Error {}

async function readBoundedText(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CredentialsError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  if (Buffer.byteLength(text) > MAX_CREDENTIALS_FILE_BYTES) {
    throw new CredentialsError(`${what} ${path} is larger than ${MAX_CREDENTIALS_FILE_BYTES} bytes`);
  }
  return text;
}

export async function loadCredentialsFile(path: string): Promise<MeterCredentials[]> {
  const text = await readBoundedText(path, 'credentials file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsError(`credentials file ${path} is not valid JSON`);
  }
  const parsed = credentialsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CredentialsError(
      `credentials file ${path}: expected [{meterNo, secret}]; ${issue ? `${issue.path.join('.')}: ${issue.message}` : ''}`,
    );
  }
  return parsed.data.map((entry) => ({
    meterNo: entry.meterNo,
    secret: 'secret' in entry ? entry.secret : entry.mqttPassword,
  }));
}

/** `SIM00001`, `SIM00002`, …: digits padded so numbers sort, the whole within the 12-character limit. */
export function generatedMeterNos(prefix: string, count: number): string[] {
  const digits = Math.max(5, String(count).length);
  const meterNos = Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(digits, '0')}`);
  const bad = meterNos.find((m) => !METER_NO_PATTERN.test(m));
  if (bad !== undefined) throw new CredentialsError(`meter number ${bad} is invalid (${METER_NO_MESSAGE})`);
  return meterNos;
}

export async function prefixCredentials(
  prefix: string,
  count: number,
  secretFile: string,
): Promise<MeterCredentials[]> {
  const secret = (await readBoundedText(secretFile, 'secret file')).trim();
  if (!secretSchema.safeParse(secret).success)
    throw new CredentialsError(`secret file ${secretFile} is empty or too long`);
  return generatedMeterNos(prefix, count).map((meterNo) => ({ meterNo, secret }));
}

// ---- registration with the server -------------------------------------------------------

const CREDENTIALS_CACHE_FILE = 'credentials.json';
const cacheSchema = z.object({
  server: z.string(),
  meters: z.record(z.string().regex(METER_NO_PATTERN), secretSchema),
});
type CredentialsCache = z.infer<typeof cacheSchema>;

const loginResponseSchema = z.object({ token: z.string().min(1) });
const registerResponseSchema = z.object({
  meterNo: z.string(),
  mqttUsername: z.string(),
  mqttPassword: secretSchema,
});

interface RegisterMetersOptions {
  serverUrl: string;
  adminEmail: string;
  adminPassword: string;
  meterNos: readonly string[];
  openingCreditKwh: number;
  /** Secrets are issued once: they are cached here (`credentials.json`) so a second run can reuse them. */
  stateDir: string;
  log?: (line: string) => void;
}

interface RegisterMetersResult {
  credentials: MeterCredentials[];
  registered: number;
  cached: number;
  /** Meters the server already has but whose secret we never saw (409 with no cache entry). */
  unusable: string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function requestJson(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= HTTP_MAX_ATTEMPTS; attempt++) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      // 429 and 5xx are worth another try after a pause; everything else is an answer
      if (response.status === 429 || response.status >= 500) {
        lastError = new HttpError(response.status, `${init.method ?? 'GET'} ${url}: HTTP ${response.status}`);
      } else {
        const text = await response.text();
        let body: unknown = null;
        try {
          body = text.length > 0 ? JSON.parse(text) : null;
        } catch {
          body = text;
        }
        return { status: response.status, body };
      }
    } catch (error) {
      lastError = error;
    }
    if (attempt < HTTP_MAX_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function loadCache(path: string, serverUrl: string): Promise<CredentialsCache> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { server: serverUrl, meters: {} };
    throw error;
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // reported below as invalid
  }
  const parsed = cacheSchema.safeParse(json);
  if (!parsed.success)
    throw new CredentialsError(`credentials cache ${path} is invalid; move it aside to start over`);
  if (parsed.data.server !== serverUrl) {
    throw new CredentialsError(
      `credentials cache ${path} belongs to ${parsed.data.server}; use another --state-dir`,
    );
  }
  return parsed.data;
}

async function saveCache(path: string, cache: CredentialsCache): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(cache, null, 2)}\n`, { encoding: 'utf8', mode: 0o600 });
  await rename(temporary, path);
}

/**
 * Logs in as an admin and registers each meter (`POST /api/meters`). A 409 means the meter exists:
 * its secret can only come from the cache, because the server shows a secret once.
 */
export async function registerMeters(options: RegisterMetersOptions): Promise<RegisterMetersResult> {
  const base = options.serverUrl.replace(/\/+$/, '');
  const log = options.log ?? (() => undefined);
  await mkdir(options.stateDir, { recursive: true });
  const cachePath = join(options.stateDir, CREDENTIALS_CACHE_FILE);
  const cache = await loadCache(cachePath, base);

  const login = await requestJson(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: options.adminEmail, password: options.adminPassword }),
  });
  const token = loginResponseSchema.safeParse(login.body);
  if (login.status !== 200 || !token.success) {
    throw new CredentialsError(`admin login at ${base}/auth/login failed: HTTP ${login.status}`);
  }

  let registered = 0;
  let cached = 0;
  const unusable: string[] = [];
  const toRegister = options.meterNos.filter((meterNo) => {
    if (cache.meters[meterNo] === undefined) return true;
    cached += 1;
    return false;
  });
  const failures = await forEachBounded(toRegister, REGISTER_CONCURRENCY, async (meterNo) => {
    const answer = await requestJson(`${base}/api/meters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.data.token}` },
      body: JSON.stringify({ meterNo, openingCreditKwh: options.openingCreditKwh }),
    });
    if (answer.status === 409) {
      unusable.push(meterNo);
      return;
    }
    const body = registerResponseSchema.safeParse(answer.body);
    if (answer.status < 200 || answer.status >= 300 || !body.success) {
      throw new HttpError(answer.status, `registering ${meterNo}: HTTP ${answer.status}`);
    }
    cache.meters[meterNo] = body.data.mqttPassword;
    registered += 1;
  });
  // save what was issued even if some registrations failed: those secrets will not be shown again
  if (registered > 0) await saveCache(cachePath, cache);
  if (failures.length > 0) {
    const first = failures[0]?.error;
    throw new CredentialsError(
      `${failures.length} meter registration(s) failed, first: ${first instanceof Error ? first.message : String(first)}`,
    );
  }
  if (unusable.length > 0) {
    log(
      `${unusable.length} meter(s) already exist on the server with no cached secret ` +
        `(${unusable.slice(0, 3).join(', ')}${unusable.length > 3 ? ', …' : ''}): skipped`,
    );
  }
  const credentials = options.meterNos.flatMap((meterNo) => {
    const secret = cache.meters[meterNo];
    return secret === undefined ? [] : [{ meterNo, secret }];
  });
  return { credentials, registered, cached, unusable: unusable.sort() };
}
