import type { Config } from '../config';

type TrustProxyFunction = (address: string, hop: number) => boolean;

/**
 * Fastify's `trustProxy` for the configured trust. A hop count becomes a function: Fastify
 * itself now refuses to honour a bare number, since counting hops cannot tell the proxy from a
 * client that reaches the server directly (so a hop count is only safe when the server is
 * reachable through its proxies alone; addresses are the stricter choice).
 */
export function fastifyTrustProxy(trust: Config['TRUST_PROXY']): false | string[] | TrustProxyFunction {
  if (typeof trust !== 'number') return trust;
  const hops = trust;
  return (_address, hop) => hop < hops;
}
