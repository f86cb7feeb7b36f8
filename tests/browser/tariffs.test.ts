// Protects operator tariffs end to end in Chromium: the operator creates a version effective now on the console's Tariffs page, the customer's Buy estimate changes to it, and the next purchase's receipt shows its price and name.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import {
  artifactPath,
  DESKTOP,
  ensureWebBuilt,
  launchChromium,
  operatorContext,
  PHONE,
  signedInContext,
  waitForBalance,
} from './browser-harness';

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  await ensureWebBuilt();
  // DEMO: the Buy panel offers the demo top-up, a purchase priced like any other.
  [t, browser] = await Promise.all([startTestApp('pglite', { DEMO: true }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function estimateShows(page: Page, text: string) {
  await page.waitForFunction(
    (want) =>
      document.querySelector('[data-testid="payment-estimate"]')?.textContent?.includes(want) === true,
    text,
    { timeout: 10_000 },
  );
}

describe('operator tariffs in Chromium', () => {
  it('a tariff created on the console reprices the Buy estimate and the next receipt', async () => {
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 0, userId: customer.id });
    const shopper = await signedInContext(browser, t, customer, { viewport: PHONE });
    const page = await shopper.newPage();
    await page.goto(`/meters/${meterNo}`);
    await waitForBalance(page, 0);
    await page.click('[data-testid="amount-100"]');
    // The configured flat rate of a new installation: 100 KES buys 5 kWh.
    await estimateShows(page, '5.00');
    await estimateShows(page, 'Flat 20 KES/kWh');

    const operator = await operatorContext(browser, t);
    const console = await operator.newPage();
    await console.goto('/admin/tariffs');
    await console.waitForSelector('[data-testid="tariff-row-flat"][data-status="in_force"]');
    // A validation message names what is missing, and nothing is created.
    await console.fill('[data-testid="tariff-name"]', 'Levy and VAT');
    await console.fill('[data-testid="tariff-reason"]', 'EPRA gazette notice');
    await console.click('[data-testid="tariff-create"]');
    expect(await console.textContent('[data-testid="tariff-notice"]')).toContain('Block 1');
    // 8 KES/kWh energy + 2 KES/kWh levy, 25% VAT on both: 12.50 KES per kWh.
    await console.fill('[data-testid="tariff-block-0-rate"]', '8');
    await console.click('[data-testid="tariff-add-levy"]');
    await console.fill('[data-testid="tariff-levy-0-label"]', 'REP levy');
    await console.fill('[data-testid="tariff-levy-0-rate"]', '2');
    await console.fill('[data-testid="tariff-vat"]', '25');
    await console.click('[data-testid="tariff-create"]');
    await console.waitForSelector('[data-testid="tariff-row-flat"][data-status="past"]');
    const row = console.locator('tr[data-status="in_force"]');
    expect(await row.textContent()).toContain('Levy and VAT');
    await console.screenshot({ path: artifactPath('tariffs-console-desktop.png'), fullPage: true });
    await console.setViewportSize(PHONE);
    await console.screenshot({ path: artifactPath('tariffs-console-phone.png'), fullPage: true });

    // The customer picks an amount again: the estimate is at the new tariff.
    await page.click('[data-testid="amount-200"]');
    await page.click('[data-testid="amount-100"]');
    await estimateShows(page, '8.00');
    await estimateShows(page, 'Levy and VAT');
    await page
      .locator('[data-testid="buy-electricity"]')
      .screenshot({ path: artifactPath('tariffs-estimate-phone.png') });

    // The demo top-up is a purchase through the same pricing; its receipt shows the new split.
    await page.click('[data-testid="top-up-demo"]');
    await waitForBalance(page, 8);
    const tx = await t.api<{ transactions: { id: string }[] }>(
      'GET',
      `/api/v2/transactions/meter/${meterNo}?limit=1`,
      undefined,
      customer.token,
    );
    const receipt = await t.api<{ tariffName: string; lines: { kind: string; amountCents: number }[] }>(
      'GET',
      `/api/transactions/${tx.body.transactions[0]!.id}/receipt`,
      undefined,
      customer.token,
    );
    expect(receipt.body.tariffName).toBe('Levy and VAT');
    expect(receipt.body.lines.map((l) => [l.kind, l.amountCents])).toEqual([
      ['energy', 6_400],
      ['levy', 1_600],
      ['vat', 2_000],
    ]);
    await page.click('[data-testid="transaction-open"] >> nth=0');
    await page.waitForSelector('[data-testid="receipt-tariff"]');
    expect(await page.textContent('[data-testid="receipt-tariff"]')).toBe('Levy and VAT');
    expect(await page.textContent('[data-testid="receipt-energy"]')).toContain('8.00');
    await page.screenshot({ path: artifactPath('tariffs-receipt-phone.png') });
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: artifactPath('tariffs-receipt-desktop.png') });
    await operator.close();
    await shopper.close();
  });

  it('a meter moved into a customer group on the console is quoted and sold at that group’s version', async () => {
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 0, userId: customer.id });
    const operator = await operatorContext(browser, t);
    const console = await operator.newPage();
    await console.goto('/admin/tariffs');
    await console.waitForSelector('[data-testid="tariff-group-standard"]');
    await console.fill('[data-testid="tariff-move-group"]', 'shops');
    await console.fill('[data-testid="tariff-move-meters"]', `${meterNo} NO-SUCH-METER`);
    await console.fill('[data-testid="tariff-move-reason"]', 'a shop on the market street');
    await console.click('[data-testid="tariff-move"]');
    await console.waitForSelector('[data-testid="tariff-group-shops"]');
    expect(await console.textContent('[data-testid="tariff-move-notice"]')).toContain('NO-SUCH-METER');
    // The group's own version: 50 KES/kWh, from now.
    await console.fill('[data-testid="tariff-name"]', 'Shops 50');
    await console.fill('[data-testid="tariff-group"]', 'shops');
    await console.fill('[data-testid="tariff-block-0-rate"]', '50');
    await console.fill('[data-testid="tariff-reason"]', 'commercial tariff');
    await console.click('[data-testid="tariff-create"]');
    await console.waitForFunction(
      () =>
        document.querySelector('[data-testid="tariff-group-shops"]')?.textContent?.includes('Shops 50') ===
        true,
    );
    await console.screenshot({ path: artifactPath('tariff-groups-console-desktop.png'), fullPage: true });

    const shopper = await signedInContext(browser, t, customer, { viewport: PHONE });
    const page = await shopper.newPage();
    await page.goto(`/meters/${meterNo}`);
    await waitForBalance(page, 0);
    await page.click('[data-testid="amount-100"]');
    await estimateShows(page, '2.00');
    await estimateShows(page, 'Shops 50');
    await page.click('[data-testid="top-up-demo"]');
    await waitForBalance(page, 2);
    await operator.close();
    await shopper.close();
  });
});
