// Protects the operator roles (issue 17 item 6): every console route declares a permission and answers each role as the matrix says; people management is audited, guarded and ends sessions.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PERMISSIONS,
  SYSTEM,
  type OperatorRole,
  type Permission,
} from '../../packages/server/src/shared/access';
import type { RouteRecord } from '../../packages/server/src/shared/route-table';
import { UsersService } from '../../packages/server/src/users/users.service';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { connected, openReadySocket, openSocket } from '../helpers/sockets';
import { fillPath, hasBody, routeKey } from './helpers';

/** Which console route needs what. A new console route must be added here with its permission. */
const ROUTE_PERMISSIONS: Record<string, Permission> = {
  'GET /api/admin/meters': 'console.view',
  'GET /api/admin/meters/:meterNo': 'console.view',
  'GET /api/admin/meters/unprovisioned': 'console.view',
  'GET /api/admin/users': 'console.view',
  'GET /api/admin/alerts': 'console.view',
  'GET /api/admin/audit': 'console.view',
  'GET /api/admin/reports/daily': 'console.view',
  'GET /api/admin/reports/monthly': 'console.view',
  'GET /api/admin/statements/:userId/:month': 'console.view',
  'GET /api/admin/friendly-hours': 'console.view',
  'GET /api/admin/tariffs': 'console.view',
  'GET /api/admin/sms': 'console.view',
  'GET /api/admin/payments/orphans': 'console.view',
  'GET /api/admin/register-holds': 'console.view',
  'GET /api/admin/tariff-groups': 'console.view',
  'GET /api/admin/meters/:meterNo/claim-code': 'console.view',
  'POST /api/admin/users/:id/disable': 'customers.care',
  'POST /api/admin/users/:id/enable': 'customers.care',
  'POST /api/admin/users/:id/password-reset': 'customers.care',
  'POST /api/admin/users/:id/phone': 'customers.care',
  'POST /api/admin/alerts/:id/ack': 'alerts.handle',
  'POST /api/meters': 'meters.manage',
  'POST /api/meters/:meterNo/rotate-secret': 'meters.manage',
  'POST /api/meters/:meterNo/revoke': 'meters.manage',
  'POST /api/admin/meters/rotate-secrets': 'meters.manage',
  'POST /api/admin/meters/:meterNo/assign': 'meters.manage',
  'POST /api/admin/meters/import': 'meters.manage',
  'POST /api/admin/meters/:meterNo/config': 'meters.manage',
  'POST /api/admin/meters/:meterNo/claim-code': 'meters.manage',
  'PUT /api/admin/friendly-hours': 'meters.manage',
  'POST /api/admin/meters/:meterNo/relay': 'relay.command',
  'POST /api/admin/meters/:meterNo/adjustments': 'money.move',
  'POST /api/admin/transactions/:id/move': 'money.move',
  'PATCH /transactions/topup/:id/process': 'money.move',
  'POST /api/admin/payments/orphans/:id/assign': 'money.move',
  'POST /api/admin/payments/orphans/:id/dismiss': 'money.move',
  'POST /api/admin/register-holds/:id/accept': 'money.move',
  'POST /api/admin/register-holds/:id/reset-epoch': 'money.move',
  'POST /api/admin/register-holds/:id/dismiss': 'money.move',
  'POST /api/admin/tariffs': 'tariffs.manage',
  'POST /api/admin/tariffs/:id/cancel': 'tariffs.manage',
  'POST /api/admin/tariff-groups/:group/meters': 'tariffs.manage',
  'POST /api/admin/operators': 'operators.manage',
  'POST /api/admin/users/:id/role': 'operators.manage',
};

/** The matrix, written out: who holds each permission (docs/operations.md has the same table). */
const HOLDERS: Record<Permission, OperatorRole[]> = {
  'console.view': ['viewer', 'support', 'admin'],
  'customers.care': ['support', 'admin'],
  'alerts.handle': ['support', 'admin'],
  'meters.manage': ['admin'],
  'relay.command': ['admin'],
  'money.move': ['admin'],
  'tariffs.manage': ['admin'],
  'operators.manage': ['admin'],
};

interface Managed {
  id: string;
  email: string;
  role: string;
  phone: string | null;
  disabled: boolean;
  temporaryCredentials: boolean;
}
interface AuditEntry {
  action: string;
  target: string | null;
  actorId: string | null;
  details: { reason: string; before: Record<string, unknown> | null; after: Record<string, unknown> };
}

let t: TestApp;
let adminId: string;
const ops = {} as Record<OperatorRole, { id: string; token: string; email: string }>;

