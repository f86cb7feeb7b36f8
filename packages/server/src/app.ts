import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { serverSubscriptions } from '@umeme/protocol';
import { connectAsync as mqttConnectAsync } from 'mqtt';
import pino, { type Logger } from 'pino';
import { AlertsService } from './alerts/alerts.service';
import { adjustmentsRoutes } from './adjustments/adjustments.routes';
import { AdjustmentsService } from './adjustments/adjustments.service';
import { adminRoutes } from './admin/admin.routes';
import { AdminService } from './admin/admin.service';
import { FleetLive } from './admin/fleet-live';
import { OperatorAlertsService } from './admin/operator-alerts.service';
import { authRoutes } from './auth/auth.routes';
import { AuthService } from './auth/auth.service';
import { LoginBackoff } from './auth/login-backoff';
import { LogNotifier, NoNotifier, type Notifier } from './auth/notifier';
import { SessionGuard } from './auth/sessions';
import { TokenService } from './auth/tokens';
import type { Config } from './config';
import { creditRoutes } from './credit/credit.routes';
import { CreditService } from './credit/credit.service';
import { tariffPricing, type Pricing } from './credit/pricing';
import type { Db } from './db/db';
import { migrate } from './db/migrate';
import { openPglite } from './db/pglite';
import { openPostgres } from './db/postgres';
import { consumptionRoutes } from './consumption/consumption.routes';
import { LowBalanceForecastService } from './forecast/low-balance-forecast.service';
import { friendlyHoursRoutes } from './friendly-hours/friendly-hours.routes';
import { FriendlyHoursService } from './friendly-hours/friendly-hours.service';
import { ConsumptionService } from './consumption/consumption.service';
import { healthRoutes } from './health/health.routes';
import { startMetricsListener } from './health/metrics-listener';
import { IngestService } from './ingest/ingest.service';
import { DeviceCredentials } from './meters/device-credentials';
import { MeterReportsService } from './meters/meter-reports.service';
import { metersRoutes } from './meters/meters.routes';
import { MetersService } from './meters/meters.service';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/broker';
import { authHookRoutes } from './mqtt/auth-hook.routes';
import { DynsecAccounts } from './mqtt/broker-accounts';
import { DynsecControl } from './mqtt/dynsec';
import { commandsRoutes } from './commands/commands.routes';
import { CommandsService } from './commands/commands.service';
import { CommandPublisher } from './mqtt/command-publisher';
import { MessageRouter } from './mqtt/message-router';
import { ServerMqttClient } from './mqtt/server-client';
import { deathNoticeFilter } from './mqtt/session-handover';
import type { DarajaHandle } from './payments/daraja';
import { startPayments, type PaymentsModule } from './payments/payments.module';
import { RealtimeGateway } from './realtime/realtime.gateway';
import { EventBus } from './shared/events';
import { registerAuthHook, registerErrorHandlers } from './shared/http';
import { createMetrics, type Metrics } from './shared/metrics';
import { limitNotFound } from './shared/not-found-limit';
import { GLOBAL_RATE_LIMIT, limitKey } from './shared/rate-limits';
import { recordRoutes, type RouteRecord } from './shared/route-table';
import { registerHoldsRoutes } from './register-holds/register-holds.routes';
import { RegisterHoldsService } from './register-holds/register-holds.service';
import { registerSecurityHeaders } from './shared/security-headers';
import { fastifyTrustProxy } from './shared/trust-proxy';
import { reportsRoutes } from './reports/reports.routes';
import { ReportsService } from './reports/reports.service';
import { topupsRoutes } from './topups/topups.routes';
import { TopupsService } from './topups/topups.service';
import { transactionsRoutes } from './transactions/transactions.routes';
import { TransactionsService } from './transactions/transactions.service';
import { webRoutes } from './web/web.routes';

/** Largest accepted HTTP body. */
export const HTTP_BODY_LIMIT_BYTES = 64 * 1024;

