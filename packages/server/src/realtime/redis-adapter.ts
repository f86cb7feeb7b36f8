import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** The Redis stream, channel and key names of a deployment's Socket.IO adapter. */
export function redisNames(deployment: string) {
  return {
    streamName: `${deployment}:socket.io`,
    channelPrefix: `${deployment}:socket.io`,
    sessionKeyPrefix: `${deployment}:socket.io:session:`,
  };
}

/**
 * The Redis streams adapter saves a disconnected socket's recovery session with a SET whose
 * promise nobody awaits; with Redis down that is an unhandled rejection, which stops a Node
 * process by default. This hands the adapter the same client with every SET observed: the
 * session is then simply not saved, and that socket's reconnect is not recovered (it refetches).
 */
export function withSettledSessionWrites(redis: Redis, logger: Logger): Redis {
  const log = logger.child({ part: 'redis' });
  return new Proxy(redis, {
    get(target, prop) {
      if (prop === 'set') {
        return (...args: unknown[]) => {
          const written = (target.set as (...a: unknown[]) => Promise<unknown>)(...args);
          written.catch((err: unknown) =>
            log.debug({ err: (err as Error).message }, 'socket session not saved to redis'),
          );
          return written;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
