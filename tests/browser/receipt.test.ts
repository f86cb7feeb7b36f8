// Protects the customer's purchase receipt in a real browser against the real server: pay through the emulator's virtual phone with a tariff that has levies, VAT and a standing charge after an emergency advance, see every line of the split summing to the amount paid, open the same receipt from the history, and GET /api/transactions/:id/receipt refusing another customer (404 like a missing id).
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tariff } from '../../packages/core/src/index';
import { tariffPricing } from '../../packages/server/src/credit/pricing';
import { startTestApp, type TestApp } from '../helpers/app';
import {
  artifactPath,
  ensureWebBuilt,
  launchChromium,
  PHONE,
  signedInContext,
  waitForLive,
} from './browser-harness';

/** An illustrative Kenya-Power-style domestic tariff (figures not official). */
const DOMESTIC: Tariff = {
  id: 'domestic-test',
  name: 'Domestic (illustrative)',
  effectiveFrom: '2024-04-01',
  blocks: [
    { upToKwh: 30, energyRateCentsPerKwh: 1222, label: 'Lifeline 0–30 kWh' },
    { upToKwh: null, energyRateCentsPerKwh: 1654, label: 'Domestic above 30 kWh' },
  ],
  passThroughCentsPerKwh: [
    { code: 'fuel', label: 'Fuel energy cost', centsPerKwh: 376 },
    { code: 'forex', label: 'Forex adjustment', centsPerKwh: 122.98 },
  ],
  levies: [
    { code: 'rep', label: 'REP levy 5%', basisPoints: 500, base: ['energy'] },
    { code: 'epra', label: 'EPRA levy', centsPerKwh: 8 },
  ],
  vat: { basisPoints: 1600, appliesTo: ['energy', 'fuel', 'forex'] },
  standingChargeCents: 5000,
};

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  await ensureWebBuilt();
  [t, browser] = await Promise.all([
    startTestApp('pglite', { DEMO: true }, { pricing: tariffPricing([DOMESTIC]) }),
    launchChromium(),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** "KSh 1,234.56" → 123456 cents */
const cents = (text: string | null) => Math.round(Number((text ?? '').replace(/[^\d.]/g, '')) * 100);

async function receiptLines(page: Page, scope: string) {
  return page.$$eval(`${scope} [data-testid="receipt-line"]`, (rows) =>
    rows.map((r) => ({
      kind: r.getAttribute('data-kind'),
      cents: Number(r.getAttribute('data-amount-cents')),
      shown: r.querySelector('.receipt-value')?.textContent ?? '',
    })),
  );
}

describe('purchase receipt in Chromium', () => {
  it('shows the split after paying, and again from the history; another customer gets 404', async () => {
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 0, userId: customer.id });
    // The emergency advance: the next purchase recovers it first.
    const advance = await t.api('POST', `/api/meters/${meterNo}/emergency`, {}, customer.token);
    expect(advance.status).toBeLessThan(300);

    const context = await signedInContext(browser, t, customer, { viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`/meters/${meterNo}`);
    await waitForLive(page, true);

    const rest = String(randomInt(10_000_000, 99_999_999));
    await page.fill('[data-testid="payment-phone"]', `07${rest}`);
    await page.click('[data-testid="amount-500"]');
    await page.click('[data-testid="pay-button"]');
    const href = await page.getAttribute('[data-testid="virtual-phone-link"]', 'href', { timeout: 10_000 });
    const phonePage = await context.newPage();
    await phonePage.goto(href ?? '');
    await phonePage.fill('input[type="password"]', '4321', { timeout: 10_000 });
    await phonePage.click('button.accept');
    await phonePage.close();

    // The panel follows the payment to its receipt, with the split.
    const panelReceipt = '[data-testid="payment-receipt"] [data-testid="receipt"]';
    await page.waitForSelector(panelReceipt, { timeout: 20_000 });
    const lines = await receiptLines(page, panelReceipt);
    const kinds = new Set(lines.map((l) => l.kind));
    for (const kind of ['debt', 'standing', 'energy', 'pass_through', 'levy', 'vat'])
      expect(kinds).toContain(kind);
    expect(lines.reduce((s, l) => s + l.cents, 0)).toBe(50_000);
    // What is shown adds up too, to the cent.
    expect(lines.reduce((s, l) => s + cents(l.shown), 0)).toBe(50_000);
    expect(cents(await page.textContent(`${panelReceipt} [data-testid="receipt-amount"]`))).toBe(50_000);
    for (const l of lines) expect(l.shown).toMatch(/^KSh [\d,]+\.\d{2}$/);

    const mpesa = await page.getAttribute('[data-testid="payment-receipt"]', 'data-receipt');
    expect(mpesa).toMatch(/^[A-Z0-9]{8,}$/);
    expect(await page.textContent(`${panelReceipt} [data-testid="receipt-number"]`)).toBe(mpesa);
    expect(await page.textContent(`${panelReceipt} [data-testid="receipt-phone"]`)).toBe(
      `2547*****${rest.slice(-3)}`,
    );
    expect(await page.textContent(`${panelReceipt} [data-testid="receipt-meter"]`)).toBe(meterNo);
    expect(await page.textContent(`${panelReceipt} [data-testid="receipt-energy"]`)).toMatch(/kWh$/);
    expect(await page.textContent(`${panelReceipt} [data-testid="receipt-balance"]`)).toMatch(/kWh$/);

    const card = page.locator('[data-testid="buy-electricity"]');
    // An element taller than the screen is pictured whole: the sticky top bar and the toasts
    // about the credit would sit on it. A constructed sheet: the page's CSP allows no inline style.
    await page.evaluate(() => {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync('.topbar { position: static !important; } .toasts { display: none !important; }');
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    });
    await card.screenshot({ path: artifactPath('receipt-panel-phone.png'), animations: 'disabled' });

    await page.evaluate(() => {
      document.adoptedStyleSheets = document.adoptedStyleSheets.slice(0, -1);
    });

    const transactionId = await page.getAttribute(panelReceipt, 'data-transaction-id');
    expect(transactionId).toBeTruthy();

    // The same receipt from the history.
    const row = page.locator(`[data-testid="transaction-open"][data-transaction-id="${transactionId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    const dialogReceipt = '[data-testid="receipt-dialog"] [data-testid="receipt"]';
    await page.waitForSelector(dialogReceipt);
    expect(await page.getAttribute(dialogReceipt, 'data-lines-sum-cents')).toBe('50000');
    expect(await receiptLines(page, dialogReceipt)).toEqual(lines);
    await page.screenshot({ path: artifactPath('receipt-dialog-phone.png'), animations: 'disabled' });

    // "Download receipt" saves a standalone HTML page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`${dialogReceipt} [data-testid="receipt-download"]`),
    ]);
    expect(download.suggestedFilename()).toBe(`umeme-receipt-${mpesa}.html`);
    const html = readFileSync(await download.path(), 'utf8');
    expect(html).toContain(mpesa!);
    expect(html).toContain('KSh 500.00');
    // Print uses the same page, in a hidden frame: this is what reaches the paper.
    const printed = await context.newPage();
    await printed.setContent(html);
    await printed.emulateMedia({ media: 'print' });
    await printed.screenshot({ path: artifactPath('receipt-download-phone.png'), fullPage: true });
    await printed.close();

    await page.click('[data-testid="receipt-close"]');
    await page.waitForSelector('[data-testid="receipt-dialog"]', { state: 'detached' });

    // Kiswahili.
    await page.evaluate(() => window.localStorage.setItem('umeme.locale', 'sw'));
    await page.reload();
    await page.locator(`[data-testid="transaction-open"][data-transaction-id="${transactionId}"]`).click();
    await page.waitForSelector(dialogReceipt);
    expect(await page.textContent(dialogReceipt)).toContain('Mkopo wa dharura uliorejeshwa');
    await page.screenshot({ path: artifactPath('receipt-dialog-phone-sw.png'), animations: 'disabled' });
    await context.close();

    // The API: owner and admin read it; another customer gets the same 404 as a missing id.
    const path = `/api/transactions/${transactionId}/receipt`;
    const own = await t.api<{ lines: { amountCents: number }[]; amountCents: number; phone: string }>(
      'GET',
      path,
      undefined,
      customer.token,
    );
    expect(own.status).toBe(200);
    expect(own.body.lines.reduce((s, l) => s + l.amountCents, 0)).toBe(own.body.amountCents);
    expect(JSON.stringify(own.body)).not.toContain(rest);
    expect((await t.api('GET', path, undefined, t.adminToken)).status).toBe(200);
    expect((await t.api('GET', path, undefined, null)).status).toBe(401);
    const other = await t.newCustomer();
    const foreign = await t.api('GET', path, undefined, other.token);
    const missing = await t.api('GET', `/api/transactions/${randomUUID()}/receipt`, undefined, other.token);
    expect(foreign.status).toBe(404);
    expect(foreign).toEqual(missing);
  }, 90_000);
});
