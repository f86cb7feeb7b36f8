import type { FastifyInstance, FastifySchema } from 'fastify';
import type { Permission } from './access';
import type { RouteAuth } from './http';

/** One route as registered: what the security tests are generated from. */
export interface RouteRecord {
  method: string;
  url: string;
  /** the effective level: routes that do not say are 'user' (denied by default) */
  auth: RouteAuth;
  /** what a console route declares an operator needs (undefined: admins only, and a failing test) */
  permission: Permission | undefined;
  /** whether the route said its level itself */
  authDeclared: boolean;
  schema: FastifySchema | undefined;
}

/** Records every route registered on `http` from now on into `into`. */
export function recordRoutes(http: FastifyInstance, into: RouteRecord[]): void {
  http.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // HEAD routes are generated from GET routes and share their handler.
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      // Read when asked, not now: onRoute hooks of the plugin that adds a route (api-docs marks
      // Swagger UI's routes public) run after this one, and the request-time check reads theirs.
      into.push({
        method,
        url: route.url,
        get auth() {
          return route.config?.auth ?? 'user';
        },
        get permission() {
          return route.config?.permission;
        },
        get authDeclared() {
          return route.config?.auth !== undefined;
        },
        get schema() {
          return route.schema;
        },
      });
    }
  });
}
