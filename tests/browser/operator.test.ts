// Protects the operator console in a real browser: fleet filters and live rows, remote relay commands a meter obeys, adjustments, friendly hours settings, ledger sources, alert filters, and no console for customers.
import { ConstantLoadModel, VirtualMeter } from '@umeme/simulator';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { ADMIN, connectAsMeter, waitFor, type TestApp, type TestMeterCreds } from '../helpers/app';
import {
  artifactPath,
  DESKTOP,
  operatorContext,
  PHONE,
  signedInContext,
  startAppAndBrowser,
} from './browser-harness';

let t: TestApp;
let browser: Browser;
const meterClients: MqttClient[] = [];
const virtualMeters: VirtualMeter[] = [];

startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

// Runs before the app and browser close.
afterAll(async () => {
  await Promise.all(virtualMeters.map((m) => m.close().catch(() => {})));
  await Promise.all(meterClients.map((c) => c.endAsync().catch(() => {})));
});

const adminContext = (): Promise<BrowserContext> => operatorContext(browser, t);

const statusOf = async (meterNo: string) =>
  (await t.api<{ status: string }>('GET', `/api/meters/${meterNo}`, undefined, t.adminToken)).body.status;

/** A meter online over MQTT with a Last Will, so dropping its socket marks it offline. */
async function onlineWithWill(creds: TestMeterCreds): Promise<MqttClient> {
  const will = {
    topic: `smartmeter/${creds.meterNo}/status`,
    payload: Buffer.from(JSON.stringify({ meterNo: creds.meterNo, status: 'offline' })),
    qos: 1 as const,
    retain: true,
  };
  const client = await connectAsMeter(t.mqttUrl, creds, { will, keepalive: 2 });
  meterClients.push(client);
  await client.publishAsync(will.topic, JSON.stringify({ meterNo: creds.meterNo, status: 'online' }), {
    qos: 1,
    retain: true,
  });
  await waitFor(async () => (await statusOf(creds.meterNo)) === 'online', `${creds.meterNo} online`);
  return client;
}

async function virtualMeter(creds: TestMeterCreds): Promise<VirtualMeter> {
  const meter = new VirtualMeter({
    ...creds,
    url: t.mqttUrl,
    loadModel: new ConstantLoadModel(720),
    publishIntervalMs: 1000,
  });
  virtualMeters.push(meter);
  await meter.connect();
  await waitFor(() => meter.creditLimitMwh > 0, 'credit limit reaches the meter');
  for (let s = 0; s < 3; s++) meter.tick(1000);
  await waitFor(async () => (await statusOf(creds.meterNo)) !== 'never_seen', `${creds.meterNo} seen`);
  return meter;
}

const rowSelector = (meterNo: string) => `[data-testid="fleet-row"][data-meter="${meterNo}"]`;

async function shownMeters(page: Page): Promise<{ meterNo: string; online: string }[]> {
  return page.$$eval('[data-testid="fleet-row"]', (rows) =>
    rows.map((r) => ({
      meterNo: r.getAttribute('data-meter') ?? '',
      online: r.getAttribute('data-online') ?? '',
    })),
  );
}

