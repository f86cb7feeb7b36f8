// Protects SEC-5 for customers behind one carrier-NAT address: signed-in traffic is limited per account, anonymous traffic per address, so one client cannot lock out its neighbours.
import { afterEach, describe, expect, it } from 'vitest';
import { NOT_FOUND_LIMIT } from '../../packages/server/src/shared/not-found-limit';
import { GLOBAL_RATE_LIMIT } from '../../packages/server/src/shared/rate-limits';
import { startTestApp, type TestApp } from '../helpers/app';

/** `count` calls, 25 at a time; their statuses in call order. */
async function repeat(count: number, call: (i: number) => Promise<{ status: number }>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 25) {
    const chunk = Array.from({ length: Math.min(25, count - i) }, (_, j) => call(i + j));
    statuses.push(...(await Promise.all(chunk)).map((r) => r.status));
  }
  return statuses;
}
const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

describe('neighbours behind one address', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('a 404 flood from an anonymous client locks out neither signed-in neighbours nor login', async () => {
    t = await startTestApp();
    const neighbour = await t.newCustomer();
    const flood = await repeat(NOT_FOUND_LIMIT.max, (i) => t!.api('GET', `/api/unknown/${i}`));
    expect(tally(flood)).toEqual({ 404: NOT_FOUND_LIMIT.max });
    // The flooding client itself is stopped…
    expect((await t.api('GET', '/api/unknown/next')).status).toBe(429);
    // …but the customer next to it on the same address still works,
    expect((await t.api('GET', '/api/me', undefined, neighbour.token)).status).toBe(200);
    expect((await t.api('GET', '/api/meters', undefined, neighbour.token)).status).toBe(200);
    expect((await t.api('GET', '/api/meters/NOPE-1', undefined, neighbour.token)).status).toBe(404);
    // and signing in still answers.
    const login = await t.api<{ token: string }>('POST', '/auth/login', {
      email: neighbour.email,
      password: neighbour.password,
    });
    expect(login.status).toBe(200);
  });

  it('one account flooding 404s is limited without affecting another account on the same address', async () => {
    t = await startTestApp();
    const prober = await t.newCustomer();
    const neighbour = await t.newCustomer();
    const probes = await repeat(NOT_FOUND_LIMIT.max, (i) =>
      t!.api('GET', `/api/meters/GUESS${i}`, undefined, prober.token),
    );
    expect(tally(probes)).toEqual({ 404: NOT_FOUND_LIMIT.max });
    expect((await t.api('GET', '/api/meters', undefined, prober.token)).status).toBe(429);
    expect((await t.api('GET', '/api/meters', undefined, neighbour.token)).status).toBe(200);
    expect((await t.api('GET', '/api/meters/GUESS0', undefined, neighbour.token)).status).toBe(404);
    expect((await t.api('GET', '/api/config')).status).toBe(200);
  });

  it('one account hammering is limited without affecting another account or anonymous callers on the same address', async () => {
    t = await startTestApp();
    const hammer = await t.newCustomer();
    const neighbour = await t.newCustomer();
    const statuses = await repeat(GLOBAL_RATE_LIMIT.max + 1, () =>
      t!.api('GET', '/api/me', undefined, hammer.token),
    );
    expect(tally(statuses)).toEqual({ 200: GLOBAL_RATE_LIMIT.max, 429: 1 });
    expect((await t.api('GET', '/api/meters', undefined, neighbour.token)).status).toBe(200);
    expect((await t.api('GET', '/api/config')).status).toBe(200);
    const login = await t.api('POST', '/auth/login', {
      email: neighbour.email,
      password: neighbour.password,
    });
    expect(login.status).toBe(200);
  });
});
