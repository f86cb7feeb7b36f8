import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { buildApp, type BuildOptions, type UmemeApp } from '../../packages/server/src/app';
import { testConfig, type Config } from '../../packages/server/src/config';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { clearRetainedCommands } from '../../packages/server/src/demo/demo-fleet';
import { pgliteTemplate } from './pglite-template';
import { scratchDatabase } from './scratch-db';

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-1' };

/** Which databases the integration suites run on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const databases: ('pglite' | 'postgres')[] = process.env.DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

export interface TestApp {
  app: UmemeApp;
  url: string;
  mqttUrl: string;
  adminToken: string;
  close(): Promise<void>;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: T }>;
  newMeter(opts?: {
    openingCreditKwh?: number;
    initialRegisterKwh?: number;
    userId?: string;
  }): Promise<TestMeterCreds>;
  newCustomer(): Promise<{ id: string; token: string; email: string; password: string }>;
  /** Credits a meter through the ledger as the demo top-up would (demo money), in any mode. */
  creditKes(meterNo: string, kes: number): Promise<void>;
}

export interface TestMeterCreds {
  meterNo: string;
  secret: string;
}

let counter = 0;
export function uniqueMeterNo(prefix = 'T'): string {
  counter++;
  return `${prefix}${randomBytes(3).toString('hex')}${counter}`.slice(0, 12);
}

/**
 * Every meter's limit is a retained command/balance, which the machine's shared broker
 * (MQTT_URL) keeps, on disk, after the app and its database are gone: a test app or benchmark
 * on that broker clears its meters' on close (as the demo fleet does), so the broker is left as
 * it was found.
 */
async function clearRetainedLimits(app: UmemeApp): Promise<void> {
  const { rows } = await app.services.db.query<{ meter_no: string }>(`SELECT meter_no FROM meters`);
  await clearRetainedCommands(
    app,
    rows.map((r) => ({ meterNo: r.meter_no })),
  );
}

/** A fresh PostgreSQL database for one test app, dropped on close. */
const freshPostgres = () => scratchDatabase(process.env.DATABASE_URL!, 'umeme_t');