describe('operator console in Chromium', () => {
  it('an admin lands on the fleet, sees meters go offline live, filters to offline meters and acknowledges an alert', async () => {
    const customer = await t.newCustomer();
    const dark = await Promise.all([
      t.newMeter({ openingCreditKwh: 12, userId: customer.id }),
      t.newMeter({ openingCreditKwh: 3 }),
    ]);
    const lit = await t.newMeter({ openingCreditKwh: 25, userId: customer.id });
    const darkClients = await Promise.all(dark.map(onlineWithWill));
    await virtualMeter(lit);

    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForURL('**/admin');
    await page.waitForSelector('[data-testid="fleet-table"][data-loaded="true"]');
    await page.waitForSelector('[data-testid="admin-live"][data-live="true"]');
    for (const m of [...dark, lit]) {
      expect(await page.getAttribute(rowSelector(m.meterNo), 'data-online')).toBe('true');
    }

    // The meters lose power: their Last Will marks them offline and the rows change without a reload.
    for (const c of darkClients) c.stream.destroy();
    for (const m of dark) {
      await page.waitForSelector(`${rowSelector(m.meterNo)}[data-online="false"]`, { timeout: 5000 });
    }
    await page.screenshot({ path: artifactPath('operator-fleet-1280.png') });

    await page.click('[data-testid="filter-offline"]');
    await page.waitForFunction(
      (expected) => {
        const rows = [...document.querySelectorAll('[data-testid="fleet-row"]')];
        return (
          rows.length > 0 &&
          rows.every((r) => r.getAttribute('data-online') === 'false') &&
          expected.every((m) => rows.some((r) => r.getAttribute('data-meter') === m))
        );
      },
      dark.map((m) => m.meterNo),
    );
    const offline = await shownMeters(page);
    expect(offline.map((r) => r.meterNo)).not.toContain(lit.meterNo);
    expect(await page.textContent('[data-testid="fleet-total"]')).toContain(`of ${offline.length}`);
    await page.screenshot({ path: artifactPath('operator-fleet-offline-1280.png') });
    await page.click('[data-testid="filter-all"]');

    // Search narrows to one meter.
    await page.fill('[data-testid="fleet-search"]', dark[0].meterNo);
    await page.waitForFunction((m) => {
      const rows = [...document.querySelectorAll('[data-testid="fleet-row"]')];
      return rows.length === 1 && rows[0]!.getAttribute('data-meter') === m;
    }, dark[0].meterNo);

    // Their connection-lost alerts can be acknowledged on the Alerts page.
    await waitFor(
      async () =>
        (
          await t.api<{ alerts: { meterNo: string }[] }>(
            'GET',
            `/api/admin/alerts?meterNo=${dark[0].meterNo}`,
            undefined,
            t.adminToken,
          )
        ).body.alerts.length > 0,
      'connection-lost alert',
    );
    await page.click('[data-testid="admin-tab-alerts"]');
    await page.waitForURL('**/admin/alerts');
    const alertRow = `[data-testid="alert-row"]:has(a:text-is("${dark[0].meterNo}"))`;
    await page.waitForSelector(alertRow);
    await page.click(`${alertRow} [data-testid="alert-ack"]`);
    await page.waitForSelector(`${alertRow}[data-acknowledged="true"]`);

    await page.setViewportSize(PHONE);
    await page.click('[data-testid="admin-tab-fleet"]');
    await page.waitForSelector('[data-testid="fleet-table"][data-loaded="true"]');
    await page.screenshot({ path: artifactPath('operator-fleet-390.png') });
    await page.setViewportSize(DESKTOP);

    await page.click('[data-testid="admin-tab-reports"]');
    await page.waitForSelector('[data-testid="report-totals"]');
    expect(await page.getAttribute('[data-testid="report-csv"]', 'href')).toContain('format=csv');
    await page.screenshot({ path: artifactPath('operator-reports-1280.png') });
    await context.close();
  });

  it('an admin disconnects a meter remotely, the meter obeys, and the command, audit and an adjustment show up', async () => {
    const customer = await t.newCustomer();
    const creds = await t.newMeter({ openingCreditKwh: 20, userId: customer.id });
    const meter = await virtualMeter(creds);
    expect(meter.relayClosed).toBe(true);

    const context = await adminContext();
    const page = await context.newPage();
    await page.goto('/admin');
    await page.click(`${rowSelector(creds.meterNo)} a`);
    await page.waitForURL(`**/admin/meters/${creds.meterNo}`);
    await page.waitForSelector('[data-testid="detail-relay"][data-relay="on"]');
    await page.waitForSelector('[data-testid="ledger-row"]');

    await page.click('[data-testid="relay-disconnect"]');
    await page.fill('[data-testid="reason-input"]', 'unsafe wiring reported on site');
    await page.click('[data-testid="reason-confirm"]');
    await waitFor(() => !meter.relayClosed, 'the meter opens its relay', 5000);
    // The server learns the relay state from the meter's next report.
    meter.tick(1000);
    await page.waitForSelector('[data-testid="detail-relay"][data-relay="off"]', { timeout: 5000 });
    await page.waitForSelector(
      '[data-testid="command-row"][data-action="disconnect"][data-status="acknowledged"]',
      { timeout: 8000 },
    );
    await page.waitForSelector('[data-testid="audit-row"][data-action="command.relay"]');
    expect(await page.textContent('[data-testid="audit-table"]')).toContain('unsafe wiring reported on site');

    const before = Number(await page.getAttribute('[data-testid="server-balance"]', 'data-kwh'));
    const adjustmentsBefore = await page.$$('[data-testid="ledger-row"][data-kind="adjustment"]');
    await page.fill('[data-testid="adjust-kwh"]', '2.5');
    // No reason, no adjustment.
    expect(await page.isDisabled('[data-testid="adjust-submit"]')).toBe(true);
    await page.fill('[data-testid="adjust-reason"]', 'outage compensation, ticket 42');
    await page.click('[data-testid="adjust-submit"]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="ledger-row"][data-kind="adjustment"]').length === n + 1,
      adjustmentsBefore.length,
    );
    expect(
      await page.getAttribute('[data-testid="ledger-row"][data-kind="adjustment"]', 'data-energy-kwh'),
    ).toBe('2.5');
    await page.waitForFunction((b) => {
      const v = Number(document.querySelector('[data-testid="server-balance"]')?.getAttribute('data-kwh'));
      return Math.abs(v - (b + 2.5)) < 1e-6;
    }, before);
    await page.waitForSelector('[data-testid="audit-row"][data-action="ledger.adjustment"]');

    // A configuration change goes out as a command with its reason.
    await page.click('[data-testid="config-form"] summary');
    await page.fill('[data-testid="config-form"] input[type="number"] >> nth=0', '15');
    await page.fill('[data-testid="config-form"] input:not([type])', 'shorter interval while investigating');
    await page.click('[data-testid="config-form"] button[type="submit"]');
    await page.waitForSelector('[data-testid="command-row"][data-kind="config"]', { timeout: 8000 });
    await page.click('[data-testid="config-form"] summary');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('operator-meter-1280.png') });
    await page.screenshot({ path: artifactPath('operator-meter-1280-full.png'), fullPage: true });
    await context.close();
  });

  it('an admin gives an emergency advance with a reason, sees each ledger source with its M-Pesa receipt, filters alerts by kind and meter, and changes friendly hours', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    await t.app.services.db.query(
      `INSERT INTO alerts (meter_no, kind, severity, message) VALUES
         ($1, 'tamper_relay', 'critical', 'tamper'), ($1, 'connection_lost', 'warning', 'lost')`,
      [m.meterNo],
    );
    const context = await adminContext();
    const page = await context.newPage();
    await page.goto(`/admin/meters/${m.meterNo}`);
    await page.waitForSelector('[data-testid="reporting-interval"]');

    // The advance needs a reason; then the ledger names it and who gave it.
    expect(await page.isDisabled('[data-testid="emergency-advance"]')).toBe(true);
    await page.fill('[data-testid="emergency-reason"]', 'customer phoned: medicine in the fridge');
    await page.click('[data-testid="emergency-advance"]');
    const advance = '[data-testid="ledger-source"][data-source="emergency"]';
    await page.waitForSelector(advance);
    expect(await page.textContent(advance)).toContain(ADMIN.email);
    expect(await page.textContent(advance)).toContain('medicine in the fridge');

    // An M-Pesa payment shows its receipt number and what it repaid.
    await t.app.services.credit.credit(SYSTEM, {
      meterNo: m.meterNo,
      amountCents: 10_000,
      source: 'mpesa_stk',
      type: 'payment',
      externalRef: 'MPESA-UI4RCPT7Q2',
    });
    await page.reload();
    const paid = '[data-testid="ledger-source"][data-source="mpesa_stk"]';
    await page.waitForSelector(paid);
    expect(await page.textContent(`${paid} [data-testid="ledger-receipt"]`)).toContain('UI4RCPT7Q2');
    expect(await page.textContent(paid)).toContain('KES 40.00');
    // No limit yet: "No limit" is ticked; unticking asks for watts.
    await page.click('[data-testid="config-form"] summary');
    expect(await page.isChecked('[data-testid="max-load-none"]')).toBe(true);
    await page.click('[data-testid="max-load-none"]');
    await page.fill('[data-testid="max-load-input"]', '2500');
    await page.screenshot({ path: artifactPath('operator-ledger-sources-1280.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: artifactPath('operator-ledger-sources-390.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);

    // Alerts filtered on the server by kind and meter.
    await page.click('[data-testid="admin-tab-alerts"]');
    await page.waitForSelector('[data-testid="alert-filters"]');
    await page.selectOption('[data-testid="alert-filter-kind"]', 'tamper_relay');
    await page.fill('[data-testid="alert-filter-meter"]', m.meterNo);
    await page.click('[data-testid="alert-filter-apply"]');
    await page.waitForFunction((meterNo) => {
      const rows = [...document.querySelectorAll('[data-testid="alert-row"]')];
      return (
        rows.length === 1 &&
        rows[0]!.getAttribute('data-kind') === 'tamper_relay' &&
        rows[0]!.textContent.includes(meterNo)
      );
    }, m.meterNo);
    await page.fill('[data-testid="alert-filter-meter"]', 'no spaces!');
    await page.click('[data-testid="alert-filter-apply"]');
    await page.waitForSelector('[data-testid="alert-filter-error"]');
    await page.screenshot({ path: artifactPath('operator-alert-filters-1280.png') });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: artifactPath('operator-alert-filters-390.png') });
    await page.setViewportSize(DESKTOP);

    // Friendly hours: a bad holiday is refused in words; a good change is saved and audited.
    await page.click('[data-testid="admin-tab-friendly-hours"]');
    await page.waitForSelector('[data-testid="friendly-hours-form"]');
    await page.fill('[data-testid="fh-night-start"]', '20:30');
    await page.fill('[data-testid="fh-holidays"]', '12-25\n13-45');
    await page.fill('[data-testid="fh-reason"]', 'longer evenings agreed with the county');
    await page.click('[data-testid="fh-save"]');
    await page.waitForSelector('[data-testid="fh-message"]:has-text("13-45")');
    await page.fill('[data-testid="fh-holidays"]', '12-25, 2026-12-12');
    await page.click('[data-testid="fh-save"]');
    await page.waitForSelector('[data-testid="fh-message"]:has-text("Saved")');
    type Settings = { schedule: { nightStart: string; holidays: string[]; enabled: boolean } };
    const saved = await t.api<Settings>('GET', '/api/admin/friendly-hours', undefined, t.adminToken);
    expect(saved.body.schedule).toMatchObject({
      nightStart: '20:30',
      holidays: ['12-25', '2026-12-12'],
      enabled: false,
    });
    const audit = await t.api<{ entries: { details: { reason?: string } }[] }>(
      'GET',
      '/api/admin/audit?action=friendly_hours.update',
      undefined,
      t.adminToken,
    );
    expect(audit.body.entries[0]?.details.reason).toBe('longer evenings agreed with the county');
    await page.screenshot({ path: artifactPath('operator-friendly-hours-1280.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: artifactPath('operator-friendly-hours-390.png'), fullPage: true });
    await context.close();
  });

  it('a customer gets the not-found page on /admin and never downloads the console', async () => {
    const customer = await t.newCustomer();
    const context = await signedInContext(browser, t, customer);
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(r.url());
    });
    await page.goto('/admin');
    await page.waitForSelector('[data-testid="not-found"]');
    await page.goto('/admin/meters/X1');
    await page.waitForSelector('[data-testid="not-found"]');
    expect(await page.$('[data-testid="admin-console"]')).toBeNull();
    expect(scripts.some((s) => /admin-console/.test(s))).toBe(false);
    expect((await t.api('GET', '/api/admin/meters', undefined, customer.token)).status).toBe(403);
    await context.close();
  });
});
