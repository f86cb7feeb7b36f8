import type { Agent } from 'node:https';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/db';
import { persistentSecret } from '../db/persistent-secret';
import type { EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { StartupError } from '../shared/startup';
import type { CustomerNotices } from '../notices/customer-notices';
import { pushChannel } from './push-notices';
import { pushRoutes } from './push.routes';
import { generateVapidKeys, PushService, type VapidKeys } from './push.service';

/**
 * The server's VAPID keys: both from the settings, or one pair made once and kept in the
 * database like the JWT secret (every instance and restart signs with the same keys, so
 * browsers' subscriptions stay valid). The subject is VAPID_SUBJECT, else an https PUBLIC_URL.
 * In production without either, push is off (null): push services use the subject to reach the
 * operator, and a made-up one would be an address nobody reads.
 */
export async function vapidKeys(config: Config, db: Db): Promise<VapidKeys | null> {
  const subject =
    config.VAPID_SUBJECT ??
    (config.PUBLIC_URL?.startsWith('https://')
      ? config.PUBLIC_URL
      : config.mode.name === 'production'
        ? null
        : 'mailto:operator@umeme.invalid');
  if (subject === null) return null;
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) {
    return { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject };
  }
  if (config.VAPID_PUBLIC_KEY || config.VAPID_PRIVATE_KEY) {
    throw new StartupError('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together: set both or neither');
  }
  const stored = JSON.parse(
    await persistentSecret(db, 'vapid_keys', () => JSON.stringify(generateVapidKeys())),
  ) as { publicKey: string; privateKey: string };
  return { ...stored, subject };
}

export async function startPush(opts: {
  config: Config;
  db: Db;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  /** the customer notices, to which push adds itself as a channel */
  notices: CustomerNotices;
  /** the HTTPS agent for push services (tests) */
  agent?: Agent;
}) {
  const { config, db, bus, metrics } = opts;
  const logger = opts.logger.child({ part: 'push' });
  const vapid = await vapidKeys(config, db);
  if (!vapid) {
    logger.warn(
      'web push is off: set VAPID_SUBJECT (mailto: or https:) or an https PUBLIC_URL to turn it on',
    );
  }
  const push = new PushService({
    db,
    logger,
    metrics,
    vapid,
    allowedHosts: config.PUSH_ENDPOINT_HOSTS,
    ...(opts.agent ? { agent: opts.agent } : {}),
  });
  if (vapid) opts.notices.addChannel(pushChannel(push, config.DARAJA_SHORTCODE), bus);
  return { service: push, routes: pushRoutes(push) };
}
