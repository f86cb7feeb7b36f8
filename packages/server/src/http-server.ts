import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registerAuthHook } from './auth/http-auth';
import type { SessionGuard } from './auth/sessions';
import type { Config } from './config';
import { registerErrorHandlers } from './shared/http';
import { limitNotFound } from './shared/not-found-limit';
import { GLOBAL_RATE_LIMIT, limitKey } from './shared/rate-limits';
import { recordRoutes, type RouteRecord } from './shared/route-table';
import { registerSecurityHeaders } from './shared/security-headers';
import { StartupError } from './shared/startup';
import { fastifyTrustProxy } from './shared/trust-proxy';

/** Largest accepted HTTP body. */
export const HTTP_BODY_LIMIT_BYTES = 64 * 1024;

/** In-flight requests get this long to finish before their connections are cut. */
const HTTP_DRAIN_MS = 5_000;

/**
 * Fastify with what every route shares: zod schemas and the OpenAPI document made from them
 * (docs/openapi.json), the route table, error handlers, security headers, the global rate limit
 * and the auth hook (denied by default). Capabilities register their routes on it.
 */
export async function createHttpServer(
  config: Config,
  logger: Logger,
  sessions: SessionGuard,
  routes: RouteRecord[],
): Promise<FastifyInstance> {
  const http = Fastify({
    loggerInstance: logger.child({ part: 'http' }) as unknown as FastifyBaseLogger,
    bodyLimit: HTTP_BODY_LIMIT_BYTES,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    trustProxy: fastifyTrustProxy(config.TRUST_PROXY),
  }).withTypeProvider<ZodTypeProvider>();
  http.setValidatorCompiler(validatorCompiler);
  http.setSerializerCompiler(serializerCompiler);
  await http.register(swagger, {
    openapi: { info: { title: 'Umeme API', version: '1' }, openapi: '3.1.0' },
    transform: jsonSchemaTransform,
  });
  recordRoutes(http, routes);
  registerErrorHandlers(http);
  registerSecurityHeaders(http, { publicUrl: config.PUBLIC_URL });
  await http.register(rateLimit, {
    global: true,
    ...GLOBAL_RATE_LIMIT,
    keyGenerator: limitKey,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'RATE_LIMITED',
      message: `Too many requests; try again in ${Math.ceil(ctx.ttl / 1000)} s.`,
    }),
  });
  registerAuthHook(http, sessions);
  limitNotFound(http);
  return http;
}

/** Listens on PORT/HOST; returns the URL clients use. */
export async function listenHttp(http: FastifyInstance, config: Config): Promise<string> {
  await http.listen({ port: config.PORT, host: config.HOST }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      throw new StartupError(`HTTP port ${config.PORT} is already in use. Set PORT to a free port.`);
    }
    throw err;
  });
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return `http://${host}:${port}`;
}

export async function closeHttp(http: FastifyInstance, config: Config): Promise<void> {
  const drainMs = Math.min(HTTP_DRAIN_MS, config.SHUTDOWN_STEP_TIMEOUT_MS / 2);
  const timer = setTimeout(() => http.server.closeAllConnections(), drainMs);
  try {
    await http.close();
  } finally {
    clearTimeout(timer);
  }
}
