import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { Caller, Permission } from './access';
import { AppError, errorCatalogue } from './errors';

/**
 * Route access levels. Every route is 'user' unless it says otherwise: denied by default.
 * 'admin' is a console route: an operator's, who must also hold the route's `permission`.
 */
export type RouteAuth = 'public' | 'user' | 'admin' | 'device';

/** What a console route that declares no permission needs: only a role with every permission. */
export const UNDECLARED_CONSOLE_PERMISSION: Permission = 'operators.manage';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** on a console ('admin') route, what the operator must be allowed to do */
    permission?: Permission;
    /** a user route that works while the account must change its password (me, the change, sign-out) */
    duringPasswordChange?: boolean;
  }
  interface FastifyRequest {
    caller: Caller | null;
    /** the user id of a verified bearer token, on any route: what rate limits count by */
    account: string | null;
  }
}

export function routeAuth(request: FastifyRequest): RouteAuth {
  return request.routeOptions.config.auth ?? 'user';
}

/** The permission a console route needs; one that says none is for admins only. */
export function routePermission(request: FastifyRequest): Permission {
  return request.routeOptions.config.permission ?? UNDECLARED_CONSOLE_PERMISSION;
}

/** The caller of a route that required a user; throws if the hook did not run. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new AppError('UNAUTHENTICATED');
  return request.caller;
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.retryAfterS !== undefined) {
        return reply
          .status(err.status)
          .header('retry-after', String(err.retryAfterS))
          .send({ error: err.code, message: err.message, retryAfter: err.retryAfterS });
      }
      return reply.status(err.status).send({ error: err.code, message: err.message });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const detail = err.validation
        .slice(0, 5)
        .map(
          (v) =>
            `${v.instancePath.replace(/^\//, '').replace(/\//g, '.') || err.validationContext}: ${v.message}`,
        )
        .join('; ');
      return reply.status(400).send({ error: 'BAD_REQUEST', message: detail || 'Invalid request.' });
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err }, 'response did not match its schema');
      return reply.status(500).send({ error: 'INTERNAL', message: errorCatalogue.INTERNAL.message });
    }
    const status = err.statusCode ?? 500;
    if (status === 413) {
      return reply
        .status(413)
        .send({ error: 'PAYLOAD_TOO_LARGE', message: errorCatalogue.PAYLOAD_TOO_LARGE.message });
    }
    if (status === 429) {
      return reply.status(429).send({ error: 'RATE_LIMITED', message: errorCatalogue.RATE_LIMITED.message });
    }
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: 'BAD_REQUEST', message: err.message });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: 'INTERNAL', message: errorCatalogue.INTERNAL.message });
  });
  app.setNotFoundHandler((_request, reply) => {
    return reply.status(404).send({ error: 'NOT_FOUND', message: errorCatalogue.NOT_FOUND.message });
  });
}

/** The `config` of a console route: operators only, and only those allowed `permission`. */
export const consoleRoute = (permission: Permission) => ({ auth: 'admin', permission }) as const;
