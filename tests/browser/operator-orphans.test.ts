// Protects the console's Payments page in a real browser: an unmatched M-Pesa payment assigned to a meter with a reason is credited once and audited, one dismissed credits nothing, and the list pages newest first.
import type { Browser, BrowserContext } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, type TestApp } from '../helpers/app';
import {
  ACCEPTED,
  callbackUrl,
  failureCallback,
  newReceipt,
  post,
  successCallback,
} from '../payments/helpers';
import {
  artifactPath,
  operatorContext,
  PHONE,
  serverBalanceKwh,
  startAppAndBrowser,
} from './browser-harness';

let t: TestApp;
let browser: Browser;

startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

const adminContext = (): Promise<BrowserContext> => operatorContext(browser, t);

interface Orphan {
  id: string;
  checkoutRequestId: string;
  receipt: string | null;
  state: string;
  meterNo: string | null;
}

interface AuditEntry {
  action: string;
  target: string;
  actorEmail: string | null;
  details: { reason?: string; meterNo?: string; amountCents?: number };
}

let orphanCounter = 0;
const newCheckoutRequestId = () => `ws_CO_UIORPHAN${Date.now()}${++orphanCounter}`;

async function orphanBy(checkoutRequestId: string): Promise<Orphan> {
  const res = await t.api<{ orphans: Orphan[] }>(
    'GET',
    '/api/admin/payments/orphans?status=all&limit=200',
    undefined,
    t.adminToken,
  );
  const found = res.body.orphans.find((o) => o.checkoutRequestId === checkoutRequestId);
  if (!found) throw new Error(`orphan ${checkoutRequestId} not listed`);
  return found;
}

/** Delivers a success callback for a push nobody made: M-Pesa took the money, no request matches. */
async function newOrphan(amountKes: number): Promise<Orphan> {
  const checkoutRequestId = newCheckoutRequestId();
  const res = await post(
    callbackUrl(t),
    successCallback({ checkoutRequestId, amountKes, receipt: newReceipt(), phone: 254712345678 }),
  );
  expect(res).toEqual({ status: 200, body: ACCEPTED });
  return orphanBy(checkoutRequestId);
}

async function newFailedOrphan(): Promise<Orphan> {
  const checkoutRequestId = newCheckoutRequestId();
  expect(await post(callbackUrl(t), failureCallback(checkoutRequestId, 1032))).toEqual({
    status: 200,
    body: ACCEPTED,
  });
  return orphanBy(checkoutRequestId);
}

async function auditOf(orphanId: string, action: string): Promise<AuditEntry[]> {
  const res = await t.api<{ entries: AuditEntry[] }>(
    'GET',
    `/api/admin/audit?target=${orphanId}&action=${action}`,
    undefined,
    t.adminToken,
  );
  expect(res.status).toBe(200);
  return res.body.entries;
}

const rowOf = (id: string) => `[data-testid="orphan-row"][data-orphan-id="${id}"]`;

