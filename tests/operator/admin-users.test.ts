// Protects the console's Users and Audit pages: customers listed by role, meters moved between customers only with a reason, bulk import row by row, rotated secrets, and an audit log filtered but never edited.
import { describe, expect, it } from 'vitest';
import { connectAsMeter, uniqueMeterNo, type TestApp } from '../helpers/app';
import { adminCaller, startAppForFile } from '../helpers/app-hooks';

let t: TestApp;
startAppForFile((app) => {
  t = app;
});
const admin = adminCaller(() => t);

interface AuditPage {
  entries: {
    action: string;
    target: string | null;
    actorId: string | null;
    actorEmail: string | null;
    details: Record<string, unknown>;
  }[];
  next: number | null;
}

interface UsersPage {
  users: { id: string; email: string; role: string; meters: string[] }[];
  next: string | null;
}

describe('users', () => {
  it('the users list filters by role and search and pages by email', async () => {
    const a = await t.newCustomer();
    await t.newCustomer();
    const admins = await admin<UsersPage>('GET', '/api/admin/users?role=admin');
    expect(admins.status).toBe(200);
    expect(admins.body.users.length).toBeGreaterThan(0);
    expect(admins.body.users.every((u) => u.role === 'admin')).toBe(true);

    const one = await admin<UsersPage>('GET', `/api/admin/users?role=customer&q=${a.email}`);
    expect(one.body.users.map((u) => u.id)).toEqual([a.id]);

    const first = await admin<UsersPage>('GET', '/api/admin/users?role=customer&limit=1');
    expect(first.body.users).toHaveLength(1);
    expect(first.body.next).not.toBeNull();
    const second = await admin<UsersPage>(
      'GET',
      `/api/admin/users?role=customer&limit=1&after=${encodeURIComponent(first.body.next!)}`,
    );
    expect(second.body.users[0]!.email > first.body.users[0]!.email).toBe(true);

    expect((await admin('GET', '/api/admin/users?role=owner')).status).toBe(400);
    expect((await t.api('GET', '/api/admin/users', undefined, a.token)).status).toBe(403);
  });

  it('a meter moves from one customer to another only with a reason, and the move is audited', async () => {
    const a = await t.newCustomer();
    const b = await t.newCustomer();
    const m = await t.newMeter({ userId: a.id });

    for (const body of [{ userId: b.id }, { userId: b.id, reason: '  ' }]) {
      const r = await admin<{ error: string }>('POST', `/api/admin/meters/${m.meterNo}/assign`, body);
      expect(r.status).toBe(400);
      expect(r.body.error).toBeTruthy();
    }
    expect((await t.api('GET', `/api/meters/${m.meterNo}`, undefined, b.token)).status).toBe(404);

    const moved = await admin('POST', `/api/admin/meters/${m.meterNo}/assign`, {
      userId: b.id,
      reason: 'house sold to the new tenant',
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ meterNo: m.meterNo, userId: b.id, previousUserId: a.id });
    expect((await t.api('GET', `/api/meters/${m.meterNo}`, undefined, b.token)).status).toBe(200);
    expect((await t.api('GET', `/api/meters/${m.meterNo}`, undefined, a.token)).status).toBe(404);

    const audit = await admin<AuditPage>('GET', `/api/admin/audit?target=${m.meterNo}&action=meter.assigned`);
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({
      action: 'meter.assigned',
      target: m.meterNo,
      actorEmail: 'admin@test.local',
      details: { from: a.id, to: b.id, reason: 'house sold to the new tenant' },
    });
    // A customer cannot move meters.
    const r = await t.api(
      'POST',
      `/api/admin/meters/${m.meterNo}/assign`,
      { userId: a.id, reason: 'x' },
      a.token,
    );
    expect(r.status).toBe(403);
  });

  it('assigning to a customer who does not exist is a 404 and changes nothing', async () => {
    const a = await t.newCustomer();
    const m = await t.newMeter({ userId: a.id });
    const r = await admin('POST', `/api/admin/meters/${m.meterNo}/assign`, {
      userId: '00000000-0000-4000-8000-000000000000',
      reason: 'typo',
    });
    expect(r.status).toBe(404);
    expect((await t.api('GET', `/api/meters/${m.meterNo}`, undefined, a.token)).status).toBe(200);
  });
});

