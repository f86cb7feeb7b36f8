import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import { DARAJA_FORBIDDEN_URL_WORDS, type Config } from '../config';
import type { CreditService } from '../credit/credit.service';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { CallbackGuard } from './callback-guard';
import { C2bService } from './c2b.service';
import { OrphansService } from './orphans.service';
import { callbackToken, startDaraja, type DarajaHandle } from './daraja';
import { paymentsRoutes } from './payments.routes';
import { PaymentsService } from './payments.service';
import { PaymentReconciler } from './reconciliation';
import { runOnce, type JobLeases } from '../jobs/job-leases';

export interface PaymentsModuleDeps {
  config: Config;
  db: Db;
  credit: CreditService;
  alerts: AlertsService;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  /** Base of the URLs Daraja calls back: PUBLIC_URL, else the server's own HTTP URL once listening. */
  publicUrl: () => string;
  republish: (meterNo: string) => void;
  /** runs reconciliation on one live instance at a time (issue 16 §2) */
  jobs: Pick<JobLeases, 'add'>;
}

export interface PaymentsModule {
  service: PaymentsService;
  c2b: C2bService;
  orphans: OrphansService;
  reconciler: PaymentReconciler;
  daraja: DarajaHandle;
  routes: FastifyPluginAsyncZod;
  /** Our URLs, secret included: never log them. */
  urls(): { stkCallback: string; c2bValidation: string; c2bConfirmation: string };
  /** Registers the C2B URLs and starts reconciliation; call once the HTTP server listens. */
  afterListen(): Promise<void>;
  close(): Promise<void>;
}

/** A prompt is queried this long after it became overdue: the query then finds it overdue. */
const PROMPT_QUERY_SLACK_MS = 500;

/** Wires the payments capability (docs/design.md §7): Daraja or its emulator, services, routes, reconciliation. */
export async function startPayments(deps: PaymentsModuleDeps): Promise<PaymentsModule> {
  const { config, db, logger } = deps;
  const log = logger.child({ part: 'payments' });
  const token = await callbackToken(db, config);
  const daraja = await startDaraja(config, logger, db);
  if (daraja.emulator === null && config.PUBLIC_URL === undefined) {
    log.warn('DARAJA_CONSUMER_KEY is set but PUBLIC_URL is not: Safaricom cannot reach the callback URLs');
  }
  const urls = () => {
    const base = deps.publicUrl().replace(/\/+$/, '');
    return {
      stkCallback: `${base}/daraja/callback/${token}`,
      c2bValidation: `${base}/daraja/c2b/validation?t=${token}`,
      c2bConfirmation: `${base}/daraja/c2b/confirmation?t=${token}`,
    };
  };
  const service = new PaymentsService({
    db,
    credit: deps.credit,
    alerts: deps.alerts,
    bus: deps.bus,
    metrics: deps.metrics,
    logger: log,
    daraja: daraja.client,
    config: {
      verifyWithQuery: config.DARAJA_VERIFY_WITH_QUERY,
      maxPushesPerPhone: config.STK_PUSH_MAX_PER_PHONE,
      maxPushesPerMeter: config.STK_PUSH_MAX_PER_METER,
      maxPushesPerOtherPhone: config.STK_PUSH_MAX_PER_OTHER_PHONE,
      maxPendingPerPhone: config.STK_PUSH_MAX_PENDING_PER_PHONE,
      maxPushKes: config.STK_PUSH_MAX_KES,
      pushWindowS: config.STK_PUSH_WINDOW_S,
      // PGlite runs one transaction at a time: batching would only queue behind it.
      settleSingleMax: db.kind === 'pglite' ? Number.MAX_SAFE_INTEGER : config.PAYMENT_SETTLE_SINGLE_MAX,
      settleBatchMax: config.PAYMENT_SETTLE_BATCH_MAX,
      settleConcurrency: config.PAYMENT_SETTLE_CONCURRENCY,
    },
    callbackUrl: () => urls().stkCallback,
    republish: deps.republish,
  });
  const c2b = new C2bService(db, deps.credit, deps.metrics, log);
  const orphans = new OrphansService(db, deps.credit, log, deps.bus);
  const reconciler = new PaymentReconciler(
    service,
    {
      intervalS: config.RECONCILE_INTERVAL_S,
      pendingTimeoutS: config.PAYMENT_PENDING_TIMEOUT_S,
      expireS: config.PAYMENT_EXPIRE_S,
    },
    log,
  );
  const guard = new CallbackGuard(token, config.DARAJA_CALLBACK_ALLOWLIST);
  const queryWhenOverdue = () =>
    reconciler.wakeAfter(config.PAYMENT_PENDING_TIMEOUT_S * 1000 + PROMPT_QUERY_SLACK_MS);
  if (config.PAYMENT_PROMPT_WAKEUPS) deps.bus.on('payment_prompted', queryWhenOverdue);

  return {
    service,
    c2b,
    orphans,
    reconciler,
    daraja: { client: daraja.client, emulator: daraja.emulator, emulatorUrl: daraja.emulatorUrl },
    routes: paymentsRoutes({ payments: service, c2b, orphans, guard }),
    urls,
    async afterListen() {
      if (daraja.emulator !== null || config.DARAJA_C2B_REGISTER) {
        const { c2bValidation, c2bConfirmation } = urls();
        if (DARAJA_FORBIDDEN_URL_WORDS.test(c2bValidation.split('?')[0] ?? '')) {
          log.warn('the public URL contains a word Daraja refuses in C2B URLs; registration will fail');
        }
        try {
          await daraja.client.registerC2bUrls({
            validationUrl: c2bValidation,
            confirmationUrl: c2bConfirmation,
            responseType: 'Completed',
          });
          log.info({ emulator: daraja.emulator !== null }, 'paybill URLs registered');
        } catch (err) {
          // Payments by STK push still work; paybill waits for a later registration.
          log.error(
            { err: err instanceof Error ? err.message : String(err) },
            'paybill URL registration failed',
          );
        }
      }
      deps.jobs.add(runOnce('payment-reconciliation', reconciler));
    },
    async close() {
      deps.bus.off('payment_prompted', queryWhenOverdue);
      await reconciler.stop();
      await service.close();
      await daraja.close();
    },
  };
}
