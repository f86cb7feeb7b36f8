import { SOCKET_NAMESPACE, type ClientToServerEvents, type ServerToClientEvents } from '@umeme/protocol';
import { io, type Socket } from 'socket.io-client';

export type BalanceClient = Socket<ServerToClientEvents, ClientToServerEvents>;
export type EventName = keyof ServerToClientEvents;
export interface Received {
  event: EventName;
  payload: Record<string, unknown>;
  atMs: number;
}

/** A socket.io client on /balance that records every event it receives. */
export interface RecordingClient {
  socket: BalanceClient;
  events: Received[];
  of(event: EventName): Record<string, unknown>[];
  close(): void;
}

export function openSocket(
  url: string,
  token: string | null,
  opts: { reconnection?: boolean; autoConnect?: boolean } = {},
): RecordingClient {
  const socket: BalanceClient = io(url + SOCKET_NAMESPACE, {
    auth: token === null ? {} : { token },
    transports: ['websocket'],
    reconnection: opts.reconnection ?? false,
    autoConnect: opts.autoConnect ?? true,
    forceNew: true,
    timeout: 5000,
  });
  const events: Received[] = [];
  socket.onAny((event: EventName, payload: Record<string, unknown>) => {
    events.push({ event, payload, atMs: Date.now() });
  });
  return {
    socket,
    events,
    of: (event) => events.filter((e) => e.event === event).map((e) => e.payload),
    close: () => {
      socket.disconnect();
    },
  };
}

/** Resolves once connected, rejects with the server's connect_error. */
export function connected(client: RecordingClient, timeoutMs = 5000): Promise<void> {
  const s = client.socket;
  if (s.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect in time')), timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    s.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Opens a socket, waits for it to connect and for its balance_initial. */
export async function openReadySocket(url: string, token: string): Promise<RecordingClient> {
  const client = openSocket(url, token);
  await connected(client);
  const deadline = Date.now() + 5000;
  while (client.of('balance_initial').length === 0) {
    if (Date.now() > deadline) throw new Error('no balance_initial');
    await new Promise((r) => setTimeout(r, 10));
  }
  return client;
}
