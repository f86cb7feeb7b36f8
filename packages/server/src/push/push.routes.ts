import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBody } from '../payments/payments.schema';
import { callerOf } from '../shared/http';
import {
  pushConfigResponse,
  pushSubscribeBody,
  pushSubscriptionResponse,
  pushSubscriptionsResponse,
  pushUnsubscribeBody,
} from './push.schema';
import type { PushService } from './push.service';

/** Web push opt-in: the server's public key, and the signed-in customer's browsers. */
export const pushRoutes =
  (push: PushService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/push/config',
      { schema: { response: { 200: pushConfigResponse, 503: errorBody } } },
      async () => push.config(),
    );
    app.get(
      '/api/push/subscriptions',
      { schema: { response: { 200: pushSubscriptionsResponse, 403: errorBody } } },
      async (req) => push.list(callerOf(req)),
    );
    app.post(
      '/api/push/subscriptions',
      {
        schema: {
          body: pushSubscribeBody,
          response: { 201: pushSubscriptionResponse, 400: errorBody, 403: errorBody },
        },
      },
      async (req, reply) => reply.status(201).send(await push.subscribe(callerOf(req), req.body)),
    );
    app.delete(
      '/api/push/subscriptions',
      { schema: { body: pushUnsubscribeBody, response: { 204: z.null(), 403: errorBody, 404: errorBody } } },
      async (req, reply) => {
        await push.unsubscribe(callerOf(req), req.body.endpoint);
        return reply.status(204).send(null);
      },
    );
  };
