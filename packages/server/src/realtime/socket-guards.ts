import type { SocketConnectError } from '@umeme/protocol';
import type { Socket } from 'socket.io';
import { AppError } from '../shared/errors';
import { REALTIME_LIMITS } from './realtime.limits';

/** Thrown by the gateway's authentication when a user already has its share of sockets here. */
export class TooManyConnections extends Error {}

/** What a refused connection tells the browser: a code it can act on and words it can show. */
export function connectError(err: unknown): Error & { data: { error: SocketConnectError; message: string } } {
  let code: SocketConnectError = 'UNAVAILABLE';
  let message = 'The live link is unavailable; try again shortly.';
  if (err instanceof TooManyConnections) {
    code = 'TOO_MANY_CONNECTIONS';
    message = 'Too many open connections for this account; close a tab or two.';
  } else if (err instanceof AppError && err.code === 'UNAUTHENTICATED') {
    code = 'UNAUTHENTICATED';
    message = err.message;
  }
  return Object.assign(new Error(code), { data: { error: code, message } });
}

/** A socket that floods the server with requests is cut; normal clients send a handful. */
export function limitClientEvents(socket: Pick<Socket, 'use' | 'disconnect'>, onFlood: () => void): void {
  let windowStart = Date.now();
  let count = 0;
  socket.use((_packet, next) => {
    const now = Date.now();
    if (now - windowStart >= REALTIME_LIMITS.clientEventWindowMs) {
      windowStart = now;
      count = 0;
    }
    count++;
    if (count > REALTIME_LIMITS.clientEventsPerWindow) {
      onFlood();
      socket.disconnect(true);
      return;
    }
    next();
  });
}
