// Protects the customer's account screens in a real browser (issue 17): a forgotten password reset with a code, a meter added with its claim code (issued from the console) that then shows live, and the monthly statement.
import { randomBytes, randomInt } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import type { TestApp } from '../helpers/app';
import {
  artifactPath,
  DESKTOP,
  operatorContext,
  PHONE,
  signedInContext,
  startAppAndBrowser,
  waitForBalance,
} from './browser-harness';

let t: TestApp;
let browser: Browser;

startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

describe('customer account screens in Chromium', () => {
  it('forgot password: the code from the message and a new password, then sign in with it', async () => {
    const email = `f${randomBytes(5).toString('hex')}@test.local`;
    const phone = `2547${String(randomInt(10 ** 8)).padStart(8, '0')}`;
    await t.app.services.auth.register({ name: 'Njeri', email, phone, password: 'old-long-secret-4' });
    const context = await browser.newContext({ baseURL: t.url, viewport: PHONE });
    const page = await context.newPage();
    await page.goto('/signin');
    await page.click('[data-testid="to-forgot"]');
    await page.waitForURL('**/forgot');
    await page.fill('input[name="login"]', email);
    await page.click('[data-testid="reset-send"]');
    await page.waitForSelector('[data-testid="reset-code-step"]');
    const notice = t.app.services.notifier.lastNoticeFor(email);
    if (notice?.kind !== 'password_reset_code') throw new Error('no reset code was sent');
    await page.fill('input[name="code"]', notice.code);
    await page.fill('input[name="new-password"]', 'new-long-secret-7');
    await page.screenshot({ path: artifactPath('account-reset-phone.png') });
    await page.click('[data-testid="reset-save"]');
    await page.waitForSelector('[data-testid="reset-done"]');
    await page.goto('/signin');
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', 'new-long-secret-7');
    await page.click('[data-testid="auth-submit"]');
    await page.waitForSelector('[data-testid="no-meters"]');
    await context.close();
  });

  it('a customer adds a meter with the claim code issued in the console, and it then shows live', async () => {
    const meter = await t.newMeter({ openingCreditKwh: 2 });
    const admin = await operatorContext(browser, t);
    const console = await admin.newPage();
    await console.goto(`/admin/meters/${meter.meterNo}`);
    await console.click('[data-testid="issue-claim-code"]');
    const code = (await console.textContent('[data-testid="claim-code-value"]'))?.trim() ?? '';
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await console
      .locator('[data-testid="claim-code-card"]')
      .screenshot({ path: artifactPath('claim-code-card.png') });
    await admin.close();

    const customer = await t.newCustomer();
    const context = await signedInContext(browser, t, customer, { viewport: PHONE });
    const page = await context.newPage();
    await page.goto('/');
    // the empty state offers the form
    await page.waitForSelector('[data-testid="no-meters"] [data-testid="claim-meter"]');
    await page.fill('[data-testid="claim-meter"] input[name="accountNo"]', meter.meterNo);
    await page.fill('[data-testid="claim-meter"] input[name="claimCode"]', 'AAAA-AAAA');
    await page.click('[data-testid="claim-submit"]');
    await page.waitForSelector('[data-testid="claim-error"]');
    await page.fill('[data-testid="claim-meter"] input[name="claimCode"]', code.toLowerCase());
    await page.screenshot({ path: artifactPath('account-add-meter-phone.png') });
    await page.click('[data-testid="claim-submit"]');
    await page.waitForURL(`**/meters/${meter.meterNo}`);
    await waitForBalance(page, 2);
    // live: a purchase made elsewhere shows without a reload
    await t.creditKes(meter.meterNo, 20);
    const after = (
      await t.api<{ balanceKwh: number }>('GET', `/api/meters/${meter.meterNo}`, undefined, customer.token)
    ).body.balanceKwh;
    expect(after).toBeGreaterThan(2);
    await waitForBalance(page, after);
    await context.close();
  });

  it('the statements page shows the month’s lines and totals, in Kiswahili too, on phone and desktop', async () => {
    const customer = await t.newCustomer();
    const meter = await t.newMeter({ userId: customer.id });
    // a paybill payment: demo top-ups are not money and stay off statements
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: meter.meterNo,
      amountCents: 10_000,
      source: 'mpesa_c2b',
      type: 'paybill',
      externalRef: `STATEMENT-${meter.meterNo}`,
    });
    for (const viewport of [PHONE, DESKTOP]) {
      const context = await signedInContext(browser, t, customer, { viewport });
      const page = await context.newPage();
      await page.goto(`/meters/${meter.meterNo}`);
      await page.click('[data-testid="nav-statements"]');
      await page.waitForURL('**/statements');
      await page.waitForSelector('[data-testid="statement-transactions"] tbody tr');
      const totals = (await page.textContent('[data-testid="statement-totals"]')) ?? '';
      expect(totals).toContain('100');
      expect(await page.locator('[data-testid="statement-meter"]').count()).toBe(1);
      const name = viewport === PHONE ? 'phone' : 'desktop';
      await page.screenshot({ path: artifactPath(`account-statements-${name}.png`), fullPage: true });
      if (viewport === PHONE) {
        await page.click('[data-testid="language-switch"] button[lang="sw"]');
        await page.waitForSelector('h2:has-text("Taarifa za akaunti")');
        await page.screenshot({ path: artifactPath('account-statements-phone-sw.png'), fullPage: true });
      }
      await context.close();
    }
  });
});
