import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { deferAcks } from './deferred-acks';
import { deathNotice, HANDOVER_KEEPALIVE_S, SESSION_EXPIRY_S, SessionHandover } from './session-handover';

export type MessageHandler = (topic: string, payload: Buffer) => Promise<void> | void;

export interface ServerClientOptions {
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
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: true,
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
    deferAcks(
      this.client,
      (topic, payload) =>
        this.handover?.isNotice(topic) ? this.handover.onNotice(topic, payload) : this.handler(topic, payload),
      opts.backpressure,
      opts.logger,
    );
    // Commands and acknowledgements are small packets that must leave at once: without this,
    // Nagle's algorithm holds each one back until the broker acknowledges the previous one.
    this.client.on('connect', () => {
      const stream = this.client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined;
      stream?.setNoDelay?.(true);
      this.handover?.onConnected();
    });
    this.client.on('error', (err) => opts.logger.warn({ err: err.message }, 'mqtt client error'));
    this.client.on('offline', () => opts.logger.warn('mqtt client offline'));
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
    const filters = [...this.opts.subscriptions, ...(this.handover ? [this.handover.filter] : [])];
    await this.client.subscribeAsync(
      filters.reduce<Record<string, { qos: 1 }>>((acc, topic) => ({ ...acc, [topic]: { qos: 1 } }), {}),
    );
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /**
   * A clean close ends the session on the broker (session expiry 0 on DISCONNECT): a stopped or
   * scaled-down instance leaves no session, no share-group member and no death notice behind.
   */
  async close(force = false): Promise<void> {
    await this.handover?.close();
    if (this.opts.protocolVersion === 5 && this.client.connected && !force) {
      await this.client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
    } else await this.client.endAsync(force);
  }
}
