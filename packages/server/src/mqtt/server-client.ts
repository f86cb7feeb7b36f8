import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';

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
}

interface DeferrableClient {
  _sendPacket(packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]): void;
}

/**
 * The server's MQTT connection. QoS 1 reports are acknowledged only after the handler's
 * promise settles (after the database commit), so a crash before commit makes the broker
 * redeliver (MQ-3), while packets keep flowing so that ingest can batch.
 *
 * mqtt.js processes incoming packets one at a time and sends PUBACK when `handleMessage`
 * calls back; waiting there would serialise ingest to one report per commit. Instead we
 * call back at once and hold that message's PUBACK until its commit.
 */
export class ServerMqttClient {
  readonly client: MqttClient;
  private readonly pendingAcks = new Map<number, Promise<void>>();
  private handler: MessageHandler = () => {};

  constructor(private readonly opts: ServerClientOptions) {
    const options: IClientOptions = {
      username: opts.username,
      password: opts.password,
      clientId: opts.clientId,
      clean: false,
      protocolVersion: opts.protocolVersion,
      // Reports stay unacknowledged until their batch commits; a broker that allows only a
      // few in flight per client (Mosquitto's default is 20 for MQTT 3.1.1) would cap batches.
      ...(opts.protocolVersion === 5
        ? { properties: { receiveMaximum: 65_535, sessionExpiryInterval: 3600 } }
        : {}),
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: true,
      manualConnect: true,
      ...(opts.ca ? { ca: opts.ca } : {}),
    };
    this.client = mqtt.connect(opts.url, options);
    const inner = this.client as unknown as DeferrableClient;
    const send = inner._sendPacket.bind(this.client);
    inner._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const pending = this.pendingAcks.get(packet.messageId);
        if (pending) {
          this.pendingAcks.delete(packet.messageId);
          cb?.();
          // Not acknowledged on failure: the broker redelivers after a reconnect.
          pending.then(
            () => send(packet),
            () => {},
          );
          return;
        }
      }
      send(packet, cb, ...rest);
    };
    this.client.handleMessage = (packet, callback) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      let result: Promise<void> | void;
      try {
        result = this.handler(packet.topic, payload);
      } catch (err) {
        opts.logger.error({ err }, 'mqtt handler threw');
        result = undefined;
      }
      if (result && packet.qos > 0 && packet.messageId !== undefined) {
        this.pendingAcks.set(packet.messageId, result);
      }
      const hold = opts.backpressure();
      if (hold)
        hold.then(
          () => callback(),
          () => callback(),
        );
      else callback();
    };
    // Commands and acknowledgements are small packets that must leave at once: without this,
    // Nagle's algorithm holds each one back until the broker acknowledges the previous one.
    this.client.on('connect', () => {
      const stream = this.client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined;
      stream?.setNoDelay?.(true);
    });
    this.client.on('error', (err) => opts.logger.warn({ err: err.message }, 'mqtt client error'));
    this.client.on('offline', () => opts.logger.warn('mqtt client offline'));
    // Unacknowledged messages come back from the broker after a reconnect; forget old ids.
    this.client.on('close', () => this.pendingAcks.clear());
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
    await this.client.subscribeAsync(
      this.opts.subscriptions
        .map((topic) => ({ topic, qos: 1 as const }))
        .reduce<Record<string, { qos: 1 }>>((acc, s) => ({ ...acc, [s.topic]: { qos: s.qos } }), {}),
    );
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(force = false): Promise<void> {
    await this.client.endAsync(force);
  }
}
