import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/db';
import type { Mode } from '../mode';
import type { Metrics } from '../shared/metrics';

/** Which mode runs and why (no secrets: the reasons name settings, never their values). */
export const modeResponse = z.object({
  name: z.enum(['demo', 'staging', 'production', 'development']),
  demo: z.boolean(),
  payments: z.enum(['daraja', 'emulator']),
  reasons: z.array(z.string()),
});

export const healthRoutes =
  (deps: {
    db: Db;
    mqttConnected: () => boolean;
    metrics: Metrics;
    ingestPending: () => number;
    mode: Mode;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const mode = {
      name: deps.mode.name,
      demo: deps.mode.demo,
      payments: deps.mode.payments,
      reasons: deps.mode.reasons,
    };
    app.get(
      '/health',
      {
        config: { auth: 'public', rateLimit: false },
        schema: { response: { 200: z.object({ status: z.literal('ok'), mode: modeResponse }) } },
      },
      async () => ({ status: 'ok' as const, mode }),
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
              mode: modeResponse,
            }),
            503: z.object({
              status: z.string(),
              database: z.boolean(),
              broker: z.boolean(),
              ingestPending: z.number(),
              mode: modeResponse,
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
          mode,
        });
      },
    );
    app.get('/metrics', { config: { auth: 'public', rateLimit: false } }, async (_req, reply) => {
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
