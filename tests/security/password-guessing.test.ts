// Protects SEC-10 (per-account throttling) and SEC-5: password guessing from many addresses meets a per-account back-off kept in the database; common passwords are refused; old hashes are upgraded at sign-in.
import { randomBytes, scryptSync } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, startTestApp, type TestApp } from '../helpers/app';
import { scratchDatabase } from '../helpers/scratch-db';

/** Long enough that no attempt in a test outlives the back-off, however slow the machine. */
const BACKOFF = { LOGIN_BACKOFF_AFTER_FAILURES: 5, LOGIN_BACKOFF_BASE_S: 120, LOGIN_BACKOFF_MAX_S: 600 };

/** POST /auth/login from a given loopback address (127.0.0.0/8 all reach the server). */
function loginFrom(
  url: string,
  localAddress: string,
  body: { email: string; password: string },
): Promise<{ status: number; body: Record<string, unknown>; retryAfterHeader: string | undefined }> {
  const target = new URL('/auth/login', url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as Record<string, unknown>,
            retryAfterHeader: res.headers['retry-after'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const addresses = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 2}`);

describe('SEC-10 per-account login back-off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', BACKOFF);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('wrong passwords from 12 addresses: 5 are checked, then every attempt waits, the right password too', async () => {
    const customer = await t.newCustomer();
    const answers = [];
    for (const [i, address] of addresses.entries()) {
      answers.push(await loginFrom(t.url, address, { email: customer.email, password: `wrong-${i}` }));
    }
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, ...Array(7).fill(429)]);
    for (const a of answers.slice(5)) {
      expect(a.body).toMatchObject({ error: 'LOGIN_BACKOFF' });
      expect(typeof a.body.message).toBe('string');
      expect(a.body.retryAfter).toBeGreaterThan(0);
      expect(a.body.retryAfter).toBeLessThanOrEqual(BACKOFF.LOGIN_BACKOFF_BASE_S);
      expect(a.retryAfterHeader).toBe(String(a.body.retryAfter));
    }
    // The right password is not even checked while the account waits.
    const right = await loginFrom(t.url, '127.0.0.99', {
      email: customer.email,
      password: customer.password,
    });
    expect(right.status).toBe(429);
    expect(right.body).toMatchObject({ error: 'LOGIN_BACKOFF' });
  });

  it('an unknown address meets the same back-off as a real one (nothing to tell them apart)', async () => {
    const statuses = [];
    for (const [i, address] of addresses.slice(0, 7).entries()) {
      statuses.push(
        (await loginFrom(t.url, address, { email: 'nobody@nowhere.test', password: `w-${i}` })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('parallel guesses do not slip past the back-off', async () => {
    const customer = await t.newCustomer();
    const answers = await Promise.all(
      addresses.map((address, i) =>
        loginFrom(t.url, address, { email: customer.email, password: `parallel-${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(addresses.length - 5);
  });

  it('a success resets the count', async () => {
    const customer = await t.newCustomer();
    const statuses = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        const address = addresses[round * 4 + i]!;
        statuses.push(
          (await loginFrom(t.url, address, { email: customer.email, password: 'nope-nope' })).status,
        );
      }
      const ok = await loginFrom(t.url, '127.0.0.50', { email: customer.email, password: customer.password });
      statuses.push(ok.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 200, 401, 401, 401, 401, 200]);
  });
});

describe('SEC-10 the back-off is kept in the database', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('the back-off survives a restart (PGlite data directory)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umeme-backoff-'));
    try {
      t = await startTestApp('pglite', { ...BACKOFF, DATA_DIR: dir });
      const customer = await t.newCustomer();
      for (let i = 0; i < 5; i++) {
        await loginFrom(t.url, addresses[i]!, { email: customer.email, password: `wrong-${i}` });
      }
      await t.close();
      t = await startTestApp('pglite', { ...BACKOFF, DATA_DIR: dir });
      const after = await loginFrom(t.url, '127.0.0.60', {
        email: customer.email,
        password: customer.password,
      });
      expect(after.status).toBe(429);
      expect(after.body).toMatchObject({ error: 'LOGIN_BACKOFF' });
      await t.close();
      t = undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it.runIf(databases.includes('postgres'))(
    'two instances sharing one PostgreSQL database share the back-off',
    async () => {
      const db = await scratchDatabase(process.env.DATABASE_URL!, 'umeme_t');
      let a: TestApp | undefined;
      let b: TestApp | undefined;
      try {
        a = await startTestApp('pglite', { ...BACKOFF, DATABASE_URL: db.url });
        b = await startTestApp('pglite', { ...BACKOFF, DATABASE_URL: db.url });
        const customer = await a.newCustomer();
        for (let i = 0; i < 5; i++) {
          const via = i % 2 ? a : b;
          await loginFrom(via.url, addresses[i]!, { email: customer.email, password: `wrong-${i}` });
        }
        for (const via of [a, b]) {
          const right = await loginFrom(via.url, '127.0.0.70', {
            email: customer.email,
            password: customer.password,
          });
          expect(right.status).toBe(429);
        }
      } finally {
        await a?.close();
        await b?.close();
        await db.drop();
      }
    },
    180_000,
  );
});

describe('SEC-10 password quality and hashing', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a common password, or one made of the email, at registration and at a password change', async () => {
    t = await startTestApp();
    const local = `kamau${randomBytes(3).toString('hex')}`;
    for (const password of ['password1', 'Qwerty123', 'iloveyou', `${local}2024`, 'Password123!']) {
      const res = await t.api('POST', '/auth/register', {
        name: 'Kamau',
        email: `${local}@example.ke`,
        phone: '254712345678',
        password,
      });
      expect(res.status, password).toBe(400);
      expect(res.body).toMatchObject({ error: 'WEAK_PASSWORD' });
    }
    const customer = await t.newCustomer();
    const change = await t.api(
      'POST',
      '/api/me/password',
      { currentPassword: customer.password, newPassword: 'sunshine1' },
      customer.token,
    );
    expect(change.status).toBe(400);
    expect(change.body).toMatchObject({ error: 'WEAK_PASSWORD' });
    // the session and the old password still stand
    expect((await t.api('GET', '/api/me', undefined, customer.token)).status).toBe(200);
  });

  it('stores argon2id, and upgrades an old scrypt hash at the next successful sign-in', async () => {
    t ??= await startTestApp();
    const customer = await t.newCustomer();
    const stored = async () =>
      (
        await t.app.services.db.query<{ password_hash: string }>(
          `SELECT password_hash FROM users WHERE id = $1`,
          [customer.id],
        )
      ).rows[0]!.password_hash;
    expect(await stored()).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // the format of the hashes written before argon2id
    const salt = randomBytes(16);
    const key = scryptSync(customer.password, salt, 32, { N: 32768, r: 8, p: 1, maxmem: 128 * 1024 * 1024 });
    const old = `scrypt$32768$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    await t.app.services.db.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [customer.id, old]);
    const wrong = await t.api('POST', '/auth/login', { email: customer.email, password: 'not-it-at-all' });
    expect(wrong.status).toBe(401);
    expect(await stored()).toBe(old);
    const login = await t.api('POST', '/auth/login', { email: customer.email, password: customer.password });
    expect(login.status).toBe(200);
    const upgraded = await stored();
    expect(upgraded).toMatch(/^\$argon2id\$/);
    const again = await t.api('POST', '/auth/login', { email: customer.email, password: customer.password });
    expect(again.status).toBe(200);
    expect(await stored()).toBe(upgraded);
  });
});
