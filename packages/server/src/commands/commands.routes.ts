import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { meterNoParam } from '../shared/fields';
import { callerOf, consoleRoute } from '../shared/http';
import { commandResponse, configBody, relayBody } from './commands.schema';
import type { CommandsService } from './commands.service';

export const commandsRoutes =
  (commands: CommandsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/admin/meters/:meterNo/relay',
      {
        config: consoleRoute('relay.command'),
        schema: { params: meterNoParam, body: relayBody, response: { 201: commandResponse } },
      },
      async (req, reply) =>
        reply.status(201).send(await commands.relay(callerOf(req), req.params.meterNo, req.body)),
    );
    app.post(
      '/api/admin/meters/:meterNo/config',
      {
        config: consoleRoute('meters.manage'),
        schema: { params: meterNoParam, body: configBody, response: { 201: commandResponse } },
      },
      async (req, reply) =>
        reply.status(201).send(await commands.config(callerOf(req), req.params.meterNo, req.body)),
    );
  };
