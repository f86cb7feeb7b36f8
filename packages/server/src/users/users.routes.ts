import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { userAccessBody, userIdParam } from '../admin/admin.schema';
import { callerOf, consoleRoute } from '../shared/http';
import {
  changePhoneBody,
  changeRoleBody,
  createOperatorBody,
  managedUser,
  resetPasswordBody,
  temporaryPasswordResponse,
} from './users.schema';
import type { UsersService } from './users.service';

/**
 * The console's Users page. Each route declares the least an operator needs; the service then
 * checks the account acted on: operators' accounts are `operators.manage` (admins) alone.
 */
export const usersRoutes =
  (users: UsersService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/admin/operators',
      {
        config: consoleRoute('operators.manage'),
        schema: { body: createOperatorBody, response: { 201: temporaryPasswordResponse } },
      },
      async (req, reply) => reply.status(201).send(await users.createOperator(callerOf(req), req.body)),
    );
    app.post(
      '/api/admin/users/:id/role',
      {
        config: consoleRoute('operators.manage'),
        schema: { params: userIdParam, body: changeRoleBody, response: { 200: managedUser } },
      },
      async (req) => users.changeRole(callerOf(req), req.params.id, req.body.role, req.body.reason),
    );
    for (const [action, disabled] of [
      ['disable', true],
      ['enable', false],
    ] as const) {
      app.post(
        `/api/admin/users/:id/${action}`,
        {
          config: consoleRoute('customers.care'),
          schema: { params: userIdParam, body: userAccessBody, response: { 200: managedUser } },
        },
        async (req) => users.setDisabled(callerOf(req), req.params.id, disabled, req.body.reason),
      );
    }
    app.post(
      '/api/admin/users/:id/password-reset',
      {
        config: consoleRoute('customers.care'),
        schema: {
          params: userIdParam,
          body: resetPasswordBody,
          response: { 200: temporaryPasswordResponse },
        },
      },
      async (req) => users.resetPassword(callerOf(req), req.params.id, req.body.reason),
    );
    app.post(
      '/api/admin/users/:id/phone',
      {
        config: consoleRoute('customers.care'),
        schema: { params: userIdParam, body: changePhoneBody, response: { 200: managedUser } },
      },
      async (req) => users.changePhone(callerOf(req), req.params.id, req.body.phone, req.body.reason),
    );
  };
