// Protects against account enumeration (issue 13, finding 12): registration and sign-in answer the same whether or not an account exists; a new account needs a code delivered out of band.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskAddress } from '../../packages/server/src/auth/notifier';
import { ConfigError, loadConfig } from '../../packages/server/src/config';
import { startTestApp, verificationCode, type TestApp } from '../helpers/app';

/** The raw answer: status, and the body exactly as sent. */
async function raw(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const newEmail = () => `e${randomBytes(5).toString('hex')}@test.local`;
const signUp = (email: string, password = 'a-fine-long-secret-9') => ({
  name: 'Wanjiru',
  email,
  phone: '254712345678',
  password,
});

describe('account enumeration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('registering an existing address and a new one give byte-identical answers', async () => {
    const existing = await t.newCustomer();
    const taken = await raw(t.url, '/auth/register', signUp(existing.email));
    const fresh = await raw(t.url, '/auth/register', signUp(newEmail()));
    expect(taken.status).toBe(202);
    expect(taken).toEqual(fresh);
    expect(JSON.parse(taken.text)).toMatchObject({ status: 'verification_sent' });
  });

  it('signing in with an unknown address and with a wrong password give byte-identical answers', async () => {
    const existing = await t.newCustomer();
    const unknown = await raw(t.url, '/auth/login', { email: newEmail(), password: 'wrong-password-1' });
    const wrong = await raw(t.url, '/auth/login', { email: existing.email, password: 'wrong-password-1' });
    expect(wrong.status).toBe(401);
    expect(unknown).toEqual(wrong);
  });

  it('a new account works only after its code; the owner of a taken address is told, and gets no code', async () => {
    const email = newEmail();
    const password = 'a-fine-long-secret-9';
    expect((await raw(t.url, '/auth/register', signUp(email, password))).status).toBe(202);
    // not usable yet, and it answers like a wrong password
    const early = await raw(t.url, '/auth/login', { email, password });
    const wrongEarly = await raw(t.url, '/auth/login', { email: newEmail(), password });
    expect(early).toEqual(wrongEarly);
    const code = verificationCode(t, email);
    const verified = await t.api<{ token: string; user: { email: string } }>('POST', '/auth/verify', {
      email,
      code,
    });
    expect(verified.status).toBe(200);
    expect(verified.body.user.email).toBe(email);
    expect((await t.api('GET', '/api/me', undefined, verified.body.token)).status).toBe(200);
    expect((await raw(t.url, '/auth/login', { email, password })).status).toBe(200);
    // the code is spent
    expect((await t.api('POST', '/auth/verify', { email, code })).status).toBe(400);

    // someone registers the address again: the owner gets a notice, not a code, and nothing changes
    expect((await raw(t.url, '/auth/register', signUp(email, 'another-long-secret-3'))).status).toBe(202);
    expect(t.app.services.notifier.lastNoticeFor(email)).toEqual({ kind: 'registration_attempt', to: email });
    expect((await raw(t.url, '/auth/login', { email, password })).status).toBe(200);
    expect((await raw(t.url, '/auth/login', { email, password: 'another-long-secret-3' })).status).toBe(401);
  });

  it('a wrong code answers like a code for an unknown address, and five wrong codes spend the right one', async () => {
    const email = newEmail();
    await raw(t.url, '/auth/register', signUp(email));
    const code = verificationCode(t, email);
    const wrongCode = code === '000000' ? '111111' : '000000';
    const wrong = await raw(t.url, '/auth/verify', { email, code: wrongCode });
    const unknown = await raw(t.url, '/auth/verify', { email: newEmail(), code: wrongCode });
    expect(wrong.status).toBe(400);
    expect(wrong).toEqual(unknown);
    expect(JSON.parse(wrong.text)).toMatchObject({ error: 'INVALID_CODE' });
    for (let i = 0; i < 4; i++) await raw(t.url, '/auth/verify', { email, code: wrongCode });
    expect((await raw(t.url, '/auth/verify', { email, code })).status).toBe(400);
    // registering again sends a new code that works
    await raw(t.url, '/auth/register', signUp(email));
    const next = verificationCode(t, email);
    expect((await raw(t.url, '/auth/verify', { email, code: next })).status).toBe(200);
  });

  it('the development notifier keeps codes out of the log in clear: the recipient is masked', () => {
    const email = newEmail();
    const masked = maskAddress(email);
    expect(masked).not.toContain(email.split('@')[0]);
    expect(masked).toMatch(/^e\*+@test\.local$/);
  });
});

describe('registration without a message sender fails closed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { NOTIFIER: 'none' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 403 REGISTRATION_CLOSED, for new and existing addresses alike', async () => {
    const fresh = await raw(t.url, '/auth/register', signUp(newEmail()));
    const taken = await raw(t.url, '/auth/register', signUp('admin@test.local'));
    expect(fresh.status).toBe(403);
    expect(JSON.parse(fresh.text)).toMatchObject({ error: 'REGISTRATION_CLOSED' });
    expect(taken).toEqual(fresh);
  });

  it('production defaults to no sender, and refuses the logging one', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(40) }).NOTIFIER).toBe('none');
    expect(loadConfig({ NODE_ENV: 'development' }).NOTIFIER).toBe('log');
    expect(() => loadConfig({ NODE_ENV: 'production', NOTIFIER: 'log', JWT_SECRET: 'j'.repeat(40) })).toThrow(
      ConfigError,
    );
  });
});
