// Protects the emulator banner (issue 12): whenever the built-in Daraja emulator serves payments, the sign-in page, the customer dashboard and the operator console say so; with real Daraja no page does, and outside the demo there is no demo top-up.
import { createDarajaEmulator, type DarajaEmulator } from '@umeme/daraja';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { DESKTOP, ensureWebBuilt, launchChromium, operatorContext, signedInContext } from './browser-harness';

const DARAJA = {
  consumerKey: 'ck-banner-test-91aa',
  consumerSecret: 'cs-banner-test-SECRET-d04e',
  shortCode: '600997',
  passkey: 'passkey-banner-test-77c1',
};

let browser: Browser;
let staging: TestApp;
let real: TestApp;
let daraja: DarajaEmulator;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureWebBuilt();
  daraja = createDarajaEmulator({ ...DARAJA, defaultDelayMs: 30 });
  const darajaUrl = await daraja.listen({ port: 0, host: '127.0.0.1' });
  // Started together: each start is mostly waiting (migrations, the admin's password hash).
  [browser, staging, real] = await Promise.all([
    launchChromium(),
    // testConfig's default: the built-in emulator serves payments, without the demo
    startTestApp('pglite'),
    startTestApp('pglite', {
      DARAJA_CONSUMER_KEY: DARAJA.consumerKey,
      DARAJA_CONSUMER_SECRET: DARAJA.consumerSecret,
      DARAJA_SHORTCODE: DARAJA.shortCode,
      DARAJA_PASSKEY: DARAJA.passkey,
      DARAJA_BASE_URL: darajaUrl,
    }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  await browser?.close();
  await Promise.all([staging?.close(), real?.close()]);
  await daraja?.close();
});

/** The three kinds of page, each opened fresh and waited for until it shows its content. */
const PAGES: [string, (t: TestApp) => Promise<Page>][] = [
  [
    'the sign-in page',
    async (t) => {
      const context = await browser.newContext({ baseURL: t.url, viewport: DESKTOP });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto('/signin');
      await page.waitForSelector('input[type="password"]');
      return page;
    },
  ],
  [
    'the customer dashboard',
    async (t) => {
      const customer = await t.newCustomer();
      await t.newMeter({ userId: customer.id, openingCreditKwh: 5 });
      const context = await signedInContext(browser, t, customer);
      contexts.push(context);
      const page = await context.newPage();
      await page.goto('/');
      await page.waitForSelector('[data-testid="balance"]');
      await page.waitForSelector('[data-testid="pay-button"]');
      return page;
    },
  ],
  [
    'the operator console',
    async (t) => {
      const context = await operatorContext(browser, t);
      contexts.push(context);
      const page = await context.newPage();
      await page.goto('/admin');
      await page.waitForSelector('[data-testid="fleet-table"][data-loaded="true"]');
      return page;
    },
  ],
];

describe('with the built-in emulator serving payments', () => {
  it.for(PAGES)('%s shows the emulator banner', async ([, open]) => {
    const page = await open(staging);
    const banner = await page.waitForSelector('[data-testid="mode-banner"]', { state: 'visible' });
    expect(await banner.textContent()).toMatch(/emulator/i);
    expect(await banner.getAttribute('data-mode')).toBe('staging');
  });

  it('the dashboard offers no demo top-up outside the demo', async () => {
    const page = await PAGES[1]![1](staging);
    await page.waitForSelector('html[data-mode="staging"]');
    expect(await page.locator('[data-testid="top-up-demo"]').count()).toBe(0);
  });
});

describe('with real Daraja', () => {
  it.for(PAGES)('%s shows no banner', async ([, open]) => {
    const page = await open(real);
    // The page has learnt the mode from GET /api/config: only then is no banner a finding.
    await page.waitForSelector('html[data-mode="development"]', { state: 'attached' });
    expect(await page.locator('[data-testid="mode-banner"]').count()).toBe(0);
  });
});
