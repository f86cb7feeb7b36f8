// Protects the console's Users and Audit pages in a real browser: moving a meter between customers, or to nobody, with a reason (and seeing it audited), bulk CSV registration row by row, a rotated secret the broker honours, and operator roles (a viewer sees no actions; an admin adds a support operator).
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { ADMIN, connectAsMeter, uniqueMeterNo, type TestApp } from '../helpers/app';
import { artifactPath, operatorContext, PHONE, signedInContext, startAppAndBrowser } from './browser-harness';

let t: TestApp;
let browser: Browser;

startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

const adminContext = (): Promise<BrowserContext> => operatorContext(browser, t);

const ownerOf = async (meterNo: string) =>
  (
    await t.api<{ meter: { userId: string | null } }>(
      'GET',
      `/api/admin/meters/${meterNo}`,
      undefined,
      t.adminToken,
    )
  ).body.meter.userId;

/** Opens the Users page on `customer`'s panel; returns the selector of that panel's `meterNo` item. */
async function openCustomerMeter(
  page: Page,
  customer: { id: string; email: string },
  meterNo: string,
): Promise<{ row: string; meterItem: string }> {
  await page.goto('/admin');
  await page.click('[data-testid="admin-tab-users"]');
  await page.waitForURL('**/admin/users');
  await page.waitForSelector('[data-testid="users-table"][data-loaded="true"]');
  await page.fill('[data-testid="users-search"]', customer.email);
  const row = `[data-testid="user-row"][data-user-id="${customer.id}"]`;
  await page.waitForFunction(
    (sel) =>
      document.querySelectorAll('[data-testid="user-row"]').length === 1 && !!document.querySelector(sel),
    row,
  );
  await page.click(row);
  const meterItem = `[data-testid="customer-panel"][data-user-id="${customer.id}"] [data-testid="customer-meter"][data-meter="${meterNo}"]`;
  await page.waitForSelector(meterItem);
  return { row, meterItem };
}