export async function startTestApp(
  db: 'pglite' | 'postgres' = 'pglite',
  overrides: Partial<Config> = {},
  /** e.g. a tariff of its own: `{ pricing: tariffPricing([tariff]) }` */
  buildOptions: BuildOptions = {},
): Promise<TestApp> {
  const pgdb = db === 'postgres' ? await freshPostgres() : null;
  const config = testConfig({
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
    ...overrides,
  });
  const fromTemplate = !pgdb && config.DATA_DIR === ':memory:' && buildOptions.pgliteFrom === undefined;
  const app = buildApp(
    config,
    fromTemplate ? { ...buildOptions, pgliteFrom: await pgliteTemplate() } : buildOptions,
  );
  await app.start();
  const url = app.httpUrl;
  const api = async <T>(method: string, path: string, body?: unknown, token?: string | null) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T };
  };
  const login = await api<{ token: string }>('POST', '/auth/login', ADMIN);
  if (login.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(login.body)}`);
  const adminToken = login.body.token;
  const onSharedBroker = process.env.MQTT_URL !== undefined && config.MQTT_URL === process.env.MQTT_URL;
  return {
    app,
    url,
    mqttUrl: app.mqttUrl,
    adminToken,
    api,
    async close() {
      const started = Date.now();
      if (onSharedBroker) {
        // a test that stopped the database or cut the broker closes anyway, and says so
        const gaveUp = new Promise<string>((resolve) => setTimeout(resolve, 5_000, 'timed out').unref());
        const outcome = await Promise.race([
          clearRetainedLimits(app).then(
            () => null,
            (err: unknown) => String(err),
          ),
          gaveUp,
        ]);
        if (outcome !== null) console.warn(`retained limits left on ${process.env.MQTT_URL}: ${outcome}`);
      }
      await app.close();
      const closed = Date.now();
      await pgdb?.drop();
      const dropped = Date.now();
      if (dropped - started > 5_000) {
        console.warn(`slow test app close: app ${closed - started} ms, database drop ${dropped - closed} ms`);
      }
    },
    async newMeter(opts = {}) {
      const meterNo = uniqueMeterNo();
      const r = await app.services.meters.register(SYSTEM, {
        meterNo,
        openingCreditKwh: opts.openingCreditKwh ?? 0,
        initialRegisterKwh: opts.initialRegisterKwh ?? 0,
        ...(opts.userId ? { userId: opts.userId } : {}),
      });
      return { meterNo, secret: r.mqttPassword };
    },
    async creditKes(meterNo, kes) {
      await app.services.credit.credit(SYSTEM, {
        meterNo,
        amountCents: kes * 100,
        source: 'simulate',
        type: 'simulate',
        externalRef: `test-${randomBytes(6).toString('hex')}`,
      });
    },
    async newCustomer() {
      const email = `c${randomBytes(5).toString('hex')}@test.local`;
      const password = 'customer-pass-1';
      if (app.config.NOTIFIER === 'none') {
        // Self-registration is closed (production without a message sender): the account is
        // made as an operator's tool would, and signs in over HTTP like any other.
        await app.services.auth.register({ name: 'Test Customer', email, phone: '254712345678', password });
        const l = await api<{ token: string; user: { id: string } }>('POST', '/auth/login', {
          email,
          password,
        });
        if (l.status !== 200) throw new Error(`login failed: ${JSON.stringify(l.body)}`);
        return { id: l.body.user.id, token: l.body.token, email, password };
      }
      const r = await api('POST', '/auth/register', {
        name: 'Test Customer',
        email,
        phone: '254712345678',
        password,
      });
      if (r.status !== 202) throw new Error(`register failed: ${JSON.stringify(r.body)}`);
      const v = await api<{ token: string; user: { id: string } }>('POST', '/auth/verify', {
        email,
        code: verificationCode({ app }, email),
      });
      if (v.status !== 200) throw new Error(`verify failed: ${JSON.stringify(v.body)}`);
      return { id: v.body.user.id, token: v.body.token, email, password };
    },
  };
}

/** The code the development notifier sent to `email` for finishing a registration. */
export function verificationCode(t: Pick<TestApp, 'app'>, email: string): string {
  const notice = t.app.services.notifier.lastNoticeFor(email.toLowerCase());
  if (notice?.kind !== 'verification_code') throw new Error(`no verification code was sent to ${email}`);
  return notice.code;
}

/** A raw MQTT client acting as a meter. */
export async function connectAsMeter(
  mqttUrl: string,
  creds: TestMeterCreds,
  extra: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(mqttUrl, {
    clientId: creds.meterNo,
    username: creds.meterNo,
    password: creds.secret,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra,
  });
  client.on('error', () => {});
  return client;
}

export function v2Report(
  meterNo: string,
  seq: number,
  energyTotalKwh: number,
  extra: Record<string, unknown> = {},
) {
  return JSON.stringify({
    v: 2,
    meterNo,
    seq,
    energyTotal: energyTotalKwh,
    powerW: 500,
    relay: 'on',
    timestamp: Math.floor(Date.now() / 1000),
    ...extra,
  });
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function meterState(t: TestApp, meterNo: string) {
  const { rows } = await t.app.services.db.query<{
    e0_mwh: number;
    energy_mwh: number;
    credit_limit_mwh: number;
    ledger_mwh: number;
  }>(
    `SELECT m.e0_mwh, m.energy_mwh, m.credit_limit_mwh,
            (SELECT COALESCE(SUM(energy_mwh),0)::bigint FROM ledger_entries l WHERE l.meter_no = m.meter_no) AS ledger_mwh
       FROM meters m WHERE meter_no = $1`,
    [meterNo],
  );
  return rows[0]!;
}
