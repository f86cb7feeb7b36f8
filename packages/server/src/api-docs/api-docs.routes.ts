import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The HTTP contract, public: `GET /openapi.json` (the document docs/openapi.json checks in) and
 * `GET /docs`, Swagger UI served from this server's own files (no CDN), under the same CSP as
 * every page. It documents routes, never secrets, so it needs no sign-in; every route it
 * describes keeps its own access check.
 */
export const apiDocsRoutes: FastifyPluginAsync = async (app) => {
  // Swagger UI registers its own routes: this scope marks each public and leaves it out of the document.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, auth: 'public' };
    route.schema = { ...route.schema, hide: true };
  });
  app.get('/openapi.json', async () => app.swagger());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null, tryItOutEnabled: false },
  });
};