describe('operator users and audit pages in Chromium', () => {
  it('an admin unassigns a meter with a reason: it leaves the customer, keeps its credit, and the change is audited', async () => {
    const a = await t.newCustomer();
    const meter = await t.newMeter({ openingCreditKwh: 3, userId: a.id });
    const context = await adminContext();
    const page = await context.newPage();
    const { meterItem } = await openCustomerMeter(page, a, meter.meterNo);
    await page.click(`${meterItem} [data-testid="meter-unassign"]`);
    // No reason, no change.
    expect(await page.isDisabled('[data-testid="unassign-submit"]')).toBe(true);
    await page.fill('[data-testid="unassign-reason"]', 'house empty until a new tenant signs up');
    await page.click('[data-testid="unassign-submit"]');
    await page.waitForSelector(meterItem, { state: 'detached' });
    expect(await ownerOf(meter.meterNo)).toBeNull();
    const detail = await t.api<{
      meter: { serverBalanceKwh: number };
      audit: { action: string; details: unknown }[];
    }>('GET', `/api/admin/meters/${meter.meterNo}`, undefined, t.adminToken);
    expect(detail.body.meter.serverBalanceKwh).toBe(3);
    expect(detail.body.audit.find((x) => x.action === 'meter.assigned')?.details).toMatchObject({
      from: a.id,
      to: null,
      reason: 'house empty until a new tenant signs up',
    });
    await context.close();
  });

  it('an admin moves a meter from one customer to another with a reason, and the audit view shows the move', async () => {
    const [a, b] = await Promise.all([t.newCustomer(), t.newCustomer()]);
    const meter = await t.newMeter({ openingCreditKwh: 4, userId: a.id });
    const reason = 'tenant moved out; new tenant takes the account';

    const context = await adminContext();
    const page = await context.newPage();
    const { row: rowA, meterItem } = await openCustomerMeter(page, a, meter.meterNo);

    await page.click(`${meterItem} [data-testid="meter-move"]`);
    await page.fill('[data-testid="move-target-search"]', b.email);
    await page.click(`[data-testid="move-target-option"][data-user-id="${b.id}"]`);
    await page.waitForSelector(`[data-testid="move-target"][data-user-id="${b.id}"]`);
    // No reason, no move.
    expect(await page.isDisabled('[data-testid="move-submit"]')).toBe(true);
    await page.fill('[data-testid="move-reason"]', reason);
    await page.screenshot({ path: artifactPath('operator-users-move-1280.png') });
    await page.click('[data-testid="move-submit"]');
    await page.waitForSelector(meterItem, { state: 'detached' });
    expect(await ownerOf(meter.meterNo)).toBe(b.id);
    expect(await page.textContent(rowA)).toContain('none');

    // B now has it: search B and see the meter in their panel.
    await page.fill('[data-testid="users-search"]', b.email);
    const rowB = `[data-testid="user-row"][data-user-id="${b.id}"]`;
    await page.waitForSelector(rowB);
    await page.click(rowB);
    await page.waitForSelector(
      `[data-testid="customer-panel"][data-user-id="${b.id}"] [data-testid="customer-meter"][data-meter="${meter.meterNo}"]`,
    );
    await page.screenshot({ path: artifactPath('operator-users-1280.png') });

    // B's statement for this month downloads as CSV.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="statement-csv"]'),
    ]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^umeme-statement-${b.email}-\\d{4}-\\d{2}\\.csv$`),
    );
    const file = await download.path();
    expect(readFileSync(file, 'utf8').split(/\r?\n/)[0]).toMatch(/^date,meter,type/);
    await page.waitForSelector('[data-testid="statement-message"].ok-text');

    // Something newer about another meter, so the unfiltered log is not all about this one.
    const other = await t.newMeter();
    await page.click('[data-testid="admin-tab-audit"]');
    await page.waitForSelector(`[data-testid="audit-entry"][data-target="${other.meterNo}"]`);
    await page.waitForURL('**/admin/audit');
    await page.fill('[data-testid="audit-target"]', meter.meterNo);
    const entry = `[data-testid="audit-entry"][data-action="meter.assigned"][data-target="${meter.meterNo}"]`;
    await page.waitForSelector(entry);
    await page.waitForFunction(
      (m) =>
        [...document.querySelectorAll('[data-testid="audit-entry"]')].every(
          (r) => r.getAttribute('data-target') === m,
        ),
      meter.meterNo,
    );
    await page.waitForURL(`**/admin/audit?target=${meter.meterNo}`);
    expect(await page.textContent(entry)).toContain(reason);
    expect(await page.textContent(entry)).toContain(ADMIN.email);
    await page.click(`${entry} button[aria-expanded]`);
    const details = await page.textContent('.audit-details pre');
    expect(details).toContain(a.id);
    expect(details).toContain(b.id);
    // Read-only: the page offers nothing that edits or deletes an entry.
    expect(
      await page.$$('[data-testid="audit-page"] form, [data-testid="audit-page"] button.danger'),
    ).toHaveLength(0);
    await page.screenshot({ path: artifactPath('operator-audit-1280.png') });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: artifactPath('operator-audit-390.png') });
    await context.close();
  });

  it('an admin registers three meters from CSV: the bad row is reported by line, the others are created', async () => {
    const owner = await t.newCustomer();
    const [x, y] = [uniqueMeterNo('C'), uniqueMeterNo('C')];
    const csv = `meterNo,ownerEmail,openingCreditKwh\n${x},${owner.email},5\nnot a meter!,,\n${y},,1.5\n`;

    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin/users');
    await page.waitForSelector('[data-testid="import-form"]');
    await page.fill('[data-testid="import-csv"]', csv);
    expect(await page.textContent('[data-testid="import-submit"]')).toBe('Import 3 meters');
    await page.click('[data-testid="import-submit"]');
    await page.waitForSelector('[data-testid="import-summary"][data-created="2"][data-failed="1"]');
    const rows = await page.$$eval('[data-testid="import-row"]', (trs) =>
      trs.map((r) => [r.getAttribute('data-line'), r.getAttribute('data-ok'), r.textContent ?? '']),
    );
    expect(rows.map(([line, ok]) => [line, ok])).toEqual([
      ['2', 'true'],
      ['3', 'false'],
      ['4', 'true'],
    ]);
    expect(rows[1]![2]).toMatch(/meter numbers/);
    expect(await ownerOf(x)).toBe(owner.id);
    expect(await ownerOf(y)).toBeNull();
    expect((await t.api('GET', '/api/admin/meters/NOT', undefined, t.adminToken)).status).toBe(404);
    await page.locator('[data-testid="import-result"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('operator-users-import-1280.png') });

    await page.setViewportSize(PHONE);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('operator-users-390.png') });
    await context.close();
  });

  it('an admin rotates a secret, sees it once, and the broker refuses the old one and accepts the new', async () => {
    const meter = await t.newMeter({ openingCreditKwh: 2 });
    const context = await adminContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    await page.goto(`/admin/meters/${meter.meterNo}`);
    await page.waitForSelector('[data-testid="device-card"]');
    await page.click('[data-testid="device-card"] [data-testid="rotate-secret"]');
    await page.click('[data-testid="rotate-confirm"]');
    await page.waitForSelector('[data-testid="secret-reveal"]');
    const secret = (await page.textContent('[data-testid="secret-value"]'))?.trim() ?? '';
    expect(secret.length).toBeGreaterThan(20);
    expect(secret).not.toBe(meter.secret);
    await page.click('[data-testid="secret-copy"]');
    await page.waitForSelector('[data-testid="secret-copy"]:text-is("Copied")');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.locator('[data-testid="device-card"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('operator-secret-1280.png') });

    await expect(connectAsMeter(t.mqttUrl, meter, { connectTimeout: 3000 })).rejects.toThrow(/bad|auth/i);
    const client = await connectAsMeter(t.mqttUrl, { meterNo: meter.meterNo, secret });
    expect(client.connected).toBe(true);
    await client.endAsync();

    // Dismissed, the secret is gone from the page; the audit log has the rotation.
    await page.click('[data-testid="secret-dismiss"]');
    expect(await page.$('[data-testid="secret-value"]')).toBeNull();
    expect(await page.content()).not.toContain(secret);
    await page.click('[data-testid="meter-audit-link"]');
    await page.waitForSelector(
      `[data-testid="audit-entry"][data-action="meter.secret_rotated"][data-target="${meter.meterNo}"]`,
    );
    await context.close();
  });

  it('an admin moves a payment credited to the wrong meter from its ledger: a refund there, a linked purchase on the right one', async () => {
    const [wrong, right] = await Promise.all([t.newMeter({ openingCreditKwh: 1 }), t.newMeter()]);
    const paid = await t.app.services.credit.credit(SYSTEM, {
      meterNo: wrong.meterNo,
      amountCents: 20_000,
      source: 'mpesa_c2b',
      type: 'paybill',
      externalRef: `UI-MOVE-${wrong.meterNo}`,
    });
    const context = await adminContext();
    const page = await context.newPage();
    await page.goto(`/admin/meters/${wrong.meterNo}`);
    const purchase = `[data-testid="ledger-row"][data-kind="purchase"][data-transaction-id="${paid.transactionId}"]`;
    await page.waitForSelector(purchase);
    await page.waitForSelector('[data-testid="meter-usage"] svg');
    // The opening credit is not a payment: only the purchase can be moved.
    expect(await page.$$('[data-testid="ledger-move"]')).toHaveLength(1);
    await page.click(`${purchase} [data-testid="ledger-move"]`);
    await page.fill('[data-testid="move-payment-to"]', right.meterNo);
    expect(await page.isDisabled('[data-testid="move-payment-submit"]')).toBe(true);
    await page.fill('[data-testid="move-payment-reason"]', 'customer typed the wrong account number');
    await page.click('[data-testid="move-payment-submit"]');
    await page.waitForSelector(
      `[data-testid="ledger-row"][data-kind="refund"][data-transaction-id="${paid.transactionId}"]`,
    );
    // Moved once, it cannot be moved again.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="ledger-move"]').length === 0);
    await page.waitForSelector('[data-testid="audit-row"][data-action="transaction.moved"]');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('operator-meter-move-1280-full.png'), fullPage: true });

    await page.goto(`/admin/meters/${right.meterNo}`);
    const credited = await page.waitForSelector('[data-testid="ledger-row"][data-kind="purchase"]');
    expect(await credited.textContent()).toContain(`moved from ${wrong.meterNo}`);
    expect(await credited.textContent()).toContain(paid.transactionId);
    await context.close();
  });

  it('a new alert appears on the Alerts page without a reload', async () => {
    const meter = await t.newMeter({ openingCreditKwh: 5 });
    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin/alerts');
    await page.waitForSelector('[data-testid="admin-live"][data-live="true"]');
    await page.waitForSelector('[data-testid="alerts-list"]');
    const row = `[data-testid="alert-row"][data-kind="low_balance"]:has(a:text-is("${meter.meterNo}"))`;
    expect(await page.$(row)).toBeNull();
    // Taking back 4 kWh leaves 1 kWh, under the 2 kWh low-balance line.
    const r = await t.api(
      'POST',
      `/api/admin/meters/${meter.meterNo}/adjustments`,
      {
        energyKwh: -4,
        reason: 'opening credit entered twice',
      },
      t.adminToken,
    );
    expect(r.status).toBe(201);
    // The page does not poll: only the live notification can bring the row.
    await page.waitForSelector(row);
    await context.close();
  });

  it('an admin adds a support operator: the temporary password is shown once and signs them in', async () => {
    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin/users');
    await page.waitForSelector('[data-testid="admin-console"][data-permissions~="operators.manage"]');
    const email = `support-${uniqueMeterNo().toLowerCase()}@test.local`;
    await page.fill('[data-testid="operator-name"]', 'Wanjiru Support');
    await page.fill('[data-testid="operator-email"]', email);
    await page.selectOption('[data-testid="operator-role"]', 'support');
    await page.fill('[data-testid="operator-reason"]', 'new customer care hire');
    await page.click('[data-testid="operator-submit"]');
    const temporary = (await page.textContent('[data-testid="temporary-password-value"]'))!.trim();
    await page.screenshot({ path: artifactPath('operator-created.png'), fullPage: true });
    const login = await t.api<{ user: { role: string; temporaryCredentials: boolean } }>(
      'POST',
      '/auth/login',
      {
        email,
        password: temporary,
      },
    );
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ role: 'support', temporaryCredentials: true });
    await context.close();
    // The new operator signs in in their own browser: first their own password, then the console.
    const theirs = await browser.newContext({ baseURL: t.url, viewport: PHONE });
    const own = await theirs.newPage();
    await own.goto('/signin');
    await own.fill('input[name="email"]', email);
    await own.fill('input[name="password"]', temporary);
    await own.click('[data-testid="auth-submit"]');
    await own.waitForSelector('[data-testid="temporary-password-screen"]');
    await own.screenshot({ path: artifactPath('temporary-password-phone.png') });
    await own.fill('[data-testid="tmp-current"]', temporary);
    await own.fill('[data-testid="tmp-new"]', 'wanjiru-own-pass-7');
    await own.click('[data-testid="tmp-submit"]');
    await own.waitForSelector('[data-testid="admin-console"][data-permissions~="customers.care"]');
    expect(await own.$('[data-testid="admin-console"][data-permissions~="money.move"]')).toBeNull();
    await theirs.close();
  });

  it('a viewer sees the console and its data, without any action that changes something', async () => {
    const email = `viewer-${uniqueMeterNo().toLowerCase()}@test.local`;
    const made = await t.api<{ user: { id: string }; temporaryPassword: string }>(
      'POST',
      '/api/admin/operators',
      { name: 'Otieno Viewer', email, role: 'viewer', reason: 'auditor' },
      t.adminToken,
    );
    const first = await t.api<{ token: string }>('POST', '/auth/login', {
      email,
      password: made.body.temporaryPassword,
    });
    const password = 'viewer-own-pass-42';
    const signedIn = await t.api<{ token: string }>(
      'POST',
      '/api/me/password',
      { currentPassword: made.body.temporaryPassword, newPassword: password },
      first.body.token,
    );
    const customer = await t.newCustomer();
    const meter = await t.newMeter({ openingCreditKwh: 2, userId: customer.id });
    const context = await signedInContext(browser, t, {
      token: signedIn.body.token,
      id: made.body.user.id,
      email,
      password,
    });
    const page = await context.newPage();
    const { meterItem } = await openCustomerMeter(page, customer, meter.meterNo);
    await page.waitForSelector('[data-testid="admin-console"][data-permissions="console.view"]');
    await page.waitForSelector('[data-testid="statement-form"]');
    for (const action of [
      `${meterItem} [data-testid="meter-move"]`,
      '[data-testid="assign-form"]',
      '[data-testid="account-card"]',
      '[data-testid="create-operator-form"]',
      '[data-testid="register-form"]',
      '[data-testid="import-form"]',
    ]) {
      expect(await page.$(action), action).toBeNull();
    }
    await page.screenshot({ path: artifactPath('viewer-users.png'), fullPage: true });
    await page.goto(`/admin/meters/${meter.meterNo}`);
    await page.waitForSelector(`[data-testid="meter-detail"][data-meter="${meter.meterNo}"]`);
    for (const action of ['remote-control', 'adjustment-form', 'config-form', 'device-card']) {
      expect(await page.$(`[data-testid="${action}"]`), action).toBeNull();
    }
    // The server refuses it anyway.
    const relay = await t.api(
      'POST',
      `/api/admin/meters/${meter.meterNo}/relay`,
      { action: 'off', reason: 'x' },
      signedIn.body.token,
    );
    expect(relay.status).toBe(403);
    await context.close();
  });
});
