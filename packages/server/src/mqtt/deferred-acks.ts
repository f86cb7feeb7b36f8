import type { MqttClient, Packet } from 'mqtt';
import type { Logger } from 'pino';

interface DeferrableClient {
  _sendPacket(packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]): void;
}

/** What a handler is doing with the messages it was given, so a drain knows when it is done. */
export interface IngestTap {
  /** handler promises not yet settled (their PUBACKs wait on them) */
  outstanding: Set<Promise<void>>;
  /** Date.now() of the last message handed to the handler */
  lastMessageAtMs: number;
}

/**
 * Makes `client` hand each message to `handler` and hold that message's PUBACK until the
 * handler's promise settles (after the database commit), so a crash before commit makes the
 * broker redeliver (MQ-3), while packets keep flowing so that ingest can batch.
 *
 * mqtt.js processes incoming packets one at a time and sends PUBACK when `handleMessage`
 * calls back; waiting there would serialise ingest to one report per commit. Instead we
 * call back at once and hold that message's PUBACK until its commit.
 */
export function deferAcks(
  client: MqttClient,
  /** `retained`: delivered because of a new subscription, not forwarded as it was published */
  handler: (topic: string, payload: Buffer, retained: boolean) => Promise<void> | void,
  backpressure: () => Promise<void> | null,
  logger: Logger,
): IngestTap {
  const pendingAcks = new Map<number, Promise<void>>();
  /** which connection a held PUBACK belongs to: a later one must never carry it */
  let connection = 0;
  const tap: IngestTap = { outstanding: new Set(), lastMessageAtMs: Date.now() };
  const inner = client as unknown as DeferrableClient;
  const send = inner._sendPacket.bind(client);
  inner._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined) {
      const pending = pendingAcks.get(packet.messageId);
      if (pending) {
        pendingAcks.delete(packet.messageId);
        cb?.();
        // Not acknowledged on failure: the broker redelivers after a reconnect. Nor after a
        // reconnect: the broker resends the message under its id, and an acknowledgement from
        // the old connection could arrive after that id was given to another message.
        const heldOn = connection;
        pending.then(
          () => {
            if (heldOn === connection) send(packet);
          },
          () => {},
        );
        return;
      }
    }
    send(packet, cb, ...rest);
  };
  client.handleMessage = (packet, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    tap.lastMessageAtMs = Date.now();
    let result: Promise<void> | void;
    try {
      result = handler(packet.topic, payload, packet.retain);
    } catch (err) {
      logger.error({ err }, 'mqtt handler threw');
      result = undefined;
    }
    if (result) {
      const settled: Promise<void> = result.then(
        () => {
          tap.outstanding.delete(settled);
        },
        () => {
          tap.outstanding.delete(settled);
        },
      );
      tap.outstanding.add(settled);
      if (packet.qos > 0 && packet.messageId !== undefined) pendingAcks.set(packet.messageId, result);
    }
    const hold = backpressure();
    if (hold)
      hold.then(
        () => callback(),
        () => callback(),
      );
    else callback();
  };
  // Unacknowledged messages come back from the broker after a reconnect; forget old ids.
  client.on('close', () => {
    connection++;
    pendingAcks.clear();
  });
  return tap;
}

/**
 * Waits until `tap` saw no message for `quietMs` and every one it handed out is applied (their
 * PUBACKs written), or `maxMs` passed.
 */
export async function drained(
  client: MqttClient,
  tap: IngestTap,
  quietMs: number,
  maxMs: number,
): Promise<void> {
  const startedAtMs = Date.now();
  tap.lastMessageAtMs = Math.max(tap.lastMessageAtMs, startedAtMs);
  while (client.connected && Date.now() - startedAtMs < maxMs) {
    if (tap.outstanding.size === 0 && Date.now() - tap.lastMessageAtMs >= quietMs) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.allSettled([...tap.outstanding]);
  // PUBACKs are written when their promise settles; let them reach the socket.
  await new Promise((r) => setImmediate(r));
}
