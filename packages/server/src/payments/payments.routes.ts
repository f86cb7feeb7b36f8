import {
  c2bConfirmationResponseSchema,
  c2bTransactionSchema,
  c2bValidationResponseSchema,
  stkCallbackBodySchema,
} from '@umeme/daraja';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf, consoleRoute } from '../shared/http';
import { redactedRequestForLog, type CallbackGuard } from './callback-guard';
import type { C2bService } from './c2b.service';
import {
  assignOrphanBody,
  assignOrphanResponse,
  dismissOrphanBody,
  listOrphansQuery,
  orphanIdParam,
  orphanListResponse,
  orphanResponse,
} from './orphans.schema';
import type { OrphansService } from './orphans.service';
import {
  callbackTokenParam,
  callbackTokenQuery,
  errorBody,
  rateLimitedBody,
  intentIdParam,
  intentResponse,
  stkCallbackAck,
  stkPushBody,
  stkPushHeaders,
  stkPushResponse,
} from './payments.schema';
import type { PaymentsService } from './payments.service';

export interface PaymentsRoutesDeps {
  payments: PaymentsService;
  c2b: C2bService;
  orphans: OrphansService;
  guard: CallbackGuard;
}

/**
 * Routes Daraja calls. Public (Safaricom has no token of ours) but guarded by the secret in
 * the URL and the optional allow-list; exempt from the per-address rate limit, because every
 * customer's callback comes from the same few Safaricom addresses; and logged without the URL's
 * secret. Their bodies are parsed with Daraja's loose schemas: Safaricom adds fields over time,
 * and an unknown field must not turn a real payment into a refusal.
 */
const darajaRoute = (guard: CallbackGuard) =>
  ({
    config: { auth: 'public', rateLimit: false },
    preValidation: guard.preValidation,
    logSerializers: { req: redactedRequestForLog },
  }) as const;

export const paymentsRoutes =
  ({ payments, c2b, orphans, guard }: PaymentsRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/daraja/stkpush',
      {
        schema: {
          body: stkPushBody,
          headers: stkPushHeaders,
          response: {
            202: stkPushResponse,
            400: errorBody,
            404: errorBody,
            409: errorBody,
            429: rateLimitedBody,
            502: errorBody,
          },
        },
      },
      async (req, reply) => {
        const answer = await payments.requestStkPush(callerOf(req), req.body, req.headers['idempotency-key']);
        return reply.status(answer.statusCode).send(answer.body);
      },
    );

    app.get(
      '/daraja/intents/:id',
      { schema: { params: intentIdParam, response: { 200: intentResponse, 404: errorBody } } },
      async (req) => payments.getIntent(callerOf(req), req.params.id),
    );

    app.post(
      '/daraja/callback/:token',
      {
        ...darajaRoute(guard),
        schema: {
          params: callbackTokenParam,
          body: stkCallbackBodySchema,
          response: { 200: stkCallbackAck, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (req) => {
        await payments.receiveStkCallback(req.body, req.body.Body.stkCallback, req.ip);
        return { ResultCode: 0 as const, ResultDesc: 'Accepted' as const };
      },
    );

    // Daraja refuses C2B URLs containing mpesa, safaricom, query, exe, cmd or sql.
    app.post(
      '/daraja/c2b/validation',
      {
        ...darajaRoute(guard),
        schema: {
          querystring: callbackTokenQuery,
          body: c2bTransactionSchema,
          response: { 200: c2bValidationResponseSchema, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (req) => c2b.validate(req.body),
    );

    app.post(
      '/daraja/c2b/confirmation',
      {
        ...darajaRoute(guard),
        schema: {
          querystring: callbackTokenQuery,
          body: c2bTransactionSchema,
          response: { 200: c2bConfirmationResponseSchema, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (req) => (await c2b.confirm(req.body, req.ip)).ack,
    );
    // Operator review of callbacks that matched no payment request (docs/design.md §7).
    app.get(
      '/api/admin/payments/orphans',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: listOrphansQuery, response: { 200: orphanListResponse, 400: errorBody } },
      },
      async (req) => orphans.list(callerOf(req), req.query),
    );

    app.post(
      '/api/admin/payments/orphans/:id/assign',
      {
        config: consoleRoute('money.move'),
        schema: {
          params: orphanIdParam,
          body: assignOrphanBody,
          response: { 200: assignOrphanResponse, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => orphans.assign(callerOf(req), req.params.id, req.body),
    );

    app.post(
      '/api/admin/payments/orphans/:id/dismiss',
      {
        config: consoleRoute('money.move'),
        schema: {
          params: orphanIdParam,
          body: dismissOrphanBody,
          response: { 200: orphanResponse, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => orphans.dismiss(callerOf(req), req.params.id, req.body),
    );
  };
