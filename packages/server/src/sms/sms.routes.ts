import formbody from '@fastify/formbody';
import { deliveryReportSchema, ussdAnswers, ussdCallbackSchema } from '@umeme/africastalking';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { CallbackGuard } from '../payments/callback-guard';
import { callbackTokenParam, errorBody } from '../payments/payments.schema';
import { callerOf, consoleRoute } from '../shared/http';
import { ussdStep, type UssdPorts } from '../ussd/ussd-menu';
import type { SmsOutbox } from './sms-outbox';
import { deliveryAck, smsListQuery, smsListResponse, smsPreferences, ussdReplyText } from './sms.schema';
import type { SmsService } from './sms.service';

/** Request logs on routes whose path holds the callback token: the path without it. */
function redactedForLog(request: FastifyRequest): Record<string, unknown> {
  const path = request.url.split('?')[0] ?? '';
  return {
    method: request.method,
    url: path.replace(/^(\/africastalking\/[a-z]+\/).*$/, '$1[redacted]'),
    remoteAddress: request.ip,
  };
}

export interface SmsRoutesDeps {
  service: SmsService;
  outbox: SmsOutbox;
  guard: CallbackGuard;
  /** null when SMS is off: the USSD callback then ends every session politely */
  ussd: UssdPorts | null;
}

/**
 * Africa's Talking's callbacks (form-encoded, unsigned: guarded like Daraja's by the secret in
 * the path and the optional address allow-list), the operators' view of the outbox and a
 * customer's SMS settings.
 */
export const smsRoutes =
  (deps: SmsRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Form bodies only in this plugin: everything else stays JSON.
    await app.register(formbody, { bodyLimit: 16 * 1024 });
    const callback = {
      config: { auth: 'public', rateLimit: false },
      preValidation: deps.guard.preValidation,
      logSerializers: { req: redactedForLog },
    } as const;

    app.post(
      '/africastalking/ussd/:token',
      {
        ...callback,
        schema: {
          params: callbackTokenParam,
          body: ussdCallbackSchema,
          response: { 200: ussdReplyText, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (req, reply) => {
        void reply.type('text/plain; charset=utf-8');
        if (deps.ussd === null) return 'END SMS and USSD are not available at the moment.';
        return ussdStep(deps.ussd, {
          sessionId: req.body.sessionId,
          phoneNumber: req.body.phoneNumber,
          answers: ussdAnswers(req.body.text),
        });
      },
    );

    app.post(
      '/africastalking/delivery/:token',
      {
        ...callback,
        schema: {
          params: callbackTokenParam,
          body: deliveryReportSchema,
          response: { 200: deliveryAck, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (req) => {
        // A report can overtake our own record of the send (the sending instance stores the
        // message id after the gateway answers): the outbox holds it until the id is stored.
        await deps.outbox.recordDelivery(req.body);
        return { ok: true as const };
      },
    );

    app.get(
      '/api/admin/sms',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: smsListQuery, response: { 200: smsListResponse } },
      },
      async (req) => deps.service.list(callerOf(req), req.query),
    );

    app.get(
      '/api/me/sms',
      { config: { auth: 'user' }, schema: { response: { 200: smsPreferences } } },
      async (req) => deps.service.preferences(callerOf(req)),
    );

    app.put(
      '/api/me/sms',
      { config: { auth: 'user' }, schema: { body: smsPreferences, response: { 200: smsPreferences } } },
      async (req) => deps.service.setPreferences(callerOf(req), req.body),
    );
  };
