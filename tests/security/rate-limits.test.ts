// Protects SEC-5 rate limits: password guessing on login and id enumeration through repeated 404s end in 429.
import { afterEach, describe, expect, it } from 'vitest';
import { LOGIN_RATE_LIMIT } from '../../packages/server/src/auth/auth.routes';
import { NOT_FOUND_LIMIT } from '../../packages/server/src/shared/not-found-limit';
import { startTestApp, type TestApp } from '../helpers/app';

describe('SEC-5 rate limits', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers 429 to login attempts beyond the limit, wrong or right password alike', async () => {
    t = await startTestApp();
    const customer = await t.newCustomer();
    // Malformed attempts count too (the limit comes before validation) and hash no password.
    const malformed = await Promise.all(
      Array.from({ length: LOGIN_RATE_LIMIT.max - 3 }, () => t!.api('POST', '/auth/login', { email: 'x' })),
    );
    expect(new Set(malformed.map((r) => r.status))).toEqual(new Set([400]));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.api('POST', '/auth/login', { email: customer.email, password: `wrong-${i}` });
      statuses.push(res.status);
    }
    const firstLimited = statuses.indexOf(429);
    expect(firstLimited).toBeGreaterThan(0);
    expect(firstLimited).toBeLessThanOrEqual(3);
    expect(statuses.slice(0, firstLimited).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
    const right = await t.api('POST', '/auth/login', { email: customer.email, password: customer.password });
    expect(right.status).toBe(429);
    expect(right.body).toMatchObject({ error: 'RATE_LIMITED' });
  });

  it('answers 429 after repeated 404s from one address, on ids and unknown paths alike', async () => {
    t = await startTestApp();
    const customer = await t.newCustomer();
    const statuses: number[] = [];
    for (let i = 0; i < NOT_FOUND_LIMIT.max; i++) {
      const path = i % 2 ? `/api/meters/GUESS${i}` : `/api/unknown/${i}`;
      statuses.push((await t.api('GET', path, undefined, customer.token)).status);
    }
    expect(new Set(statuses)).toEqual(new Set([404]));
    const next = await t.api('GET', '/api/meters/GUESS-NEXT', undefined, customer.token);
    expect(next.status).toBe(429);
    const elsewhere = await t.api('GET', '/api/meters', undefined, customer.token);
    expect(elsewhere.status).toBe(429);
    // Probes stay answerable: the orchestrator must not think the server is down.
    expect((await t.api('GET', '/health')).status).toBe(200);
  });

  it('a body over the limit is refused with 413 before anything reads it', async () => {
    t = await startTestApp();
    const res = await t.api(
      'POST',
      '/auth/login',
      JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(200 * 1024) }),
    );
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
  });
});
