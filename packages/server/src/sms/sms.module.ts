import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AdjustmentsService } from '../adjustments/adjustments.service';
import type { Config } from '../config';
import type { ResetSms } from '../auth/password-reset';
import { AUTH_LIMITS } from '../auth/auth.limits';
import type { Db, Transaction } from '../db/db';
import { smsLanguage } from '../notices/customer-notices';
import { CallbackGuard } from '../payments/callback-guard';
import { storedCallbackToken } from '../payments/daraja';
import type { PaymentsService } from '../payments/payments.service';
import type { CustomerNotices } from '../notices/customer-notices';
import type { EventBus } from '../shared/events';
import { ussdPorts } from '../ussd/ussd-ports';
import { startSmsGateway, type SmsGateway } from './africastalking';
import { SmsOutbox } from './sms-outbox';
import { smsRoutes } from './sms.routes';
import { SmsService } from './sms.service';

export interface SmsModuleDeps {
  config: Config;
  db: Db;
  bus: EventBus;
  logger: Logger;
  payments: PaymentsService;
  adjustments: AdjustmentsService;
  /** the customer notices, to which SMS adds itself as a channel */
  notices: CustomerNotices;
  /** Base of the URLs Africa's Talking calls back: PUBLIC_URL, else the server's own URL once listening. */
  publicUrl: () => string;
}

export interface SmsModule {
  outbox: SmsOutbox;
  service: SmsService;
  routes: FastifyPluginAsyncZod;
  /** the gateway, made by `afterListen()` (the emulator needs our callback URLs) */
  gateway(): SmsGateway | null;
  /** Our URLs, secret included: never log them. */
  urls(): { ussd: string; delivery: string };
  /** Queues a password-reset code to the account's phone in the caller's transaction (SMS on only). */
  queueResetCode(tx: Transaction, r: ResetSms): Promise<void>;
  /** Starts the gateway (or emulator) and the sender; call once the HTTP server listens. */
  afterListen(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires SMS and USSD (issue 18, docs/sms-ussd.md): listeners queue messages in the outbox, every
 * instance sends what is due (claims use SKIP LOCKED, so no two send the same row), Africa's
 * Talking's callbacks store delivery reports and answer USSD.
 */
export async function startSms(deps: SmsModuleDeps): Promise<SmsModule> {
  const { config, db } = deps;
  const log = deps.logger.child({ part: 'sms' });
  const token = await storedCallbackToken(db, 'at_callback_token', config.AT_CALLBACK_TOKEN);
  const urls = () => {
    const base = deps.publicUrl().replace(/\/+$/, '');
    return {
      ussd: `${base}/africastalking/ussd/${token}`,
      delivery: `${base}/africastalking/delivery/${token}`,
    };
  };
  let gateway: SmsGateway | null = null;
  const outbox = new SmsOutbox({
    db,
    sender: {
      sendSms: (to, message) => {
        if (gateway?.sender == null) throw new Error('the SMS gateway is not started');
        return gateway.sender.sendSms(to, message);
      },
    },
    logger: log,
    paybill: config.DARAJA_SHORTCODE,
    quietHours: config.SMS_QUIET_HOURS,
    backoffBaseMs: config.SMS_RETRY_BASE_MS,
    backoffMaxMs: config.SMS_RETRY_MAX_MS,
    maxPerSecond: config.SMS_SEND_MAX_PER_S,
  });
  const on = config.mode.sms !== 'off';
  let kick: NodeJS.Timeout | null = null;
  const sendSoon = () => {
    // Send soon after something is queued rather than at the next tick; one pass for a burst.
    if (kick !== null || gateway === null) return;
    kick = setTimeout(() => {
      kick = null;
      outbox.drain().catch((err: unknown) => log.error({ err }, 'SMS outbox drain failed'));
    }, 20);
    kick.unref();
  };
  // With SMS off nothing is queued: a message held for a gateway that is not coming would only pile up.
  if (on) {
    deps.notices.addChannel(async (notices) => {
      const withPhone = notices.flatMap((n) => (n.phone === null ? [] : [{ ...n, phone: n.phone }]));
      if (withPhone.length > 0 && (await outbox.enqueueMany(db, withPhone)) > 0) sendSoon();
    }, deps.bus);
  }
  const service = new SmsService(db, outbox, config.mode.sms);
  const routes = smsRoutes({
    service,
    outbox,
    guard: new CallbackGuard(token, config.AT_CALLBACK_ALLOWLIST),
    ussd: on ? ussdPorts({ db, payments: deps.payments, adjustments: deps.adjustments, logger: log }) : null,
  });
  return {
    outbox,
    service,
    routes,
    gateway: () => gateway,
    urls,
    async queueResetCode(tx, r) {
      if (!on) return;
      const queued = await outbox.enqueue(tx, {
        dedupeKey: `password_reset:${r.userId}:${r.requestId}`,
        userId: r.userId,
        meterNo: null,
        phone: r.phone,
        lang: smsLanguage(r.locale),
        message: { kind: 'password_reset', code: r.code, validMinutes: AUTH_LIMITS.resetCodeTtlS / 60 },
      });
      if (queued) tx.afterCommit(sendSoon);
    },
    async afterListen() {
      gateway = await startSmsGateway(config, deps.logger, urls());
      if (gateway.sender !== null) outbox.start(config.SMS_SEND_INTERVAL_MS);
    },
    async close() {
      if (kick) clearTimeout(kick);
      await deps.notices.idle();
      await outbox.stop();
      await gateway?.close();
    },
  };
}
