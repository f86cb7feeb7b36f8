// Protects every HTTP route at once, generated from the live route table: SEC-1, SEC-2, SEC-4, SEC-5 (page size, body size), SEC-6, SEC-7.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RouteRecord } from '../../packages/server/src/shared/route-table';
import { startTestApp } from '../helpers/app';
import {
  call,
  fillPath,
  hasBody,
  paramsOf,
  routeKey,
  schemaKeys,
  secretFieldsIn,
  type Credentials,
} from './helpers';
import { NON_JSON_ROUTES, ROUTE_MANIFEST, SECRET_FIELD, SECRET_FIELD_ALLOW_LIST } from './route-manifest';

// The demo: its top-up route (POST /daraja/simulate) is guarded here too.
const t = await startTestApp('pglite', { DEMO: true });
const a = await t.newCustomer();
const b = await t.newCustomer();
const meterA = await t.newMeter({ userId: a.id, openingCreditKwh: 5 });
const meterB = await t.newMeter({ userId: b.id, openingCreditKwh: 5 });
await t.api('POST', '/daraja/simulate', { meter_no: meterA.meterNo, amount: 10 }, a.token);
await t.api('POST', '/daraja/simulate', { meter_no: meterB.meterNo, amount: 10 }, b.token);

const own = { meterNo: meterA.meterNo, userId: a.id };
const foreign = { meterNo: meterB.meterNo, userId: b.id };
const missing = { meterNo: 'NOPE404', userId: randomUUID() };
const ID_PARAMS = ['meterNo', 'userId'];

const routes: RouteRecord[] = t.app.routes;
const byLevel = (level: RouteRecord['auth']) => routes.filter((r) => r.auth === level);
/** Valid credentials of the level a route asks for, as customer A (or A's meter). */
const credentialsFor = (r: RouteRecord): Credentials => {
  switch (r.auth) {
    case 'admin':
      return { bearer: t.adminToken };
    case 'user':
      return { bearer: a.token };
    case 'device':
      return { basic: { user: meterA.meterNo, secret: meterA.secret } };
    case 'public':
      return null;
  }
};

afterAll(async () => {
  await t.close();
});

describe('route table', () => {
  it('has the routes the suite expects to guard', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.map(routeKey)).toContain('GET /api/transactions/:userId');
  });

  it.for(routes.map(routeKey))('%s has the access level its manifest entry says', (key) => {
    const route = routes.find((r) => routeKey(r) === key)!;
    expect(
      ROUTE_MANIFEST[key],
      `add "${key}" to tests/security/route-manifest.ts with its access level`,
    ).toBeDefined();
    expect(route.auth).toBe(ROUTE_MANIFEST[key]);
  });

  it('lists no route in the manifest that the server no longer has', () => {
    const live = new Set(routes.map(routeKey));
    expect(Object.keys(ROUTE_MANIFEST).filter((k) => !live.has(k))).toEqual([]);
  });
});

describe('SEC-6: every non-public route refuses a request without a token', () => {
  it.for(routes.filter((r) => r.auth !== 'public').map(routeKey))('%s answers 401', async (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    const res = await t.api(r.method, fillPath(r.url, own), hasBody(r) ? {} : undefined, null);
    expect(res.status).toBe(401);
    const forged = await t.api(r.method, fillPath(r.url, own), hasBody(r) ? {} : undefined, `${a.token}x`);
    expect(forged.status).toBe(401);
    if (r.auth === 'device') {
      // another meter's good secret is no key to this one
      const other = { basic: { user: meterB.meterNo, secret: meterB.secret } };
      const wrong = { basic: { user: meterA.meterNo, secret: meterB.secret } };
      for (const creds of [other, wrong]) {
        expect((await call(t.url, r.method, fillPath(r.url, own), {}, creds)).status).toBe(401);
      }
    }
  });
});

describe('SEC-2: a customer token on an admin route is forbidden', () => {
  it.for(byLevel('admin').map(routeKey))('%s answers 403', async (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    for (const ids of [own, foreign, missing]) {
      const res = await t.api(r.method, fillPath(r.url, ids), hasBody(r) ? {} : undefined, a.token);
      expect(res.status).toBe(403);
    }
  });
});

