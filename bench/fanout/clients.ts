/**
 * Socket.IO clients for the fan-out benchmark, run as a child process so that the server's
 * process measures only itself. Opens one socket per token, then records the arrival time of
 * every consumption `balance_updated` as [meterNo, energyMwh, arrivedAtMs].
 */
import { SOCKET_NAMESPACE, kwhToMwh, type BalanceUpdated } from '@umeme/protocol';
import { io, type Socket } from 'socket.io-client';

interface Start {
  type: 'start';
  url: string;
  tokens: string[];
  connectConcurrency: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();
const sockets: Socket[] = [];
/** [meterNo, energyMwh, arrivedAtMs, emittedAtMs (the event's own timestamp)] */
const arrivals: [string, number, number, number][] = [];
let disconnects = 0;
let failures = 0;
let stopping = false;

function openOne(url: string, token: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = io(url + SOCKET_NAMESPACE, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      timeout: 30_000,
    });
    sockets.push(socket);
    socket.on('balance_updated', (e: BalanceUpdated) => {
      if (e.transactionType === 'consumption' && e.energyTotal !== undefined) {
        arrivals.push([e.meterNo, kwhToMwh(e.energyTotal), nowMs(), e.timestamp]);
      }
    });
    socket.once('balance_initial', () => resolve());
    socket.once('connect_error', () => {
      failures++;
      resolve();
    });
    socket.on('disconnect', () => {
      if (!stopping) disconnects++;
    });
  });
}

process.on('message', (m: Start | { type: 'stop' }) => {
  if (m.type === 'start') {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < m.tokens.length) await openOne(m.url, m.tokens[next++]!);
    };
    void Promise.all(Array.from({ length: m.connectConcurrency }, worker)).then(() =>
      process.send?.({ type: 'connected', sockets: sockets.length - failures, failures }),
    );
  } else {
    stopping = true;
    for (const s of sockets) s.disconnect();
    process.send?.({ type: 'result', arrivals, disconnects, failures }, () => process.exit(0));
  }
});
