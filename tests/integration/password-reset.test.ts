// Protects the forgotten-password flow (issue 17): one answer for every login, hashed single-use codes that expire and die after a few tries, the new password under the policy, and every other session ended.
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';

async function raw(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const newEmail = () => `r${randomBytes(5).toString('hex')}@test.local`;
const newPhone = () => `2547${String(randomInt(10 ** 8)).padStart(8, '0')}`;

describe('password reset', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A customer with a phone of its own, signed in. */
  async function customer() {
    const email = newEmail();
    const phone = newPhone();
    const password = 'first-long-secret-4';
    const r = await t.app.services.auth.register({ name: 'Akinyi', email, phone, password });
    return { id: r.user.id, email, phone, password, token: r.token };
  }

  const resetCode = (email: string): string => {
    const n = t.app.services.notifier.lastNoticeFor(email);
    if (n?.kind !== 'password_reset_code') throw new Error(`no reset code went to ${email}`);
    return n.code;
  };

  /** Lets the next request for the account issue a new code at once (the resend pause is a minute). */
  const forgetLastRequest = (userId: string) =>
    t.app.services.db.query(
      `UPDATE password_resets SET created_at = now() - interval '1 hour' WHERE user_id = $1`,
      [userId],
    );

  it('asking for an existing address, an unknown one and a phone give byte-identical answers', async () => {
    const c = await customer();
    const known = await raw(t.url, '/auth/password-reset', { login: c.email });
    const unknown = await raw(t.url, '/auth/password-reset', { login: newEmail() });
    const unknownPhone = await raw(t.url, '/auth/password-reset', { login: '0799000111' });
    expect(known.status).toBe(202);
    expect(unknown).toEqual(known);
    expect(unknownPhone).toEqual(known);
    expect(resetCode(c.email)).toMatch(/^\d{6}$/);
  });

  it('the code sets a new password, ends every other session, is audited and is used up', async () => {
    const c = await customer();
    expect((await t.api('POST', '/auth/password-reset', { login: c.email })).status).toBe(202);
    const code = resetCode(c.email);
    const stored = await t.app.services.db.query<{ code_hash: string }>(
      `SELECT code_hash FROM password_resets WHERE user_id = $1`,
      [c.id],
    );
    expect(stored.rows[0]!.code_hash).not.toContain(code);
    const newPassword = 'second-long-secret-8';
    const done = await t.api('POST', '/auth/password-reset/confirm', { login: c.email, code, newPassword });
    expect(done.status).toBe(204);
    expect((await t.api('GET', '/api/me', undefined, c.token)).status).toBe(401);
    expect((await raw(t.url, '/auth/login', { email: c.email, password: c.password })).status).toBe(401);
    expect((await raw(t.url, '/auth/login', { email: c.email, password: newPassword })).status).toBe(200);
    const again = await t.api('POST', '/auth/password-reset/confirm', {
      login: c.email,
      code,
      newPassword: 'third-long-secret-2',
    });
    expect(again.status).toBe(400);
    const audit = await t.app.services.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target = $1 AND action = 'user.password_reset'`,
      [c.id],
    );
    expect(audit.rowCount).toBe(1);
  });

  it('a code also goes by SMS to the account phone, and the operators cannot read it', async () => {
    const c = await customer();
    expect((await t.api('POST', '/auth/password-reset', { login: `0${c.phone.slice(3)}` })).status).toBe(202);
    const code = resetCode(c.email);
    const sms = await waitFor(async () => {
      const r = await t.app.services.db.query<{ body: string }>(
        `SELECT body FROM sms_outbox WHERE user_id = $1 AND kind = 'password_reset'`,
        [c.id],
      );
      return r.rows[0];
    }, 'the reset SMS in the outbox');
    expect(sms.body).toContain(code);
    const list = await t.api<{ messages: { kind: string; body: string }[] }>(
      'GET',
      '/api/admin/sms',
      undefined,
      t.adminToken,
    );
    const shown = list.body.messages.filter((m) => m.kind === 'password_reset');
    expect(shown.length).toBeGreaterThan(0);
    for (const m of shown) expect(m.body).not.toMatch(/\d{6}/);
    // the phone works as the login on the second step too
    const done = await t.api('POST', '/auth/password-reset/confirm', {
      login: `+${c.phone}`,
      code,
      newPassword: 'phone-long-secret-5',
    });
    expect(done.status).toBe(204);
  });

  it('a wrong code answers like a code for an unknown address, and five wrong codes spend the right one', async () => {
    const c = await customer();
    await t.api('POST', '/auth/password-reset', { login: c.email });
    const code = resetCode(c.email);
    const wrong = code === '000000' ? '111111' : '000000';
    const body = (login: string, k: string) => ({ login, code: k, newPassword: 'other-long-secret-7' });
    const onKnown = await raw(t.url, '/auth/password-reset/confirm', body(c.email, wrong));
    const onUnknown = await raw(t.url, '/auth/password-reset/confirm', body(newEmail(), wrong));
    expect(onKnown.status).toBe(400);
    expect(onUnknown).toEqual(onKnown);
    for (let i = 0; i < 4; i++) await raw(t.url, '/auth/password-reset/confirm', body(c.email, wrong));
    expect((await raw(t.url, '/auth/password-reset/confirm', body(c.email, code))).status).toBe(400);
    expect((await raw(t.url, '/auth/login', { email: c.email, password: c.password })).status).toBe(200);
  });

  it('an expired code does nothing', async () => {
    const c = await customer();
    await t.api('POST', '/auth/password-reset', { login: c.email });
    const code = resetCode(c.email);
    await t.app.services.db.query(
      `UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [c.id],
    );
    const r = await t.api('POST', '/auth/password-reset/confirm', {
      login: c.email,
      code,
      newPassword: 'late-long-secret-6',
    });
    expect(r.status).toBe(400);
    expect((await raw(t.url, '/auth/login', { email: c.email, password: c.password })).status).toBe(200);
  });

  it('a weak new password is refused and the code stays usable', async () => {
    const c = await customer();
    await t.api('POST', '/auth/password-reset', { login: c.email });
    const code = resetCode(c.email);
    const weak = await t.api<{ error: string }>('POST', '/auth/password-reset/confirm', {
      login: c.email,
      code,
      newPassword: 'password123',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toBe('WEAK_PASSWORD');
    const ok = await t.api('POST', '/auth/password-reset/confirm', {
      login: c.email,
      code,
      newPassword: 'better-long-secret-1',
    });
    expect(ok.status).toBe(204);
  });

  it('a second request within a minute sends no new code; a later one replaces the first', async () => {
    const c = await customer();
    await t.api('POST', '/auth/password-reset', { login: c.email });
    const first = resetCode(c.email);
    const before = await t.app.services.db.query<{ code_hash: string }>(
      `SELECT code_hash FROM password_resets WHERE user_id = $1`,
      [c.id],
    );
    expect((await t.api('POST', '/auth/password-reset', { login: c.email })).status).toBe(202);
    const after = await t.app.services.db.query<{ code_hash: string }>(
      `SELECT code_hash FROM password_resets WHERE user_id = $1`,
      [c.id],
    );
    expect(after.rows[0]!.code_hash).toBe(before.rows[0]!.code_hash);
    await forgetLastRequest(c.id);
    expect((await t.api('POST', '/auth/password-reset', { login: c.email })).status).toBe(202);
    const second = resetCode(c.email);
    const replaced = await t.api('POST', '/auth/password-reset/confirm', {
      login: c.email,
      code: first,
      newPassword: 'stale-long-secret-3',
    });
    if (first !== second) expect(replaced.status).toBe(400);
    const ok = await t.api('POST', '/auth/password-reset/confirm', {
      login: c.email,
      code: second,
      newPassword: 'fresh-long-secret-3',
    });
    expect(ok.status).toBe(204);
  });

  it('requests from one address are rate-limited', async () => {
    let last = 0;
    for (let i = 0; i < 22 && last !== 429; i++) {
      last = (await t.api('POST', '/auth/password-reset', { login: newEmail() })).status;
    }
    expect(last).toBe(429);
  });
});
