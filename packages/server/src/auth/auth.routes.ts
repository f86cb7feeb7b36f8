import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf } from '../shared/http';
import { z } from 'zod';
import {
  changePasswordBody,
  loginBody,
  registerBody,
  registrationResponse,
  resetConfirmBody,
  resetRequestBody,
  resetRequestResponse,
  tokenResponse,
  userResponse,
  verifyBody,
} from './auth.schema';
import type { AuthService } from './auth.service';
import type { PasswordResetService } from './password-reset';

/**
 * Per address, so generous: many customers share one carrier-NAT address. Guessing one
 * account's password is slowed per account; this bounds the password-hashing work per address.
 */
export const LOGIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const;
/** Per address; each code also dies after a few wrong tries (AUTH_LIMITS). */
export const VERIFY_RATE_LIMIT = { max: 30, timeWindow: '1 minute' } as const;

/** Per address; each account also gets at most one code a minute (AUTH_LIMITS.resetResendAfterS). */
export const RESET_RATE_LIMIT = { max: 20, timeWindow: '1 minute' } as const;

export const authRoutes =
  (auth: AuthService, reset: PasswordResetService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/password-reset',
      {
        config: { auth: 'public', rateLimit: RESET_RATE_LIMIT },
        schema: { body: resetRequestBody, response: { 202: resetRequestResponse } },
      },
      async (req, reply) => {
        await reset.request(req.body.login);
        return reply.status(202).send({
          status: 'reset_code_sent',
          message: 'If this email or phone number has an account, we have sent it a code.',
        });
      },
    );
    app.post(
      '/auth/password-reset/confirm',
      {
        config: { auth: 'public', rateLimit: VERIFY_RATE_LIMIT },
        schema: { body: resetConfirmBody, response: { 204: z.null() } },
      },
      async (req, reply) => {
        await reset.confirm(req.body.login, req.body.code, req.body.newPassword);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/auth/register',
      {
        config: { auth: 'public', rateLimit: LOGIN_RATE_LIMIT },
        schema: { body: registerBody, response: { 202: registrationResponse } },
      },
      async (req, reply) => {
        await auth.requestRegistration(req.body);
        return reply.status(202).send({
          status: 'verification_sent',
          message:
            'If this address can be registered, we have sent it a code. Enter the code to finish creating your account.',
        });
      },
    );
    app.post(
      '/auth/verify',
      {
        config: { auth: 'public', rateLimit: VERIFY_RATE_LIMIT },
        schema: { body: verifyBody, response: { 200: tokenResponse } },
      },
      async (req) => auth.verifyRegistration(req.body.email, req.body.code),
    );
    app.post(
      '/auth/login',
      {
        config: { auth: 'public', rateLimit: LOGIN_RATE_LIMIT },
        schema: { body: loginBody, response: { 200: tokenResponse } },
      },
      async (req) => auth.login(req.body.email, req.body.password),
    );
    // Ends every session of the account: each token it was given, on every device, and its sockets.
    app.post(
      '/auth/logout',
      { config: { duringPasswordChange: true }, schema: { response: { 204: z.null() } } },
      async (req, reply) => {
        await auth.logout(callerOf(req));
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/api/me/password',
      {
        config: { duringPasswordChange: true },
        schema: { body: changePasswordBody, response: { 200: tokenResponse } },
      },
      async (req) => auth.changePassword(callerOf(req), req.body.currentPassword, req.body.newPassword),
    );
    app.get(
      '/api/me',
      { config: { duringPasswordChange: true }, schema: { response: { 200: userResponse } } },
      async (req) => {
        const caller = callerOf(req);
        if (caller.kind !== 'user') throw new Error('unreachable');
        return auth.getUser(caller, caller.userId);
      },
    );
  };
