// Protects SEC-9: a token is only as good as the living, enabled account it names; logout, a password change or disabling an account ends every session, HTTP and socket alike.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { connected, openReadySocket, openSocket } from '../helpers/sockets';

const SECRET = 'sessions-test-secret-'.padEnd(48, 'x');
const key = new TextEncoder().encode(SECRET);

/** A token signed with the server's own key, with whatever claims the test wants. */
function signed(claims: { sub: string; role: 'customer' | 'admin'; tv?: number; exp?: boolean }) {
  const jwt = new SignJWT({ role: claims.role, ...(claims.tv === undefined ? {} : { tv: claims.tv }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer('umeme')
    .setIssuedAt();
  if (claims.exp !== false) jwt.setExpirationTime('1h');
  return jwt.sign(key);
}

describe('SEC-9 sessions belong to a living account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { JWT_SECRET: SECRET });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a validly signed token for a user that does not exist answers 401 on reads and writes, never data or 500', async () => {
    const ghostAdmin = await signed({ sub: randomUUID(), role: 'admin', tv: 0 });
    const ghost = await signed({ sub: randomUUID(), role: 'customer', tv: 0 });
    const meter = await t.newMeter({ openingCreditKwh: 1 });
    const answers = [
      await t.api('GET', '/api/admin/users', undefined, ghostAdmin),
      await t.api('GET', '/api/me', undefined, ghost),
      await t.api('GET', '/api/meters', undefined, ghost),
      await t.api('POST', '/transactions/topup', { meterNo: meter.meterNo, amount: 100 }, ghost),
      await t.api('POST', '/api/meters', { meterNo: `G${Date.now() % 1e8}` }, ghostAdmin),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    for (const a of answers) expect(a.body).toMatchObject({ error: 'UNAUTHENTICATED' });
    const socket = openSocket(t.url, ghost);
    await expect(connected(socket)).rejects.toThrow('UNAUTHENTICATED');
    socket.close();
  });

  it('a token without an expiry is refused', async () => {
    const customer = await t.newCustomer();
    const forever = await signed({ sub: customer.id, role: 'customer', tv: 0, exp: false });
    expect((await t.api('GET', '/api/me', undefined, forever)).status).toBe(401);
    const socket = openSocket(t.url, forever);
    await expect(connected(socket)).rejects.toThrow('UNAUTHENTICATED');
    socket.close();
  });

  it('a customer token cannot claim the admin role', async () => {
    const customer = await t.newCustomer();
    const promoted = await signed({ sub: customer.id, role: 'admin', tv: 0 });
    const res = await t.api('GET', '/api/admin/users', undefined, promoted);
    expect([401, 403]).toContain(res.status);
  });

  it('logout ends the session: the old token answers 401 and its open socket is cut', async () => {
    const customer = await t.newCustomer();
    const socket = await openReadySocket(t.url, customer.token);
    const other = await openReadySocket(t.url, customer.token);
    expect((await t.api('GET', '/api/me', undefined, customer.token)).status).toBe(200);
    const out = await t.api('POST', '/auth/logout', undefined, customer.token);
    expect(out.status).toBe(204);
    expect((await t.api('GET', '/api/me', undefined, customer.token)).status).toBe(401);
    await waitFor(() => !socket.socket.connected && !other.socket.connected, 'sockets cut after logout');
    const again = openSocket(t.url, customer.token);
    await expect(connected(again)).rejects.toThrow('UNAUTHENTICATED');
    again.close();
    // signing in again gives a working session
    const login = await t.api<{ token: string }>('POST', '/auth/login', {
      email: customer.email,
      password: customer.password,
    });
    expect(login.status).toBe(200);
    expect((await t.api('GET', '/api/me', undefined, login.body.token)).status).toBe(200);
  });

  it('a password change ends every other session and the new password signs in', async () => {
    const customer = await t.newCustomer();
    const second = await t.api<{ token: string }>('POST', '/auth/login', {
      email: customer.email,
      password: customer.password,
    });
    const socket = await openReadySocket(t.url, second.body.token);
    const wrong = await t.api(
      'POST',
      '/api/me/password',
      { currentPassword: 'not-my-password', newPassword: 'a-brand-new-secret-7' },
      customer.token,
    );
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: 'CURRENT_PASSWORD_WRONG' });
    const changed = await t.api<{ token: string }>(
      'POST',
      '/api/me/password',
      { currentPassword: customer.password, newPassword: 'a-brand-new-secret-7' },
      customer.token,
    );
    expect(changed.status).toBe(200);
    expect((await t.api('GET', '/api/me', undefined, customer.token)).status).toBe(401);
    expect((await t.api('GET', '/api/me', undefined, second.body.token)).status).toBe(401);
    expect((await t.api('GET', '/api/me', undefined, changed.body.token)).status).toBe(200);
    await waitFor(() => !socket.socket.connected, 'socket cut after the password change');
    const oldPassword = await t.api('POST', '/auth/login', {
      email: customer.email,
      password: customer.password,
    });
    expect(oldPassword.status).toBe(401);
    const newPassword = await t.api('POST', '/auth/login', {
      email: customer.email,
      password: 'a-brand-new-secret-7',
    });
    expect(newPassword.status).toBe(200);
  });

  it('an operator disables an account: its sessions end, it cannot sign in, and enabling restores sign-in; both audited', async () => {
    const customer = await t.newCustomer();
    const socket = await openReadySocket(t.url, customer.token);
    const disable = await t.api(
      'POST',
      `/api/admin/users/${customer.id}/disable`,
      { reason: 'reported stolen phone' },
      t.adminToken,
    );
    expect(disable.status).toBe(200);
    expect(disable.body).toMatchObject({ id: customer.id, disabled: true });
    expect((await t.api('GET', '/api/me', undefined, customer.token)).status).toBe(401);
    await waitFor(() => !socket.socket.connected, 'socket cut after disabling');
    const login = await t.api('POST', '/auth/login', { email: customer.email, password: customer.password });
    expect(login.status).toBe(403);
    expect(login.body).toMatchObject({ error: 'ACCOUNT_DISABLED' });
    const listed = await t.api<{ users: { id: string; disabled: boolean }[] }>(
      'GET',
      `/api/admin/users?q=${encodeURIComponent(customer.email)}`,
      undefined,
      t.adminToken,
    );
    expect(listed.body.users.find((u) => u.id === customer.id)?.disabled).toBe(true);

    const enable = await t.api(
      'POST',
      `/api/admin/users/${customer.id}/enable`,
      { reason: 'phone recovered' },
      t.adminToken,
    );
    expect(enable.status).toBe(200);
    expect(enable.body).toMatchObject({ id: customer.id, disabled: false });
    // the old token stays ended; signing in works again
    expect((await t.api('GET', '/api/me', undefined, customer.token)).status).toBe(401);
    const back = await t.api('POST', '/auth/login', { email: customer.email, password: customer.password });
    expect(back.status).toBe(200);

    const audit = await t.api<{ entries: { action: string; target: string | null }[] }>(
      'GET',
      '/api/admin/audit?limit=50',
      undefined,
      t.adminToken,
    );
    const mine = audit.body.entries.filter((e) => e.target === customer.id).map((e) => e.action);
    expect(mine).toEqual(expect.arrayContaining(['user.disabled', 'user.enabled']));
  });

  it('an unknown user id answers 404 to disable, and an operator cannot disable their own account', async () => {
    const missing = await t.api(
      'POST',
      `/api/admin/users/${randomUUID()}/disable`,
      { reason: 'x' },
      t.adminToken,
    );
    expect(missing.status).toBe(404);
    const me = await t.api<{ id: string }>('GET', '/api/me', undefined, t.adminToken);
    const self = await t.api('POST', `/api/admin/users/${me.body.id}/disable`, { reason: 'x' }, t.adminToken);
    expect(self.status).toBe(409);
  });
});
