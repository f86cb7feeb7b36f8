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
  group?: string;
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

  it('prices a meter moved into a customer group with that group’s version, audited, and others as before', async () => {
    const group = `commercial-${randomBytes(3).toString('hex')}`;
    const home = await t.newMeter();
    const shop = await t.newMeter();
    const standardQuote = await t.api<{ energyMwh: number; tariffId: string }>(
      'GET',
      '/api/tariff/quote?amountKes=100',
    );
    const moved = await admin<{ moved: number; notFound: string[] }>(
      'POST',
      `/api/admin/tariff-groups/${group}/meters`,
      { meterNos: [shop.meterNo, 'NO-SUCH-METER'], reason: 'shop on the market street' },
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ group, moved: 1, notFound: ['NO-SUCH-METER'] });
    // A group without a version of its own in force pays the default group's tariff.
    expect((await buy(shop.meterNo, 100)).energyMwh).toBe(standardQuote.body.energyMwh);
    const effectiveMs = Date.now() + 1_500;
    const created = await admin<{ version: Version & { group: string } }>('POST', '/api/admin/tariffs', {
      name: 'Commercial 50',
      group,
      effectiveFrom: new Date(effectiveMs).toISOString(),
      tariff: { blocks: [{ upToKwh: null, energyRateCentsPerKwh: 5000 }] },
    });
    expect(created.status).toBe(201);
    expect(created.body.version).toMatchObject({ group, status: 'scheduled' });
    await waitFor(() => Date.now() > effectiveMs, 'the group version to take effect');
    const shopBuy = await buy(shop.meterNo, 100);
    expect(shopBuy.energyMwh).toBe(2_000_000); // 100 KES at 50 KES/kWh
    expect(shopBuy.receipt).toMatchObject({
      tariffId: `v${created.body.version.id}`,
      tariffName: 'Commercial 50',
    });
    expect((await buy(home.meterNo, 100)).energyMwh).toBe(standardQuote.body.energyMwh);
    const groupQuote = await t.api<{ energyMwh: number }>(
      'GET',
      `/api/tariff/quote?amountKes=100&group=${group}`,
    );
    expect(groupQuote.body.energyMwh).toBe(2_000_000);
    const pub = await t.api<{ inForce: Version }>('GET', `/api/tariff?group=${group}`);
    expect(pub.body.inForce).toMatchObject({ name: 'Commercial 50', status: 'in_force' });
    const groups = await admin<{ groups: { group: string; meters: number; inForce: { name: string } }[] }>(
      'GET',
      '/api/admin/tariff-groups',
    );
    expect(groups.body.groups.find((g) => g.group === group)).toEqual({
      group,
      meters: 1,
      inForce: { id: created.body.version.id, name: 'Commercial 50', group },
    });
    const audit = await t.app.services.db.query<{ action: string; details: Record<string, string> }>(
      `SELECT action, details FROM audit_log WHERE target = $1 AND action = 'meter.tariff_group'`,
      [`meter:${shop.meterNo}`],
    );
    expect(audit.rows).toEqual([
      {
        action: 'meter.tariff_group',
        details: { from: 'standard', to: group, reason: 'shop on the market street' },
      },
    ]);
    // A name that is not a group, and a customer, change nothing.
    const bad = await admin('POST', '/api/admin/tariff-groups/Big Shops/meters', {
      meterNos: [home.meterNo],
      reason: 'x',
    });
    expect(bad.status).toBe(400);
    const customer = await t.newCustomer();
    const refused = await t.api(
      'POST',
      `/api/admin/tariff-groups/${group}/meters`,
      {
        meterNos: [home.meterNo],
        reason: 'mine',
      },
      customer.token,
    );
    expect(refused.status).toBe(403);
    expect((await buy(home.meterNo, 100)).energyMwh).toBe(standardQuote.body.energyMwh);
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
    const inForce = list.body.versions.find((v) => v.status === 'in_force' && v.group === 'standard')!;
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
