// Protects the modes at start-up of the real main.ts (issue 12): production refuses to start without real Daraja settings or with the demo, creates no demo account, and never gives the demo's well-known password to an account the demo did not create.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDarajaEmulator, type DarajaEmulator } from '@umeme/daraja';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN, DEMO_CUSTOMER } from '../../packages/server/src/demo/demo-accounts';
import { loginStatus, spawnServer, startedOrEnded, stopAllServers } from '../helpers/spawn-server';

/** Fake credentials of a Daraja that is really an emulator started here (DARAJA_BASE_URL). */
const DARAJA = {
  consumerKey: 'ck-modes-test-7a1c',
  consumerSecret: 'cs-modes-test-SECRET-33e9',
  shortCode: '600999',
  passkey: 'passkey-modes-test-0b5d',
};
const SPAWN_TIMEOUT_MS = 240_000;

let emulator: DarajaEmulator;
let emulatorUrl: string;
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'umeme-modes-'));
  dirs.push(dir);
  return dir;
};

/** A production configuration, complete but for what a test leaves out. */
const production = (dir: string): Record<string, string> => ({
  NODE_ENV: 'production',
  DATA_DIR: dir,
  DARAJA_CONSUMER_KEY: DARAJA.consumerKey,
  DARAJA_CONSUMER_SECRET: DARAJA.consumerSecret,
  DARAJA_SHORTCODE: DARAJA.shortCode,
  DARAJA_PASSKEY: DARAJA.passkey,
  DARAJA_BASE_URL: emulatorUrl,
  PUBLIC_URL: 'https://umeme.example.org',
});

beforeAll(async () => {
  emulator = createDarajaEmulator({ ...DARAJA, defaultDelayMs: 50 });
  emulatorUrl = await emulator.listen({ port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  await stopAllServers();
});

afterAll(async () => {
  await emulator.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('production refuses to start unsafely', () => {
  it(
    'without Daraja credentials it exits with code 2 and names every missing variable',
    async () => {
      const run = spawnServer({ NODE_ENV: 'production', DATA_DIR: dataDir() });
      const outcome = await startedOrEnded(run);
      await run.stop();
      const { code, stderr } = await run.exited;
      expect(outcome, run.output()).toBe('ended');
      expect(code).toBe(2);
      for (const name of [
        'DARAJA_CONSUMER_KEY',
        'DARAJA_CONSUMER_SECRET',
        'DARAJA_SHORTCODE',
        'DARAJA_PASSKEY',
        'PUBLIC_URL',
      ]) {
        expect(stderr).toContain(`${name}: required when NODE_ENV=production`);
      }
    },
    SPAWN_TIMEOUT_MS,
  );

  it(
    'with DEMO=true it exits with code 2 naming DEMO, even with complete Daraja settings',
    async () => {
      const run = spawnServer({ ...production(dataDir()), DEMO: 'true' });
      const outcome = await startedOrEnded(run);
      await run.stop();
      const { code, stderr } = await run.exited;
      expect(outcome, run.output()).toBe('ended');
      expect(code).toBe(2);
      expect(stderr).toContain('DEMO: must not be true when NODE_ENV=production');
    },
    SPAWN_TIMEOUT_MS,
  );

  it(
    'with the sandbox passkey against Daraja production it exits with code 2 naming DARAJA_PASSKEY',
    async () => {
      const run = spawnServer({
        ...production(dataDir()),
        DARAJA_ENV: 'production',
        DARAJA_PASSKEY: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
      });
      const outcome = await startedOrEnded(run);
      await run.stop();
      const { code, stderr } = await run.exited;
      expect(outcome, run.output()).toBe('ended');
      expect(code).toBe(2);
      expect(stderr).toContain(
        'DARAJA_PASSKEY: the sandbox passkey does not work with DARAJA_ENV=production',
      );
    },
    SPAWN_TIMEOUT_MS,
  );
});

describe('demo accounts', () => {
  it(
    'production with default settings creates no demo account: the demo operator and customer cannot sign in',
    async () => {
      const run = spawnServer({
        ...production(dataDir()),
        ADMIN_EMAIL: 'ops@example.org',
        ADMIN_PASSWORD: 'ops-password-1',
      });
      try {
        const url = await run.ready();
        expect(await loginStatus(url, 'ops@example.org', 'ops-password-1')).toBe(200);
        expect(await loginStatus(url, DEMO_ADMIN.email, DEMO_ADMIN.password)).toBe(401);
        expect(await loginStatus(url, DEMO_CUSTOMER.email, DEMO_CUSTOMER.password)).toBe(401);
        const health = (await (await fetch(`${url}/health`)).json()) as {
          mode: { name: string; demo: boolean; payments: string };
        };
        expect(health.mode).toMatchObject({ name: 'production', demo: false, payments: 'daraja' });
      } finally {
        await run.stop();
      }
      expect(run.output()).not.toContain('Umeme demo is running');
    },
    SPAWN_TIMEOUT_MS,
  );

  it(
    'an account with a demo email that the demo did not create keeps its password, in production and in the demo',
    async () => {
      const dir = dataDir();
      const owner = { ADMIN_EMAIL: DEMO_ADMIN.email, ADMIN_PASSWORD: 'their-own-password-1' };
      const first = spawnServer({ ...production(dir), ...owner });
      try {
        const url = await first.ready();
        expect(await loginStatus(url, DEMO_ADMIN.email, 'their-own-password-1')).toBe(200);
        expect(await loginStatus(url, DEMO_ADMIN.email, DEMO_ADMIN.password)).toBe(401);
      } finally {
        await first.stop();
      }

      // A restart with another ADMIN_PASSWORD does not reset the existing account's password.
      const second = spawnServer({ ...production(dir), ...owner, ADMIN_PASSWORD: 'changed-in-env-2' });
      try {
        const url = await second.ready();
        expect(await loginStatus(url, DEMO_ADMIN.email, 'their-own-password-1')).toBe(200);
        expect(await loginStatus(url, DEMO_ADMIN.email, 'changed-in-env-2')).toBe(401);
      } finally {
        await second.stop();
      }

      // The same data in the demo (no production setting): the demo customer is created, the
      // operator account that only shares the demo's email is left alone.
      const demo = spawnServer({ DATA_DIR: dir });
      try {
        const url = await demo.ready('Umeme demo is running');
        expect(await loginStatus(url, DEMO_CUSTOMER.email, DEMO_CUSTOMER.password)).toBe(200);
        expect(await loginStatus(url, DEMO_ADMIN.email, 'their-own-password-1')).toBe(200);
        expect(await loginStatus(url, DEMO_ADMIN.email, DEMO_ADMIN.password)).toBe(401);
      } finally {
        await demo.stop();
      }

      // Back in production, the demo customer made by that run cannot sign in.
      const third = spawnServer({ ...production(dir) });
      try {
        const url = await third.ready();
        expect(await loginStatus(url, DEMO_CUSTOMER.email, DEMO_CUSTOMER.password)).toBe(401);
        expect(await loginStatus(url, DEMO_ADMIN.email, 'their-own-password-1')).toBe(200);
      } finally {
        await third.stop();
      }
    },
    SPAWN_TIMEOUT_MS * 2,
  );
});
