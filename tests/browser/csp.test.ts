/// <reference lib="dom" />
// Protects SEC-11 in a real browser: the built dashboard and operator console run under the server's Content-Security-Policy without a single violation.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import type { TestApp } from '../helpers/app';
import { operatorContext, startAppAndBrowser, waitForBalance, waitForLive } from './browser-harness';

let t: TestApp;
let browser: Browser;
startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

interface Recorder {
  violations: string[];
}

/**
 * Records every CSP violation in a context: `securitypolicyviolation` events in every document
 * (frames included) and the console messages Chromium prints for a blocked load.
 */
async function recordViolations(context: BrowserContext): Promise<Recorder> {
  const recorder: Recorder = { violations: [] };
  await context.exposeBinding('__cspViolation', (_source, text: string) => {
    recorder.violations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __cspViolation: (text: string) => void }).__cspViolation;
      void report(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI}`);
    });
  });
  context.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) recorder.violations.push(msg.text());
  });
  return recorder;
}

const settle = (page: Page) => page.waitForLoadState('networkidle');

describe('Content-Security-Policy in Chromium', () => {
  it('a customer signs in, watches the live balance and opens a receipt without a CSP violation', async () => {
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 10, userId: customer.id });
    await t.app.services.credit.credit(SYSTEM, {
      meterNo,
      amountCents: 10_000,
      source: 'mpesa_c2b',
      type: 'paybill',
      externalRef: `CSP-${meterNo}`,
    });
    const context = await browser.newContext({ baseURL: t.url });
    const recorder = await recordViolations(context);
    const page = await context.newPage();
    const response = await page.goto('/');
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('input[name="email"]', customer.email);
    await page.fill('input[name="password"]', customer.password);
    await page.click('[data-testid="auth-submit"]');
    await page.waitForURL(`**/meters/${meterNo}`);
    await waitForLive(page, true);
    await page.waitForSelector('[data-testid="balance"]');
    const shown = Number(await page.getAttribute('[data-testid="balance"]', 'data-balance-kwh'));
    await waitForBalance(page, shown);
    // A purchase's receipt: the dialog, then its print frame (the receipt page, same origin).
    await page.click('[data-testid="transaction-open"]');
    await page.waitForSelector('[data-testid="receipt"]');
    await page.evaluate(() => {
      window.print = () => {};
    });
    await page.click('[data-testid="receipt-print"]');
    await page.waitForSelector('iframe', { state: 'attached' });
    const printFrame = page.frames().find((f) => f !== page.mainFrame());
    await printFrame?.waitForLoadState('load');
    // The receipt page's own style block applies (allowed by its hash): the body is narrow.
    expect(await printFrame?.evaluate(() => getComputedStyle(document.body).maxWidth)).toBe('420px');
    expect(recorder.violations).toEqual([]);
    await context.close();
  });

  it('the operator console (fleet, a meter with its relay buttons, alerts, payments, users, reports, audit) runs without a CSP violation', async () => {
    const customer = await t.newCustomer();
    const { meterNo } = await t.newMeter({ openingCreditKwh: 5, userId: customer.id });
    const context = await operatorContext(browser, t);
    const recorder = await recordViolations(context);
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForURL('**/admin');
    await page.waitForSelector('[data-testid="fleet-table"][data-loaded="true"]');
    await page.waitForSelector('[data-testid="admin-live"][data-live="true"]');
    await page.goto(`/admin/meters/${meterNo}`);
    await page.waitForSelector('[data-testid="meter-detail"]');
    await page.waitForSelector('[data-testid="remote-control"]');
    await settle(page);
    for (const path of [
      '/admin/alerts',
      '/admin/payments',
      '/admin/users',
      '/admin/reports',
      '/admin/audit',
    ]) {
      await page.goto(path);
      await settle(page);
    }
    expect(recorder.violations).toEqual([]);
    await context.close();
  });

  it('the API viewer at /docs shows the routes from /openapi.json without sign-in and without a CSP violation', async () => {
    const context = await browser.newContext({ baseURL: t.url });
    const recorder = await recordViolations(context);
    const page = await context.newPage();
    const response = await page.goto('/docs');
    const csp = response?.headers()['content-security-policy'] ?? '';
    // Only Swagger UI's own style element is let in: scripts stay this origin's files.
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).toContain("style-src 'self' 'unsafe-inline';");
    // Swagger UI rendered the document: the title and an operation of this server's routes.
    await page.waitForSelector('.swagger-ui .info .title');
    expect(await page.textContent('.swagger-ui .info .title')).toContain('Umeme API');
    await page.waitForSelector('.opblock-summary-path[data-path="/api/me"]');
    await settle(page);
    expect(recorder.violations).toEqual([]);
    await context.close();
  });

  it('the page cannot be framed by another origin', async () => {
    const context = await browser.newContext();
    const recorder = await recordViolations(context);
    const page = await context.newPage();
    await page.setContent(`<iframe src="${t.url}/" width="400" height="300"></iframe>`);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // The framed load is refused: Chromium reports it on the console and leaves the frame empty.
    await expect
      .poll(() => recorder.violations.some((v) => /frame-ancestors|X-Frame-Options/i.test(v)))
      .toBe(true);
    expect(await frame?.evaluate(() => document.querySelector('#root')).catch(() => null)).toBeFalsy();
    await context.close();
  });
});
