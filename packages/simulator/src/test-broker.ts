import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { connect, type MqttClient } from 'mqtt';

/**
 * Test support: a real Aedes broker on an ephemeral TCP port that accepts a meter only with its
 * own secret and only under its own prefix, plus an observer client that records what it sees.
 */

export interface ReceivedMessage {
  topic: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

export interface TestBroker {
  url: string;
  broker: Aedes;
  /** meterNo → secret the broker accepts. */
  secrets: Map<string, string>;
  /** Client ids refused at CONNECT, in order. */
  refused: string[];
  /** Drops a client's TCP connection from the broker side, as a network failure would. */
  dropClient(clientId: string): void;
  close(): Promise<void>;
}

export async function startTestBroker(secrets: Record<string, string> = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const secretMap = new Map(Object.entries(secrets));
  const refused: string[] = [];
  const clients = new Map<string, Client>();
  // 'client' fires when the connection registers; 'clientReady' can come after the client already has its CONNACK
  broker.on('client', (client) => clients.set(client.id, client));
  broker.authenticate = (client, username, password, callback) => {
    // observers log in as "observer" without a password; meters must match their client id and secret
    const ok =
      (username === 'observer' && client.id.startsWith('observer-')) ||
      (username === client.id && secretMap.get(client.id) === password?.toString());
    if (!ok) refused.push(client.id);
    callback(null, ok);
  };
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    broker,
    secrets: secretMap,
    refused,
    dropClient: (clientId) => clients.get(clientId)?.conn.destroy(),
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let observerCount = 0;

export interface Observer {
  client: MqttClient;
  messages: ReceivedMessage[];
  /** Resolves once `predicate` holds over the messages received so far (checked on every arrival). */
  waitFor(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  on(topic: string): ReceivedMessage[];
  close(): Promise<void>;
}

export async function startObserver(url: string, filter: string | string[]): Promise<Observer> {
  observerCount += 1;
  const client = connect(url, {
    clientId: `observer-${process.pid}-${observerCount}`,
    username: 'observer',
    reconnectPeriod: 0,
  });
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an empty retained payload (clearing a retained message) or deliberate garbage
      parsed = { raw: text };
    }
    messages.push({ topic, payload: parsed, retain: packet.retain });
    for (const check of [...waiters]) check();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    on: (topic) => messages.filter((m) => m.topic === topic),
    waitFor: (predicate, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate(messages)) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`observer: condition not met within ${timeoutMs} ms (${messages.length} messages)`),
          );
        }, timeoutMs);
        const check = (): void => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
    close: async () => {
      await client.endAsync(true);
    },
  };
}

/** Publishes as the server would: JSON, QoS 1, optionally retained. */
export async function publishJson(
  client: MqttClient,
  topic: string,
  payload: unknown,
  retain = false,
): Promise<void> {
  await client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });
}