/** An operator created by the admin, signed in with the temporary password and then their own. */
async function newOperator(role: OperatorRole) {
  const email = `op-${role}-${randomBytes(4).toString('hex')}@test.local`;
  const made = await t.api<{ user: Managed; temporaryPassword: string }>(
    'POST',
    '/api/admin/operators',
    { name: `Test ${role}`, email, role, reason: 'new hire' },
    t.adminToken,
  );
  expect(made.status).toBe(201);
  const first = await t.api<{ token: string; user: { temporaryCredentials: boolean } }>(
    'POST',
    '/auth/login',
    {
      email,
      password: made.body.temporaryPassword,
    },
  );
  expect(first.body.user.temporaryCredentials).toBe(true);
  const changed = await t.api<{ token: string }>(
    'POST',
    '/api/me/password',
    { currentPassword: made.body.temporaryPassword, newPassword: `own-${randomBytes(6).toString('hex')}` },
    first.body.token,
  );
  expect(changed.status).toBe(200);
  return { id: made.body.user.id, token: changed.body.token, email };
}

beforeAll(async () => {
  t = await startTestApp();
  const me = await t.api<{ id: string }>('GET', '/api/me', undefined, t.adminToken);
  adminId = me.body.id;
  for (const role of ['viewer', 'support', 'admin'] as const) ops[role] = await newOperator(role);
});
afterAll(async () => {
  await t?.close();
});

const auditOf = async (target: string) =>
  (
    await t.api<{ entries: AuditEntry[] }>(
      'GET',
      `/api/admin/audit?target=${target}`,
      undefined,
      t.adminToken,
    )
  ).body.entries;

