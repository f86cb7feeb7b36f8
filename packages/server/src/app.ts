import type { Agent as HttpsAgent } from 'node:https';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AlertsService } from './alerts/alerts.service';
import { apiDocsRoutes } from './api-docs/api-docs.routes';
import { startAuth } from './auth/auth.module';
import type { AuthService } from './auth/auth.service';
import type { Notifier } from './auth/notifier';
import type { TokenService } from './auth/tokens';
import type { Config } from './config';
import { consumptionRoutes } from './consumption/consumption.routes';
import { ConsumptionService } from './consumption/consumption.service';
import { creditRoutes } from './credit/credit.routes';
import { CreditService } from './credit/credit.service';
import { tariffPricing, type Pricing } from './credit/pricing';
import { tariffsRoutes } from './tariffs/tariffs.routes';
import { TariffsService, flatTariff } from './tariffs/tariffs.service';
import type { Db } from './db/db';
import { migrate } from './db/migrate';
import { openPglite } from './db/pglite';
import { openPostgres } from './db/postgres';
import { healthRoutes } from './health/health.routes';
import { JobLeases } from './jobs/job-leases';
import { startMetricsListener } from './health/metrics-listener';
import { closeHttp, createHttpServer, listenHttp } from './http-server';
import { createIngest } from './ingest/ingest.module';
import type { IngestService } from './ingest/ingest.service';
import { DeviceCredentials } from './meters/device-credentials';
import type { MeterReportsService } from './meters/meter-reports.service';
import { meterClaimsRoutes } from './meter-claims/meter-claims.routes';
import { MeterClaimsService } from './meter-claims/meter-claims.service';
import { metersRoutes } from './meters/meters.routes';
import { MetersService } from './meters/meters.service';
import { authHookRoutes } from './mqtt/auth-hook.routes';
import type { EmbeddedBroker } from './mqtt/broker';
import type { DynsecAccounts } from './mqtt/broker-accounts';
import { CommandPublisher } from './mqtt/command-publisher';
import { startMqtt } from './mqtt/mqtt.module';
import type { ServerMqttClient } from './mqtt/server-client';
import { createOperator, type OperatorServices } from './operator/operator.module';
import type { DarajaHandle } from './payments/daraja';
import { startPayments, type PaymentsModule } from './payments/payments.module';
import { CustomerNotices } from './notices/customer-notices';
import { startPush } from './push/push.module';
import type { PushService } from './push/push.service';
import { startSms, type SmsModule } from './sms/sms.module';
import type { RealtimeGateway } from './realtime/realtime.gateway';
import { startRealtime } from './realtime/realtime.module';
import { EventBus } from './shared/events';
import { createMetrics, type Metrics } from './shared/metrics';
import type { RouteRecord } from './shared/route-table';
import { StartupError } from './shared/startup';
import { topupsRoutes } from './topups/topups.routes';
import { TopupsService } from './topups/topups.service';
import { transactionsRoutes } from './transactions/transactions.routes';
import { TransactionsService } from './transactions/transactions.service';
import { webRoutes } from './web/web.routes';

export { HTTP_BODY_LIMIT_BYTES } from './http-server';
export { StartupError } from './shared/startup';

export interface Services {
  db: Db;
  auth: AuthService;
  tokens: TokenService;
  /** delivers registration codes; the development one keeps recent notices for tests */
  notifier: Notifier;
  meters: MetersService;
  credit: CreditService;
  ingest: IngestService;
  reports: MeterReportsService;
  alerts: AlertsService;
  devices: DeviceCredentials;
  publisher: CommandPublisher;
  /** the operator console (issue 5) */
  operator: OperatorServices;
  payments: PaymentsModule;
  /** SMS outbox, USSD and Africa's Talking (issue 18) */
  sms: SmsModule;
  topups: TopupsService;
  /** which run-once jobs (reconciliation, sweeps, forecasts) this instance runs (issue 16 §2) */
  jobs: JobLeases;
  /** web push to customers' browsers (issue 18 §4) */
  push: PushService;
  /** the tariff versions operators set, and the one in force (issue 17 item 2) */
  tariffs: TariffsService;
  /** what customers are told, by SMS and web push; `idle()` waits for notices under way */
  notices: CustomerNotices;
}

