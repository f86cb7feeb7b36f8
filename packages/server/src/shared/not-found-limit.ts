import type { FastifyInstance } from 'fastify';
import { AppError } from './errors';
import { limitKey } from './rate-limits';

/**
 * Repeated 404s from one client (an account, or an anonymous address: `limitKey`) look like
 * enumeration of meter numbers or ids: after `max` of them in a window the client gets 429 for
 * the rest of the window. Routes with a limit of their own (login) keep to that limit, so a
 * flood from one anonymous client on a shared address cannot stop its neighbours signing in.
 * Registered after the auth hook, which identifies the account.
 */
export const NOT_FOUND_LIMIT = { max: 100, windowMs: 60_000, trackedAddresses: 10_000 } as const;

export function limitNotFound(
  http: FastifyInstance,
  limit: { max: number; windowMs: number; trackedAddresses: number } = NOT_FOUND_LIMIT,
): void {
  const hits = new Map<string, { count: number; windowStartMs: number }>();
  const exempt = (config: { rateLimit?: unknown }) =>
    config.rateLimit === false || typeof config.rateLimit === 'object';
  http.addHook('onRequest', async (request) => {
    if (exempt(request.routeOptions.config)) return;
    const h = hits.get(limitKey(request));
    if (h && Date.now() - h.windowStartMs < limit.windowMs && h.count >= limit.max) {
      throw new AppError('RATE_LIMITED');
    }
  });
  http.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode !== 404) return;
    const now = Date.now();
    const key = limitKey(request);
    let h = hits.get(key);
    if (!h || now - h.windowStartMs >= limit.windowMs) {
      hits.delete(key);
      if (hits.size >= limit.trackedAddresses) {
        const oldest = hits.keys().next();
        if (!oldest.done) hits.delete(oldest.value);
      }
      h = { count: 0, windowStartMs: now };
      hits.set(key, h);
    }
    h.count++;
  });
}
