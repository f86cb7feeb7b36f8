import { randomBytes } from 'node:crypto';
import { serverSubscriptions } from '@umeme/protocol';
import { connectAsync as mqttConnectAsync } from 'mqtt';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/db';
import { persistentSecret } from '../db/persistent-secret';
import type { DeviceCredentials } from '../meters/device-credentials';
import type { EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { readPem, StartupError, type OnClose } from '../shared/startup';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker';
import { DynsecAccounts } from './broker-accounts';
import { DynsecControl } from './dynsec';
import { deathNoticeFilter } from './session-handover';
import { ServerMqttClient } from './server-client';

export interface MqttModuleDeps {
  config: Config;
  db: Db;
  bus: EventBus;
  devices: DeviceCredentials;
  metrics: Metrics;
  logger: Logger;
  onClose: OnClose;
  /** while ingest is behind, a promise of its catching up: the broker holds meters' reports meanwhile */
  backpressure: () => Promise<void> | null;
  /** marks offline a meter whose session the external broker ended without its Last Will */
  markOffline: (meterNo: string) => Promise<void>;
}

export interface MqttModule {
  /** where meters connect */
  url: string;
  /** the server's own client, not yet connected */
  client: ServerMqttClient;
  broker: EmbeddedBroker | null;
  /** the external broker's accounts, when the server manages them (MQTT_DYNSEC) */
  brokerAccounts: DynsecAccounts | null;
}

/**
 * Wires MQTT (docs/architecture.md): the embedded broker, or an external one whose accounts the
 * server may manage; the server itself always connects over TCP.
 */
export async function startMqtt(deps: MqttModuleDeps): Promise<MqttModule> {
  const { config, db, bus, devices, metrics, logger, onClose } = deps;
  let embedded: EmbeddedBroker | null = null;
  let brokerAccounts: DynsecAccounts | null = null;
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
      gate: { whenOpen: deps.backpressure },
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
    embedded = broker;
    // A rotated or revoked secret ends the session it opened, not just the next login.
    bus.on('device_credentials_changed', (e) => {
      if (broker.disconnectMeter(e.meterNo)) {
        logger.info({ meterNo: e.meterNo, change: e.change }, 'meter session ended: secret changed');
      }
    });
    const host = config.MQTT_HOST === '0.0.0.0' ? '127.0.0.1' : config.MQTT_HOST;
    // mqttUrl is where meters connect; the server itself uses broker.serverUrl.
    mqttUrl = broker.port !== null ? `mqtt://${host}:${broker.port}` : `mqtts://${host}:${broker.tlsPort}`;
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
      brokerAccounts = accounts.accounts;
      username = accounts.username;
      password = accounts.password;
      // Mosquitto ends a disabled or re-keyed client's session without its Last Will.
      bus.on('device_credentials_changed', (e) => {
        void deps.markOffline(e.meterNo).catch((err: unknown) => {
          logger.warn({ err, meterNo: e.meterNo }, 'marking a re-keyed meter offline failed');
        });
      });
    }
  }
  const brokerCa =
    !config.embeddedBroker && config.MQTT_TLS_CA ? readPem('MQTT_TLS_CA', config.MQTT_TLS_CA) : undefined;
  const client = new ServerMqttClient({
    url: serverMqttUrl ?? mqttUrl,
    ...(brokerCa ? { ca: brokerCa } : {}),
    username,
    password,
    clientId: `${config.DEPLOYMENT_NAME}-server-${config.embeddedBroker ? 'embedded' : config.INSTANCE_ID}`,
    subscriptions: serverSubscriptions(!config.embeddedBroker, config.DEPLOYMENT_NAME),
    protocolVersion: config.embeddedBroker ? 4 : 5,
    ...(config.embeddedBroker ? {} : { handoverGroup: config.DEPLOYMENT_NAME }),
    logger: logger.child({ part: 'mqtt' }),
    backpressure: deps.backpressure,
  });
  return { url: mqttUrl, client, broker: embedded, brokerAccounts };
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
  deps: { metrics: Metrics; logger: Logger; onClose: OnClose },
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
