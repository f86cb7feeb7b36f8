import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { meterMayPublish, meterMaySubscribe, METER_NO_PATTERN, TOPIC_ROOT } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../shared/metrics';
import { SERVER_SESSIONS_ROOT } from './session-handover';

/** Hard cap on a PUBLISH payload accepted by the broker; the server drops above 2 KiB itself. */
export const BROKER_MAX_PAYLOAD_BYTES = 64 * 1024;
export const BROKER_KEEPALIVE_LIMIT_S = 3600;
/** Messages Aedes may hold undelivered before meters' publishes are held back. */
export const BROKER_BACKLOG_HIGH_WATER = 2000;
/** nested deliveries mqemitter may run on one stack before the rest wait a turn */
const EMITTER_MAX_DRAIN_DEPTH = 200;

/** The parts of Aedes' mqemitter (pinned version) the broker reaches into. */
interface EmitterInternals {
  _messageQueue?: unknown[];
  _do(message: unknown, callback: unknown): EmitterInternals;
}
const BACKLOG_POLL_MS = 2;

export interface DeviceAuthenticator {
  /** Resolves true when `secret` is the meter's current, unrevoked secret. */
  verify(meterNo: string, secret: string): Promise<boolean>;
}

/** Lets the broker hold back meter publishes while the server's ingest is behind (MQ-11). */
interface PublishGate {
  /** Resolves when ingest can take more; resolves at once when it is not behind. */
  whenOpen(): Promise<void> | null;
}

/** MQTT over TLS for meters (issue 14): PEM certificate chain and key, optional extra CA chain. */
interface BrokerTls {
  port: number;
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** false: no plain MQTT listener for meters; the server reaches the broker on a loopback listener of its own */
  plain: boolean;
  tls: BrokerTls | null;
  serverUsername: string;
  serverPassword: string;
  devices: DeviceAuthenticator;
  gate: PublishGate;
  metrics: Metrics;
  logger: Logger;
}

export interface EmbeddedBroker {
  /** the plain listener for meters, or null when plain MQTT is off */
  port: number | null;
  /** the TLS listener for meters, or null without TLS */
  tlsPort: number | null;
  /** where the server's own client connects: the plain listener, or a loopback one only it may use */
  serverUrl: string;
  aedes: Aedes;
  /** Ends a meter's session (its secret changed); its Last Will goes out. True if it was connected. */
  disconnectMeter(meterNo: string): boolean;
  close(): Promise<void>;
}

type Identity = { kind: 'server' } | { kind: 'meter'; meterNo: string };
const identities = new WeakMap<Client, Identity>();
const serverOnlySockets = new WeakSet<Socket>();

function authError(code: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code });
}

