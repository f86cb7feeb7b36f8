// Protects Kiswahili everywhere a customer or operator reads (issue 17 item 5): with the browser set to Kiswahili, every customer screen, every console page and both virtual phones show no English words, server errors and payment failures included.
import { randomInt } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestApp, type TestApp } from '../helpers/app';
import {
  artifactPath,
  DESKTOP,
  ensureWebBuilt,
  launchChromium,
  PHONE,
  signedInContext,
} from './browser-harness';
import { englishLeftOnPage } from './english-left';

let t: TestApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureWebBuilt();
  // The demo: payments go to the built-in emulator's virtual phone, SMS to the SMS phone.
  [t, browser] = await Promise.all([startTestApp('pglite', { DEMO: true }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  await browser?.close();
  await t?.close();
});

const SW = { locale: 'sw-KE', timezoneId: 'Africa/Nairobi' } as const;

async function swContext(customer?: { token: string; id: string; email: string; password: string }) {
  const context = customer
    ? await signedInContext(browser, t, customer, { ...SW, viewport: PHONE })
    : await browser.newContext({ ...SW, baseURL: t.url, viewport: PHONE });
  contexts.push(context);
  return context;
}

/** Waits until nothing on the page says it is loading, then lists the English left on it. */
async function englishOn(
  page: Page,
  name: string,
): Promise<{ screen: string; text: string; word: string }[]> {
  await page.waitForFunction(() => !/Inapakia|Loading/.test(document.body.innerText), undefined, {
    timeout: 15_000,
  });
  const left = await englishLeftOnPage(page);
  if (left.length > 0) await page.screenshot({ path: artifactPath(`kiswahili-${name}.png`), fullPage: true });
  return left.map((l) => ({ screen: name, ...l }));
}

describe('every screen in Kiswahili', () => {
  it('the customer screens, a server error, a failed and a paid payment, the receipt and both virtual phones show no English', async () => {
    const left: { screen: string; text: string; word: string }[] = [];

    // Signed out: sign-in with a wrong password (the server's error, by its code), and sign-up.
    const out = await (await swContext()).newPage();
    await out.goto('/signin');
    await out.waitForSelector('[data-testid="auth-submit"]');
    left.push(...(await englishOn(out, 'signin')));
    await out.fill('input[type="email"]', `nobody-${randomInt(1e9)}@example.com`);
    await out.fill('input[type="password"]', 'wrong-password-1');
    await out.click('[data-testid="auth-submit"]');
    const authError = await out.waitForSelector('[data-testid="auth-error"]');
    expect(await authError.textContent()).toBe('Barua pepe au nenosiri si sahihi.');
    left.push(...(await englishOn(out, 'signin-error')));
    await out.click('[data-testid="to-signup"]');
    await out.waitForSelector('[data-testid="to-signin"]');
    left.push(...(await englishOn(out, 'signup')));
    await out.goto('/forgot');
    await out.waitForSelector('[data-testid="forgot-password"]');
    left.push(...(await englishOn(out, 'forgot-password')));

    // A customer without meters, and a meter that is not theirs.
    const bare = await t.newCustomer();
    const barePage = await (await swContext(bare)).newPage();
    await barePage.goto('/');
    await barePage.waitForSelector('[data-testid="no-meters"]');
    left.push(...(await englishOn(barePage, 'no-meters')));
    await barePage.goto('/meters/NOSUCH-1');
    await barePage.waitForSelector('[data-testid="meter-not-found"]');
    left.push(...(await englishOn(barePage, 'meter-not-found')));
    await barePage.goto('/add-meter');
    await barePage.waitForSelector('[data-testid="claim-meter"]');
    left.push(...(await englishOn(barePage, 'add-meter')));
    await barePage.goto('/statements');
    await barePage.waitForSelector('[data-testid="statements"]');
    left.push(...(await englishOn(barePage, 'statements')));

    // The dashboard, with a top-up request waiting.
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 3, userId: customer.id });
    const topup = await t.api(
      'POST',
      '/transactions/topup',
      { meterNo, amount: 150, channel: 'agent', reference: 'WALK-1' },
      customer.token,
    );
    expect(topup.status).toBe(201);
    const context = await swContext(customer);
    const page = await context.newPage();
    await page.goto(`/meters/${meterNo}`);
    await page.waitForSelector('[data-testid="topup-item"]');
    await page.waitForSelector('[data-testid="pay-button"]');
    left.push(...(await englishOn(page, 'dashboard')));

    // A payment declined on the virtual phone: the failure in Kiswahili, by its result code.
    const rest = String(randomInt(10_000_000, 99_999_999));
    await page.fill('[data-testid="payment-phone"]', `07${rest}`);
    await page.click('[data-testid="amount-100"]');
    await page.click('[data-testid="pay-button"]');
    const phoneHref = await page.getAttribute('[data-testid="virtual-phone-link"]', 'href', {
      timeout: 10_000,
    });
    const smsHref = await page.getAttribute('[data-testid="sms-phone-link"]', 'href');
    left.push(...(await englishOn(page, 'payment-waiting')));
    const mpesa = await context.newPage();
    await mpesa.goto(phoneHref ?? '');
    await mpesa.waitForSelector('button.decline', { timeout: 10_000 });
    left.push(...(await englishOn(mpesa, 'mpesa-phone-prompt')));
    await mpesa.click('button.decline');
    await page.waitForSelector('[data-testid="payment-status"][data-status="failed"]', { timeout: 20_000 });
    expect(await page.textContent('[data-testid="payment-failure-reason"]')).toBe(
      'Malipo yalisitishwa kwenye simu.',
    );
    left.push(...(await englishOn(page, 'payment-failed')));
    left.push(...(await englishOn(mpesa, 'mpesa-phone-empty')));

    // Paid: the receipt in the panel, then from the history.
    // Retry asks first, then sends the same request again.
    await page.click('[data-testid="payment-retry"]');
    await page.waitForSelector('[data-testid="payment-retry-confirm"]');
    left.push(...(await englishOn(page, 'payment-retry-confirm')));
    await page.click('[data-testid="payment-retry-yes"]');
    await page.waitForSelector('[data-testid="payment-status"][data-status="waiting"]');
    await mpesa.reload();
    await mpesa.fill('input[type="password"]', '4321', { timeout: 10_000 });
    await mpesa.click('button.accept');
    await page.waitForSelector('[data-testid="payment-receipt"] [data-testid="receipt"]', {
      timeout: 20_000,
    });
    left.push(...(await englishOn(page, 'payment-receipt')));
    await page.locator('[data-testid="transaction-open"]').first().click();
    await page.waitForSelector('[data-testid="receipt-dialog"] [data-testid="receipt"]');
    left.push(...(await englishOn(page, 'receipt-dialog')));

    // The SMS and USSD phone, with the receipt SMS in its inbox.
    const sms = await context.newPage();
    await sms.goto(smsHref ?? '');
    await sms.waitForSelector('#dial');
    left.push(...(await englishOn(sms, 'sms-phone')));

    expect(left).toEqual([]);
  });

  it('every console page shows no English', async () => {
    const context = await browser.newContext({ ...SW, baseURL: t.url, viewport: DESKTOP });
    contexts.push(context);
    const me = await t.api<Record<string, unknown>>('GET', '/api/me', undefined, t.adminToken);
    const auth = JSON.stringify({ token: t.adminToken, user: me.body });
    await context.addInitScript((value) => window.localStorage.setItem('umeme.auth', value), auth);
    expect(ADMIN.email).toBeTruthy();

    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 2, userId: customer.id });
    await t.api('POST', '/transactions/topup', { meterNo, amount: 90, channel: 'bank' }, customer.token);

    const page = await context.newPage();
    const left: { screen: string; text: string; word: string }[] = [];
    const pages: [string, string, string][] = [
      ['fleet', '/admin', '[data-testid="fleet-table"][data-loaded="true"]'],
      ['meter', `/admin/meters/${meterNo}`, '[data-testid="meter-detail"]'],
      ['alerts', '/admin/alerts', '[data-testid="alerts-page"]'],
      ['payments', '/admin/payments', '[data-testid="orphans-table"][data-loaded="true"]'],
      ['topups', '/admin/topups', '[data-testid="topups-page"]'],
      ['reports', '/admin/reports', '[data-testid="report-table"]'],
      ['sms', '/admin/sms', '[data-testid="sms-table"]'],
      ['tariffs', '/admin/tariffs', '[data-testid="tariff-table"]'],
      ['audit', '/admin/audit', '[data-testid="audit-log"][data-loaded="true"]'],
      ['users', '/admin/users', '[data-testid="users-page"]'],
      ['friendly-hours', '/admin/friendly-hours', '[data-testid="friendly-hours-page"]'],
      ['not-found', '/admin/no-such-page', '[data-testid="not-found"]'],
    ];
    for (const [name, path, ready] of pages) {
      await page.goto(path);
      await page.waitForSelector(ready);
      left.push(...(await englishOn(page, `console-${name}`)));
    }
    expect(left).toEqual([]);
  });
});
