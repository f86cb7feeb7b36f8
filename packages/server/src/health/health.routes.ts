import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/db';
import type { Metrics } from '../shared/metrics';

export const healthRoutes =
  (deps: {
    db: Db;
    mqttConnected: () => boolean;
    metrics: Metrics;
    ingestPending: () => number;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/health',
      {
        config: { auth: 'public', rateLimit: false },
        schema: { response: { 200: z.object({ status: z.literal('ok') }) } },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/ready',
      {
        config: { auth: 'public', rateLimit: false },
        schema: {
          response: {
            200: z.object({
              status: z.string(),
              database: z.boolean(),
              broker: z.boolean(),
              ingestPending: z.number(),
            }),
            503: z.object({
              status: z.string(),
              database: z.boolean(),
              broker: z.boolean(),
              ingestPending: z.number(),
            }),
          },
        },
      },
      async (_req, reply) => {
        const database = await deps.db
          .query('SELECT 1')
          .then(() => true)
          .catch(() => false);
        const broker = deps.mqttConnected();
        const ok = database && broker;
        return reply.status(ok ? 200 : 503).send({
          status: ok ? 'ready' : 'not_ready',
          database,
          broker,
          ingestPending: deps.ingestPending(),
        });
      },
    );
    app.get('/metrics', { config: { auth: 'public', rateLimit: false } }, async (_req, reply) => {
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