/** The server publishes commands only. */
export function serverMayPublish(topic: string): boolean {
  const parts = topic.split('/');
  if (isDeathNotice(topic)) return !/[+#]/.test(topic);
  return parts.length === 4 && parts[0] === TOPIC_ROOT && parts[2] === 'command';
}

/**
 * The server subscribes to meters' report topics, shared or not, never to commands; and to its
 * deployment's death notices (session-handover.ts).
 */
export function serverMaySubscribe(filter: string): boolean {
  if (isDeathNotice(filter)) return !filter.includes('#');
  const plain = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
  return plain.startsWith(`${TOPIC_ROOT}/`) && !plain.includes('/command/');
}

/** `umeme-servers/{group}/{clientId}`, or the filter with `+` for the client id. */
export function isDeathNotice(topic: string): boolean {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === SERVER_SESSIONS_ROOT && parts.every((p) => p.length > 0);
}

/**
 * Aedes on a real TCP port with per-meter credentials and the ACL of docs/design.md §4: a meter
 * publishes only under its own prefix and subscribes only to its own command/#.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { metrics, logger } = opts;
  const aedes = new Aedes({
    drainTimeout: 30_000,
    keepaliveLimit: BROKER_KEEPALIVE_LIMIT_S,
    maxTopicLevels: 8,
    concurrency: 1000,
    connectTimeout: 10_000,
  });
  await aedes.listen();

  // Aedes queues messages it cannot deliver yet without bound (and drains that queue
  // recursively). Watch the queue (mqemitter's, pinned version) and hold publishers while
  // it is long, together with the server's own ingest queue.
  const mq = (aedes as unknown as { mq: EmitterInternals }).mq;
  const brokerBacklog = () => mq._messageQueue?.length ?? 0;
  // mqemitter drains its queue recursively (released → _do → released …): when thousands of
  // queued messages complete synchronously (a fleet connecting at once), the stack overflows
  // and the process dies. Past a small depth, the next message waits for setImmediate.
  const doNext = mq._do.bind(mq);
  let drainDepth = 0;
  mq._do = (message, callback) => {
    if (drainDepth >= EMITTER_MAX_DRAIN_DEPTH) {
      setImmediate(() => mq._do(message, callback));
      return mq;
    }
    drainDepth++;
    try {
      return doNext(message, callback);
    } finally {
      drainDepth--;
    }
  };
  let backlogWaiters: (() => void)[] = [];
  let backlogTimer: NodeJS.Timeout | null = null;
  const whenBacklogShort = (): Promise<void> | null => {
    if (brokerBacklog() < BROKER_BACKLOG_HIGH_WATER) return null;
    backlogTimer ??= setInterval(() => {
      if (brokerBacklog() >= BROKER_BACKLOG_HIGH_WATER / 2) return;
      const waiters = backlogWaiters;
      backlogWaiters = [];
      clearInterval(backlogTimer!);
      backlogTimer = null;
      for (const w of waiters) w();
    }, BACKLOG_POLL_MS);
    return new Promise((resolve) => backlogWaiters.push(resolve));
  };

  aedes.authenticate = (client, username, password, done) => {
    const secret = password?.toString('utf8') ?? '';
    // The loopback listener that replaces plain MQTT is the server's alone.
    if (serverOnlySockets.has(client.conn as Socket) && username !== opts.serverUsername) {
      metrics.mqttAuthFailures.inc({ reason: 'server_listener' });
      done(authError(5, 'not authorized'), false);
      return;
    }
    if (!username || !secret) {
      metrics.mqttAuthFailures.inc({ reason: 'no_credentials' });
      done(authError(4, 'credentials required'), false);
      return;
    }
    if (username === opts.serverUsername) {
      if (secret === opts.serverPassword) {
        identities.set(client, { kind: 'server' });
        done(null, true);
      } else {
        metrics.mqttAuthFailures.inc({ reason: 'bad_server_secret' });
        done(authError(4, 'bad credentials'), false);
      }
      return;
    }
    // A meter's client id is its meter number, so nobody can take over another meter's session.
    if (!METER_NO_PATTERN.test(username) || client.id !== username) {
      metrics.mqttAuthFailures.inc({ reason: 'client_id_mismatch' });
      done(authError(2, 'client id must equal the meter number'), false);
      return;
    }
    opts.devices.verify(username, secret).then(
      (ok) => {
        if (ok) {
          identities.set(client, { kind: 'meter', meterNo: username });
          done(null, true);
        } else {
          metrics.mqttAuthFailures.inc({ reason: 'bad_secret' });
          done(authError(4, 'bad credentials'), false);
        }
      },
      (err: unknown) => {
        logger.error({ err }, 'device authentication failed');
        done(authError(4, 'unavailable'), false);
      },
    );
  };

  aedes.authorizePublish = (client, packet, done) => {
    if (client === null) {
      done(null); // an obsolete Last Will published by the broker itself
      return;
    }
    const who = identities.get(client);
    const size = packet.payload.length;
    if (size > BROKER_MAX_PAYLOAD_BYTES) {
      metrics.mqttRejected.inc({ topic_kind: 'any', reason: 'oversized_broker' });
      done(new Error('payload too large'));
      return;
    }
    if (who?.kind === 'server') {
      if (serverMayPublish(packet.topic)) done(null);
      else {
        metrics.mqttAclDenied.inc({ action: 'publish' });
        done(new Error('not allowed'));
      }
      return;
    }
    if (who?.kind !== 'meter' || !meterMayPublish(who.meterNo, packet.topic)) {
      metrics.mqttAclDenied.inc({ action: 'publish' });
      done(new Error('not allowed'));
      return;
    }
    // Back-pressure: hold this meter's publish (and so its connection) while ingest is behind.
    const wait = packet.topic.endsWith('/consumption') ? (opts.gate.whenOpen() ?? whenBacklogShort()) : null;
    if (wait) wait.then(() => done(null), done);
    // Aedes handles a socket's buffered packets recursively when every hook answers
    // synchronously; a burst then overflows the stack. Answering on the next tick unwinds it.
    else process.nextTick(done, null);
  };

  // The same for Aedes' post-publish hook: its default answers synchronously, and with a
  // backlog in the emitter every completion re-enters the next client's parser.
  aedes.published = (_packet, _client, done) => process.nextTick(done, null);

  aedes.authorizeSubscribe = (client, sub, done) => {
    const who = identities.get(client);
    const allowed =
      who?.kind === 'server'
        ? serverMaySubscribe(sub.topic)
        : who?.kind === 'meter' && meterMaySubscribe(who.meterNo, sub.topic);
    if (!allowed) metrics.mqttAclDenied.inc({ action: 'subscribe' });
    done(null, allowed ? sub : null);
  };

  // Retained and queued messages reach a subscriber only through its own ACL, checked again
  // here in case a subscription slipped past (e.g. restored from a persisted session).
  aedes.authorizeForward = (client, packet) => {
    const who = identities.get(client);
    if (who?.kind === 'meter') {
      return packet.topic.startsWith(`${TOPIC_ROOT}/${who.meterNo}/command/`) ? packet : null;
    }
    return packet;
  };

  aedes.on('clientError', (client, err) => {
    logger.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
  });
  aedes.on('connectionError', (_client, err) => {
    logger.debug({ err: err.message }, 'mqtt connection error');
  });

  const servers: Server[] = [];
  const listen = async (server: Server, port: number, host: string): Promise<number> => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  };
  const closeServers = () =>
    Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  let port: number | null = null;
  let tlsPort: number | null = null;
  let serverUrl: string;
  try {
    if (opts.plain) {
      port = await listen(createServer(aedes.handle), opts.port, opts.host);
      serverUrl = `mqtt://${opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${port}`;
    } else {
      const internal = await listen(
        createServer((socket) => {
          serverOnlySockets.add(socket);
          aedes.handle(socket);
        }),
        0,
        '127.0.0.1',
      );
      serverUrl = `mqtt://127.0.0.1:${internal}`;
    }
    if (opts.tls) {
      const { cert, key, ca } = opts.tls;
      const tlsServer = createTlsServer(
        { cert, key, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' },
        aedes.handle,
      );
      tlsServer.on('tlsClientError', (err) =>
        logger.debug({ err: err.message }, 'mqtt tls handshake failed'),
      );
      tlsPort = await listen(tlsServer, opts.tls.port, opts.host);
    }
  } catch (err) {
    await closeServers();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  return {
    port,
    tlsPort,
    serverUrl,
    aedes,
    disconnectMeter(meterNo: string): boolean {
      // The client id of a meter is its meter number (enforced at authentication).
      const client = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[meterNo];
      const identity = client ? identities.get(client) : undefined;
      if (!client || identity?.kind !== 'meter' || identity.meterNo !== meterNo) return false;
      client.close();
      return true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (backlogTimer) clearInterval(backlogTimer);
        for (const w of backlogWaiters.splice(0)) w();
        aedes.close(() => {
          void closeServers().then(() => resolve());
        });
      }),
  };
}
