import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf, consoleRoute } from '../shared/http';
import {
  holdDecisionBody,
  holdDecisionResponse,
  holdIdParam,
  holdsQuery,
  holdsResponse,
  type HoldAction,
} from './register-holds.schema';
import type { RegisterHoldsService } from './register-holds.service';

/** Operators review held register jumps (MQ-13) and decide each one, with a reason. */
export const registerHoldsRoutes =
  (holds: RegisterHoldsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/admin/register-holds',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: holdsQuery, response: { 200: holdsResponse } },
      },
      async (req) => ({ holds: await holds.list(callerOf(req), req.query) }),
    );
    const decisions: [string, HoldAction][] = [
      ['accept', 'accept'],
      ['reset-epoch', 'reset_epoch'],
      ['dismiss', 'dismiss'],
    ];
    for (const [path, action] of decisions) {
      app.post(
        `/api/admin/register-holds/:id/${path}`,
        {
          config: consoleRoute('money.move'),
          schema: { params: holdIdParam, body: holdDecisionBody, response: { 200: holdDecisionResponse } },
        },
        async (req) => holds.decide(callerOf(req), req.params.id, action, req.body.reason),
      );
    }
  };
