/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions handed to page.evaluate run in the browser: they are type-checked against the DOM.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { ADMIN, startTestApp, type TestApp } from '../helpers/app';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const WEB_DIR = join(REPO_ROOT, 'packages/web');
export const WEB_DIST_DIR = join(WEB_DIR, 'dist');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

/** Debian's Chromium, installed by the CI's apt script; never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

const BUILD_LOCK_DIR = join(REPO_ROOT, 'node_modules/.cache/umeme-web-build.lock');
const BUILD_LOCK_STALE_MS = 120_000;
const BUILD_INPUTS = [
  join(WEB_DIR, 'src'),
  join(WEB_DIR, 'index.html'),
  join(WEB_DIR, 'vite.config.ts'),
  join(REPO_ROOT, 'packages/protocol/src'),
];

function newestMtimeMs(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtimeMs(join(path, name)));
  }
  return newest;
}

function distIsFresh(): boolean {
  try {
    const builtMs = statSync(join(WEB_DIST_DIR, 'index.html')).mtimeMs;
    return BUILD_INPUTS.every((p) => newestMtimeMs(p) <= builtMs);
  } catch {
    return false;
  }
}

/**
 * Builds packages/web/dist when it is missing or older than its sources. Test files run in
 * parallel workers, so the build is guarded by a lock directory and checked again inside it.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (distIsFresh()) return;
  mkdirSync(join(BUILD_LOCK_DIR, '..'), { recursive: true });
  const deadline = Date.now() + BUILD_LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK_DIR);
      break;
    } catch {
      const age = Date.now() - (statSync(BUILD_LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > BUILD_LOCK_STALE_MS || Date.now() > deadline)
        rmSync(BUILD_LOCK_DIR, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (distIsFresh()) return;
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', WEB_DIR, '--logLevel', 'warn'],
      {
        cwd: REPO_ROOT,
        stdio: 'inherit',
        // Vitest sets NODE_ENV=test, which would give a development build of React.
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
  } finally {
    rmSync(BUILD_LOCK_DIR, { recursive: true, force: true });
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A test file's app and Chromium: both started before its tests (the web build made fresh
 * first) and handed to `ready`, both closed after them. A file's own afterAll hooks, registered
 * after this call, run before these close (hooks run as a stack).
 */
export function startAppAndBrowser(ready: (t: TestApp, browser: Browser) => void): void {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    await ensureWebBuilt();
    [t, browser] = await Promise.all([startTestApp(), launchChromium()]);
    ready(t, browser);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
}

export interface SignedInCustomer {
  token: string;
  id: string;
  email: string;
  password: string;
}

/**
 * A browser context already signed in as the customer, the way the app remembers a sign-in:
 * it saves the login answer in localStorage. Tests that are not about signing in use this
 * rather than the form, which is rate limited per address.
 */
export async function signedInContext(
  browser: Browser,
  t: TestApp,
  customer: SignedInCustomer,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const me = await t.api<Record<string, unknown>>('GET', '/api/me', undefined, customer.token);
  if (me.status !== 200) throw new Error(`GET /api/me answered ${me.status}`);
  const context = await browser.newContext({ baseURL: t.url, viewport: DESKTOP, ...options });
  const auth = JSON.stringify({ token: customer.token, user: me.body });
  await context.addInitScript((value) => {
    if (!window.localStorage.getItem('umeme.auth')) window.localStorage.setItem('umeme.auth', value);
  }, auth);
  return context;
}

/** A desktop browser context signed in as the app's operator. */
export function operatorContext(browser: Browser, t: TestApp): Promise<BrowserContext> {
  return signedInContext(browser, t, { token: t.adminToken, id: '', ...ADMIN }, { viewport: DESKTOP });
}

export async function balanceKwhShown(page: Page): Promise<number> {
  const value = await page.getAttribute('[data-testid="balance"]', 'data-balance-kwh');
  if (value === null) throw new Error('no balance on the page');
  return Number(value);
}

/** Resolves once the page shows `kwh` as the balance (to the mWh). */
export async function waitForBalance(page: Page, kwh: number, timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(
    (expected) => {
      const el = document.querySelector('[data-testid="balance"]');
      const shown = el?.getAttribute('data-balance-kwh');
      return shown !== null && shown !== undefined && Math.abs(Number(shown) - expected) < 1e-6;
    },
    kwh,
    { timeout: timeoutMs, polling: 20 },
  );
}

export async function waitForLive(page: Page, live: boolean, timeoutMs = 10_000): Promise<void> {
  await page.waitForSelector(`[data-testid="live-indicator"][data-live="${live}"]`, { timeout: timeoutMs });
}

export async function serverBalanceKwh(t: TestApp, meterNo: string, token: string): Promise<number> {
  const r = await t.api<{ balanceKwh: number }>('GET', `/api/meters/${meterNo}`, undefined, token);
  if (r.status !== 200) throw new Error(`GET /api/meters/${meterNo} answered ${r.status}`);
  return r.body.balanceKwh;
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
