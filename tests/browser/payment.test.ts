// Protects the M-Pesa "Buy electricity" panel in a real browser against the real server and the Daraja emulator: pay at zero balance through the virtual phone, see balance and receipt live; a declined payment shows why and retries after asking; emergency credit at zero balance and its debt.
import { randomInt } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import {
  artifactPath,
  balanceKwhShown,
  ensureWebBuilt,
  launchChromium,
  PHONE,
  signedInContext,
  waitForBalance,
  waitForLive,
} from './browser-harness';

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  await ensureWebBuilt();
  // DEMO: the emulator waits for a person on its virtual phone unless a phone has an outcome set.
  [t, browser] = await Promise.all([startTestApp('pglite', { DEMO: true }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A phone number of its own per test, so STK push limits per phone never meet. */
function freshPhone(): { local: string; msisdn: string } {
  const rest = String(randomInt(10_000_000, 99_999_999));
  return { local: `07${rest}`, msisdn: `2547${rest}` };
}

async function openDashboardAtZero() {
  const customer = await t.newCustomer();
  const { meterNo } = await t.newMeter({ openingCreditKwh: 0, userId: customer.id });
  const context = await signedInContext(browser, t, customer, { viewport: PHONE });
  const page = await context.newPage();
  await page.goto(`/meters/${meterNo}`);
  await waitForBalance(page, 0);
  await waitForLive(page, true);
  return { meterNo, context, page };
}

/** The estimate is the server's quote: it comes a moment after the amount changes. */
async function estimateShows(page: Page, text: string) {
  await page.waitForFunction(
    (want) =>
      document.querySelector('[data-testid="payment-estimate"]')?.textContent?.includes(want) === true,
    text,
    { timeout: 10_000 },
  );
}

async function startPayment(page: Page, phoneLocal: string, amountKes: 50 | 100 | 200 | 500) {
  await page.fill('[data-testid="payment-phone"]', phoneLocal);
  await page.click(`[data-testid="amount-${amountKes}"]`);
  await page.click('[data-testid="pay-button"]');
}

describe('M-Pesa payment panel in Chromium', () => {
  it('prefills the phone, shows the kWh estimate, and a customer at zero pays through the virtual phone', async () => {
    const { page, context } = await openDashboardAtZero();

    // The signed-in user's phone from GET /api/me.
    await page.waitForFunction(
      () => document.querySelector<HTMLInputElement>('[data-testid="payment-phone"]')?.value !== '',
    );
    expect(await page.inputValue('[data-testid="payment-phone"]')).toBe('254712345678');
    await page.click('[data-testid="amount-200"]');
    await estimateShows(page, '10.00');
    await page.fill('[data-testid="payment-custom-amount"]', '150');
    expect(await page.getAttribute('[data-testid="payment-amount"]', 'data-amount-kes')).toBe('150');
    await estimateShows(page, '7.50');
    // Non-production servers keep the demo top-up as a small link.
    expect(await page.isVisible('[data-testid="top-up-demo"]')).toBe(true);

    const phone = freshPhone();
    await page.fill('[data-testid="payment-phone"]', phone.local);
    await page.click('[data-testid="amount-100"]');
    await page.locator('[data-testid="buy-electricity"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('payment-form-phone.png'), animations: 'disabled' });
    await page.click('[data-testid="pay-button"]');
    await page.waitForSelector('[data-testid="payment-status"][data-status="waiting"]');
    await page.screenshot({ path: artifactPath('payment-waiting-phone.png'), animations: 'disabled' });
    expect(await page.textContent('[data-testid="payment-status"]')).toContain('M-Pesa PIN');
    const href = await page.getAttribute('[data-testid="virtual-phone-link"]', 'href');
    expect(href).toMatch(/\/emulator\/phone\?phone=/);

    // Answer the prompt on the emulator's virtual phone, as a person would.
    const phonePage = await context.newPage();
    await phonePage.goto(href ?? '');
    await phonePage.fill('input[type="password"]', '4321', { timeout: 10_000 });
    await phonePage.click('button.accept');

    await page.waitForSelector('[data-testid="payment-receipt"]', { timeout: 15_000 });
    const receipt = await page.getAttribute('[data-testid="payment-receipt"]', 'data-receipt');
    expect(receipt).toMatch(/^[A-Z0-9]{8,}$/);
    expect(await page.textContent('[data-testid="receipt-amount"]')).toContain('100');

    // The balance moved live, by what the receipt says was bought.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="balance"]')?.getAttribute('data-balance-kwh')) > 0,
      undefined,
      { timeout: 10_000 },
    );
    const energyText = (await page.textContent('[data-testid="receipt-energy"]')) ?? '';
    const shownKwh = await balanceKwhShown(page);
    expect(energyText).toContain(shownKwh.toFixed(2));

    await phonePage.close();
    const card = page.locator('[data-testid="buy-electricity"]');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('payment-receipt-phone.png'), animations: 'disabled' });
    await card.screenshot({ path: artifactPath('payment-receipt-card-phone.png'), animations: 'disabled' });
    await context.close();
  });

  it('the panel reads in Kiswahili at phone width', async () => {
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 0, userId: customer.id });
    const context = await signedInContext(browser, t, customer, { viewport: PHONE });
    await context.addInitScript(() => window.localStorage.setItem('umeme.locale', 'sw'));
    const page = await context.newPage();
    await page.goto(`/meters/${meterNo}`);
    await page.waitForSelector('[data-testid="pay-button"]');
    expect(await page.textContent('[data-testid="pay-button"]')).toContain('Lipa');
    await estimateShows(page, 'ushuru unaotumika');
    await page.locator('[data-testid="buy-electricity"]').screenshot({
      path: artifactPath('payment-form-phone-sw.png'),
      animations: 'disabled',
    });
    await context.close();
  });

  it('at zero balance supply reads off for lack of credit and emergency credit is a button; taking it shows the debt the next purchase repays', async () => {
    const { page, context } = await openDashboardAtZero();
    await page.waitForSelector('[data-testid="supply-reason"][data-reason="no_credit"]');
    expect(await page.getAttribute('[data-testid="relay"]', 'data-relay')).toBe('off');
    await page.screenshot({ path: artifactPath('dashboard-zero-phone.png'), animations: 'disabled' });
    await page.click('[data-testid="emergency-take"]');
    await page.waitForSelector('[data-testid="debt-notice"]');
    expect(await balanceKwhShown(page)).toBeGreaterThan(0);
    expect(await page.getAttribute('[data-testid="relay"]', 'data-relay')).toBe('on');
    expect(await page.isVisible('[data-testid="emergency-take"]')).toBe(false);
    await page.screenshot({ path: artifactPath('dashboard-emergency-phone.png'), animations: 'disabled' });
    await context.close();
  });

  it('a declined payment shows the reason and a Retry that asks first and can then succeed', async () => {
    const { page, context } = await openDashboardAtZero();
    const phone = freshPhone();
    t.app.daraja.emulator?.setOutcome(phone.msisdn, { resultCode: 1032, delayMs: 300 });

    await startPayment(page, phone.local, 50);
    await page.waitForSelector('[data-testid="payment-status"][data-status="failed"]', { timeout: 15_000 });
    const reason = (await page.textContent('[data-testid="payment-failure-reason"]')) ?? '';
    expect(reason.trim().length).toBeGreaterThan(0);
    expect(reason).toContain('cancelled on the phone');
    expect(await page.getAttribute('[data-testid="payment-failure-reason"]', 'data-result-code')).toBe(
      '1032',
    );
    expect(await page.isVisible('[data-testid="payment-retry"]')).toBe(true);
    expect(await balanceKwhShown(page)).toBe(0);
    await page.screenshot({ path: artifactPath('payment-failed-phone.png'), animations: 'disabled' });

    t.app.daraja.emulator?.setOutcome(phone.msisdn, { resultCode: 0, delayMs: 300 });
    // Retry asks before another prompt goes to the phone.
    await page.click('[data-testid="payment-retry"]');
    expect(await page.isVisible('[data-testid="payment-retry-confirm"]')).toBe(true);
    expect(await page.isVisible('[data-testid="payment-receipt"]')).toBe(false);
    await page.click('[data-testid="payment-retry-yes"]');
    await page.waitForSelector('[data-testid="payment-receipt"]', { timeout: 15_000 });
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="balance"]')?.getAttribute('data-balance-kwh')) > 0,
      undefined,
      { timeout: 10_000 },
    );
    await context.close();
  });
});
