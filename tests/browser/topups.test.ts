// Protects manual top-ups on screen in a real browser: a customer's request reaches the operators' queue live, an approval shows on the customer's dashboard with the new balance without a reload, a rejection shows its reason, and both are audited.
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type TestApp } from '../helpers/app';
import {
  artifactPath,
  DESKTOP,
  operatorContext,
  PHONE,
  serverBalanceKwh,
  signedInContext,
  startAppAndBrowser,
  waitForBalance,
  waitForLive,
} from './browser-harness';

let t: TestApp;
let browser: Browser;

startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

const KWH_PER_KES = 0.05;

interface AuditEntry {
  action: string;
  target: string;
  actorEmail: string | null;
  details: { notes?: string; meterNo?: string; amountCents?: number };
}

async function auditOf(topupId: string, action: string): Promise<AuditEntry[]> {
  const res = await t.api<{ entries: AuditEntry[] }>(
    'GET',
    `/api/admin/audit?target=${topupId}&action=${action}`,
    undefined,
    t.adminToken,
  );
  expect(res.status).toBe(200);
  return res.body.entries;
}

async function customerPage(viewport: { width: number; height: number }, openingCreditKwh = 5) {
  const customer = await t.newCustomer();
  const { meterNo } = await t.newMeter({ openingCreditKwh, userId: customer.id });
  const context = await signedInContext(browser, t, customer, { viewport });
  const page = await context.newPage();
  await page.goto(`/meters/${meterNo}`);
  await waitForLive(page, true, 20_000);
  await page.waitForSelector('[data-testid="topup-panel"]');
  // A reload would lose this mark: the test checks that every change came over the live link.
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  return { customer, meterNo, context, page };
}

async function requestTopup(page: Page, amountKes: string, channel: string, reference: string) {
  await page.fill('[data-testid="topup-amount"]', amountKes);
  await page.selectOption('[data-testid="topup-channel"]', channel);
  await page.fill('[data-testid="topup-reference"]', reference);
  await page.click('[data-testid="topup-submit"]');
  await page.waitForSelector('[data-testid="topup-sent"]');
  const item = page.locator('[data-testid="topup-item"]').first();
  await item.waitFor();
  expect(await item.getAttribute('data-status')).toBe('pending');
  return (await item.getAttribute('data-id'))!;
}

async function expectSameDocument(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(
    true,
  );
}

describe('top-ups on screen', () => {
  it('a request appears in the console live; approved there, the customer sees it and the new balance without a reload', async () => {
    const ops = await operatorContext(browser, t);
    const console = await ops.newPage();
    await console.goto('/admin/topups');
    await console.waitForSelector('[data-testid="topups-queue"][data-loaded="true"]');
    await console.waitForSelector('[data-testid="admin-live"][data-live="true"]', { timeout: 20_000 });

    const { customer, meterNo, context, page } = await customerPage(DESKTOP);
    const before = await serverBalanceKwh(t, meterNo, customer.token);
    const id = await requestTopup(page, '250', 'bank', 'EQ-TRF-0042');

    // The console was open before the request: it arrives through the admins room, no reload.
    const row = console.locator(`[data-testid="topup-row"][data-id="${id}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('EQ-TRF-0042');
    expect(await row.textContent()).toContain(meterNo);
    expect(await console.textContent('[data-testid="topups-count"]')).toBe('1');
    await console.screenshot({ path: artifactPath('operator-topups-1280.png'), fullPage: true });

    await row.locator('[data-testid="topup-approve"]').click();
    await console.waitForSelector('[data-testid="topups-notice"]');
    await console.waitForSelector(
      `[data-testid="topup-history-row"][data-id="${id}"][data-status="approved"]`,
    );
    expect(await console.locator(`[data-testid="topup-row"][data-id="${id}"]`).count()).toBe(0);

    const expected = before + 250 * KWH_PER_KES;
    expect(await serverBalanceKwh(t, meterNo, customer.token)).toBeCloseTo(expected, 6);
    await page.waitForSelector(`[data-testid="topup-item"][data-id="${id}"][data-status="approved"]`, {
      timeout: 20_000,
    });
    await waitForBalance(page, expected, 20_000);
    await expectSameDocument(page);
    await page.screenshot({ path: artifactPath('topups-approved-1280.png'), fullPage: true });

    const audit = await auditOf(id, 'topup.approved');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ details: { meterNo, amountCents: 25_000 } });
    await Promise.all([context.close(), ops.close()]);
  }, 60_000);

  it('a rejection needs a reason in the console, and the customer sees it on a phone, in Kiswahili too', async () => {
    const { customer, meterNo, context, page } = await customerPage(PHONE);
    const before = await serverBalanceKwh(t, meterNo, customer.token);
    const id = await requestTopup(page, '120', 'agent', 'AGENT-77');

    const ops = await operatorContext(browser, t);
    const console = await ops.newPage();
    await console.setViewportSize(PHONE);
    await console.goto('/admin/topups');
    const row = console.locator(`[data-testid="topup-row"][data-id="${id}"]`);
    await row.waitFor();
    await row.locator('[data-testid="topup-reject"]').click();
    // The browser's own check refuses an empty reason; the server refuses one too (tests/payments).
    await console.click('[data-testid="topup-reject-submit"]');
    expect(await console.locator(`[data-testid="topup-row"][data-id="${id}"]`).count()).toBe(1);
    await console.fill('[data-testid="topup-reject-reason"]', 'No deposit found with that reference');
    await console.screenshot({ path: artifactPath('operator-topups-reject-390.png'), fullPage: true });
    await console.click('[data-testid="topup-reject-submit"]');
    await console.waitForSelector(
      `[data-testid="topup-history-row"][data-id="${id}"][data-status="rejected"]`,
    );

    const item = page.locator(`[data-testid="topup-item"][data-id="${id}"][data-status="rejected"]`);
    await item.waitFor({ timeout: 20_000 });
    expect(await item.locator('[data-testid="topup-reason"]').textContent()).toContain(
      'No deposit found with that reference',
    );
    await expectSameDocument(page);
    expect(await serverBalanceKwh(t, meterNo, customer.token)).toBeCloseTo(before, 6);
    await page.locator('[data-testid="topup-panel"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('topups-rejected-390.png'), fullPage: true });

    // The same panel in Kiswahili.
    await page.click('[data-testid="language-switch"] button[lang="sw"]');
    await page.waitForSelector('[data-testid="topup-panel"] h2:has-text("Ongeza salio kwa njia nyingine")');
    expect(await item.locator('[data-testid="topup-status"]').textContent()).toBe('Limekataliwa');
    await page.screenshot({ path: artifactPath('topups-rejected-sw-390.png'), fullPage: true });

    const audit = await auditOf(id, 'topup.rejected');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ details: { meterNo, notes: 'No deposit found with that reference' } });
    await Promise.all([context.close(), ops.close()]);
  }, 60_000);
});