describe('bulk import and secrets', () => {
  it('a CSV import creates the good rows and reports the bad one by line', async () => {
    const owner = await t.newCustomer();
    const [x, y] = [uniqueMeterNo('I'), uniqueMeterNo('I')];
    const csv = `meterNo,ownerEmail,openingCreditKwh\n${x},${owner.email},5\nbad meter!,,\n${y},,0\n`;
    const r = await admin<{
      created: number;
      failed: number;
      rows: {
        line: number;
        meterNo: string;
        ok: boolean;
        error: string | null;
        mqttPassword: string | null;
      }[];
    }>('POST', '/api/admin/meters/import', { csv });
    expect(r.status).toBe(200);
    expect(r.body.created).toBe(2);
    expect(r.body.failed).toBe(1);
    expect(r.body.rows.map((row) => [row.line, row.ok])).toEqual([
      [2, true],
      [3, false],
      [4, true],
    ]);
    expect(r.body.rows[1]!.error).toMatch(/meter numbers/);
    expect(r.body.rows[1]!.mqttPassword).toBeNull();
    const mine = await t.api<{ meters: { meterNo: string; balanceKwh: number }[] }>(
      'GET',
      '/api/meters',
      undefined,
      owner.token,
    );
    expect(mine.body.meters).toEqual([expect.objectContaining({ meterNo: x, balanceKwh: 5 })]);
    const audit = await admin<AuditPage>('GET', `/api/admin/audit?target=${y}&action=meter.`);
    expect(audit.body.entries.map((e) => e.action)).toEqual(['meter.registered']);
  });

  it('a rotated secret works at once and the old one is refused by the broker', async () => {
    const m = await t.newMeter();
    const r = await admin<{ mqttUsername: string; mqttPassword: string }>(
      'POST',
      `/api/meters/${m.meterNo}/rotate-secret`,
    );
    expect(r.status).toBe(200);
    expect(r.body.mqttPassword).not.toBe(m.secret);
    await expect(connectAsMeter(t.mqttUrl, m, { connectTimeout: 3000 })).rejects.toThrow(/bad|auth/i);
    const client = await connectAsMeter(t.mqttUrl, { meterNo: m.meterNo, secret: r.body.mqttPassword });
    await client.endAsync();
    const audit = await admin<AuditPage>(
      'GET',
      `/api/admin/audit?target=${m.meterNo}&action=meter.secret_rotated`,
    );
    expect(audit.body.entries).toHaveLength(1);
  });
});

describe('audit filters', () => {
  it('the audit log filters by actor (id or email), action family and target, newest first', async () => {
    const a = await t.newCustomer();
    const m = await t.newMeter({ userId: a.id });
    await admin('POST', `/api/admin/meters/${m.meterNo}/assign`, { userId: null, reason: 'meter removed' });
    await admin('POST', `/api/admin/meters/${m.meterNo}/adjustments`, { energyKwh: 1, reason: 'goodwill' });

    const me = await admin<{ id: string }>('GET', '/api/me');
    const byEmail = await admin<AuditPage>(
      'GET',
      `/api/admin/audit?actor=ADMIN@test.local&target=${m.meterNo}`,
    );
    const byId = await admin<AuditPage>('GET', `/api/admin/audit?actor=${me.body.id}&target=${m.meterNo}`);
    expect(byEmail.body.entries.map((e) => e.action)).toEqual(['ledger.adjustment', 'meter.assigned']);
    expect(byId.body.entries).toEqual(byEmail.body.entries);

    const family = await admin<AuditPage>('GET', `/api/admin/audit?action=ledger.&target=${m.meterNo}`);
    expect(family.body.entries.map((e) => e.action)).toEqual(['ledger.adjustment']);
    const nobody = await admin<AuditPage>('GET', `/api/admin/audit?actor=${a.email}`);
    expect(nobody.body.entries).toEqual([]);
    expect((await admin('GET', '/api/admin/audit?action=DROP%20TABLE')).status).toBe(400);

    const firstPage = await admin<AuditPage>('GET', '/api/admin/audit?limit=1');
    expect(firstPage.body.next).not.toBeNull();
    const secondPage = await admin<AuditPage>(
      'GET',
      `/api/admin/audit?limit=1&before=${firstPage.body.next}`,
    );
    expect(secondPage.body.entries).toHaveLength(1);
  });
});