export class StartupError extends Error {}

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
  operator: {
    admin: AdminService;
    commands: CommandsService;
    adjustments: AdjustmentsService;
    alerts: OperatorAlertsService;
    reports: ReportsService;
    /** nights, Sundays and holidays when the load is never cut (issue 5 §4) */
    friendlyHours: FriendlyHoursService;
    /** "about N hours of credit left" notices (issue 5 §6) */
    forecast: LowBalanceForecastService;
    /** decisions on implausible register jumps held by ingest (MQ-13) */
    registerHolds: RegisterHoldsService;
  };
  payments: PaymentsModule;
  topups: TopupsService;
}

export interface UmemeApp {
  readonly config: Config;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  /** Set once started. */
  services: Services;
  http: FastifyInstance;
  mqtt: ServerMqttClient;
  broker: EmbeddedBroker | null;
  /** the external broker's accounts, when the server manages them (MQTT_DYNSEC) */
  brokerAccounts: DynsecAccounts | null;
  /** the browser realtime gateway, attached once listening */
  realtime: RealtimeGateway;
  /** Safaricom's Daraja, or the built-in emulator when `config.mode.payments` says so */
  daraja: DarajaHandle;
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
}

/** Builds the app; opens nothing until `start()`. */
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

  const app: UmemeApp = {
    config,
    logger,
    bus,
    metrics,
    services: undefined as unknown as Services,
    http: undefined as unknown as FastifyInstance,
    mqtt: undefined as unknown as ServerMqttClient,
    broker: null,
    brokerAccounts: null,
    realtime: undefined as unknown as RealtimeGateway,
    daraja: undefined as unknown as DarajaHandle,
    routes: [],
    httpUrl: '',
    mqttUrl: '',
    metricsUrl: null,
    async start() {
      const db = config.DATABASE_URL
        ? await openPostgres({
            url: config.DATABASE_URL,
            poolSize: config.DB_POOL_SIZE,
            statementTimeoutMs: 30_000,
          })
        : await openPglite(config.DATA_DIR === ':memory:' ? null : config.DATA_DIR);
      onClose('database', () => db.close());
      const applied = await migrate(db);
      if (applied.length) logger.info({ applied }, 'database migrated');

      const jwtSecret = config.JWT_SECRET ?? (await persistentSecret(db, 'jwt_secret'));
      const tokens = new TokenService(jwtSecret, config.JWT_TTL_S);
      const sessions = new SessionGuard(db, tokens, bus, config.mode.demo);
      const notifier: Notifier =
        config.NOTIFIER === 'log' ? new LogNotifier(logger.child({ part: 'notifier' })) : new NoNotifier();
      const auth = new AuthService(
        db,
        tokens,
        bus,
        new LoginBackoff(db, {
          afterFailures: config.LOGIN_BACKOFF_AFTER_FAILURES,
          baseS: config.LOGIN_BACKOFF_BASE_S,
          maxS: config.LOGIN_BACKOFF_MAX_S,
        }),
        notifier,
        config.mode.demo,
      );
      auth.onDeliveryFailed = (err) => logger.error({ err }, 'a registration message was not delivered');
      await closeDemoAccounts(auth, config, logger);
      const alerts = new AlertsService(bus, metrics);
      const devices = new DeviceCredentials(db);
      const meters = new MetersService(db, devices, bus);
      const credit = new CreditService(db, bus, alerts, opts.pricing ?? tariffPricing(), metrics, logger);
      const ingest = new IngestService(db, bus, alerts, metrics, logger, {
        maxBatch: config.INGEST_BATCH_MAX,
        maxDelayMs: config.INGEST_BATCH_DELAY_MS,
        // PGlite is one connection: batches queue behind each other anyway
        concurrency: db.kind === 'postgres' ? config.INGEST_CONCURRENCY : 1,
        highWater: config.INGEST_QUEUE_HIGH_WATER,
        defaultRatedPowerW: config.METER_RATED_POWER_DEFAULT_W,
        registerGraceMs: config.REGISTER_JUMP_GRACE_S * 1000,
      });
      const reports = new MeterReportsService(db, alerts, bus, logger);
      const router = new MessageRouter(ingest, reports, metrics, logger);

      if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
        const email = config.ADMIN_EMAIL.toLowerCase();
        const admin = await auth.bootstrapAdmin({
          email,
          password: config.ADMIN_PASSWORD,
          name: 'Administrator',
        });
        if (admin.created) logger.info({ email }, 'operator account created from ADMIN_EMAIL');
        else if (admin.role !== 'admin' || admin.demo)
          logger.warn(
            { email, role: admin.role, demo: admin.demo },
            'ADMIN_EMAIL names an existing account that is not a usable operator; it is left as it is',
          );
      }

      // MQTT: the embedded broker, or an external one; the server always connects over TCP.
      let mqttUrl: string;
      let serverMqttUrl: string | null = null;
      let username = config.MQTT_SERVER_USERNAME;
      let password = config.MQTT_SERVER_PASSWORD ?? '';
      if (config.embeddedBroker) {
        password = config.MQTT_SERVER_PASSWORD ?? randomBytes(24).toString('base64url');
        const broker = await startEmbeddedBroker({
          host: config.MQTT_HOST,
          port: config.MQTT_PORT,
          plain: config.MQTT_PLAIN,
          tls: config.MQTT_TLS_CERT
            ? {
                port: config.MQTT_TLS_PORT ?? 8883,
                cert: readPem('MQTT_TLS_CERT', config.MQTT_TLS_CERT),
                key: readPem('MQTT_TLS_KEY', config.MQTT_TLS_KEY!),
                ...(config.MQTT_TLS_CA ? { ca: readPem('MQTT_TLS_CA', config.MQTT_TLS_CA) } : {}),
              }
            : null,
          serverUsername: username,
          serverPassword: password,
          devices,
          gate: { whenOpen: () => ingest.backpressure() },
          metrics,
          logger: logger.child({ part: 'broker' }),
        }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') {
            throw new StartupError(
              `MQTT port ${config.MQTT_PORT}${config.MQTT_TLS_CERT ? ` or TLS port ${config.MQTT_TLS_PORT ?? 8883}` : ''} is already in use (another broker?). Set MQTT_PORT (MQTT_TLS_PORT) to a free port, or MQTT_URL to use that broker.`,
            );
          }
          throw err;
        });
        onClose('broker', () => broker.close());
        app.broker = broker;
        // A rotated or revoked secret ends the session it opened, not just the next login.
        bus.on('device_credentials_changed', (e) => {
          if (broker.disconnectMeter(e.meterNo)) {
            logger.info({ meterNo: e.meterNo, change: e.change }, 'meter session ended: secret changed');
          }
        });
        const host = config.MQTT_HOST === '0.0.0.0' ? '127.0.0.1' : config.MQTT_HOST;
        // app.mqttUrl is where meters connect; the server itself uses broker.serverUrl.
        mqttUrl =
          broker.port !== null ? `mqtt://${host}:${broker.port}` : `mqtts://${host}:${broker.tlsPort}`;
        serverMqttUrl = broker.serverUrl;
      } else {
        const url = new URL(config.MQTT_URL!);
        if (url.username) username = decodeURIComponent(url.username);
        if (url.password) password = decodeURIComponent(url.password);
        url.username = '';
        url.password = '';
        mqttUrl = url.toString().replace(/\/$/, '');
        if (config.MQTT_DYNSEC) {
          // MQTT_URL holds the dynsec admin account: it manages the accounts; ingest and
          // commands use the server's own, narrower account.
          const accounts = await manageBrokerAccounts(
            config,
            db,
            mqttUrl,
            { username, password },
            {
              metrics,
              logger,
              onClose,
            },
          );
          meters.useBrokerAccounts(accounts.accounts);
          app.brokerAccounts = accounts.accounts;
          username = accounts.username;
          password = accounts.password;
          // Mosquitto ends a disabled or re-keyed client's session without its Last Will.
          bus.on('device_credentials_changed', (e) => {
            void reports
              .applyStatus(e.meterNo, { meterNo: e.meterNo, status: 'offline' })
              .catch((err: unknown) => {
                logger.warn({ err, meterNo: e.meterNo }, 'marking a re-keyed meter offline failed');
              });
          });
        }
      }
      app.mqttUrl = mqttUrl;
      const brokerCa =
        !config.embeddedBroker && config.MQTT_TLS_CA ? readPem('MQTT_TLS_CA', config.MQTT_TLS_CA) : undefined;
      const mqtt = new ServerMqttClient({
        url: serverMqttUrl ?? mqttUrl,
        ...(brokerCa ? { ca: brokerCa } : {}),
        username,
        password,
        clientId: `${config.DEPLOYMENT_NAME}-server-${config.embeddedBroker ? 'embedded' : config.INSTANCE_ID}`,
        subscriptions: serverSubscriptions(!config.embeddedBroker, config.DEPLOYMENT_NAME),
        protocolVersion: config.embeddedBroker ? 4 : 5,
        logger: logger.child({ part: 'mqtt' }),
        backpressure: () => ingest.backpressure(),
        ...(config.embeddedBroker ? {} : { handoverGroup: config.DEPLOYMENT_NAME }),
      });
      mqtt.onMessage((topic, payload) => router.route(topic, payload));
      const publisher = new CommandPublisher(db, mqtt, bus, metrics, logger.child({ part: 'commands' }));
      const commands = new CommandsService(
        db,
        mqtt,
        bus,
        alerts,
        logger.child({ part: 'operator-commands' }),
      );
      const operator = {
        admin: new AdminService(db, bus),
        commands,
        adjustments: new AdjustmentsService(db, bus, alerts, logger.child({ part: 'adjustments' })),
        alerts: new OperatorAlertsService(db, bus, alerts, logger.child({ part: 'operator-alerts' })),
        reports: new ReportsService(db, bus),
        friendlyHours: new FriendlyHoursService(db, commands, logger.child({ part: 'friendly-hours' }), {
          tickIntervalMs: config.FRIENDLY_HOURS_TICK_S * 1000,
          ...(opts.clock ? { clock: opts.clock } : {}),
        }),
        forecast: new LowBalanceForecastService(db, alerts, logger.child({ part: 'forecast' }), {
          thresholdMinutes: Math.round(config.LOW_BALANCE_FORECAST_HOURS * 60),
          intervalMs: config.LOW_BALANCE_FORECAST_INTERVAL_S * 1000,
        }),
        registerHolds: new RegisterHoldsService(db, bus, alerts, logger.child({ part: 'register-holds' })),
      };
      operator.commands.start();
      operator.alerts.start();
      operator.forecast.start();
      onClose('operator jobs', async () => {
        operator.commands.stop();
        operator.alerts.stop();
        operator.friendlyHours.stop();
        operator.forecast.stop();
      });
      app.mqtt = mqtt;
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
      });
      onClose('payments', () => payments.close());
      app.daraja = payments.daraja;
      const topups = new TopupsService(db, credit);
      app.services = {
        db,
        auth,
        tokens,
        notifier,
        meters,
        credit,
        ingest,
        reports,
        alerts,
        devices,
        publisher,
        payments,
        topups,
        operator,
      };
      await mqtt.connect();
      onClose('ingest and mqtt client', async () => {
        await mqtt.leave();
        await ingest.close().catch(() => {});
        await mqtt.close(true);
      });
      await operator.friendlyHours.start();
      // The broker may have lost retained credit limits (restart): the server owns C.
      const republished = await publisher.republishAll();
      logger.info({ meters: republished }, 'credit limits published');

      const http = Fastify({
        loggerInstance: logger.child({ part: 'http' }) as unknown as FastifyBaseLogger,
        bodyLimit: HTTP_BODY_LIMIT_BYTES,
        onProtoPoisoning: 'error',
        onConstructorPoisoning: 'error',
        trustProxy: fastifyTrustProxy(config.TRUST_PROXY),
      }).withTypeProvider<ZodTypeProvider>();
      http.setValidatorCompiler(validatorCompiler);
      http.setSerializerCompiler(serializerCompiler);
      // The OpenAPI document is generated from the routes' zod schemas (docs/openapi.json).
      await http.register(swagger, {
        openapi: { info: { title: 'Umeme API', version: '1' }, openapi: '3.1.0' },
        transform: jsonSchemaTransform,
      });
      recordRoutes(http, app.routes);
      registerErrorHandlers(http);
      await registerSecurityHeaders(http, { publicUrl: config.PUBLIC_URL });
      await http.register(rateLimit, {
        global: true,
        ...GLOBAL_RATE_LIMIT,
        keyGenerator: limitKey,
        errorResponseBuilder: (_req, ctx) => ({
          statusCode: 429,
          error: 'RATE_LIMITED',
          message: `Too many requests; try again in ${Math.ceil(ctx.ttl / 1000)} s.`,
        }),
      });
      registerAuthHook(http, sessions);
      limitNotFound(http);
      await http.register(
        healthRoutes({
          db,
          mqttConnected: () => mqtt.connected,
          metrics,
          ingestPending: () => ingest.pending,
          mode: config.mode,
          metricsToken: config.METRICS_TOKEN ?? null,
        }),
      );
      await http.register(authRoutes(auth));
      await http.register(metersRoutes(meters, reports, devices));
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
      await http.register(adminRoutes({ db, admin: operator.admin, alerts: operator.alerts, meters }));
      await http.register(commandsRoutes(operator.commands));
      await http.register(adjustmentsRoutes(operator.adjustments));
      await http.register(registerHoldsRoutes(operator.registerHolds));
      await http.register(reportsRoutes(operator.reports));
      await http.register(friendlyHoursRoutes(operator.friendlyHours));
      await http.register(
        webRoutes({
          mode: config.mode,
          virtualPhoneUrl: () =>
            app.daraja.emulatorUrl === null ? null : `${app.daraja.emulatorUrl}/emulator/phone`,
          friendlyHours: () => operator.friendlyHours.status(),
          stkMaxKes: config.STK_PUSH_MAX_KES,
        }),
      );
      app.http = http;
      onClose('http', () => closeHttp(http, Math.min(HTTP_DRAIN_MS, config.SHUTDOWN_STEP_TIMEOUT_MS / 2)));
      await http.listen({ port: config.PORT, host: config.HOST }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          throw new StartupError(`HTTP port ${config.PORT} is already in use. Set PORT to a free port.`);
        }
        throw err;
      });
      const addr = http.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
      const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
      app.httpUrl = `http://${host}:${port}`;
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
      const realtime = await RealtimeGateway.attach({
        httpServer: http.server,
        sessions,
        db,
        bus,
        metrics,
        logger: logger.child({ part: 'realtime' }),
        config,
      });
      onClose('realtime', () => realtime.close());
      app.realtime = realtime;
      const fleetLive = new FleetLive(
        realtime.nsp,
        bus,
        operator.admin,
        logger.child({ part: 'fleet-live' }),
      );
      onClose('fleet live', async () => fleetLive.close());
      await payments.afterListen();
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

