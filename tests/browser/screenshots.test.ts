// Protects the dashboard's layout at desktop and phone widths, and saves screenshots to test-artifacts/ for people to look at.
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsMeter, startTestApp, v2Report, type TestApp } from '../helpers/app';
import {
  artifactPath,
  DESKTOP,
  ensureWebBuilt,
  launchChromium,
  PHONE,
  signedInContext,
  waitForBalance,
  waitForLive,
} from './browser-harness';

/** Apple and Google both ask for about 44–48 CSS px; a little under still works with a thumb. */
const MIN_TAP_TARGET_PX = 40;
const NAIROBI = 'Africa/Nairobi';

let t: TestApp;
let browser: Browser;
let meterClient: MqttClient | null = null;

beforeAll(async () => {
  await ensureWebBuilt();
  [t, browser] = await Promise.all([startTestApp('pglite', { DEMO: true }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await meterClient?.endAsync().catch(() => {});
  await browser?.close();
  await t?.close();
});

/** A household-like day: low at night, peaks at breakfast and in the evening. Deterministic. */
function hourlyKwh(hourOfDay: number, day: number): number {
  const evening = hourOfDay >= 18 && hourOfDay <= 22 ? 0.45 : 0;
  const morning = hourOfDay >= 6 && hourOfDay <= 8 ? 0.3 : 0;
  const base = 0.06 + ((hourOfDay * 7 + day * 13) % 5) * 0.01;
  return Math.round((base + evening + morning) * 1e6) / 1e6;
}

/**
 * The usage chart reads the hourly rollups. A month of history cannot be reported in a test,
 * so the rollups are written directly: they are only what the chart draws, never the balance.
 */
async function seedUsageHistory(meterNo: string): Promise<void> {
  const hourMs = 3_600_000;
  const nowHourMs = Math.floor(Date.now() / hourMs) * hourMs;
  const rows: [string, number, number][] = [];
  for (let h = 1; h <= 30 * 24; h++) {
    const start = new Date(nowHourMs - h * hourMs);
    rows.push([
      start.toISOString(),
      Math.round(hourlyKwh((start.getUTCHours() + 3) % 24, Math.floor(h / 24)) * 1e6),
      0,
    ]);
  }
  await t.app.services.db.query(
    `INSERT INTO consumption_hourly (meter_no, hour, energy_mwh, max_power_w, reports)
     SELECT $1, h::timestamptz, e, 900, 12 FROM unnest($2::text[], $3::bigint[]) AS u(h, e)
     ON CONFLICT (meter_no, hour) DO NOTHING`,
    [meterNo, rows.map((r) => r[0]), rows.map((r) => r[1])],
  );
}

async function dashboardWithHistory() {
  const customer = await t.newCustomer();
  const creds = await t.newMeter({ openingCreditKwh: 20, userId: customer.id });
  for (const amount of [150, 300]) {
    await t.api('POST', '/daraja/simulate', { meter_no: creds.meterNo, amount }, customer.token);
  }
  await seedUsageHistory(creds.meterNo);
  meterClient = await connectAsMeter(t.mqttUrl, creds);
  await meterClient.publishAsync(
    `smartmeter/${creds.meterNo}/consumption`,
    v2Report(creds.meterNo, 1, 0.35),
    { qos: 1 },
  );
  return { customer, meterNo: creds.meterNo, balanceKwh: 20 + 7.5 + 15 - 0.35 };
}

async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate((minTapPx) => {
    const problems: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth + 1) problems.push(`page scrolls sideways: ${doc.scrollWidth}px`);
    for (const el of document.querySelectorAll<HTMLElement>('button, select, input, a.button')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.height < minTapPx)
        problems.push(`small tap target (${Math.round(r.height)}px): ${el.outerHTML.slice(0, 80)}`);
    }
    return problems;
  }, MIN_TAP_TARGET_PX);
}

describe('dashboard screenshots', () => {
  it('the dashboard fits a desktop and a phone screen, in English and Kiswahili', async () => {
    const { customer, meterNo, balanceKwh } = await dashboardWithHistory();
    const phone = {
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      timezoneId: NAIROBI,
    };
    const shots = [
      { name: 'dashboard-desktop.png', options: { viewport: DESKTOP, timezoneId: NAIROBI }, locale: 'en' },
      { name: 'dashboard-phone.png', options: phone, locale: 'en' },
      { name: 'dashboard-phone-sw.png', options: phone, locale: 'sw' },
    ] as const;
    for (const shot of shots) {
      const context = await signedInContext(browser, t, customer, shot.options);
      await context.addInitScript(
        (locale) => window.localStorage.setItem('umeme.locale', locale),
        shot.locale,
      );
      const page = await context.newPage();
      await page.goto(`/meters/${meterNo}`);
      await waitForBalance(page, balanceKwh);
      await waitForLive(page, true);
      await page.waitForSelector('[data-testid="usage-chart"]');
      await page.waitForSelector('[data-testid="transaction"]');
      expect(await page.getAttribute('[data-testid="relay"]', 'data-relay')).toBe('on');
      expect(await page.getAttribute('[data-testid="time-left"]', 'data-kind')).toBe('estimate');
      expect(await layoutProblems(page)).toEqual([]);
      await page.screenshot({ path: artifactPath(shot.name), fullPage: true, animations: 'disabled' });
      if (shot.name === 'dashboard-desktop.png') {
        await page.click('[data-testid="usage-day"]');
        await page.screenshot({
          path: artifactPath('dashboard-desktop-30-days.png'),
          animations: 'disabled',
        });
      }
      await context.close();
    }
  });

  it('the sign-in screen fits a phone', async () => {
    const context = await browser.newContext({
      baseURL: t.url,
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
    });
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForSelector('[data-testid="auth-submit"]');
    expect(await layoutProblems(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('sign-in-phone.png'), animations: 'disabled' });
    await context.close();
  });
});
