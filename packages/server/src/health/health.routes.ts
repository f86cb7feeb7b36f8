import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/db';
import type { Mode } from '../mode';
import { AppError } from '../shared/errors';
import type { Metrics } from '../shared/metrics';
import { metricsTokenMatches } from './metrics-listener';

/** Which mode runs and why (no secrets: the reasons name settings, never their values). */
export const modeResponse = z.object({
  name: z.enum(['demo', 'staging', 'production', 'development']),
  demo: z.boolean(),
  payments: z.enum(['daraja', 'emulator']),
  /** SMS and USSD: Africa's Talking, the emulator, or off (production without AT_API_KEY) */
  sms: z.enum(['africastalking', 'emulator', 'off']),
  reasons: z.array(z.string()),
});

export const healthRoutes =
  (deps: {
    db: Db;
    mqttConnected: () => boolean;
    metrics: Metrics;
    ingestPending: () => number;
    mode: Mode;
    /** METRICS_TOKEN: without it, /metrics is absent from this (public) listener */
    metricsToken: string | null;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const mode = {
      name: deps.mode.name,
      demo: deps.mode.demo,
      payments: deps.mode.payments,
      sms: deps.mode.sms,
      reasons: deps.mode.reasons,
    };
    app.get(
      '/health',
      {
        config: { auth: 'public', rateLimit: false },
        schema: {
          response: {
            200: z.object({
              status: z.literal('ok'),
              /** the original system's fields: ISO time now and process uptime in seconds */
              timestamp: z.string(),
              uptime: z.number(),
              mode: modeResponse,
            }),
          },
        },
      },
      async () => ({
        status: 'ok' as const,
        timestamp: new Date().toISOString(),
        uptime: process.uptime(),
        mode,
      }),
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
    // Fails closed: the metrics say a lot about the fleet and the load, so on the public listener
    // they need METRICS_TOKEN, and without one they are not here at all (see METRICS_PORT).
    app.get('/metrics', { config: { auth: 'public' } }, async (req, reply) => {
      if (deps.metricsToken === null) return reply.callNotFound();
      if (!metricsTokenMatches(req.headers.authorization, deps.metricsToken)) {
        throw new AppError('UNAUTHENTICATED', 'The metrics need the metrics token.');
      }
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
