// Protects operator tariffs (issue 17 item 2): versions are never retroactive, a scheduled one can be cancelled, every credit is priced by the version in force at its moment, the receipt names it, and each change is audited.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { databases, startTestApp, waitFor, type TestApp } from '../helpers/app';

interface Version {
  id: number | null;
  name: string;
  status: string;
  effectiveFrom: string;
}

describe.each(databases)('tariff versions (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    // A configured flat rate other than the built-in 20 KES/kWh: the default of a new installation.
    t = await startTestApp(db, { TARIFF_KES_PER_KWH: 25 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const admin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    t.api<T & { error?: string; message?: string }>(method, path, body, t.adminToken);

  async function buy(meterNo: string, kes: number) {
    return t.app.services.credit.credit(SYSTEM, {
      meterNo,
      amountCents: kes * 100,
      source: 'simulate',
      type: 'simulate',
      externalRef: `tariff-${randomBytes(6).toString('hex')}`,
    });
  }

  const vatTariff = {
    blocks: [{ upToKwh: null, energyRateCentsPerKwh: 1000 }],
    levies: [{ code: 'epra', label: 'EPRA levy', centsPerKwh: 100 }],
    vat: { basisPoints: 1000, appliesTo: ['energy', 'epra'] },
  };

  it('sells at the configured flat rate while no version is in force', async () => {
    const { meterNo } = await t.newMeter();
    const r = await buy(meterNo, 100);
    expect(r.energyMwh).toBe(4_000_000); // 100 KES at 25 KES/kWh
    expect(r.receipt?.tariffId).toBe('flat');
    const pub = await t.api<{ inForce: Version; next: Version | null }>('GET', '/api/tariff');
    expect(pub.status).toBe(200);
    expect(pub.body.inForce).toMatchObject({ id: null, name: 'Flat 25 KES/kWh', status: 'in_force' });
  });

  it('refuses a version in the past, an invalid tariff and a non-admin, and changes nothing', async () => {
    const past = await admin('POST', '/api/admin/tariffs', {
      name: 'Backdated',
      effectiveFrom: new Date(Date.now() - 60_000).toISOString(),
      tariff: vatTariff,
    });
    expect(past.status).toBe(400);
    expect(past.body.error).toBe('TARIFF_RETROACTIVE');
    const bad = await admin('POST', '/api/admin/tariffs', {
      name: 'Bad blocks',
      tariff: { blocks: [{ upToKwh: 30, energyRateCentsPerKwh: 1000 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('TARIFF_INVALID');
    expect(bad.body.message).toMatch(/block/i);
    const customer = await t.newCustomer();
    const denied = await t.api(
      'POST',
      '/api/admin/tariffs',
      { name: 'x', tariff: vatTariff },
      customer.token,
    );
    expect(denied.status).toBe(403);
    const list = await admin<{ versions: Version[] }>('GET', '/api/admin/tariffs');
    expect(list.body.versions).toEqual([]);
  });

  it('prices each purchase with the version in force at its moment, and the receipt says which', async () => {
    const { meterNo } = await t.newMeter();
    const effectiveMs = Date.now() + 1_500;
    const created = await admin<{ version: Version }>('POST', '/api/admin/tariffs', {
      name: 'VAT and levy',
      effectiveFrom: new Date(effectiveMs).toISOString(),
      tariff: vatTariff,
      reason: 'EPRA gazette notice',
    });
    expect(created.status).toBe(201);
    expect(created.body.version.status).toBe('scheduled');
    const before = await buy(meterNo, 121);
    expect(before.receipt?.tariffId).toBe('flat');
    expect(before.energyMwh).toBe(4_840_000); // 121 KES at 25 KES/kWh
    await waitFor(() => Date.now() > effectiveMs, 'the new version to take effect');
    const after = await buy(meterNo, 121);
    // (10 + 1) KES/kWh plus 10% VAT = 12.10 KES/kWh: 10 kWh
    expect(after.energyMwh).toBe(10_000_000);
    expect(after.receipt).toMatchObject({
      tariffId: `v${created.body.version.id}`,
      tariffName: 'VAT and levy',
    });
    expect(after.receipt?.lines.map((l) => [l.kind, l.amountCents])).toEqual([
      ['energy', 10_000],
      ['levy', 1_000],
      ['vat', 1_100],
    ]);
    const quote = await t.api<{ energyMwh: number; tariffName: string }>(
      'GET',
      '/api/tariff/quote?amountKes=121',
    );
    expect(quote.body).toMatchObject({ energyMwh: 10_000_000, tariffName: 'VAT and levy' });
    const audit = await t.app.services.db.query<{ action: string; details: { reason: string } }>(
      `SELECT action, details FROM audit_log WHERE target = $1`,
      [`tariff:${created.body.version.id}`],
    );
    expect(audit.rows).toMatchObject([
      { action: 'tariff.created', details: { reason: 'EPRA gazette notice' } },
    ]);
  });

  it('cancels a scheduled version (audited) but never one in force', async () => {
    const later = await admin<{ version: Version }>('POST', '/api/admin/tariffs', {
      name: 'Next year',
      effectiveFrom: new Date(Date.now() + 86_400_000).toISOString(),
      tariff: { blocks: [{ upToKwh: null, energyRateCentsPerKwh: 3000 }] },
    });
    expect(later.status).toBe(201);
    const pub = await t.api<{ next: Version | null }>('GET', '/api/tariff');
    expect(pub.body.next).toMatchObject({ name: 'Next year', status: 'scheduled' });
    const noReason = await admin('POST', `/api/admin/tariffs/${later.body.version.id}/cancel`, {});
    expect(noReason.status).toBe(400);
    const cancelled = await admin<{ version: Version }>(
      'POST',
      `/api/admin/tariffs/${later.body.version.id}/cancel`,
      {
        reason: 'entered by mistake',
      },
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.version.status).toBe('cancelled');
    expect((await t.api<{ next: Version | null }>('GET', '/api/tariff')).body.next).toBeNull();

    const list = await admin<{ versions: Version[] }>('GET', '/api/admin/tariffs');
    const inForce = list.body.versions.find((v) => v.status === 'in_force')!;
    expect(inForce.name).toBe('VAT and levy');
    const refused = await admin('POST', `/api/admin/tariffs/${inForce.id}/cancel`, { reason: 'too late' });
    expect(refused.status).toBe(409);
    expect((await admin('POST', '/api/admin/tariffs/999999/cancel', { reason: 'none' })).status).toBe(404);
    const audit = await t.app.services.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target = $1 ORDER BY id`,
      [`tariff:${later.body.version.id}`],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['tariff.created', 'tariff.cancelled']);
  });
});