/** In-flight requests get this long to finish before their connections are cut. */
const HTTP_DRAIN_MS = 5_000;

async function closeHttp(http: FastifyInstance, drainMs: number): Promise<void> {
  const timer = setTimeout(() => http.server.closeAllConnections(), drainMs);
  try {
    await http.close();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects the dynsec control client, makes the server's role and account, and reconciles the
 * broker's meter accounts with the database. Any failure stops start-up: a broker whose
 * accounts the server cannot check may still admit a revoked meter.
 */
async function manageBrokerAccounts(
  config: Config,
  db: Db,
  mqttUrl: string,
  admin: { username: string; password: string },
  deps: { metrics: Metrics; logger: Logger; onClose: (part: string, close: () => Promise<void>) => void },
): Promise<{ accounts: DynsecAccounts; username: string; password: string }> {
  const { logger } = deps;
  if (!admin.username || !admin.password) {
    throw new StartupError(
      'MQTT_DYNSEC needs the broker’s dynsec admin account in MQTT_URL (mqtt://user:password@host).',
    );
  }
  const control = new DynsecControl({
    url: mqttUrl,
    username: admin.username,
    password: admin.password,
    clientId: `${config.DEPLOYMENT_NAME}-dynsec-${config.INSTANCE_ID}`,
    ...(config.MQTT_TLS_CA ? { ca: readPem('MQTT_TLS_CA', config.MQTT_TLS_CA) } : {}),
    logger: logger.child({ part: 'dynsec' }),
  });
  deps.onClose('dynsec control', () => control.close());
  try {
    await control.connect();
  } catch (err) {
    throw new StartupError(
      `MQTT_DYNSEC: could not open the dynsec control connection: ${(err as Error).message}`,
    );
  }
  const accounts = new DynsecAccounts(
    control,
    config.DEPLOYMENT_NAME,
    deps.metrics,
    logger.child({ part: 'dynsec' }),
  );
  const password = config.MQTT_SERVER_PASSWORD ?? (await persistentSecret(db, 'mqtt_server_password'));
  const subscriptions = [
    ...serverSubscriptions(true, config.DEPLOYMENT_NAME),
    deathNoticeFilter(config.DEPLOYMENT_NAME),
  ];
  await accounts.setup(subscriptions, password);
  // The broker may keep an account from another database: the server's own password wins.
  if (
    !(await canConnect(
      mqttUrl,
      accounts.serverUsername,
      password,
      `${config.DEPLOYMENT_NAME}-probe-${config.INSTANCE_ID}`,
    ))
  ) {
    logger.warn('the server’s broker account had another password; resetting it');
    await accounts.setup(subscriptions, password, true);
  }
  await accounts.reconcile(db);
  return { accounts, username: accounts.serverUsername, password };
}

async function canConnect(
  url: string,
  username: string,
  password: string,
  clientId: string,
): Promise<boolean> {
  try {
    const c = await mqttConnectAsync(url, {
      username,
      password,
      clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    await c.endAsync(true);
    return true;
  } catch {
    return false;
  }
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StartupError(
      `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/**
 * Demo accounts (users.demo) exist for demo mode only. Accounts the demo made before they were
 * flagged are flagged first; outside demo mode every flagged account's sign-in and sessions,
 * even ones issued before, are refused.
 */
async function closeDemoAccounts(auth: AuthService, config: Config, logger: Logger) {
  const flagged = await auth.flagLegacyDemoAccounts();
  if (flagged.length > 0) logger.warn({ emails: flagged }, 'accounts with the demo password flagged as demo');
  if (config.mode.demo) return;
  // SessionGuard refuses their sessions and AuthService their sign-in outside demo mode.
  const ids = await auth.demoUserIds();
  if (ids.length > 0) logger.warn({ accounts: ids.length }, 'demo accounts cannot sign in outside demo mode');
}

async function persistentSecret(db: Db, key: string): Promise<string> {
  const fresh = randomBytes(48).toString('base64url');
  await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
    key,
    fresh,
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [key]);
  return rows[0]!.value;
}
