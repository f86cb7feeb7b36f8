import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { meterNoParam } from '../shared/fields';
import { callerOf, consoleRoute } from '../shared/http';
import {
  adjustmentBody,
  emergencyBody,
  emergencyResponse,
  moveBody,
  moveResponse,
  postingResponse,
  transactionIdParam,
} from './adjustments.schema';
import type { AdjustmentsService } from './adjustments.service';

export const adjustmentsRoutes =
  (adjustments: AdjustmentsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/admin/meters/:meterNo/adjustments',
      {
        config: consoleRoute('money.move'),
        schema: { params: meterNoParam, body: adjustmentBody, response: { 201: postingResponse } },
      },
      async (req, reply) =>
        reply.status(201).send(await adjustments.adjust(callerOf(req), req.params.meterNo, req.body)),
    );
    app.post(
      '/api/admin/transactions/:id/move',
      {
        config: consoleRoute('money.move'),
        schema: { params: transactionIdParam, body: moveBody, response: { 201: moveResponse } },
      },
      async (req, reply) =>
        reply
          .status(201)
          .send(
            await adjustments.moveTransaction(
              callerOf(req),
              req.params.id,
              req.body.toMeterNo,
              req.body.reason,
            ),
          ),
    );
    app.post(
      '/api/meters/:meterNo/emergency',
      { schema: { params: meterNoParam, body: emergencyBody, response: { 201: emergencyResponse } } },
      async (req, reply) =>
        reply
          .status(201)
          .send(await adjustments.emergency(callerOf(req), req.params.meterNo, req.body?.reason)),
    );
  };