describe('SEC-1: another customer’s id answers exactly like a missing one', () => {
  const withIds = byLevel('user').filter((r) => paramsOf(r.url).some((p) => ID_PARAMS.includes(p)));

  it('covers every user route that takes a meter or user id', () => {
    expect(withIds.map(routeKey)).toEqual(
      expect.arrayContaining([
        'GET /api/meters/:meterNo',
        'GET /api/meters/:meterNo/consumption',
        'GET /api/transactions/:userId',
        'GET /api/transactions/meter/:meterNo',
      ]),
    );
  });

  it.for(withIds.map(routeKey))('%s answers 404 for B’s id, the same as for a missing id', async (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    const body = hasBody(r) ? {} : undefined;
    const mine = await t.api(r.method, fillPath(r.url, own), body, a.token);
    const theirs = await t.api(r.method, fillPath(r.url, foreign), body, a.token);
    const none = await t.api(r.method, fillPath(r.url, missing), body, a.token);
    expect(theirs).toEqual(none);
    if (r.method === 'GET') {
      expect(mine.status).toBe(200);
      expect(theirs.status).toBe(404);
    } else {
      // Without a valid body a write route may stop at validation; it must still not tell ids apart.
      expect([400, 404]).toContain(theirs.status);
    }
  });

  it('answers B’s meter in a request body like a missing meter', async () => {
    const theirs = await t.api('POST', '/daraja/simulate', { meter_no: meterB.meterNo, amount: 1 }, a.token);
    const none = await t.api('POST', '/daraja/simulate', { meter_no: missing.meterNo, amount: 1 }, a.token);
    expect(theirs.status).toBe(404);
    expect(theirs).toEqual(none);
  });
});

describe('SEC-4: no credential fields in responses outside the allow-list', () => {
  const jsonRoutes = routes.filter((r) => !NON_JSON_ROUTES.has(routeKey(r)));

  it.for(jsonRoutes.map(routeKey))('%s declares a response schema without credential fields', (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    const response = (r.schema as { response?: Record<string, unknown> } | undefined)?.response;
    expect(response, `${key} has no response schema`).toBeDefined();
    const allowed = SECRET_FIELD_ALLOW_LIST[key] ?? [];
    const fields = Object.values(response!).flatMap((s) => schemaKeys(s));
    const leaks = fields.filter((f) => {
      const name = f.split('.').pop()!.replace('[]', '');
      return SECRET_FIELD.test(name) && !allowed.includes(name);
    });
    expect(leaks).toEqual([]);
  });

  it.for(routes.filter((r) => r.method === 'GET' && !NON_JSON_ROUTES.has(routeKey(r))).map(routeKey))(
    '%s returns no credential field to a customer or an admin',
    async (key) => {
      const r = routes.find((x) => routeKey(x) === key)!;
      for (const token of [a.token, t.adminToken]) {
        const res = await t.api(
          r.method,
          fillPath(r.url, own),
          undefined,
          r.auth === 'public' ? null : token,
        );
        expect(res.status).toBeLessThan(500);
        expect(secretFieldsIn(res.body, SECRET_FIELD)).toEqual([]);
      }
    },
  );

  it('returns credentials only where the allow-list says', async () => {
    const login = await t.api('POST', '/auth/login', { email: a.email, password: a.password });
    expect(secretFieldsIn(login.body, SECRET_FIELD)).toEqual(['.token']);
    const meter = await t.api('POST', '/api/meters', { meterNo: `S4${Date.now() % 1e6}` }, t.adminToken);
    expect(meter.status).toBe(201);
    expect(secretFieldsIn(meter.body, SECRET_FIELD)).toEqual(['.mqttPassword']);
  });
});

describe('SEC-5: size limits', () => {
  const paged = routes.filter(
    (r) =>
      r.method === 'GET' &&
      schemaKeys((r.schema as { querystring?: unknown })?.querystring).includes('.limit'),
  );

  it('finds the paged routes', () => {
    expect(paged.map(routeKey)).toEqual(
      expect.arrayContaining(['GET /api/meters', 'GET /api/transactions/:userId']),
    );
  });

  it.for(paged.map(routeKey))('%s refuses a page size over its maximum with 400', async (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    const res = await call(
      t.url,
      'GET',
      `${fillPath(r.url, own)}?limit=100000`,
      undefined,
      credentialsFor(r),
    );
    expect(res.status).toBe(400);
  });

  it.for(routes.filter(hasBody).map(routeKey))('%s refuses a body over the limit with 413', async (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    const big = JSON.stringify({ filler: 'x'.repeat(70 * 1024) });
    const res = await call(t.url, r.method, fillPath(r.url, own), big, credentialsFor(r));
    expect(res.status).toBe(413);
  });
});

describe('SEC-7: prototype pollution through JSON bodies', () => {
  const bodies = [
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"a":1,"nested":{"__proto__":{"polluted":"yes"}}}',
  ];

  it.for(routes.filter(hasBody).map(routeKey))('%s answers 400 and pollutes nothing', async (key) => {
    const r = routes.find((x) => routeKey(x) === key)!;
    for (const body of bodies) {
      const res = await call(t.url, r.method, fillPath(r.url, own), body, credentialsFor(r));
      expect(res.status).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
