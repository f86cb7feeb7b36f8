import type { FastifyRequest } from 'fastify';

/** Requests per client per window on every route without a limit of its own. */
export const GLOBAL_RATE_LIMIT = { max: 600, timeWindow: '1 minute' } as const;

/**
 * Whom a rate limit counts a request against. Kenyan mobile networks put many customers behind
 * one carrier-NAT address, so a signed-in caller is counted by account (the user id of its
 * verified token) and only anonymous traffic by address: one client cannot lock out its
 * neighbours. Routes with a limit of their own (login, register) always count by address, or a
 * caller could sign in with a token of its own to escape that limit.
 */
export function limitKey(request: FastifyRequest): string {
  const ownLimit = typeof request.routeOptions.config.rateLimit === 'object';
  return request.account === null || ownLimit ? `address:${request.ip}` : `account:${request.account}`;
}
