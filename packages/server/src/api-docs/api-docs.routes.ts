import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The HTTP contract, public: `GET /openapi.json` (the document docs/openapi.json checks in) and
 * `GET /docs`, Swagger UI served from this server's own files (no CDN), under the CSP of every
 * page but one directive: Swagger UI inserts a `<style>` element of its own, so its pages allow
 * inline styles (`style-src 'self' 'unsafe-inline'`; a hash beside it would switch that off).
 * Scripts stay `'self'` only. It documents routes, never secrets, so it needs no sign-in; every
 * route it describes keeps its own access check.
 */
const VIEWER_STYLE_SRC = "style-src 'self' 'unsafe-inline'";

export const apiDocsRoutes: FastifyPluginAsync = async (app) => {
  // Swagger UI registers its own routes: this scope marks each public and leaves it out of the document.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, auth: 'public' };
    route.schema = { ...route.schema, hide: true };
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    const csp = reply.getHeader('content-security-policy');
    if (typeof csp === 'string') {
      reply.header('content-security-policy', csp.replace(/style-src [^;]*/, VIEWER_STYLE_SRC));
    }
    return payload;
  });
  app.get('/openapi.json', async () => app.swagger());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null, tryItOutEnabled: false },
  });
};
