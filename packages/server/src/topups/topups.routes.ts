import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBody } from '../payments/payments.schema';
import { callerOf, consoleRoute } from '../shared/http';
import {
  listTopupsQuery,
  processTopupBody,
  topupIdParam,
  topupListResponse,
  topupRequestBody,
  topupResponse,
} from './topups.schema';
import type { TopupsService } from './topups.service';

/** Design §6: `POST /transactions/topup` (customer), `PATCH /transactions/topup/:id/process` (admin). */
export const topupsRoutes =
  (topups: TopupsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/transactions/topup',
      {
        schema: { body: topupRequestBody, response: { 201: topupResponse, 400: errorBody, 404: errorBody } },
      },
      async (req, reply) => reply.status(201).send(await topups.request(callerOf(req), req.body)),
    );
    app.patch(
      '/transactions/topup/:id/process',
      {
        config: consoleRoute('money.move'),
        schema: {
          params: topupIdParam,
          body: processTopupBody,
          response: { 200: topupResponse, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => topups.process(callerOf(req), req.params.id, req.body),
    );
    app.get(
      '/transactions/topup',
      { schema: { querystring: listTopupsQuery, response: { 200: topupListResponse } } },
      async (req) => topups.list(callerOf(req), req.query),
    );
  };
