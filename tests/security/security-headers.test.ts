// Protects SEC-11: every HTML and API response carries a CSP, anti-framing, nosniff and a strict referrer policy; the HTML statement runs no script; HSTS only behind TLS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config';
import { startTestApp, type TestApp } from '../helpers/app';

type Headers = Record<string, string>;

async function headersOf(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers }> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()) };
}

/** The CSP as directive → sources. */
function csp(headers: Headers): Map<string, string[]> {
  const text = headers['content-security-policy'];
  expect(text, 'a Content-Security-Policy header').toBeDefined();
  return new Map(
    text!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

function expectCommonHeaders(headers: Headers): void {
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(['no-referrer', 'strict-origin', 'same-origin']).toContain(headers['referrer-policy']);
  const policy = csp(headers);
  expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  expect(policy.get('object-src') ?? policy.get('default-src')).toEqual(["'none'"]);
  const scripts = policy.get('script-src') ?? policy.get('default-src') ?? [];
  expect(scripts).not.toContain("'unsafe-inline'");
  expect(scripts).not.toContain("'unsafe-eval'");
  expect(scripts).not.toContain('*');
}

describe('security headers over plain HTTP', () => {
  let t: TestApp;
  let customer: { token: string };
  beforeAll(async () => {
    t = await startTestApp();
    customer = await t.newCustomer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the dashboard page has a CSP of this origin only, anti-framing, nosniff and a referrer policy; no HSTS', async () => {
    const { status, headers } = await headersOf(`${t.url}/`);
    expect(status).toBe(200);
    expectCommonHeaders(headers);
    const policy = csp(headers);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('frame-src') ?? []).not.toContain('*');
    expect(headers['strict-transport-security']).toBeUndefined();
  });

  it('an API route has the same headers', async () => {
    const { status, headers } = await headersOf(`${t.url}/api/me`, {
      headers: { authorization: `Bearer ${customer.token}` },
    });
    expect(status).toBe(200);
    expectCommonHeaders(headers);
    const refused = await headersOf(`${t.url}/api/meters`);
    expect(refused.status).toBe(401);
    expectCommonHeaders(refused.headers);
  });

  it('the HTML statement may run no script and load nothing', async () => {
    const { status, headers } = await headersOf(`${t.url}/api/statements/2026-11?format=html`, {
      headers: { authorization: `Bearer ${customer.token}` },
    });
    expect(status).toBe(200);
    expect(headers['content-type']).toContain('text/html');
    expectCommonHeaders(headers);
    const policy = csp(headers);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.has('script-src')).toBe(false);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'none'"]);
    for (const sources of policy.values()) {
      expect(sources).not.toContain("'unsafe-inline'");
      expect(sources).not.toContain("'self'");
    }
  });

  it('a client-written X-Forwarded-Proto does not turn HSTS on without a trusted proxy', async () => {
    const { headers } = await headersOf(`${t.url}/`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(headers['strict-transport-security']).toBeUndefined();
  });
});

describe('HSTS behind TLS', () => {
  let https: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    https = await startTestApp('pglite', { PUBLIC_URL: 'https://umeme.example.ke' });
    proxied = await startTestApp('pglite', { TRUST_PROXY: loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY });
  });
  afterAll(async () => {
    await https?.close();
    await proxied?.close();
  });

  it('is sent when PUBLIC_URL is https', async () => {
    const { headers } = await headersOf(`${https.url}/`);
    expect(headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
  });

  it('is sent when the trusted proxy says the request came over https, and not when it says http', async () => {
    const overTls = await headersOf(`${proxied.url}/api/config`, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(overTls.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
    const plain = await headersOf(`${proxied.url}/api/config`, { headers: { 'x-forwarded-proto': 'http' } });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });
});
