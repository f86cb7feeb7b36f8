/**
 * A lean MQTT 3.1.1 publisher for the load generator: QoS 1 publishes written straight to the
 * socket with mqtt-packet, PUBACKs matched by message id, unacknowledged publishes resent (DUP)
 * after a reconnect. It does what thousands of meters do, at a fraction of a full client's CPU
 * per message, so that a benchmark on a two-core machine measures the server, not the generator.
 * Publishing only: meters in a load test never subscribe.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface LeanClientOptions {
  host: string;
  port: number;
  clientId: string;
  username: string;
  password: string;
  keepaliveS?: number;
  reconnectMs?: number;
}

interface Outgoing {
  topic: string;
  payload: string;
  done: () => void;
}

export class LeanMqttClient {
  private socket: Socket | null = null;
  private readonly outgoing = new Map<number, Outgoing>();
  private nextId = 1;
  private connected = false;
  private everConnected = false;
  private closed = false;
  private ping: NodeJS.Timeout | null = null;

  private constructor(private readonly opts: LeanClientOptions) {}

  /** Resolves after the first CONNACK accepting the connection. */
  static async connect(opts: LeanClientOptions): Promise<LeanMqttClient> {
    const client = new LeanMqttClient(opts);
    await client.open();
    return client;
  }

  get inflight(): number {
    return this.outgoing.size;
  }

  /** QoS 1: `done` runs when the broker acknowledges, however many reconnects that takes. */
  publish(topic: string, payload: string, done: () => void): void {
    let id = this.nextId;
    while (this.outgoing.has(id)) id = id === 65_535 ? 1 : id + 1;
    this.nextId = id === 65_535 ? 1 : id + 1;
    this.outgoing.set(id, { topic, payload, done });
    if (this.connected) this.send(id, false);
  }

  async end(): Promise<void> {
    this.closed = true;
    if (this.ping) clearInterval(this.ping);
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
    });
  }

  private send(messageId: number, dup: boolean): void {
    const o = this.outgoing.get(messageId)!;
    this.socket!.write(
      mqttPacket.generate({
        cmd: 'publish',
        topic: o.topic,
        payload: o.payload,
        qos: 1,
        messageId,
        dup,
        retain: false,
      }),
    );
  }

  private open(): Promise<void> {
    const { host, port, clientId, username, password } = this.opts;
    const keepalive = this.opts.keepaliveS ?? 60;
    return new Promise<void>((resolve, reject) => {
      const socket = tcpConnect({ host, port, noDelay: true });
      this.socket = socket;
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      let settled = false;
      parser.on('packet', (packet) => {
        if (packet.cmd === 'puback') {
          const o = this.outgoing.get(packet.messageId!);
          if (o) {
            this.outgoing.delete(packet.messageId!);
            o.done();
          }
        } else if (packet.cmd === 'connack') {
          if (packet.returnCode !== 0) {
            settled = true;
            socket.destroy();
            reject(new Error(`connection refused: return code ${packet.returnCode}`));
            return;
          }
          this.connected = true;
          this.everConnected = true;
          for (const id of this.outgoing.keys()) this.send(id, true);
          if (!settled) {
            settled = true;
            resolve();
          }
        }
      });
      parser.on('error', () => socket.destroy());
      socket.on('data', (chunk: Buffer) => parser.parse(chunk));
      socket.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      socket.on('close', () => {
        this.connected = false;
        if (this.ping) clearInterval(this.ping);
        this.ping = null;
        if (!this.closed && this.everConnected) {
          setTimeout(() => void this.open().catch(() => undefined), this.opts.reconnectMs ?? 1000);
        }
      });
      socket.on('connect', () => {
        socket.write(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clean: true,
            clientId,
            keepalive,
            username,
            password: Buffer.from(password),
          }),
        );
        this.ping = setInterval(
          () => {
            if (this.connected) socket.write(mqttPacket.generate({ cmd: 'pingreq' }));
          },
          (keepalive * 1000) / 2,
        );
      });
    });
  }
}
