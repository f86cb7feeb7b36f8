import type { FastifyInstance } from 'fastify';
import { AppError } from './errors';

/**
 * Repeated 404s from one address look like enumeration of meter numbers or ids: after
 * `max` of them in a window the address gets 429 for the rest of the window.
 */
export const NOT_FOUND_LIMIT = { max: 100, windowMs: 60_000, trackedAddresses: 10_000 } as const;

export function limitNotFound(
  http: FastifyInstance,
  limit: { max: number; windowMs: number; trackedAddresses: number } = NOT_FOUND_LIMIT,
): void {
  const hits = new Map<string, { count: number; windowStartMs: number }>();
  const exempt = (config: { rateLimit?: unknown }) => config.rateLimit === false;
  http.addHook('onRequest', async (request) => {
    if (exempt(request.routeOptions.config)) return;
    const h = hits.get(request.ip);
    if (h && Date.now() - h.windowStartMs < limit.windowMs && h.count >= limit.max) {
      throw new AppError('RATE_LIMITED');
    }
  });
  http.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode !== 404) return;
    const now = Date.now();
    let h = hits.get(request.ip);
    if (!h || now - h.windowStartMs >= limit.windowMs) {
      hits.delete(request.ip);
      if (hits.size >= limit.trackedAddresses) {
        const oldest = hits.keys().next();
        if (!oldest.done) hits.delete(oldest.value);
      }
      h = { count: 0, windowStartMs: now };
      hits.set(request.ip, h);
    }
    h.count++;
  });
}