export interface UmemeApp {
  readonly config: Config;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  /** These five throw until `start()` has made them. */
  readonly services: Services;
  readonly http: FastifyInstance;
  readonly mqtt: ServerMqttClient;
  broker: EmbeddedBroker | null;
  /** the external broker's accounts, when the server manages them (MQTT_DYNSEC) */
  brokerAccounts: DynsecAccounts | null;
  /** the browser realtime gateway, attached once listening */
  readonly realtime: RealtimeGateway;
  /** Safaricom's Daraja, or the built-in emulator when `config.mode.payments` says so */
  readonly daraja: DarajaHandle;
  /** every HTTP route, as registered: the security tests are generated from it */
  readonly routes: RouteRecord[];
  httpUrl: string;
  mqttUrl: string;
  /** the metrics listener (METRICS_PORT), or null */
  metricsUrl: string | null;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  pricing?: Pricing;
  /** wall clock of the friendly-hours scheduler (epoch ms); tests may move it */
  clock?: () => number;
  /** the HTTPS agent web push uses (tests: one that trusts their push service's CA) */
  pushAgent?: HttpsAgent;
  /** an in-memory PGlite starts from this dump (tests: `migratedPgliteDump`, made once per run) */
  pgliteFrom?: Blob;
}

/** What `start()` makes; the app's getters read it. */
interface Started {
  services: Services;
  http: FastifyInstance;
  mqtt: ServerMqttClient;
  realtime: RealtimeGateway;
  daraja: DarajaHandle;
}

