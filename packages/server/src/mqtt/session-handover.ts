import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { deferAcks } from './deferred-acks';

/**
 * Session handover between the server instances of one deployment on an external broker
 * (docs/architecture.md, "MQTT sessions"). Each instance's persistent session carries a
 * retained Last Will on `umeme-servers/{group}/{clientId}`. When an instance dies the broker
 * publishes it; every other instance sees the notice, takes the dead session over (same client
 * id, clean start off), leaves the shared-subscription group, applies what the broker queued or
 * had in flight for it, and ends the session (session expiry 0), then clears the notice. A live
 * instance clears its own notice each time it connects, which also stops a peer that would
 * otherwise start a handover for it.
 */
export const SERVER_SESSIONS_ROOT = 'umeme-servers';
/** Backstop: a session nobody hands over (no instance left alive) ends this long after its death. */
export const SESSION_EXPIRY_S = 60;
/** The broker notices a vanished host (no TCP close) after 1.5 × this. */
export const HANDOVER_KEEPALIVE_S = 10;
/** A handover ends once no message arrived for this long and every one given out is applied. */
const DRAIN_QUIET_MS = 1000;
/** ... or after this long, whatever is left (it stays in the session for the next attempt). */
const DRAIN_MAX_MS = 30_000;

export const deathNoticeTopic = (group: string, clientId: string): string =>
  `${SERVER_SESSIONS_ROOT}/${group}/${clientId}`;

export const deathNoticeFilter = (group: string): string => `${SERVER_SESSIONS_ROOT}/${group}/+`;

/** The Last Will of an instance's session. */
export function deathNotice(group: string, clientId: string): NonNullable<IClientOptions['will']> {
  return { topic: deathNoticeTopic(group, clientId), payload: Buffer.from(clientId), qos: 1, retain: true };
}

export interface SessionHandoverOptions {
  group: string;
  ownClientId: string;
  /** this instance's own connection: notices arrive on it and are cleared through it */
  client: MqttClient;
  connectOptions: { url: string; username: string; password: string; ca?: Buffer };
  /** the `$share/…` filters the dead session must leave before it is drained */
  sharedFilters: string[];
  handler: (topic: string, payload: Buffer) => Promise<void> | void;
  backpressure: () => Promise<void> | null;
  logger: Logger;
}

export class SessionHandover {
  readonly filter: string;
  private readonly prefix: string;
  private readonly active = new Map<string, MqttClient>();
  private closed = false;

  constructor(private readonly opts: SessionHandoverOptions) {
    this.filter = deathNoticeFilter(opts.group);
    this.prefix = `${SERVER_SESSIONS_ROOT}/${opts.group}/`;
  }

  isNotice(topic: string): boolean {
    return topic.startsWith(this.prefix);
  }

  /** A notice was published or cleared; never holds the acknowledgement of the notice itself. */
  onNotice(topic: string, payload: Buffer): void {
    const clientId = topic.slice(this.prefix.length);
    if (payload.length === 0 || clientId.length === 0 || clientId.includes('/')) return;
    if (clientId === this.opts.ownClientId) {
      this.clearNotice(clientId); // the broker announced a death we survived (a dropped connection)
      return;
    }
    void this.handOver(clientId);
  }

  /** Called on every (re)connect of this instance's own connection. */
  onConnected(): void {
    this.clearNotice(this.opts.ownClientId);
  }

  /** Stops handovers in progress; what they had not applied stays in the dead session. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active.values()].map((c) => c.endAsync(true)));
  }

  private clearNotice(clientId: string): void {
    if (!this.opts.client.connected) return;
    this.opts.client.publish(deathNoticeTopic(this.opts.group, clientId), '', { qos: 1, retain: true }, (err) => {
      if (err) this.opts.logger.warn({ err: err.message, clientId }, 'clearing a death notice failed');
    });
  }

  private async handOver(clientId: string): Promise<void> {
    if (this.closed || this.active.has(clientId)) return;
    const { url, username, password, ca } = this.opts.connectOptions;
    const startedAtMs = Date.now();
    const c = mqtt.connect(url, {
      username,
      password,
      clientId,
      clean: false,
      protocolVersion: 5,
      properties: { receiveMaximum: 65_535, sessionExpiryInterval: SESSION_EXPIRY_S },
      keepalive: HANDOVER_KEEPALIVE_S,
      // Taken back by its owner (it was not dead after all): let it have the session.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      manualConnect: true,
      ...(ca ? { ca } : {}),
    });
    this.active.set(clientId, c);
    let applied = 0;
    const tap = deferAcks(
      c,
      (topic, payload) => {
        applied++;
        return this.opts.handler(topic, payload);
      },
      this.opts.backpressure,
      this.opts.logger,
    );
    c.on('error', (err) => this.opts.logger.warn({ err: err.message, clientId }, 'handover connection error'));
    try {
      const connack = await new Promise<IConnackPacket>((resolve, reject) => {
        c.once('connect', resolve);
        c.once('error', reject);
        c.once('close', () => reject(new Error('closed before CONNACK')));
        c.connect();
      });
      if (connack.sessionPresent) {
        // Out of the group first: from here on the dead session receives nothing new, and what
        // it already holds (queued, or in flight and unacknowledged) is delivered to us.
        if (this.opts.sharedFilters.length) await c.unsubscribeAsync(this.opts.sharedFilters);
        while (c.connected && Date.now() - startedAtMs < DRAIN_MAX_MS) {
          if (tap.outstanding.size === 0 && Date.now() - tap.lastMessageAtMs >= DRAIN_QUIET_MS) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await Promise.allSettled([...tap.outstanding]);
        // PUBACKs are written when their promise settles; let them reach the socket.
        await new Promise((r) => setImmediate(r));
      }
      if (!c.connected) {
        this.opts.logger.info({ clientId, applied }, 'an MQTT session was taken back before its handover ended');
        return;
      }
      await c.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
      this.clearNotice(clientId);
      this.opts.logger.info(
        { clientId, applied, sessionPresent: connack.sessionPresent, durationMs: Date.now() - startedAtMs },
        'took over and ended the MQTT session of a dead instance',
      );
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message, clientId }, 'handing over an MQTT session failed');
    } finally {
      if (!c.disconnected) c.end(true);
      this.active.delete(clientId);
    }
  }
}
