// Protects SEC-10 and PAY-9: a client-written X-Forwarded-For passes neither the callback allow-list nor the per-address rate limits; only the configured proxies' entries count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_RATE_LIMIT } from '../../packages/server/src/auth/auth.routes';
import { ConfigError, loadConfig, type Config } from '../../packages/server/src/config';
import { NOT_FOUND_LIMIT } from '../../packages/server/src/shared/not-found-limit';
import { startTestApp, type TestApp } from '../helpers/app';
import { c2bUrls, post, startPaymentsApp } from '../payments/helpers';

/** TRUST_PROXY as an operator writes it, through the configuration parser. */
const trustProxy = (text: string): Config['TRUST_PROXY'] => loadConfig({ TRUST_PROXY: text }).TRUST_PROXY;

const SAFARICOM = '196.201.214.200';

describe('TRUST_PROXY configuration', () => {
  it("refuses 'true' with a message naming the variable and the choices", () => {
    for (const text of ['true', 'yes']) {
      expect(() => loadConfig({ TRUST_PROXY: text })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: text })).toThrow(/TRUST_PROXY: .*number of proxies.*CIDR/s);
    }
  });

  it('takes false, a hop count, or proxy addresses and CIDRs', () => {
    expect(trustProxy('false')).toBe(false);
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('2')).toBe(2);
    expect(trustProxy('10.0.0.0/8, 192.168.1.7,fd00::/8,loopback')).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['10.0.0.0/33', 'proxy.example', '999', '-1', ',']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });
});

describe('callback allow-list behind one proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp('pglite', {
      TRUST_PROXY: trustProxy('1'),
      DARAJA_CALLBACK_ALLOWLIST: [SAFARICOM],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a client writing Safaricom's address in front of its own is refused: only the proxy's entry counts", async () => {
    const res = await post(c2bUrls(t).validation, {}, { 'x-forwarded-for': `${SAFARICOM}, 41.90.1.2` });
    expect(res.status).toBe(403);
    const repeated = await post(
      c2bUrls(t).validation,
      {},
      { 'x-forwarded-for': `${SAFARICOM}, ${SAFARICOM}, 41.90.1.2` },
    );
    expect(repeated.status).toBe(403);
  });

  it('a callback the proxy forwards from Safaricom passes the allow-list', async () => {
    const res = await post(c2bUrls(t).validation, {}, { 'x-forwarded-for': SAFARICOM });
    expect(res.status).not.toBe(403);
  });
});

describe('callback allow-list with the proxy named by address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startPaymentsApp('pglite', {
      TRUST_PROXY: trustProxy('10.0.0.0/8'),
      DARAJA_CALLBACK_ALLOWLIST: [SAFARICOM],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the header from a peer that is not a configured proxy is ignored altogether', async () => {
    const res = await post(c2bUrls(t).validation, {}, { 'x-forwarded-for': SAFARICOM });
    expect(res.status).toBe(403);
  });
});

describe('per-address rate limits behind one proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { TRUST_PROXY: trustProxy('1') });
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (path: string, forwardedFor: string) =>
    fetch(t.url + path, { headers: { 'x-forwarded-for': forwardedFor } }).then((r) => r.status);

  it('login attempts with a new spoofed left-most address each time are still counted for the one client', async () => {
    // Malformed attempts count like any other (the limit comes before validation) and are cheap.
    const statuses = await Promise.all(
      Array.from({ length: LOGIN_RATE_LIMIT.max + 1 }, (_, i) =>
        fetch(`${t.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.1.${i}.1, 41.90.7.7` },
          body: JSON.stringify({ email: `nobody${i}` }),
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 429).length).toBe(1);
    // Another client behind the same proxy is not affected.
    const other = await fetch(`${t.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '41.90.8.8' },
      body: JSON.stringify({ email: 'nobody@test.local', password: 'wrong-password' }),
    });
    expect(other.status).toBe(401);
  });

  it('404s with a new spoofed left-most address each time are still counted for the one client', async () => {
    for (let i = 0; i < NOT_FOUND_LIMIT.max; i++) {
      expect(await get(`/api/unknown/${i}`, `10.2.${i % 250}.${i >> 8}, 41.90.9.9`)).toBe(404);
    }
    expect(await get('/api/unknown/next', '10.3.3.3, 41.90.9.9')).toBe(429);
    expect(await get('/api/unknown/next', '41.90.10.10')).toBe(404);
  });
});