describe('the permission matrix', () => {
  const consoleRoutes = (): RouteRecord[] => t.app.routes.filter((r) => r.auth === 'admin');

  it('every console route declares the permission this file expects, and none is missing here', () => {
    const routes = consoleRoutes();
    expect(routes.length).toBeGreaterThan(30);
    const declared = Object.fromEntries(routes.map((r) => [routeKey(r), r.permission ?? 'none declared']));
    expect(declared).toEqual(ROUTE_PERMISSIONS);
  });

  it('the matrix grants each role exactly its permissions', async () => {
    for (const role of ['viewer', 'support', 'admin'] as const) {
      const me = await t.api<{ permissions: string[]; role: string }>(
        'GET',
        '/api/me',
        undefined,
        ops[role].token,
      );
      expect(me.body.role).toBe(role);
      expect(me.body.permissions.sort()).toEqual(PERMISSIONS.filter((p) => HOLDERS[p].includes(role)).sort());
    }
  });

  it('every console route answers each role as the matrix says: 403 without the permission, never with it', async () => {
    const customer = await t.newCustomer();
    const ids = { meterNo: 'NOPE404', userId: customer.id, id: customer.id, month: '2026-01', group: 'nope' };
    const wrong: string[] = [];
    for (const r of consoleRoutes()) {
      const need = ROUTE_PERMISSIONS[routeKey(r)];
      for (const role of ['viewer', 'support', 'admin'] as const) {
        // An empty body stops every write at validation once the permission is passed: nothing changes.
        const res = await t.api(r.method, fillPath(r.url, ids), hasBody(r) ? {} : undefined, ops[role].token);
        const allowed = need !== undefined && HOLDERS[need].includes(role);
        if (allowed !== (res.status !== 403) || res.status === 401)
          wrong.push(`${role} ${routeKey(r)} → ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('an operator may not pay for, top up or take an advance on a customer’s meter without money.move', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    for (const role of ['viewer', 'support'] as const) {
      const advance = await t.api('POST', `/api/meters/${m.meterNo}/emergency`, undefined, ops[role].token);
      expect(advance.status).toBe(404);
      const read = await t.api('GET', `/api/meters/${m.meterNo}`, undefined, ops[role].token);
      expect(read.status).toBe(200);
    }
  });

  it('the operators’ live feed reaches viewers and support, and a demoted operator’s socket is cut', async () => {
    const viewer = await newOperator('viewer');
    const customer = await t.newCustomer();
    const vs = await openReadySocket(t.url, viewer.token);
    const cs = await openReadySocket(t.url, customer.token);
    try {
      const other = await t.newCustomer();
      const m = await t.newMeter({ userId: other.id });
      // Any meter is the operator's to watch; a customer's socket gets "not found".
      const watch = (s: typeof vs) =>
        new Promise<{ ok: boolean }>((resolve) =>
          s.socket.emit('subscribe_meter', m.meterNo, (a: { ok: boolean }) => resolve(a)),
        );
      expect((await watch(vs)).ok).toBe(true);
      expect((await watch(cs)).ok).toBe(false);
      const demoted = await t.api<Managed>(
        'POST',
        `/api/admin/users/${viewer.id}/role`,
        { role: 'customer', reason: 'left the team' },
        t.adminToken,
      );
      expect(demoted.body.role).toBe('customer');
      await waitFor(() => !vs.socket.connected, 'the demoted operator’s socket is cut');
      expect((await t.api('GET', '/api/admin/meters', undefined, viewer.token)).status).toBe(401);
    } finally {
      vs.close();
      cs.close();
    }
  });
});

describe('people management', () => {
  it('only an admin creates operators, and the temporary password must be changed before anything else', async () => {
    const email = `op-${randomBytes(4).toString('hex')}@test.local`;
    const body = { name: 'New support', email, role: 'support', reason: 'hired' };
    expect((await t.api('POST', '/api/admin/operators', body, ops.support.token)).status).toBe(403);
    const made = await t.api<{ user: Managed; temporaryPassword: string }>(
      'POST',
      '/api/admin/operators',
      body,
      ops.admin.token,
    );
    expect(made.status).toBe(201);
    expect(made.body.user).toMatchObject({ role: 'support', temporaryCredentials: true });
    const again = await t.api('POST', '/api/admin/operators', body, ops.admin.token);
    expect(again.status).toBe(409);
    const login = await t.api<{ token: string }>('POST', '/auth/login', {
      email,
      password: made.body.temporaryPassword,
    });
    const blocked = await t.api<{ error: string }>('GET', '/api/admin/users', undefined, login.body.token);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toBe('PASSWORD_CHANGE_REQUIRED');
    const socket = openSocket(t.url, login.body.token);
    await expect(connected(socket)).rejects.toThrow();
    socket.close();
    const [entry] = await auditOf(made.body.user.id);
    expect(entry).toMatchObject({
      action: 'user.operator_created',
      actorId: ops.admin.id,
      details: { reason: 'hired', before: null, after: { role: 'support' } },
    });
    expect(JSON.stringify(entry)).not.toContain(made.body.temporaryPassword);
  });

  it('support edits a customer’s phone as a Kenyan mobile number, audited before and after', async () => {
    const c = await t.newCustomer();
    const path = `/api/admin/users/${c.id}/phone`;
    for (const phone of ['0612345678', '07123', '+1 555 123 4567']) {
      expect((await t.api('POST', path, { phone, reason: 'new line' }, ops.support.token)).status).toBe(400);
    }
    expect((await t.api('POST', path, { phone: '0722 000 111', reason: 'x' }, ops.viewer.token)).status).toBe(
      403,
    );
    const ok = await t.api<Managed>(
      'POST',
      path,
      { phone: '0722 000 111', reason: 'new line' },
      ops.support.token,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.phone).toBe('254722000111');
    const [entry] = await auditOf(c.id);
    expect(entry).toMatchObject({
      action: 'user.phone_changed',
      actorId: ops.support.id,
      details: { before: { phone: '254712345678' }, after: { phone: '254722000111' } },
    });
  });

  it('a password reset ends the customer’s sessions and gives a one-time password that must be changed', async () => {
    const c = await t.newCustomer();
    const socket = await openReadySocket(t.url, c.token);
    const reset = await t.api<{ temporaryPassword: string; user: Managed }>(
      'POST',
      `/api/admin/users/${c.id}/password-reset`,
      { reason: 'forgot it, called in' },
      ops.support.token,
    );
    expect(reset.status).toBe(200);
    expect(reset.body.user.temporaryCredentials).toBe(true);
    await waitFor(() => !socket.socket.connected, 'the customer’s socket is cut');
    expect((await t.api('GET', '/api/me', undefined, c.token)).status).toBe(401);
    expect((await t.api('POST', '/auth/login', { email: c.email, password: c.password })).status).toBe(401);
    const login = await t.api<{ token: string }>('POST', '/auth/login', {
      email: c.email,
      password: reset.body.temporaryPassword,
    });
    expect(login.status).toBe(200);
    expect((await t.api('GET', '/api/meters', undefined, login.body.token)).status).toBe(403);
    const changed = await t.api<{ token: string; user: Managed }>(
      'POST',
      '/api/me/password',
      { currentPassword: reset.body.temporaryPassword, newPassword: 'my-own-new-pass-9' },
      login.body.token,
    );
    expect(changed.body.user.temporaryCredentials).toBe(false);
    expect((await t.api('GET', '/api/meters', undefined, changed.body.token)).status).toBe(200);
    expect((await auditOf(c.id))[0]).toMatchObject({
      action: 'user.password_reset',
      actorId: ops.support.id,
    });
  });

  it('support cannot touch an operator’s account; an admin can', async () => {
    const viewer = await newOperator('viewer');
    for (const [path, body] of [
      [`/api/admin/users/${viewer.id}/disable`, { reason: 'x' }],
      [`/api/admin/users/${viewer.id}/password-reset`, { reason: 'x' }],
      [`/api/admin/users/${viewer.id}/phone`, { phone: '0712000000', reason: 'x' }],
      [`/api/admin/users/${viewer.id}/role`, { role: 'admin', reason: 'x' }],
    ] as const) {
      expect((await t.api('POST', path, body, ops.support.token)).status).toBe(403);
    }
    const promoted = await t.api<Managed>(
      'POST',
      `/api/admin/users/${viewer.id}/role`,
      { role: 'support', reason: 'trained' },
      ops.admin.token,
    );
    expect(promoted.body.role).toBe('support');
    expect((await auditOf(viewer.id))[0]).toMatchObject({
      action: 'user.role_changed',
      actorId: ops.admin.id,
      details: { before: { role: 'viewer' }, after: { role: 'support' } },
    });
  });

  it('disabling ends the account’s sessions at once; nobody disables themselves', async () => {
    const c = await t.newCustomer();
    const socket = await openReadySocket(t.url, c.token);
    const off = await t.api<Managed>(
      'POST',
      `/api/admin/users/${c.id}/disable`,
      { reason: 'fraud' },
      ops.support.token,
    );
    expect(off.body.disabled).toBe(true);
    await waitFor(() => !socket.socket.connected, 'the disabled account’s socket is cut');
    expect((await t.api('GET', '/api/me', undefined, c.token)).status).toBe(401);
    expect((await t.api('POST', '/auth/login', { email: c.email, password: c.password })).status).toBe(403);
    const on = await t.api<Managed>(
      'POST',
      `/api/admin/users/${c.id}/enable`,
      { reason: 'cleared' },
      ops.support.token,
    );
    expect(on.body.disabled).toBe(false);
    expect((await auditOf(c.id)).slice(0, 2).map((e) => e.action)).toEqual(['user.enabled', 'user.disabled']);
    const self = await t.api<{ error: string }>(
      'POST',
      `/api/admin/users/${ops.support.id}/disable`,
      { reason: 'x' },
      ops.support.token,
    );
    expect(self.body.error).toBe('CANNOT_DISABLE_SELF');
    const selfAdmin = await t.api<{ error: string }>(
      'POST',
      `/api/admin/users/${ops.admin.id}/disable`,
      { reason: 'x' },
      ops.admin.token,
    );
    expect(selfAdmin.body.error).toBe('CANNOT_DISABLE_SELF');
  });

  it('the last enabled admin is never disabled or demoted, even by two admins acting on each other at once', async () => {
    const users = new UsersService(t.app.services.db, t.app.bus);
    const a = await newOperator('admin');
    const b = await newOperator('admin');
    // Only a and b are left enabled: the bootstrap admin and ops.admin step aside.
    for (const id of [adminId, ops.admin.id]) await users.setDisabled(SYSTEM, id, true, 'test: stand aside');
    try {
      const [ab, ba] = await Promise.all([
        t.api('POST', `/api/admin/users/${b.id}/disable`, { reason: 'race' }, a.token),
        t.api('POST', `/api/admin/users/${a.id}/disable`, { reason: 'race' }, b.token),
      ]);
      expect([ab.status, ba.status].filter((s) => s === 200)).toHaveLength(1);
      const left = await t.app.services.db.query<{ id: string }>(
        `SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL`,
      );
      expect(left.rows).toHaveLength(1);
      const last = left.rows[0]!.id;
      await expect(users.setDisabled(SYSTEM, last, true, 'x')).rejects.toMatchObject({ code: 'LAST_ADMIN' });
      await expect(users.changeRole(SYSTEM, last, 'support', 'x')).rejects.toMatchObject({
        code: 'LAST_ADMIN',
      });
      const self = await t.api<{ error: string }>(
        'POST',
        `/api/admin/users/${last}/role`,
        { role: 'viewer', reason: 'x' },
        last === a.id ? a.token : b.token,
      );
      expect(self.body.error).toBe('CANNOT_CHANGE_OWN_ROLE');
    } finally {
      for (const id of [adminId, ops.admin.id]) await users.setDisabled(SYSTEM, id, false, 'test: back');
    }
  });
});
