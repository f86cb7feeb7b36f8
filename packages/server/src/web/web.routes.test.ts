// Protects how the server serves the built dashboard: files, page paths, API 404s and the not-built note.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { registerErrorHandlers } from '../shared/http';
import { webRoutes, type WebRoutesOptions } from './web.routes';

const INDEX_HTML =
  '<!doctype html><html><head><title>Umeme</title></head><body><div id="root"></div></body></html>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

const dirs: string[] = [];
const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'umeme-web-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX_HTML);
  writeFileSync(join(dir, 'assets/app-1234.js'), APP_JS);
  writeFileSync(join(dir, 'assets/app-1234.js.gz'), gzipSync(APP_JS));
  writeFileSync(join(dir, 'assets/app-1234.js.br'), brotliCompressSync(APP_JS));
  return dir;
}

const PRODUCTION: WebRoutesOptions['mode'] = { name: 'production', demo: false, payments: 'daraja' };
const DEMO: WebRoutesOptions['mode'] = { name: 'demo', demo: true, payments: 'emulator' };
const STAGING: WebRoutesOptions['mode'] = { name: 'staging', demo: false, payments: 'emulator' };

async function newApp(
  distDir: string,
  mode: WebRoutesOptions['mode'] = PRODUCTION,
  more: Partial<Pick<WebRoutesOptions, 'virtualPhoneUrl' | 'smsPhoneUrl' | 'friendlyHours'>> = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  // As in app.ts: route schemas are zod.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app);
  await app.register(webRoutes({ distDir, mode, ...more }));
  app.get('/api/known', async () => ({ ok: true }));
  apps.push(app);
  return app;
}

describe('web routes', () => {
  it('GET /api/config tells the dashboard the mode, the emulator and the virtual phone (demo only)', async () => {
    const url = () => 'http://127.0.0.1:4321/emulator/phone';
    const sms = () => 'http://127.0.0.1:4322/emulator/phone';
    const demo = await newApp(newDist(), DEMO, { virtualPhoneUrl: url, smsPhoneUrl: sms });
    const res = await demo.inject({ url: '/api/config' });
    expect(res.statusCode).toBe(200);
    const off = { active: false, until: null, untilLocalTime: null };
    expect(res.json()).toEqual({
      mode: 'demo',
      demo: true,
      paymentsEmulator: true,
      virtualPhoneUrl: 'http://127.0.0.1:4321/emulator/phone',
      smsPhoneUrl: 'http://127.0.0.1:4322/emulator/phone',
      friendlyHours: off,
      stkMaxKes: null,
    });

    const staging = await newApp(newDist(), STAGING, { virtualPhoneUrl: url, smsPhoneUrl: sms });
    expect((await staging.inject({ url: '/api/config' })).json()).toEqual({
      mode: 'staging',
      demo: false,
      paymentsEmulator: true,
      virtualPhoneUrl: null,
      smsPhoneUrl: null,
      friendlyHours: off,
      stkMaxKes: null,
    });
    const live = await newApp(newDist(), PRODUCTION, { virtualPhoneUrl: url });
    expect((await live.inject({ url: '/api/config' })).json()).toEqual({
      mode: 'production',
      demo: false,
      paymentsEmulator: false,
      virtualPhoneUrl: null,
      smsPhoneUrl: null,
      friendlyHours: off,
      stkMaxKes: null,
    });
  });

  it('GET /api/config says whether friendly hours are on and until when', async () => {
    const on = { active: true, until: '2025-11-19T04:00:00.000Z', untilLocalTime: '07:00' };
    const app = await newApp(newDist(), PRODUCTION, { friendlyHours: () => on });
    expect((await app.inject({ url: '/api/config' })).json()).toMatchObject({ friendlyHours: on });
  });

  it('page paths get index.html, always revalidated', async () => {
    const app = await newApp(newDist());
    for (const url of ['/', '/signin', '/meters/KE-0001', '/meters/KE-0001?tab=usage']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('hashed assets are sent pre-compressed and cached for a year', async () => {
    const app = await newApp(newDist());
    const res = await app.inject({ url: '/assets/app-1234.js', headers: { 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['cache-control']).toContain(`max-age=${365 * 24 * 3600}`);
    expect(res.rawPayload.length).toBeLessThan(APP_JS.length / 10);
    const br = await app.inject({
      url: '/assets/app-1234.js',
      headers: { 'accept-encoding': 'gzip, deflate, br, zstd' },
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toContain('immutable');
    expect(String(br.headers.vary).toLowerCase()).toContain('accept-encoding');
    const plain = await app.inject({
      url: '/assets/app-1234.js',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.body).toBe(APP_JS);
  });

  it('API paths and missing files stay JSON 404s, and known API routes still answer', async () => {
    const app = await newApp(newDist());
    for (const url of ['/api/nothing', '/auth/nothing', '/daraja/x', '/socket.io/x', '/assets/missing.js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ error: 'NOT_FOUND', message: expect.any(String) });
    }
    expect((await app.inject({ url: '/api/known' })).json()).toEqual({ ok: true });
  });

  it('files outside the build are never served', async () => {
    const app = await newApp(newDist());
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2F..%2Fetc%2Fpasswd']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('"name"');
    }
  });

  it('without a build, page paths explain how to build the app', async () => {
    const app = await newApp(join(tmpdir(), 'umeme-web-missing-dist'));
    const res = await app.inject({ url: '/meters/KE-0001' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build:web');
    expect((await app.inject({ url: '/assets/app.js' })).statusCode).toBe(404);
  });
});
