import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { deferAcks, drained } from './deferred-acks';

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
export const DRAIN_QUIET_MS = 1000;
/** ... or after this long, whatever is left (it stays in the session for the next attempt). */
const DRAIN_MAX_MS = 30_000;
/**
 * A notice that is not news (retained, or seen while this instance itself just reconnected, as
 * after a broker restart, when Mosquitto publishes every Will) waits this long for its owner to
 * come back and clear it before the session is handed over.
 */
export const STALE_NOTICE_GRACE_MS = 5000;
/** How often standing notices are looked at again. */
const SWEEP_MS = 1000;

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
  /** notices standing now, by client id: when this instance first saw each */
  private readonly standing = new Map<string, number>();
  private connectedAtMs = 0;
  private disconnectedAtMs = 0;
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: SessionHandoverOptions) {
    this.filter = deathNoticeFilter(opts.group);
    this.prefix = `${SERVER_SESSIONS_ROOT}/${opts.group}/`;
  }

  isNotice(topic: string): boolean {
    return topic.startsWith(this.prefix);
  }

  /** A notice was published or cleared; never holds the acknowledgement of the notice itself. */
  onNotice(topic: string, payload: Buffer, retained: boolean): void {
    const clientId = topic.slice(this.prefix.length);
    if (clientId.length === 0 || clientId.includes('/')) return;
    if (payload.length === 0) {
      this.standing.delete(clientId);
      return;
    }
    if (clientId === this.opts.ownClientId) {
      this.clearNotice(clientId); // the broker announced a death we survived (a dropped connection)
      return;
    }
    const now = Date.now();
    if (!this.standing.has(clientId)) this.standing.set(clientId, now);
    // News of a death while this instance is steadily connected: hand over at once, so the
    // dead session holds as little as possible. Anything else waits for its owner first.
    const news = !retained && now - this.steadySinceMs() >= STALE_NOTICE_GRACE_MS;
    if (news) void this.handOver(clientId);
    this.sweep ??= setInterval(() => this.sweepStanding(), SWEEP_MS);
  }

  /** Called on every (re)connect of this instance's own connection. */
  onConnected(): void {
    this.connectedAtMs = Date.now();
    this.clearNotice(this.opts.ownClientId);
  }

  /** Called when this instance's own connection closes (messages may still be read after it). */
  onDisconnected(): void {
    this.disconnectedAtMs = Date.now();
  }

  /** since when this instance's own connection has been up without a break */
  private steadySinceMs(): number {
    return Math.max(this.connectedAtMs, this.disconnectedAtMs);
  }

  /** Stops handovers in progress; what they had not applied stays in the dead session. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweep);
    await Promise.all([...this.active.values()].map((c) => c.endAsync(true)));
  }

  private sweepStanding(): void {
    const now = Date.now();
    if (!this.opts.client.connected || now - this.steadySinceMs() < STALE_NOTICE_GRACE_MS) return;
    for (const [clientId, seenAtMs] of this.standing) {
      if (now - seenAtMs >= STALE_NOTICE_GRACE_MS) void this.handOver(clientId);
    }
    if (this.standing.size === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  private clearNotice(clientId: string): void {
    if (!this.opts.client.connected) return;
    this.opts.client.publish(
      deathNoticeTopic(this.opts.group, clientId),
      '',
      { qos: 1, retain: true },
      (err) => {
        if (err) this.opts.logger.warn({ err: err.message, clientId }, 'clearing a death notice failed');
      },
    );
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
        if (this.isNotice(topic)) return; // the dead instance's own subscription to notices
        applied++;
        return this.opts.handler(topic, payload);
      },
      this.opts.backpressure,
      this.opts.logger,
    );
    c.on('error', (err) =>
      this.opts.logger.warn({ err: err.message, clientId }, 'handover connection error'),
    );
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
        await c.unsubscribeAsync([...this.opts.sharedFilters, this.filter]);
        await drained(c, tap, DRAIN_QUIET_MS, DRAIN_MAX_MS);
      }
      if (!c.connected) {
        this.opts.logger.info(
          { clientId, applied },
          'an MQTT session was taken back before its handover ended',
        );
        return;
      }
      await c.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
      this.standing.delete(clientId);
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
