// Keeps the checked-in OpenAPI document (docs/openapi.json) and the web client's types generated from it
// (packages/web/src/api/openapi.gen.ts) equal to what the routes' schemas generate.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { generateWebApiTypes, WEB_API_TYPES_FILE } from '../helpers/openapi-types';

const ROOT = join(import.meta.dirname, '..', '..');
const FILE = join(ROOT, 'docs', 'openapi.json');
const TYPES_FILE = join(ROOT, WEB_API_TYPES_FILE);
const UPDATE = process.env.UPDATE_OPENAPI === '1';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The demo: its top-up route (POST /daraja/simulate, demo only) is documented too.
    t = await startTestApp('pglite', { DEMO: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('docs/openapi.json matches the running routes (npm run api:types rewrites it)', () => {
    const generated = JSON.stringify(t.app.http.swagger(), null, 2) + '\n';
    if (UPDATE) writeFileSync(FILE, generated);
    const checkedIn = readFileSync(FILE, 'utf8');
    expect(JSON.parse(checkedIn), 'docs/openapi.json is stale: regenerate it').toEqual(JSON.parse(generated));
  });

  it('the web client types match the document the running routes generate (npm run api:types rewrites them)', async () => {
    const generated = await generateWebApiTypes(t.app.http.swagger());
    if (UPDATE) writeFileSync(TYPES_FILE, generated);
    const checkedIn = readFileSync(TYPES_FILE, 'utf8');
    expect(checkedIn === generated, `${WEB_API_TYPES_FILE} is stale: run npm run api:types`).toBe(true);
  });

  it('GET /openapi.json serves the same document, to anyone', async () => {
    const res = await fetch(`${t.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(readFileSync(FILE, 'utf8')));
  });

  it('GET /docs serves the viewer and its files from this server, to anyone, under the CSP of every page', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src, 'no script from another origin').toMatch(/^\.?\//);
      const res = await fetch(new URL(src, `${t.url}/docs/`));
      expect(res.status, src).toBe(200);
      await res.arrayBuffer();
    }
    // The viewer reads the same document, from this origin.
    const viewed = await fetch(`${t.url}/docs/json`);
    expect(await viewed.json()).toEqual(JSON.parse(readFileSync(FILE, 'utf8')));
  });
});
