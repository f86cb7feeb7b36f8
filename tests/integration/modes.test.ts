// Protects the modes of a running server (issue 12): the demo top-up exists in the demo only, no customer credits a meter without paying in any other mode, demo money is never revenue, demo accounts cannot sign in outside the demo, and Daraja goes where DARAJA_BASE_URL says.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDarajaEmulator, type DarajaEmulator } from '@umeme/daraja';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../packages/server/src/config';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { meterState, startTestApp, type TestApp } from '../helpers/app';

const DARAJA = {
  consumerKey: 'ck-modes-inproc-51d0',
  consumerSecret: 'cs-modes-inproc-SECRET-8c2a',
  shortCode: '600998',
  passkey: 'passkey-modes-inproc-4e7f',
};
/** Today as Kenyan reports count days. */
const today = () => new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 10);

let daraja: DarajaEmulator;
let darajaUrl: string;
beforeAll(async () => {
  daraja = createDarajaEmulator({ ...DARAJA, defaultDelayMs: 30 });
  darajaUrl = await daraja.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await daraja.close();
});

/** Real Daraja settings, pointed at the emulator started above. */
const realDaraja = (): Partial<Config> => ({
  DARAJA_CONSUMER_KEY: DARAJA.consumerKey,
  DARAJA_CONSUMER_SECRET: DARAJA.consumerSecret,
  DARAJA_SHORTCODE: DARAJA.shortCode,
  DARAJA_PASSKEY: DARAJA.passkey,
  DARAJA_BASE_URL: darajaUrl,
});

const MODES: [string, () => Partial<Config>][] = [
  ['staging (the emulator without the demo)', () => ({})],
  ['development (real Daraja outside production)', realDaraja],
  [
    'production',
    () => ({ ...realDaraja(), NODE_ENV: 'production', PUBLIC_URL: 'https://umeme.example.org' }),
  ],
];

describe.each(MODES)('outside the demo: %s', (_name, overrides) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', overrides());
  });
  afterAll(async () => {
    await t.close();
  });

  it('POST /daraja/simulate answers 404 and credits nothing', async () => {
    const customer = await t.newCustomer();
    const meter = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const before = await meterState(t, meter.meterNo);
    const res = await t.api(
      'POST',
      '/daraja/simulate',
      { meter_no: meter.meterNo, amount: 1000 },
      customer.token,
    );
    expect(res.status).toBe(404);
    const asAdmin = await t.api(
      'POST',
      '/daraja/simulate',
      { meter_no: meter.meterNo, amount: 1000 },
      t.adminToken,
    );
    expect(asAdmin.status).toBe(404);
    expect((await meterState(t, meter.meterNo)).credit_limit_mwh).toBe(before.credit_limit_mwh);
    const config = await t.api<{ demo: boolean; virtualPhoneUrl: string | null }>('GET', '/api/config');
    expect(config.body).toMatchObject({ demo: false, virtualPhoneUrl: null });
  });

  it('a customer may ask for a top-up but not approve it: the balance stays until an operator does', async () => {
    const customer = await t.newCustomer();
    const meter = await t.newMeter({ userId: customer.id, openingCreditKwh: 1 });
    const before = await meterState(t, meter.meterNo);
    const asked = await t.api<{ id: string; status: string }>(
      'POST',
      '/transactions/topup',
      { meterNo: meter.meterNo, amount: 500, channel: 'bank', reference: 'REF-MODES-1' },
      customer.token,
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body.status).toBe('pending');
    const approve = await t.api(
      'PATCH',
      `/transactions/topup/${asked.body.id}/process`,
      { status: 'approved' },
      customer.token,
    );
    expect(approve.status).toBe(403);
    expect((await meterState(t, meter.meterNo)).credit_limit_mwh).toBe(before.credit_limit_mwh);
  });
});

