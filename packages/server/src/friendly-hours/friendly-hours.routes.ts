import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf, consoleRoute } from '../shared/http';
import { friendlyHoursBody, friendlyHoursResponse } from './friendly-hours.schema';
import type { FriendlyHoursService } from './friendly-hours.service';

export const friendlyHoursRoutes =
  (friendly: FriendlyHoursService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/admin/friendly-hours',
      { config: consoleRoute('console.view'), schema: { response: { 200: friendlyHoursResponse } } },
      async (req) => friendly.read(callerOf(req)),
    );
    app.put(
      '/api/admin/friendly-hours',
      {
        config: consoleRoute('meters.manage'),
        schema: { body: friendlyHoursBody, response: { 200: friendlyHoursResponse } },
      },
      async (req) => friendly.update(callerOf(req), req.body),
    );
  };
