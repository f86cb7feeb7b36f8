import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { deferAcks, drained, type IngestTap } from './deferred-acks';
import {
  deathNotice,
  DRAIN_QUIET_MS,
  HANDOVER_KEEPALIVE_S,
  SESSION_EXPIRY_S,
  SessionHandover,
} from './session-handover';

/** A stopping instance waits at most this long for what the broker already sent it. */
const LEAVE_MAX_MS = 10_000;
/** A forced close still tries a DISCONNECT (it ends the session without a Will) this long. */
const CLOSE_FORCED_AFTER_MS = 2000;
/**
 * Reconnect delay on an external broker. Short, because until this instance subscribes again
 * after a broker restart, Mosquitto 2.0 drops what meters publish (docs/architecture.md).
 */
const EXTERNAL_RECONNECT_MS = 250;
const EMBEDDED_RECONNECT_MS = 1000;

type MessageHandler = (topic: string, payload: Buffer) => Promise<void> | void;

interface ServerClientOptions {
  url: string;
  /** the CA that signed an mqtts:// broker's certificate, when it is a private one */
  ca?: Buffer;
  username: string;
  password: string;
  clientId: string;
  subscriptions: string[];
  /** 5 for external brokers: its Receive Maximum lets the broker keep many reports in flight */
  protocolVersion: 4 | 5;
  logger: Logger;
  /** Holds reading from the broker while this returns a promise (the server is behind). */
  backpressure: () => Promise<void> | null;
  /**
   * External brokers: the deployment whose instances hand a dead instance's session over
   * (docs/architecture.md, "MQTT sessions"); unset for the embedded broker (one instance).
   */
  handoverGroup?: string;
}

/**
 * The server's MQTT connection (docs/architecture.md, "MQTT sessions"). On an external broker
 * its persistent session carries a Last Will that marks it dead; the other instances then hand
 * that session over to themselves, apply what was queued or in flight for it, and end it
 * (`session-handover.ts`), so the shared-subscription group follows the live instances.
 */
export class ServerMqttClient {
  readonly client: MqttClient;
  private handler: MessageHandler = () => {};
  private readonly handover: SessionHandover | undefined;
  private readonly tap: IngestTap;
  private subscribedOnce = false;

  constructor(private readonly opts: ServerClientOptions) {
    const group = opts.handoverGroup;
    const options: IClientOptions = {
      username: opts.username,
      password: opts.password,
      clientId: opts.clientId,
      clean: false,
      protocolVersion: opts.protocolVersion,
      // Reports stay unacknowledged until their batch commits; a broker that allows only a
      // few in flight per client (Mosquitto's default is 20 for MQTT 3.1.1) would cap batches.
      ...(opts.protocolVersion === 5
        ? { properties: { receiveMaximum: 65_535, sessionExpiryInterval: SESSION_EXPIRY_S } }
        : {}),
      ...(group ? { will: deathNotice(group, opts.clientId) } : {}),
      keepalive: group ? HANDOVER_KEEPALIVE_S : 30,
      reconnectPeriod: group ? EXTERNAL_RECONNECT_MS : EMBEDDED_RECONNECT_MS,
      connectTimeout: 10_000,
      resubscribe: false, // done on every connect, below
      manualConnect: true,
      ...(opts.ca ? { ca: opts.ca } : {}),
    };
    this.client = mqtt.connect(opts.url, options);
    if (group) {
      this.handover = new SessionHandover({
        group,
        ownClientId: opts.clientId,
        client: this.client,
        connectOptions: {
          url: opts.url,
          username: opts.username,
          password: opts.password,
          ...(opts.ca ? { ca: opts.ca } : {}),
        },
        sharedFilters: opts.subscriptions.filter((s) => s.startsWith('$share/')),
        handler: (topic, payload) => this.handler(topic, payload),
        backpressure: opts.backpressure,
        logger: opts.logger.child({ part: 'mqtt-handover' }),
      });
    }
    this.tap = deferAcks(
      this.client,
      (topic, payload, retained) =>
        this.handover?.isNotice(topic)
          ? this.handover.onNotice(topic, payload, retained)
          : this.handler(topic, payload),
      opts.backpressure,
      opts.logger,
    );
    // Commands and acknowledgements are small packets that must leave at once: without this,
    // Nagle's algorithm holds each one back until the broker acknowledges the previous one.
    this.client.on('connect', (connack) => {
      const stream = this.client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined;
      stream?.setNoDelay?.(true);
      this.handover?.onConnected();
      // Subscribe again even when the broker says the session is present: Mosquitto 2.0 restores
      // a persisted session after a restart with its plain subscriptions but without its `$share`
      // ones (its persistence never writes them), and until then drops the meters' reports.
      if (this.subscribedOnce) {
        const sessionPresent = connack.sessionPresent;
        this.client.subscribe(this.subscriptionMap(), (err) => {
          if (err) opts.logger.warn({ err: err.message }, 'resubscribing after a reconnect failed');
          else opts.logger.info({ sessionPresent }, 'resubscribed after a reconnect');
        });
      }
    });
    this.client.on('error', (err) => opts.logger.warn({ err: err.message }, 'mqtt client error'));
    this.client.on('offline', () => opts.logger.warn('mqtt client offline'));
    this.client.on('close', () => this.handover?.onDisconnected());
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  async connect(): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        this.client.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.client.off('connect', onConnect);
        reject(err);
      };
      this.client.once('connect', onConnect);
      this.client.once('error', onError);
    });
    this.client.connect();
    await connected;
    await this.client.subscribeAsync(this.subscriptionMap());
    this.subscribedOnce = true;
  }

  private subscriptionMap(): Record<string, { qos: 1 }> {
    const filters = [...this.opts.subscriptions, ...(this.handover ? [this.handover.filter] : [])];
    return filters.reduce<Record<string, { qos: 1 }>>((acc, topic) => ({ ...acc, [topic]: { qos: 1 } }), {});
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /**
   * Before a clean stop, while ingest still runs: leaves the shared-subscription group and
   * applies what the broker had already sent this instance, so none of it dies with the session.
   */
  async leave(): Promise<void> {
    if (!this.handover || !this.client.connected) return;
    try {
      await this.client.unsubscribeAsync(this.opts.subscriptions.filter((s) => s.startsWith('$share/')));
      await drained(this.client, this.tap, DRAIN_QUIET_MS, LEAVE_MAX_MS);
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'leaving the shared subscription failed');
    }
  }

  /**
   * On an external broker a close ends the session (DISCONNECT with session expiry 0, so no Last
   * Will either): a stopped or scaled-down instance leaves no session, no share-group member and
   * no death notice behind. `force` waits less for the broker to acknowledge our publishes.
   */
  async close(force = false): Promise<void> {
    await this.handover?.close();
    if (!this.handover || !this.client.connected) {
      await this.client.endAsync(force);
      return;
    }
    // mqtt.js sends no DISCONNECT when forced: end politely, and force only if that hangs.
    const ended = this.client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => {
      timer = setTimeout(() => resolve('gave up'), force ? CLOSE_FORCED_AFTER_MS : LEAVE_MAX_MS);
    });
    const outcome = await Promise.race([ended, gaveUp]);
    clearTimeout(timer);
    if (outcome === 'gave up') await this.client.endAsync(true);
  }
}
