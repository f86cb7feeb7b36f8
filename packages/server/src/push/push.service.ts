/**
 * Web push (issue 18 §4): the browsers a customer opted in from, and sending them notices.
 * A push service is told only what the browser's keys encrypt (RFC 8291, aes128gcm); the server
 * signs as itself with its VAPID keys (RFC 8292). Subscriptions are sent to only on the push
 * services of PUSH_ENDPOINT_HOSTS, so a subscription cannot make the server call anywhere else.
 * Push is a courtesy channel, best effort: a notice is sent once, from the instance where its
 * cause committed; SMS (the outbox) is the channel that retries.
 */
import type { Agent } from 'node:https';
import type { Logger } from 'pino';
import webpush from 'web-push';
import type { Db } from '../db/db';
import type { Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { Metrics } from '../shared/metrics';
import { PUSH_KINDS, type PushKind, type PushSubscribeBody } from './push.schema';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** What a notification shows; the service worker turns it into one. */
export interface PushNotice {
  kind: PushKind;
  title: string;
  body: string;
  /** one notification per tag on the device: a newer one replaces it */
  tag: string;
  /** where a tap on it leads (a path on this site) */
  url: string;
}

export interface PushServiceOptions {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  /** null: push is off (the routes answer 503 PUSH_UNAVAILABLE) */
  vapid: VapidKeys | null;
  allowedHosts: readonly string[];
  /** how long a push service keeps a notice for a phone that is off (seconds) */
  ttlS?: number;
  /** the HTTPS agent for push services (tests: one trusting their push service's CA) */
  agent?: Agent;
}

interface SubscriptionRow {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  lang: 'en' | 'sw';
  kinds: PushKind[];
  created_at: Date;
}

/**
 * Whether a push endpoint is on an allowed push service. An entry is a host (`fcm.googleapis.com`,
 * HTTPS on its default port), a wildcard (`*.notify.windows.com`: its subdomains), or an HTTPS
 * origin (`https://push.example:8443`, that origin only). Push is sent over HTTPS only.
 */
export function pushEndpointAllowed(endpoint: string, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password) return false;
  return allowed.some((entry) => {
    if (entry.startsWith('https://')) return URL.canParse(entry) && url.origin === new URL(entry).origin;
    if (url.port !== '') return false;
    const host = url.hostname.toLowerCase();
    if (entry.startsWith('*.')) return host.endsWith(entry.slice(1)) && host.length > entry.length - 1;
    return host === entry;
  });
}

export class PushService {
  private readonly ttlS: number;

  constructor(private readonly opts: PushServiceOptions) {
    this.ttlS = opts.ttlS ?? 6 * 3600;
  }

  private keys(): VapidKeys {
    if (!this.opts.vapid) throw new AppError('PUSH_UNAVAILABLE');
    return this.opts.vapid;
  }

  config() {
    return { publicKey: this.keys().publicKey, kinds: [...PUSH_KINDS] };
  }

  /**
   * Keeps this browser's subscription for the caller. The same endpoint again updates it; an
   * endpoint another account had (a shared browser, signed in as someone else now) moves to the
   * caller, so a browser never shows a previous user's notices.
   */
  async subscribe(caller: Caller, body: PushSubscribeBody) {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    this.keys();
    if (!pushEndpointAllowed(body.endpoint, this.opts.allowedHosts)) {
      throw new AppError('PUSH_ENDPOINT_NOT_ALLOWED');
    }
    const kinds = body.kinds ? [...new Set(body.kinds)] : [...PUSH_KINDS];
    const { rows } = await this.opts.db.query<SubscriptionRow>(
      `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, lang, kinds)
       VALUES ($1, $2, $3, $4, $5, $6::text[])
       ON CONFLICT (endpoint) DO UPDATE
         SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
             lang = EXCLUDED.lang, kinds = EXCLUDED.kinds, failures = 0
       RETURNING id, endpoint, p256dh, auth, lang, kinds, created_at`,
      [caller.userId, body.endpoint, body.keys.p256dh, body.keys.auth, body.lang, kinds],
    );
    return view(rows[0]!);
  }

  async unsubscribe(caller: Caller, endpoint: string): Promise<void> {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const { rowCount } = await this.opts.db.query(
      `DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2`,
      [endpoint, caller.userId],
    );
    if (!rowCount) throw new AppError('PUSH_SUBSCRIPTION_NOT_FOUND');
  }

