// Protects the phone budget: at most 200 KB of gzipped JavaScript and CSS on first load, served compressed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { ensureWebBuilt, WEB_DIST_DIR } from './browser-harness';

/** Issue 3: the dashboard must stay usable on a phone on a mobile network. */
const FIRST_LOAD_BUDGET_GZIP_BYTES = 200 * 1024;

/** The JavaScript and CSS a first visit downloads: what index.html names, modulepreloads included. */
function firstLoadAssets(html: string): string[] {
  const paths = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="(?:stylesheet|modulepreload)"[^>]*href="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+href="([^"]+)"[^>]*rel="(?:stylesheet|modulepreload)"/g),
  ].map((m) => m[1] ?? '');
  return [...new Set(paths)].filter((p) => /\.(js|css)$/.test(p));
}

let t: TestApp;

beforeAll(async () => {
  await ensureWebBuilt();
  t = await startTestApp();
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('first-load bundle', () => {
  it('the JavaScript and CSS of a first visit fit in 200 KB gzipped', () => {
    const html = readFileSync(join(WEB_DIST_DIR, 'index.html'), 'utf8');
    const assets = firstLoadAssets(html);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    const gzipBytes = assets
      .map((a) => gzipSync(readFileSync(join(WEB_DIST_DIR, a)), { level: 9 }).length)
      .reduce((sum, n) => sum + n, 0);
    expect(gzipBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_GZIP_BYTES);
  });

  it('the server sends those files pre-compressed, cacheable for a year, and index.html revalidated', async () => {
    const page = await fetch(`${t.url}/`);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const assets = firstLoadAssets(await page.text());
    let servedBytes = 0;
    for (const asset of assets) {
      const res = await fetch(`${t.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe('gzip');
      expect(res.headers.get('cache-control')).toContain('immutable');
      servedBytes += Number(res.headers.get('content-length'));
      await res.arrayBuffer();
    }
    expect(servedBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_GZIP_BYTES);
  });

  it('page paths get the app, unknown API paths stay JSON 404s', async () => {
    for (const path of ['/signin', '/meters/KE-0001']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
    for (const path of ['/api/no-such-route', '/auth/nothing', '/assets/missing.js']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'NOT_FOUND' });
    }
  });
});
