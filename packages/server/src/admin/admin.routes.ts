import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { registerMeterBody } from '../meters/meters.schema';
import type { MetersService } from '../meters/meters.service';
import type { Db } from '../db/db';
import { assertCan } from '../shared/access';
import { AppError } from '../shared/errors';
import { meterNoParam } from '../shared/fields';
import { callerOf, consoleRoute } from '../shared/http';
import {
  alertIdParam,
  alertRow,
  alertsQuery,
  alertsResponse,
  assignBody,
  auditQuery,
  auditResponse,
  fleetQuery,
  fleetResponse,
  importBody,
  importResponse,
  meterDetailResponse,
  usersQuery,
  usersResponse,
} from './admin.schema';
import type { AdminService } from './admin.service';
import { registerHoldRow } from '../register-holds/register-holds.schema';
import { readMeterDetail } from './meter-detail';
import type { OperatorAlertsService } from './operator-alerts.service';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import { z } from 'zod';

export const adminRoutes =
  (deps: {
    db: Db;
    admin: AdminService;
    alerts: OperatorAlertsService;
    meters: MetersService;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/admin/meters',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: fleetQuery, response: { 200: fleetResponse } },
      },
      async (req) => deps.admin.fleet(callerOf(req), req.query),
    );
    app.get(
      '/api/admin/meters/:meterNo',
      {
        config: consoleRoute('console.view'),
        schema: {
          params: meterNoParam,
          response: {
            // with the implausible register jumps held for an operator (MQ-13), newest first
            200: meterDetailResponse.extend({ registerHolds: z.array(registerHoldRow) }),
          },
        },
      },
      async (req) => readMeterDetail(deps.db, callerOf(req), req.params.meterNo),
    );
    app.post(
      '/api/admin/meters/:meterNo/assign',
      {
        config: consoleRoute('meters.manage'),
        schema: {
          params: meterNoParam,
          body: assignBody,
          response: {
            200: z.object({
              meterNo: z.string(),
              userId: z.string().nullable(),
              previousUserId: z.string().nullable(),
            }),
          },
        },
      },
      async (req) => deps.admin.assign(callerOf(req), req.params.meterNo, req.body.userId, req.body.reason),
    );
    app.post(
      '/api/admin/meters/import',
      {
        config: consoleRoute('meters.manage'),
        schema: { body: importBody, response: { 200: importResponse } },
      },
      async (req) => {
        const caller = callerOf(req);
        assertCan(caller, 'meters.manage');
        const lines = req.body.csv.split(/\r?\n/);
        const rows: z.infer<typeof importResponse>['rows'] = [];
        let dataRows = 0;
        for (const [i, raw] of lines.entries()) {
          const line = raw.trim();
          if (line === '' || (i === 0 && /^meterno\s*(,|$)/i.test(line))) continue;
          if (++dataRows > L.importMaxRows) {
            throw new AppError('BAD_REQUEST', `At most ${L.importMaxRows} meters per import.`);
          }
          const [meterNo = '', ownerEmail = '', opening = ''] = line.split(',').map((c) => c.trim());
          const parsed = registerMeterBody.safeParse({
            meterNo,
            ...(ownerEmail ? { ownerEmail } : {}),
            ...(opening ? { openingCreditKwh: Number(opening) } : {}),
          });
          if (!parsed.success) {
            rows.push({
              line: i + 1,
              meterNo,
              ok: false,
              error: parsed.error.issues[0]?.message ?? 'invalid row',
              mqttUsername: null,
              mqttPassword: null,
            });
            continue;
          }
          try {
            const r = await deps.meters.register(caller, parsed.data);
            rows.push({
              line: i + 1,
              meterNo,
              ok: true,
              error: null,
              mqttUsername: r.mqttUsername,
              mqttPassword: r.mqttPassword,
            });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            rows.push({
              line: i + 1,
              meterNo,
              ok: false,
              error: err.message,
              mqttUsername: null,
              mqttPassword: null,
            });
          }
        }
        const created = rows.filter((r) => r.ok).length;
        return { rows, created, failed: rows.length - created };
      },
    );
    app.get(
      '/api/admin/users',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: usersQuery, response: { 200: usersResponse } },
      },
      async (req) => deps.admin.users(callerOf(req), req.query),
    );
    app.get(
      '/api/admin/alerts',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: alertsQuery, response: { 200: alertsResponse } },
      },
      async (req) => deps.alerts.list(callerOf(req), req.query),
    );
    app.post(
      '/api/admin/alerts/:id/ack',
      {
        config: consoleRoute('alerts.handle'),
        schema: { params: alertIdParam, response: { 200: alertRow } },
      },
      async (req) => deps.alerts.acknowledge(callerOf(req), req.params.id),
    );
    // Read-only: no route updates or deletes the audit log, and the database refuses it too.
    app.get(
      '/api/admin/audit',
      {
        config: consoleRoute('console.view'),
        schema: { querystring: auditQuery, response: { 200: auditResponse } },
      },
      async (req) => deps.admin.audit(callerOf(req), req.query),
    );
  };
