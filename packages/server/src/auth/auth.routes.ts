import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf } from '../shared/http';
import { loginBody, registerBody, tokenResponse, userResponse } from './auth.schema';
import type { AuthService } from './auth.service';

/**
 * Per address, so generous: many customers share one carrier-NAT address. Guessing one
 * account's password is slowed per account; this bounds the password-hashing work per address.
 */
export const LOGIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const;

export const authRoutes =
  (auth: AuthService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/register',
      {
        config: { auth: 'public', rateLimit: LOGIN_RATE_LIMIT },
        schema: { body: registerBody, response: { 201: tokenResponse } },
      },
      async (req, reply) => reply.status(201).send(await auth.register(req.body)),
    );
    app.post(
      '/auth/login',
      {
        config: { auth: 'public', rateLimit: LOGIN_RATE_LIMIT },
        schema: { body: loginBody, response: { 200: tokenResponse } },
      },
      async (req) => auth.login(req.body.email, req.body.password),
    );
    app.get('/api/me', { schema: { response: { 200: userResponse } } }, async (req) => {
      const caller = callerOf(req);
      if (caller.kind !== 'user') throw new Error('unreachable');
      return auth.getUser(caller, caller.userId);
    });
  };
