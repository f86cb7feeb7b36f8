import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/db';
import type { DeviceAuthenticator } from '../mqtt/broker';

/**
 * Device secrets: 256 random bits, shown once, stored as sha256. base64url, and never starting
 * with '-' or '_': a spreadsheet reads a leading '-' as a formula, so the rotation CSV defuses
 * such a cell with a quote, and the operator would have flashed that quote into the meter (one
 * secret in 64; found when the dynsec test drew one). A command line would take it for an
 * option too. Redrawing costs a thirty-second of a bit.
 */
export function newDeviceSecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString('base64url');
    if (/^[A-Za-z0-9]/.test(secret)) return secret;
  }
}

export function hashDeviceSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 50_000;

/** Verifies meter credentials against the database, caching successes briefly. */
export class DeviceCredentials implements DeviceAuthenticator {
  private readonly cache = new Map<string, { hash: string; until: number }>();

  constructor(private readonly db: Queryable) {}

  async verify(meterNo: string, secret: string): Promise<boolean> {
    const hash = hashDeviceSecret(secret);
    const cached = this.cache.get(meterNo);
    if (cached && cached.until > Date.now() && safeEqualHex(cached.hash, hash)) return true;
    const { rows } = await this.db.query<{ secret_hash: string }>(
      `SELECT secret_hash FROM device_credentials WHERE meter_no = $1 AND revoked_at IS NULL`,
      [meterNo],
    );
    const stored = rows[0]?.secret_hash;
    if (!stored || !safeEqualHex(stored, hash)) return false;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(meterNo, { hash: stored, until: Date.now() + CACHE_TTL_MS });
    return true;
  }

  /** Called on rotation or revocation so the old secret stops working at once. */
  forget(meterNo: string): void {
    this.cache.delete(meterNo);
  }
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