  async list(caller: Caller) {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const { rows } = await this.opts.db.query<SubscriptionRow>(
      `SELECT id, endpoint, p256dh, auth, lang, kinds, created_at FROM push_subscriptions
        WHERE user_id = $1 ORDER BY created_at DESC`,
      [caller.userId],
    );
    return { subscriptions: rows.map(view) };
  }

  /**
   * Sends a notice to every browser of the user that wants its kind, in the language each chose;
   * `render` gives the notice for a language. A push service answering 404 or 410 has dropped
   * the subscription: it is deleted. Never throws: a push that fails is counted and logged.
   */
  async notify(userId: string, kind: PushKind, render: (lang: 'en' | 'sw') => PushNotice): Promise<number> {
    return this.notifyMany([{ userId, kind, render }]);
  }

  /** `notify` for many notices, their subscriptions read in one query (a burst of receipts). */
  async notifyMany(
    notices: readonly { userId: string; kind: PushKind; render: (lang: 'en' | 'sw') => PushNotice }[],
  ): Promise<number> {
    if (!this.opts.vapid || notices.length === 0) return 0;
    let rows: (SubscriptionRow & { user_id: string })[];
    try {
      ({ rows } = await this.opts.db.query<SubscriptionRow & { user_id: string }>(
        `SELECT id, user_id, endpoint, p256dh, auth, lang, kinds, created_at FROM push_subscriptions
          WHERE user_id = ANY($1::uuid[])`,
        [[...new Set(notices.map((n) => n.userId))]],
      ));
    } catch (err) {
      this.opts.logger.warn(
        { err, kinds: [...new Set(notices.map((n) => n.kind))] },
        'push: reading subscriptions failed',
      );
      return 0;
    }
    if (rows.length === 0) return 0;
    const byUser = new Map<string, SubscriptionRow[]>();
    for (const row of rows) {
      const list = byUser.get(row.user_id);
      if (list) list.push(row);
      else byUser.set(row.user_id, [row]);
    }
    const sends = notices.flatMap(({ userId, kind, render }) =>
      (byUser.get(userId) ?? [])
        .filter((row) => row.kinds.includes(kind))
        .map((row) => this.send(row, render(row.lang))),
    );
    return (await Promise.all(sends)).filter(Boolean).length;
  }

  private async send(row: SubscriptionRow, notice: PushNotice): Promise<boolean> {
    const { db, logger, metrics, allowedHosts } = this.opts;
    const vapid = this.keys();
    // Checked again at send time: the allow-list may have narrowed since the browser subscribed.
    if (!pushEndpointAllowed(row.endpoint, allowedHosts)) {
      metrics.pushSent.inc({ kind: notice.kind, outcome: 'failed' });
      return false;
    }
    try {
      await webpush.sendNotification(
        { endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } },
        JSON.stringify(notice),
        {
          vapidDetails: vapid,
          TTL: this.ttlS,
          urgency: notice.kind === 'supply_cut' || notice.kind === 'receipt' ? 'high' : 'normal',
          topic: notice.tag.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || undefined,
          timeout: 10_000,
          ...(this.opts.agent ? { agent: this.opts.agent } : {}),
        },
      );
      metrics.pushSent.inc({ kind: notice.kind, outcome: 'sent' });
      await db
        .query(`UPDATE push_subscriptions SET last_sent_at = now(), failures = 0 WHERE id = $1`, [row.id])
        .catch(() => {});
      return true;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) {
        metrics.pushSent.inc({ kind: notice.kind, outcome: 'gone' });
        await db.query(`DELETE FROM push_subscriptions WHERE id = $1`, [row.id]).catch(() => {});
        return false;
      }
      metrics.pushSent.inc({ kind: notice.kind, outcome: 'failed' });
      logger.warn(
        { status, origin: safeOrigin(row.endpoint), kind: notice.kind },
        'push: the push service did not take a notice',
      );
      await db
        .query(`UPDATE push_subscriptions SET failures = failures + 1 WHERE id = $1`, [row.id])
        .catch(() => {});
      return false;
    }
  }
}

function view(row: SubscriptionRow) {
  return {
    endpoint: row.endpoint,
    lang: row.lang,
    kinds: row.kinds,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The endpoint's origin only: its path identifies the browser and stays out of logs. */
function safeOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return 'invalid';
  }
}

/** A fresh VAPID key pair, base64url as the Push API and web-push take them. */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys();
}
