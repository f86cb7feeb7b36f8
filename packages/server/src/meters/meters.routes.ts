import { deviceBalanceBodySchema, deviceStatusBodySchema, type StatusReport } from '@umeme/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import { callerOf, consoleRoute } from '../shared/http';
import type { DeviceCredentials } from './device-credentials';
import type { MeterReportsService } from './meter-reports.service';
import { meterNoParam } from '../shared/fields';
import {
  bulkRotateBody,
  listMetersQuery,
  meterListResponse,
  meterResponse,
  registeredMeterResponse,
  registerMeterBody,
} from './meters.schema';
import type { MetersService, RotatedSecret } from './meters.service';

/** CSV for re-flashing; a value starting with = + - @ is quoted with ' so a spreadsheet never runs it. */
function secretsCsv(rows: RotatedSecret[]): string {
  const cell = (v: string) => {
    const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
    return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = rows.map((r) =>
    [r.meterNo, r.mqttUsername, r.mqttClientId, r.mqttPassword, r.error ?? ''].map(cell).join(','),
  );
  return ['meterNo,mqttUsername,mqttClientId,mqttPassword,error', ...lines, ''].join('\r\n');
}

const credentialsResponse = z.object({
  mqttUsername: z.string(),
  mqttPassword: z.string(),
  mqttClientId: z.string(),
});
const okResponse = z.object({ ok: z.literal(true) });

/** `Authorization: Basic base64(meterNo:secret)`, the same secret the meter uses for MQTT. */
async function authenticateDevice(
  devices: DeviceCredentials,
  meterNo: string,
  header: string | undefined,
): Promise<void> {
  if (!header?.startsWith('Basic ')) throw new AppError('UNAUTHENTICATED', 'Device credentials required.');
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  const user = decoded.slice(0, sep);
  const secret = decoded.slice(sep + 1);
  if (sep < 0 || user !== meterNo || !(await devices.verify(meterNo, secret))) {
    throw new AppError('UNAUTHENTICATED', 'Device credentials are not valid.');
  }
}

export const metersRoutes =
  (meters: MetersService, reports: MeterReportsService, devices: DeviceCredentials): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/meters',
      { schema: { querystring: listMetersQuery, response: { 200: meterListResponse } } },
      async (req) => meters.list(callerOf(req), req.query.limit, req.query.after),
    );
    app.get(
      '/api/meters/:meterNo',
      { schema: { params: meterNoParam, response: { 200: meterResponse } } },
      async (req) => meters.get(callerOf(req), req.params.meterNo),
    );
    app.post(
      '/api/meters',
      {
        config: consoleRoute('meters.manage'),
        schema: { body: registerMeterBody, response: { 201: registeredMeterResponse } },
      },
      async (req, reply) => reply.status(201).send(await meters.register(callerOf(req), req.body)),
    );
    app.post(
      '/api/meters/:meterNo/rotate-secret',
      {
        config: consoleRoute('meters.manage'),
        schema: { params: meterNoParam, response: { 200: credentialsResponse } },
      },
      async (req) => meters.rotateSecret(callerOf(req), req.params.meterNo),
    );
    app.post(
      '/api/meters/:meterNo/revoke',
      {
        config: consoleRoute('meters.manage'),
        schema: { params: meterNoParam, response: { 200: okResponse } },
      },
      async (req) => {
        await meters.revoke(callerOf(req), req.params.meterNo);
        return { ok: true as const };
      },
    );
    app.get(
      '/api/admin/meters/unprovisioned',
      {
        config: consoleRoute('console.view'),
        schema: { response: { 200: z.object({ managed: z.boolean(), meters: z.array(z.string()) }) } },
      },
      async (req) => meters.unprovisioned(callerOf(req)),
    );
    // New secrets for many meters, once, as a CSV download for re-flashing (issue 14).
    app.post(
      '/api/admin/meters/rotate-secrets',
      { config: consoleRoute('meters.manage'), schema: { body: bulkRotateBody } },
      async (req, reply) => {
        const rows = await meters.rotateSecrets(callerOf(req), req.body);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="meter-secrets.csv"')
          .header('cache-control', 'no-store')
          .send(secretsCsv(rows));
      },
    );
    app.post(
      '/api/meters/:meterNo/balance',
      {
        config: { auth: 'device' },
        // Before the body is parsed: an unauthenticated device learns nothing from validation.
        onRequest: async (req) => authenticateDevice(devices, req.params.meterNo, req.headers.authorization),
        schema: { params: meterNoParam, body: deviceBalanceBodySchema, response: { 200: okResponse } },
      },
      async (req) => {
        if (req.body.meterNo !== undefined && req.body.meterNo !== req.params.meterNo)
          throw new AppError('BAD_REQUEST', 'meterNo does not match the path.');
        await reports.applyBalance(req.params.meterNo, req.body);
        return { ok: true as const };
      },
    );
    app.post(
      '/api/meters/:meterNo/status',
      {
        config: { auth: 'device' },
        // Before the body is parsed: an unauthenticated device learns nothing from validation.
        onRequest: async (req) => authenticateDevice(devices, req.params.meterNo, req.headers.authorization),
        schema: { params: meterNoParam, body: deviceStatusBodySchema, response: { 200: okResponse } },
      },
      async (req) => {
        const body = req.body;
        // The original firmware's `{load_connected, wifi_status, mqtt_status}`: it is up.
        const report: StatusReport =
          'load_connected' in body ? { meterNo: req.params.meterNo, status: 'online' } : body;
        if (report.meterNo !== req.params.meterNo)
          throw new AppError('BAD_REQUEST', 'meterNo does not match the path.');
        await reports.applyStatus(req.params.meterNo, report);
        return { ok: true as const };
      },
    );
  };
