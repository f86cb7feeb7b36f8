// Protects SEC-6 beyond the route table: the default Socket.IO namespace refuses every socket, and /metrics is never public (its own listener or a bearer token; absent otherwise).
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { openReadySocket } from '../helpers/sockets';

const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

async function getMetrics(base: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, text: await res.text() };
}

/** Connects to a namespace; resolves 'connected' or the connect_error message. */
function tryNamespace(url: string, token: string | null): Promise<string> {
  const socket = io(url, {
    auth: token === null ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  return new Promise<string>((resolve) => {
    socket.on('connect', () => resolve('connected'));
    socket.on('connect_error', (err) => resolve(`refused: ${err.message}`));
  }).finally(() => socket.close());
}

describe('without METRICS_TOKEN or METRICS_PORT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the default Socket.IO namespace refuses sockets, with or without a token', async () => {
    const customer = await t.newCustomer();
    expect(await tryNamespace(`${t.url}/`, null)).toMatch(/^refused/);
    expect(await tryNamespace(`${t.url}/`, customer.token)).toMatch(/^refused/);
    expect(await tryNamespace(`${t.url}/`, t.adminToken)).toMatch(/^refused/);
    // The browsers' namespace still works.
    const live = await openReadySocket(t.url, customer.token);
    live.close();
  });

  it('/metrics on the main listener is absent (404), whatever the caller sends', async () => {
    for (const token of [undefined, t.adminToken, METRICS_TOKEN]) {
      const res = await getMetrics(t.url, token);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('umeme_');
    }
  });
});

describe('with METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { METRICS_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('/metrics answers 401 without the token or with a wrong one, and the metrics with it', async () => {
    for (const token of [undefined, '', t.adminToken, `${METRICS_TOKEN}x`, METRICS_TOKEN.slice(0, -1)]) {
      const res = await getMetrics(t.url, token);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('umeme_');
    }
    const res = await getMetrics(t.url, METRICS_TOKEN);
    expect(res.status).toBe(200);
    expect(res.text).toContain('umeme_');
  });
});

describe('with METRICS_PORT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { METRICS_PORT: 0 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the metrics on their own listener, on 127.0.0.1 by default, and not on the main one', async () => {
    const metricsUrl = t.app.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(t.url);
    const res = await getMetrics(metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.text).toContain('umeme_');
    expect((await fetch(`${metricsUrl}/api/config`)).status).toBe(404);
    expect((await getMetrics(t.url)).status).toBe(404);
  });
});
