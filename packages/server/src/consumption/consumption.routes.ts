import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf } from '../shared/http';
import { meterNoParam } from '../shared/fields';
import { consumptionQuery, consumptionResponse } from './consumption.schema';
import type { ConsumptionService } from './consumption.service';

export const consumptionRoutes =
  (consumption: ConsumptionService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/meters/:meterNo/consumption',
      {
        schema: {
          params: meterNoParam,
          querystring: consumptionQuery,
          response: { 200: consumptionResponse },
        },
      },
      async (req) => consumption.series(callerOf(req), req.params.meterNo, req.query),
    );
  };