/** Builds the app; opens nothing until `start()`, which composes the modules in order. */
export function buildApp(config: Config, opts: BuildOptions = {}): UmemeApp {
  const logger =
    opts.logger ??
    pino({
      level: config.LOG_LEVEL,
      ...(config.LOG_FORMAT === 'pretty'
        ? {
            transport: {
              target: 'pino-pretty',
              options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' },
            },
          }
        : {}),
      redact: {
        paths: [
          'req.headers.authorization',
          '*.password',
          '*.secret',
          '*.mqttPassword',
          '*.token',
          '*.keys',
          '*.privateKey',
          'password',
        ],
        censor: '[redacted]',
      },
    });
  const bus = new EventBus();
  bus.setMaxListeners(50);
  const metrics = createMetrics();
  /** Shutdown steps, last started first. */
  const closers: { part: string; close: () => Promise<void> }[] = [];
  const onClose = (part: string, close: () => Promise<void>) => closers.unshift({ part, close });
  const started: Partial<Started> = {};
  const made = <K extends keyof Started>(part: K): Started[K] => {
    const value = started[part];
    if (value === undefined) throw new Error(`app.${part} is made by start(), which has not got that far`);
    return value;
  };

  const app: UmemeApp = {
    config,
    logger,
    bus,
    metrics,
    get services() {
      return made('services');
    },
    get http() {
      return made('http');
    },
    get mqtt() {
      return made('mqtt');
    },
    get realtime() {
      return made('realtime');
    },
    get daraja() {
      return made('daraja');
    },
    broker: null,
    brokerAccounts: null,
    routes: [],
    httpUrl: '',
    mqttUrl: '',
    metricsUrl: null,
    async start() {
      const db = await openDatabase(config, opts.pgliteFrom);
      onClose('database', () => db.close());
      const applied = await migrate(db);
      if (applied.length) logger.info({ applied }, 'database migrated');

      const auth = await startAuth({ config, db, bus, logger });
      const alerts = new AlertsService(bus, metrics);
      const devices = new DeviceCredentials(db);
      const meters = new MetersService(db, devices, bus);
      const tariffs = new TariffsService(
        db,
        flatTariff(config.TARIFF_KES_PER_KWH),
        logger.child({ part: 'tariffs' }),
      );
      await tariffs.start();
      onClose('tariffs', async () => tariffs.stop());
      const credit = new CreditService(
        db,
        bus,
        alerts,
        opts.pricing ?? tariffPricing(() => tariffs.all()),
        metrics,
        logger,
      );
      const ingest = createIngest({ config, db, bus, alerts, metrics, logger });

      const mqttParts = await startMqtt({
        config,
        db,
        bus,
        devices,
        metrics,
        logger,
        onClose,
        backpressure: () => ingest.service.backpressure(),
        markOffline: (meterNo) => ingest.reports.applyStatus(meterNo, { meterNo, status: 'offline' }),
      });
      app.broker = mqttParts.broker;
      app.brokerAccounts = mqttParts.brokerAccounts;
      if (mqttParts.brokerAccounts) meters.useBrokerAccounts(mqttParts.brokerAccounts);
      app.mqttUrl = mqttParts.url;
      const mqtt = mqttParts.client;
      mqtt.onMessage((topic, payload) => ingest.router.route(topic, payload));
      started.mqtt = mqtt;
      const publisher = new CommandPublisher(db, mqtt, bus, metrics, logger.child({ part: 'commands' }));

      // Run-once jobs run on one live instance at a time (issue 16 §2).
      const jobs = new JobLeases({
        databaseUrl: config.DATABASE_URL ?? null,
        instanceId: config.INSTANCE_ID,
        logger: logger.child({ part: 'jobs' }),
        registry: metrics.registry,
      });
      const operator = createOperator({
        jobs,
        config,
        db,
        bus,
        alerts,
        meters,
        transport: mqtt,
        logger,
        onClose,
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
      meters.useFriendlyHours(() => operator.services.friendlyHours.status().active);
      const payments = await startPayments({
        config,
        db,
        credit,
        alerts,
        bus,
        metrics,
        logger,
        publicUrl: () => config.PUBLIC_URL ?? app.httpUrl,
        republish: (meterNo) => publisher.schedule(meterNo, null),
        jobs,
      });
      onClose('payments', () => payments.close());
      started.daraja = payments.daraja;
      const topups = new TopupsService(db, credit, bus);
      // What customers are told (receipts, low balance, power off and on…), by SMS and web push.
      const notices = new CustomerNotices(db, logger.child({ part: 'notices' }));
      onClose('notices', () => notices.idle());
      const push = await startPush({
        config,
        db,
        bus,
        metrics,
        logger,
        notices,
        ...(opts.pushAgent ? { agent: opts.pushAgent } : {}),
      });
      const sms = await startSms({
        config,
        db,
        bus,
        logger,
        payments: payments.service,
        adjustments: operator.services.adjustments,
        notices,
        publicUrl: () => config.PUBLIC_URL ?? app.httpUrl,
      });
      onClose('sms', () => sms.close());
      auth.reset.sendSms = (q, r) => sms.queueResetCode(q, r);
      started.services = {
        db,
        auth: auth.auth,
        tokens: auth.tokens,
        notifier: auth.notifier,
        meters,
        credit,
        ingest: ingest.service,
        reports: ingest.reports,
        alerts,
        devices,
        publisher,
        payments,
        sms,
        topups,
        operator: operator.services,
        jobs,
        push: push.service,
        notices,
        tariffs,
      };
      await mqtt.connect();
      onClose('ingest and mqtt client', async () => {
        await mqtt.leave();
        await ingest.close().catch(() => {});
        await mqtt.close(true);
      });
      await operator.startFriendlyHours();
      await jobs.start();
      onClose('job leases', () => jobs.close());
      // The broker may have lost retained credit limits (restart): the server owns C.
      const republished = await publisher.republishAll();
      logger.info({ meters: republished }, 'credit limits published');

      const http = await createHttpServer(config, logger, auth.sessions, app.routes);
      await http.register(
        healthRoutes({
          db,
          mqttConnected: () => mqtt.connected,
          metrics,
          ingestPending: () => ingest.service.pending,
          mode: config.mode,
          metricsToken: config.METRICS_TOKEN ?? null,
        }),
      );
      await http.register(auth.routes);
      await http.register(metersRoutes(meters, ingest.reports, devices));
      await http.register(meterClaimsRoutes(new MeterClaimsService(db, bus)));
      if (config.MQTT_AUTH_HOOK_SECRET) {
        await http.register(
          authHookRoutes({
            secret: config.MQTT_AUTH_HOOK_SECRET,
            serverUsername: config.MQTT_SERVER_USERNAME,
            serverPassword: config.MQTT_SERVER_PASSWORD,
            devices,
            metrics,
          }),
        );
      }
      // The demo top-up credits without payment: the demo only (404 everywhere else).
      await http.register(creditRoutes(credit, config.mode.demo));
      await http.register(transactionsRoutes(new TransactionsService(db)));
      await http.register(consumptionRoutes(new ConsumptionService(db)));
      await http.register(payments.routes);
      await http.register(topupsRoutes(topups));
      await http.register(push.routes);
      await http.register(operator.routes);
      await http.register(tariffsRoutes(tariffs));
      await http.register(sms.routes);
      await http.register(apiDocsRoutes);
      await http.register(
        webRoutes({
          mode: config.mode,
          virtualPhoneUrl: () =>
            payments.daraja.emulatorUrl === null ? null : `${payments.daraja.emulatorUrl}/emulator/phone`,
          smsPhoneUrl: () => {
            const url = sms.gateway()?.emulatorUrl;
            return url == null ? null : `${url}/emulator/phone`;
          },
          friendlyHours: () => operator.services.friendlyHours.status(),
          stkMaxKes: config.STK_PUSH_MAX_KES,
        }),
      );
      started.http = http;
      onClose('http', () => closeHttp(http, config));
      app.httpUrl = await listenHttp(http, config);
      if (config.METRICS_PORT !== undefined) {
        const metricsPort = config.METRICS_PORT;
        const listener = await startMetricsListener({
          host: config.METRICS_HOST,
          port: metricsPort,
          registry: metrics.registry,
          token: config.METRICS_TOKEN ?? null,
          logger,
        }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') {
            throw new StartupError(
              `Metrics port ${metricsPort} is already in use. Set METRICS_PORT to a free port.`,
            );
          }
          throw err;
        });
        onClose('metrics listener', () => listener.close());
        app.metricsUrl = listener.url;
      }
      const realtime = await startRealtime({
        config,
        httpServer: http.server,
        sessions: auth.sessions,
        db,
        bus,
        metrics,
        logger,
        onClose,
        friendlyHoursNow: () => operator.services.friendlyHours.status().active,
      });
      started.realtime = realtime;
      operator.attachFleetLive(realtime.nsp);
      await payments.afterListen();
      await sms.afterListen();
      logger.info(
        { http: app.httpUrl, mqtt: app.mqttUrl, database: db.kind, mode: config.mode },
        `umeme started in ${config.mode.name} mode`,
      );
    },
    async close() {
      // Each step is bounded: one part that hangs (a peer that never answers) must not keep the
      // rest, the database last of all, from closing.
      for (const { part, close } of closers.splice(0)) {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          close().then(
            () => 'closed' as const,
            (err: unknown) => {
              logger.warn({ err, part }, 'error while closing');
              return 'failed' as const;
            },
          ),
          new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), config.SHUTDOWN_STEP_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        if (outcome === 'timeout') logger.error({ part }, 'shutdown step did not finish in time; going on');
        else if (Date.now() - started > config.SHUTDOWN_STEP_TIMEOUT_MS / 3)
          logger.warn({ part, ms: Date.now() - started }, 'slow shutdown step');
      }
    },
  };
  return app;
}

function openDatabase(config: Config, pgliteFrom: Blob | undefined): Promise<Db> {
  return config.DATABASE_URL
    ? openPostgres({ url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE, statementTimeoutMs: 30_000 })
    : openPglite(
        config.DATA_DIR === ':memory:' ? null : config.DATA_DIR,
        pgliteFrom ? { from: pgliteFrom } : {},
      );
}
