import { describe, expect, it } from 'vitest';
import { auditQuery, countCsvRows, fleetQuery, orphansQuery, reportPath, usersQuery } from './admin-api';
import { adminAuditPath, adminMeterPath, isAdminPath, parseAdminRoute } from './admin-routes';
import { applyFleetUpdate } from './fleet-rows';
import type { FleetRow } from './admin-api';

describe('admin routes', () => {
  it('parses console paths and keeps customer paths out', () => {
    expect(isAdminPath('/admin')).toBe(true);
    expect(isAdminPath('/admin/alerts')).toBe(true);
    expect(isAdminPath('/administrator')).toBe(false);
    expect(isAdminPath('/meters/A1')).toBe(false);
    expect(parseAdminRoute('/admin/')).toEqual({ name: 'fleet' });
    expect(parseAdminRoute('/admin/reports')).toEqual({ name: 'reports' });
    expect(parseAdminRoute(adminMeterPath('M 1'))).toEqual({ name: 'meter', meterNo: 'M 1' });
    expect(parseAdminRoute('/admin/meters/%E0%A4%A')).toEqual({ name: 'unknown' });
    expect(parseAdminRoute('/admin/x/y')).toEqual({ name: 'unknown' });
    expect(parseAdminRoute('/admin/users/')).toEqual({ name: 'users' });
    expect(parseAdminRoute('/admin/audit')).toEqual({ name: 'audit' });
    expect(parseAdminRoute('/admin/payments')).toEqual({ name: 'payments' });
    expect(parseAdminRoute('/admin/payments/')).toEqual({ name: 'payments' });
    expect(parseAdminRoute('/admin/payments/12')).toEqual({ name: 'unknown' });
    expect(parseAdminRoute('/admin/sms')).toEqual({ name: 'sms' });
    expect(adminAuditPath()).toBe('/admin/audit');
    expect(adminAuditPath({ target: 'M 1', action: '' })).toBe('/admin/audit?target=M+1');
  });

  it('builds users and audit queries, and parses meter CSV for a preview', () => {
    expect(usersQuery({ q: ' wanjiku ', role: 'customer', after: 'a@b.c' })).toEqual({
      q: 'wanjiku',
      role: 'customer',
      after: 'a@b.c',
      limit: 50,
    });
    expect(usersQuery({ q: '  ', role: null })).toEqual({ limit: 50 });
    expect(auditQuery({ target: ' A1 ', actor: '', action: 'meter.', before: 9 })).toEqual({
      target: 'A1',
      action: 'meter.',
      before: 9,
      limit: 50,
    });
    expect(countCsvRows('meterNo,ownerEmail\nA1,a@b.c\n\nA2,,3\r\n')).toBe(2);
    expect(countCsvRows('A1\nA2')).toBe(2);
    expect(countCsvRows('')).toBe(0);
  });

  it('builds orphan payment queries: a status, the cursor of the previous page, a page size', () => {
    expect(orphansQuery({ status: 'open' })).toEqual({ status: 'open', limit: 50 });
    expect(orphansQuery({ status: 'all', cursor: '42', limit: 10 })).toEqual({
      status: 'all',
      cursor: '42',
      limit: 10,
    });
    expect(orphansQuery({ status: 'dismissed', cursor: null })).toEqual({ status: 'dismissed', limit: 50 });
  });

  it('builds fleet and report queries', () => {
    expect(fleetQuery({ filter: 'offline', q: ' A1 ', sort: '-balance', cursor: 'c', limit: 10 })).toEqual({
      filter: 'offline',
      q: 'A1',
      sort: '-balance',
      cursor: 'c',
      limit: 10,
    });
    expect(fleetQuery({ q: '  ' })).toEqual({ limit: 50 });
    expect(reportPath('daily', '2026-11-01', '2026-11-22', true)).toBe(
      '/api/admin/reports/daily?from=2026-11-01&to=2026-11-22&format=csv',
    );
  });
});

describe('applyFleetUpdate', () => {
  const row: FleetRow = {
    meterNo: 'A1',
    userId: null,
    ownerName: null,
    ownerEmail: null,
    balanceKwh: 5,
    balanceMwh: 5_000_000,
    powerW: 100,
    relay: 'on',
    online: true,
    status: 'online',
    lastSeen: null,
    fw: null,
    openAlerts: 0,
    debtCents: 0,
  };
  it('updates shown rows, ignores older ones and unknown meters', () => {
    const seqs = new Map<string, number>();
    const live = {
      meterNo: 'A1',
      seq: 4,
      relay: 'off' as const,
      status: 'online',
      online: true,
      lastSeen: 0,
    };
    const a = applyFleetUpdate([row], seqs, [{ ...live, balanceKwh: 4.5 }]);
    expect(a[0]).toMatchObject({ relay: 'off', balanceKwh: 4.5, balanceMwh: 4_500_000, powerW: 100 });
    const b = applyFleetUpdate(a, seqs, [{ ...live, seq: 3, relay: 'on' }]);
    expect(b).toBe(a);
    const c = applyFleetUpdate(a, seqs, [{ ...live, meterNo: 'B2', seq: 9 }]);
    expect(c).toBe(a);
    const d = applyFleetUpdate(a, seqs, [
      { ...live, seq: 5, status: 'offline', online: false, lastSeen: null },
    ]);
    expect(d[0]).toMatchObject({ online: false, balanceKwh: 4.5, lastSeen: new Date(0).toISOString() });
  });
});
