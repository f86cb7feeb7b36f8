import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf, consoleRoute } from '../shared/http';
import { meterNoParam } from '../shared/fields';
import { claimBody, claimCodeResponse, claimCodeStatusResponse, claimResponse } from './meter-claims.schema';
import type { MeterClaimsService } from './meter-claims.service';

export const meterClaimsRoutes =
  (claims: MeterClaimsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/meters/claim',
      { schema: { body: claimBody, response: { 200: claimResponse } } },
      async (req) => claims.claim(callerOf(req), req.body.accountNo, req.body.code),
    );
    app.get(
      '/api/admin/meters/:meterNo/claim-code',
      {
        config: consoleRoute('console.view'),
        schema: { params: meterNoParam, response: { 200: claimCodeStatusResponse } },
      },
      async (req) => claims.codeStatus(callerOf(req), req.params.meterNo),
    );
    app.post(
      '/api/admin/meters/:meterNo/claim-code',
      {
        config: consoleRoute('meters.manage'),
        schema: { params: meterNoParam, response: { 200: claimCodeResponse } },
      },
      async (req) => claims.issueCode(callerOf(req), req.params.meterNo),
    );
  };
