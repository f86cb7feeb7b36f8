import { createHash } from 'node:crypto';
import type { DarajaToken, DarajaTokenStore } from '@umeme/daraja';
import type { Db } from '../db/db';
import { DARAJA_TOKEN_SETTINGS_KEY } from './payments.limits';

/** First key of the refresh lock, the one payments.service.ts uses; the second is the row's key. */
const REFRESH_LOCK = 7262638;

/**
 * One Daraja OAuth token for every instance on this database (issue 16 §3), kept with its
 * refresh time in `settings` beside the callback secret. A refresh holds a transaction-level
 * advisory lock while it asks Daraja, so instances that find the token stale at once make one
 * token request: the others wait on the lock and take what the first stored.
 */
export class PostgresDarajaTokenStore implements DarajaTokenStore {
  /** One row per Daraja and app: a token of other credentials is never used. */
  private readonly key: string;

  constructor(
    private readonly db: Db,
    /** the Daraja base URL and consumer key the token belongs to */
    owner: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.key = `${DARAJA_TOKEN_SETTINGS_KEY}:${createHash('sha256').update(owner).digest('hex').slice(0, 16)}`;
  }

  async read(): Promise<DarajaToken | null> {
    const { rows } = await this.db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [
      this.key,
    ]);
    return parseToken(rows[0]?.value);
  }

  refresh(stale: string | null, fetch: () => Promise<DarajaToken>): Promise<DarajaToken> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [REFRESH_LOCK, this.key]);
      const { rows } = await tx.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [
        this.key,
      ]);
      const current = parseToken(rows[0]?.value);
      if (current !== null && current.value !== stale && this.nowMs() < current.refreshAtMs) return current;
      const fresh = await fetch();
      await tx.query(
        `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [this.key, JSON.stringify(fresh)],
      );
      return fresh;
    });
  }
}

function parseToken(text: string | undefined): DarajaToken | null {
  if (text === undefined) return null;
  try {
    const t = JSON.parse(text) as Partial<DarajaToken>;
    return typeof t.value === 'string' && typeof t.refreshAtMs === 'number'
      ? { value: t.value, refreshAtMs: t.refreshAtMs }
      : null;
  } catch {
    return null;
  }
}