describe('operator payments-to-review page in Chromium', () => {
  it('an admin assigns an unmatched M-Pesa payment to a meter with a reason: the balance rises once and the audit log has it', async () => {
    const meter = await t.newMeter({ openingCreditKwh: 1 });
    const orphan = await newOrphan(100);
    const before = await serverBalanceKwh(t, meter.meterNo, t.adminToken);
    const reason = 'customer called with the M-Pesa SMS';

    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin');
    await page.click('[data-testid="admin-tab-payments"]');
    await page.waitForURL('**/admin/payments');
    await page.waitForSelector('[data-testid="orphans-table"][data-loaded="true"]');
    const row = rowOf(orphan.id);
    await page.waitForSelector(`${row}[data-state="open"]`);
    // Newest first: the orphan just delivered heads the list.
    expect(await page.getAttribute('[data-testid="orphan-row"]', 'data-orphan-id')).toBe(orphan.id);
    const text = await page.textContent(row);
    expect(text).toContain(orphan.receipt);
    expect(text).toContain('KES 100.00');
    expect(text).toContain('254712345678');
    expect(text).toContain('processed successfully');

    await page.click(`${row} [data-testid="orphan-assign"]`);
    await page.fill('[data-testid="orphan-assign-meter"]', 'NOSUCH1');
    // No reason, no assignment.
    expect(await page.isDisabled('[data-testid="orphan-assign-submit"]')).toBe(true);
    await page.fill('[data-testid="orphan-assign-reason"]', reason);
    await page.click('[data-testid="orphan-assign-submit"]');
    // The API's own words for an unknown meter; nothing changes.
    await page.waitForSelector('[data-testid="orphan-assign-message"].form-error:text("Meter not found.")');
    expect((await orphanBy(orphan.checkoutRequestId)).state).toBe('open');

    await page.fill('[data-testid="orphan-assign-meter"]', meter.meterNo);
    await page.screenshot({ path: artifactPath('operator-orphans-assign-1280.png') });
    await page.click('[data-testid="orphan-assign-submit"]');
    await page.waitForSelector(`${row}[data-state="assigned"]`);
    expect(await page.getAttribute(`${row} [data-testid="orphan-meter-link"]`, 'href')).toBe(
      `/admin/meters/${meter.meterNo}`,
    );
    expect(await page.textContent(`${row} [data-testid="orphan-state"]`)).toContain(reason);
    expect(await page.textContent('[data-testid="orphans-notice"]')).toContain('+5.000 kWh');
    expect(await page.$('[data-testid="orphan-assign-form"]')).toBeNull();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('operator-orphans-1280.png') });

    // 100 KES at the flat 20 KES/kWh tariff.
    expect(await serverBalanceKwh(t, meter.meterNo, t.adminToken)).toBeCloseTo(before + 5, 6);
    expect(await orphanBy(orphan.checkoutRequestId)).toMatchObject({
      state: 'assigned',
      meterNo: meter.meterNo,
    });
    const audit = await auditOf(orphan.id, 'payment.orphan_assigned');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorEmail: ADMIN.email,
      details: { reason, meterNo: meter.meterNo, amountCents: 10_000 },
    });

    // The link opens the meter, whose ledger has the purchase.
    await page.click(`${row} [data-testid="orphan-meter-link"]`);
    await page.waitForURL(`**/admin/meters/${meter.meterNo}`);
    await page.waitForSelector('[data-testid="ledger-row"][data-kind="purchase"]');
    await context.close();
  });

  it('an admin dismisses an orphan with a reason; a failed one can only be dismissed; a decision taken elsewhere is reported', async () => {
    const failed = await newFailedOrphan();
    const taken = await newOrphan(20);
    const orphan = await newOrphan(50);
    const reason = 'test payment by the bank, refunded';

    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin/payments');
    await page.waitForSelector(`${rowOf(orphan.id)}[data-state="open"]`);

    // A failure carries no money: no assignment offered.
    await page.waitForSelector(`${rowOf(failed.id)}[data-state="open"]`);
    expect(await page.$(`${rowOf(failed.id)} [data-testid="orphan-assign"]`)).toBeNull();
    expect(await page.textContent(rowOf(failed.id))).toContain('nothing to credit');
    expect(await page.textContent(rowOf(failed.id))).toContain('1032');

    await page.click(`${rowOf(orphan.id)} [data-testid="orphan-dismiss"]`);
    expect(await page.isDisabled('[data-testid="orphan-dismiss-submit"]')).toBe(true);
    await page.fill('[data-testid="orphan-dismiss-reason"]', reason);
    await page.click('[data-testid="orphan-dismiss-submit"]');
    await page.waitForSelector(`${rowOf(orphan.id)}[data-state="dismissed"]`);
    expect(await page.$(`${rowOf(orphan.id)} [data-testid="orphan-meter-link"]`)).toBeNull();
    expect(await orphanBy(orphan.checkoutRequestId)).toMatchObject({ state: 'dismissed', meterNo: null });
    const audit = await auditOf(orphan.id, 'payment.orphan_dismissed');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorEmail: ADMIN.email, details: { reason } });
    const { rows } = await t.app.services.db.query(`SELECT 1 FROM transactions WHERE external_ref = $1`, [
      `MPESA-${orphan.receipt}`,
    ]);
    expect(rows).toHaveLength(0);

    // Another operator dismisses one while this page has its form open: the API's answer shows.
    await page.click(`${rowOf(taken.id)} [data-testid="orphan-dismiss"]`);
    await page.fill('[data-testid="orphan-dismiss-reason"]', 'duplicate');
    const elsewhere = await t.api(
      'POST',
      `/api/admin/payments/orphans/${taken.id}/dismiss`,
      { reason: 'dismissed by a colleague' },
      t.adminToken,
    );
    expect(elsewhere.status).toBe(200);
    await page.click('[data-testid="orphan-dismiss-submit"]');
    await page.waitForSelector('[data-testid="orphan-dismiss-message"].form-error:text("already dismissed")');
    expect(await auditOf(taken.id, 'payment.orphan_dismissed')).toHaveLength(1);

    // The Dismissed filter lists it, and only dismissed ones.
    await page.click('[data-testid="orphans-status-dismissed"]');
    await page.waitForSelector(`${rowOf(orphan.id)}[data-state="dismissed"]`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="orphan-row"]')].every(
        (r) => r.getAttribute('data-state') === 'dismissed',
      ),
    );
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: artifactPath('operator-orphans-390.png') });
    await context.close();
  });

  it('a new payment to review appears live on top, with the count on the Payments tab, which falls when another operator decides it', async () => {
    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin/payments');
    await page.waitForSelector('[data-testid="orphans-table"][data-loaded="true"]');
    const badge = async (): Promise<number> => {
      const el = await page.$('[data-testid="orphans-count"]');
      return el ? Number((await el.textContent())?.replace('+', '')) : 0;
    };
    const openNow = async (): Promise<number> =>
      (
        await t.api<{ orphans: unknown[] }>(
          'GET',
          '/api/admin/payments/orphans?status=open&limit=200',
          undefined,
          t.adminToken,
        )
      ).body.orphans.length;
    await page.waitForFunction(
      (n) => {
        const el = document.querySelector('[data-testid="orphans-count"]');
        return (el ? Number(el.textContent?.replace('+', '')) : 0) === n;
      },
      await openNow(),
    );
    const before = await badge();

    const orphan = await newOrphan(75); // no reload from here on
    await page.waitForSelector(`${rowOf(orphan.id)}[data-state="open"]`);
    expect(await page.getAttribute('[data-testid="orphan-row"]', 'data-orphan-id')).toBe(orphan.id);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="orphans-count"]')?.textContent === String(n),
      before + 1,
    );

    const res = await t.api(
      'POST',
      `/api/admin/payments/orphans/${orphan.id}/dismiss`,
      { reason: 'duplicate of a cash payment' },
      t.adminToken,
    );
    expect(res.status).toBe(200);
    await page.waitForFunction((n) => {
      const el = document.querySelector('[data-testid="orphans-count"]');
      return (el ? Number(el.textContent?.replace('+', '')) : 0) === n;
    }, before);
    await context.close();
  });

  it('the list pages newest first with Load more', async () => {
    const first = await newOrphan(10);
    for (let i = 0; i < 50; i++) await newOrphan(10);
    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin/payments');
    await page.waitForSelector('[data-testid="orphans-table"][data-loaded="true"]');
    await page.waitForSelector('[data-testid="orphans-load-more"]');
    const ids = await page.$$eval('[data-testid="orphan-row"]', (trs) =>
      trs.map((r) => Number(r.getAttribute('data-orphan-id'))),
    );
    expect(ids).toHaveLength(50);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(ids).not.toContain(Number(first.id));
    await page.click('[data-testid="orphans-load-more"]');
    await page.waitForSelector(rowOf(first.id));
    const all = await page.$$eval('[data-testid="orphan-row"]', (trs) =>
      trs.map((r) => Number(r.getAttribute('data-orphan-id'))),
    );
    expect(all.length).toBeGreaterThan(50);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    await context.close();
  });
});
