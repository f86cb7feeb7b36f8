// Keeps the checked-in OpenAPI document (docs/openapi.json) equal to what the routes' schemas generate.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';

const FILE = join(import.meta.dirname, '..', '..', 'docs', 'openapi.json');

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The demo: its top-up route (POST /daraja/simulate, demo only) is documented too.
    t = await startTestApp('pglite', { DEMO: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('docs/openapi.json matches the running routes (UPDATE_OPENAPI=1 npx vitest run tests/integration/openapi.test.ts rewrites it)', () => {
    const generated = JSON.stringify(t.app.http.swagger(), null, 2) + '\n';
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(FILE, generated);
    const checkedIn = readFileSync(FILE, 'utf8');
    expect(JSON.parse(checkedIn), 'docs/openapi.json is stale: regenerate it').toEqual(JSON.parse(generated));
  });
});