describe('payments backend', () => {
  it('with Daraja credentials and DARAJA_BASE_URL, STK pushes go to that address and no emulator runs', async () => {
    const t = await startTestApp('pglite', realDaraja());
    try {
      expect(t.app.daraja.emulator).toBeNull();
      const health = await t.api<{ mode: { name: string; payments: string } }>('GET', '/health');
      expect(health.body.mode).toMatchObject({ name: 'development', payments: 'daraja' });
      const customer = await t.newCustomer();
      const meter = await t.newMeter({ userId: customer.id });
      const pushesBefore = daraja.calls.stkPushAccepted;
      const res = await t.api(
        'POST',
        '/daraja/stkpush',
        { meterNo: meter.meterNo, amount: 50, phoneNumber: '0712345678' },
        customer.token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(daraja.calls.stkPushAccepted).toBe(pushesBefore + 1);
    } finally {
      await t.close();
    }
  });
});

describe('demo money', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { DEMO: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a demo top-up credits the meter but counts in no revenue or sales: reports JSON, CSV and statements', async () => {
    const customer = await t.newCustomer();
    const meter = await t.newMeter({ userId: customer.id });
    const before = await meterState(t, meter.meterNo);
    const demo = await t.api(
      'POST',
      '/daraja/simulate',
      { meter_no: meter.meterNo, amount: 700 },
      customer.token,
    );
    expect(demo.status).toBe(200);
    expect((await meterState(t, meter.meterNo)).credit_limit_mwh).toBeGreaterThan(before.credit_limit_mwh);
    const paid = await t.app.services.credit.credit(SYSTEM, {
      meterNo: meter.meterNo,
      amountCents: 25_000,
      source: 'mpesa_stk',
      type: 'payment',
      externalRef: `MODES-PAID-${meter.meterNo}`,
    });
    const day = today();
    const report = await t.api<{
      totals: { moneyCents: number; moneyByChannelCents: Record<string, number>; soldMwh: number };
    }>('GET', `/api/admin/reports/daily?from=${day}&to=${day}`, undefined, t.adminToken);
    expect(report.status).toBe(200);
    expect(report.body.totals.moneyCents).toBe(25_000);
    expect(report.body.totals.moneyByChannelCents).toEqual({ mpesa_stk: 25_000 });
    expect(report.body.totals.soldMwh).toBe(paid.energyMwh);

    const csv = await fetch(
      `${t.url}/api/admin/reports/monthly?from=${day.slice(0, 7)}&to=${day.slice(0, 7)}&format=csv`,
      {
        headers: { authorization: `Bearer ${t.adminToken}` },
      },
    );
    const text = await csv.text();
    expect(csv.status).toBe(200);
    const [header, row] = text.trim().split('\r\n');
    expect(header).not.toContain('simulate');
    const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, row!.split(',')[i]]));
    expect(cells.money_kes).toBe('250');

    const statement = await t.api<{ totals: { paidCents: number } }>(
      'GET',
      `/api/statements/${day.slice(0, 7)}`,
      undefined,
      customer.token,
    );
    expect(statement.status).toBe(200);
    expect(statement.body.totals.paidCents).toBe(25_000);

    // The ledger says which money is the demo's, explicitly.
    const { rows } = await t.app.services.db.query<{ source: string; demo: boolean }>(
      `SELECT source, demo FROM transactions WHERE meter_no = $1 AND amount_cents > 0 ORDER BY source`,
      [meter.meterNo],
    );
    expect(rows).toEqual([
      { source: 'mpesa_stk', demo: false },
      { source: 'simulate', demo: true },
    ]);
  });
});

describe('demo accounts outside the demo', () => {
  it('a demo account signed in during the demo can neither sign in nor use its session once the server runs without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umeme-modes-accounts-'));
    const common: Partial<Config> = { DATA_DIR: dir, JWT_SECRET: 'modes-test-jwt-secret-0123456789abcdef' };
    const account = { email: 'demo-customer@test.local', password: 'demo-password-1' };
    try {
      const demo = await startTestApp('pglite', { ...common, DEMO: true });
      let token: string;
      try {
        await demo.app.services.auth.ensureDemoUser({ ...account, name: 'Demo', role: 'customer' });
        const login = await demo.api<{ token: string }>('POST', '/auth/login', account);
        expect(login.status).toBe(200);
        token = login.body.token;
        expect((await demo.api('GET', '/api/me', undefined, token)).status).toBe(200);
      } finally {
        await demo.close();
      }
      const staging = await startTestApp('pglite', common);
      try {
        expect((await staging.api('POST', '/auth/login', account)).status).toBe(401);
        expect((await staging.api('GET', '/api/me', undefined, token)).status).toBe(401);
      } finally {
        await staging.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
