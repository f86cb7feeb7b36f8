// Protects the HTTP auth hook for brokers that call out (issue 14 §4): EMQX 5 authn/authz and mosquitto-go-auth, same rules as the embedded broker, secret required, absent when unset.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestMeterCreds } from '../helpers/app';

const SECRET = randomBytes(32).toString('base64url');
const SERVER_PASSWORD = randomBytes(24).toString('base64url');

async function post(
  t: TestApp,
  path: string,
  body: Record<string, unknown> | string,
  opts: { secret?: string | null; form?: boolean; query?: boolean } = {},
) {
  const secret = opts.secret === undefined ? SECRET : opts.secret;
  const url = `${t.url}${path}${opts.query && secret ? `?s=${encodeURIComponent(secret)}` : ''}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json',
      ...(secret && !opts.query ? { authorization: `Bearer ${secret}` } : {}),
    },
    body:
      typeof body === 'string'
        ? body
        : opts.form
          ? new URLSearchParams(body as Record<string, string>).toString()
          : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: json as Record<string, unknown> | null };
}

describe('MQTT auth hook', () => {
  let t: TestApp;
  let a: TestMeterCreds;
  let b: TestMeterCreds;
  let revoked: TestMeterCreds;
  beforeAll(async () => {
    t = await startTestApp('pglite', {
      MQTT_AUTH_HOOK_SECRET: SECRET,
      MQTT_SERVER_PASSWORD: SERVER_PASSWORD,
    });
    a = await t.newMeter();
    b = await t.newMeter();
    revoked = await t.newMeter();
    await t.api('POST', `/api/meters/${revoked.meterNo}/revoke`, undefined, t.adminToken);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('EMQX 5 authentication: allow only a meter with its own secret and client id, or the server', async () => {
    const authn = (username: string, password: string, clientid: string) =>
      post(t, '/mqtt/emqx/authn', { username, password, clientid });
    const allowed = await authn(a.meterNo, a.secret, a.meterNo);
    expect(allowed).toEqual({ status: 200, body: { result: 'allow', is_superuser: false } });
    expect((await authn('umeme-server', SERVER_PASSWORD, 'umeme-server-x')).body?.result).toBe('allow');
    const denied = [
      [a.meterNo, 'wrong', a.meterNo],
      [a.meterNo, a.secret, b.meterNo],
      [b.meterNo, a.secret, b.meterNo],
      [a.meterNo, '', a.meterNo],
      ['', '', ''],
      [revoked.meterNo, revoked.secret, revoked.meterNo],
      ['NOPE', a.secret, 'NOPE'],
      ['umeme-server', a.secret, 'x'],
    ] as const;
    for (const [u, p, c] of denied) {
      expect(await authn(u, p, c), `${u}/${c}`).toEqual({
        status: 200,
        body: { result: 'deny', is_superuser: false },
      });
    }
  });

  it('EMQX 5 authorisation: a meter publishes its reports and subscribes to its commands, nothing else', async () => {
    const authz = (username: string, action: string, topic: string) =>
      post(t, '/mqtt/emqx/authz', {
        username,
        clientid: username,
        action,
        topic,
        qos: 1,
        retain: false,
        peerhost: '10.0.0.9',
      });
    const own = `smartmeter/${a.meterNo}`;
    const allow: [string, string, string][] = [
      [a.meterNo, 'publish', `${own}/consumption`],
      [a.meterNo, 'publish', `${own}/status`],
      [a.meterNo, 'publish', `${own}/balance`],
      [a.meterNo, 'subscribe', `${own}/command/#`],
      ['umeme-server', 'publish', `${own}/command/balance`],
      ['umeme-server', 'subscribe', '$share/umeme/smartmeter/+/consumption'],
    ];
    const deny: [string, string, string][] = [
      [a.meterNo, 'publish', `smartmeter/${b.meterNo}/consumption`],
      [a.meterNo, 'publish', `${own}/command/balance`],
      [a.meterNo, 'subscribe', `smartmeter/${b.meterNo}/command/#`],
      [a.meterNo, 'subscribe', '#'],
      [a.meterNo, 'subscribe', 'smartmeter/+/command/#'],
      [a.meterNo, 'subscribe', '$SYS/#'],
      [a.meterNo, 'all', `${own}/consumption`],
      ['umeme-server', 'publish', `${own}/consumption`],
      ['umeme-server', 'subscribe', 'smartmeter/+/command/#'],
      ['stranger', 'publish', `${own}/consumption`],
    ];
    for (const [u, act, topic] of allow)
      expect((await authz(u, act, topic)).body?.result, `${u} ${act} ${topic}`).toBe('allow');
    for (const [u, act, topic] of deny)
      expect((await authz(u, act, topic)).body?.result, `${u} ${act} ${topic}`).toBe('deny');
  });

  it('mosquitto-go-auth: /user, /superuser and /acl answer 200 or 403, with form or JSON parameters', async () => {
    for (const form of [false, true]) {
      const q = { form, query: true };
      expect(
        (
          await post(
            t,
            '/mqtt/go-auth/user',
            { username: a.meterNo, password: a.secret, clientid: a.meterNo },
            q,
          )
        ).status,
      ).toBe(200);
      expect(
        (
          await post(
            t,
            '/mqtt/go-auth/user',
            { username: a.meterNo, password: b.secret, clientid: a.meterNo },
            q,
          )
        ).status,
      ).toBe(403);
      expect((await post(t, '/mqtt/go-auth/superuser', { username: a.meterNo }, q)).status).toBe(403);
      expect((await post(t, '/mqtt/go-auth/superuser', { username: 'umeme-server' }, q)).status).toBe(403);
      const acl = (topic: string, acc: number) =>
        post(
          t,
          '/mqtt/go-auth/acl',
          { username: a.meterNo, clientid: a.meterNo, topic, acc: form ? String(acc) : acc },
          q,
        );
      expect((await acl(`smartmeter/${a.meterNo}/consumption`, 2)).status).toBe(200);
      expect((await acl(`smartmeter/${a.meterNo}/command/#`, 4)).status).toBe(200);
      expect((await acl(`smartmeter/${a.meterNo}/command/balance`, 1)).status).toBe(200);
      expect((await acl(`smartmeter/${b.meterNo}/consumption`, 2)).status).toBe(403);
      expect((await acl(`smartmeter/${b.meterNo}/command/balance`, 1)).status).toBe(403);
      expect((await acl(`smartmeter/${a.meterNo}/command/balance`, 3)).status).toBe(403);
      expect((await acl('#', 4)).status).toBe(403);
      expect((await acl(`smartmeter/${a.meterNo}/consumption`, 9)).status).toBe(403);
    }
  });

  it('refuses every call without the shared secret, before looking at the body', async () => {
    for (const secret of [null, 'x'.repeat(40), `${SECRET}x`]) {
      for (const path of [
        '/mqtt/emqx/authn',
        '/mqtt/emqx/authz',
        '/mqtt/go-auth/user',
        '/mqtt/go-auth/acl',
      ]) {
        const r = await post(
          t,
          path,
          { username: a.meterNo, password: a.secret, clientid: a.meterNo },
          { secret },
        );
        expect(r.status, path).toBe(401);
        expect(r.body?.result).toBeUndefined();
      }
    }
  });

  it('does not exist when MQTT_AUTH_HOOK_SECRET is unset', async () => {
    const plain = await startTestApp();
    try {
      const r = await post(plain, '/mqtt/emqx/authn', { username: 'x', password: 'y', clientid: 'x' });
      // an unknown route, answered like any other unknown route (401 before 404: denied by default)
      expect([401, 404]).toContain(r.status);
      expect(r.body?.result).toBeUndefined();
      expect(plain.app.routes.some((route) => route.url.startsWith('/mqtt/'))).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
