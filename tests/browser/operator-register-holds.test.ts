// Protects the console's held register jumps in a real browser (MQ-13): the jump shows on the alerts page and the meter page, and a reset of the register epoch with a reason re-bases without a debit.
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { connectAsMeter, meterState, v2Report, waitFor, type TestApp } from '../helpers/app';
import { operatorContext, startAppAndBrowser } from './browser-harness';

let t: TestApp;
let browser: Browser;

startAppAndBrowser((app, b) => {
  [t, browser] = [app, b];
});

describe('held register jumps in Chromium', () => {
  it('an admin sees a held jump on the alerts page, and resets the register epoch on the meter page with a reason', async () => {
    const creds = await t.newMeter({ openingCreditKwh: 10 });
    const meter = await connectAsMeter(t.mqttUrl, creds);
    for (const [seq, kwh] of [
      [1, 1],
      [2, 40_000],
    ] as const) {
      await meter.publishAsync(`smartmeter/${creds.meterNo}/consumption`, v2Report(creds.meterNo, seq, kwh), {
        qos: 1,
      });
    }
    await waitFor(async () => {
      const { rows } = await t.app.services.db.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM register_holds WHERE meter_no = $1`,
        [creds.meterNo],
      );
      return rows[0]!.n === 1;
    }, 'the jump held');

    const context = await operatorContext(browser, t);
    const page = await context.newPage();
    await page.goto('/admin/alerts');
    const onAlerts = `[data-testid="register-hold"][data-meter="${creds.meterNo}"]`;
    await page.waitForSelector(onAlerts);
    expect(await page.textContent(`${onAlerts} [data-testid="hold-held-kwh"]`)).toContain('40,000.000');

    await page.goto(`/admin/meters/${creds.meterNo}`);
    const card = '[data-testid="meter-detail"] [data-testid="register-hold"][data-status="held"]';
    await page.waitForSelector(card);
    await page.click(`${card} [data-testid="hold-reset_epoch"]`);
    // No reason, no decision.
    expect(await page.isDisabled(`${card} [data-testid="hold-confirm"]`)).toBe(true);
    await page.fill(`${card} [data-testid="hold-reason"]`, 'meter replaced on site');
    await page.click(`${card} [data-testid="hold-confirm"]`);
    // The page reloads the detail: the hold is decided and its card goes.
    await page.waitForSelector(card, { state: 'detached' });

    const s = await meterState(t, creds.meterNo);
    expect(s.energy_mwh).toBe(40_000_000_000);
    expect(s.credit_limit_mwh - s.energy_mwh).toBe(9_000_000);
    expect(s.credit_limit_mwh).toBe(s.e0_mwh + s.ledger_mwh);
    await context.close();
    await meter.endAsync();
  });
});
