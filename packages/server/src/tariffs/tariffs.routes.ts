import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf, consoleRoute } from '../shared/http';
import {
  cancelTariffBody,
  createTariffBody,
  moveToGroupBody,
  moveToGroupResponse,
  tariffGroupParam,
  tariffGroupQuery,
  tariffGroupsResponse,
  publicTariffResponse,
  quoteQuery,
  quoteResponse,
  tariffIdParam,
  tariffListResponse,
  tariffVersionResponse,
} from './tariffs.schema';
import type { TariffsService } from './tariffs.service';

const open = { auth: 'public' } as const;

/** The tariff in force (public: everyone pays it) and the operators' versions (issue 17 item 2). */
export const tariffsRoutes =
  (tariffs: TariffsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/tariff',
      { config: open, schema: { querystring: tariffGroupQuery, response: { 200: publicTariffResponse } } },
      async (req) => tariffs.current(req.query.group),
    );
    app.get(
      '/api/tariff/quote',
      { config: open, schema: { querystring: quoteQuery, response: { 200: quoteResponse } } },
      async (req) => tariffs.quote(req.query.amountKes, req.query.group),
    );
    app.get(
      '/api/admin/tariffs',
      { config: consoleRoute('console.view'), schema: { response: { 200: tariffListResponse } } },
      async (req) => tariffs.list(callerOf(req)),
    );
    app.post(
      '/api/admin/tariffs',
      {
        config: consoleRoute('tariffs.manage'),
        schema: { body: createTariffBody, response: { 201: tariffVersionResponse } },
      },
      async (req, reply) =>
        reply.status(201).send({ version: await tariffs.create(callerOf(req), req.body) }),
    );
    app.post(
      '/api/admin/tariffs/:id/cancel',
      {
        config: consoleRoute('tariffs.manage'),
        schema: { params: tariffIdParam, body: cancelTariffBody, response: { 200: tariffVersionResponse } },
      },
      async (req) => ({ version: await tariffs.cancel(callerOf(req), req.params.id, req.body.reason) }),
    );
    app.get(
      '/api/admin/tariff-groups',
      { config: consoleRoute('console.view'), schema: { response: { 200: tariffGroupsResponse } } },
      async (req) => ({ groups: await tariffs.groups(callerOf(req)) }),
    );
    app.post(
      '/api/admin/tariff-groups/:group/meters',
      {
        config: consoleRoute('tariffs.manage'),
        schema: { params: tariffGroupParam, body: moveToGroupBody, response: { 200: moveToGroupResponse } },
      },
      async (req) => tariffs.moveToGroup(callerOf(req), req.params.group, req.body.meterNos, req.body.reason),
    );
  };
