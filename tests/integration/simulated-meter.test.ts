// Protects the end-to-end credit loop with a simulated meter: consume to the limit, go dark, come back on payment (docs/design.md §3 invariant 4).
import { ConstantLoadModel, VirtualMeter } from '@umeme/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { meterState, startTestApp, waitFor, type TestApp } from '../helpers/app';

/** At 3600 W the register gains exactly 1000 mWh per simulated second. */
const LOAD_W = 3_600;

describe('a simulated meter against the real server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const credit = (meterNo: string, amountCents: number, ref: string) =>
    t.app.services.credit.credit(SYSTEM, {
      meterNo,
      amountCents,
      source: 'simulate',
      type: 'simulate',
      externalRef: ref,
    });

  it('consumes down to its limit, opens the relay, and closes it when a payment lands; server E equals the register', async () => {
    const creds = await t.newMeter({ openingCreditKwh: 0.01 }); // 10,000 mWh
    const meter = new VirtualMeter({
      ...creds,
      url: t.mqttUrl,
      loadModel: new ConstantLoadModel(LOAD_W),
      publishIntervalMs: 1000,
    });
    try {
      await meter.connect();
      await waitFor(() => meter.creditLimitMwh === 10_000, 'opening credit limit reaches the meter');
      expect(meter.relayClosed).toBe(true);
      for (let s = 0; s < 15; s++) meter.tick(1000);
      expect(meter.relayClosed).toBe(false);
      expect(meter.energyMwh).toBe(10_000);
      await waitFor(
        async () => (await meterState(t, creds.meterNo)).energy_mwh === 10_000,
        'server register',
      );
      // KES 1 buys 50,000 mWh at the default tariff
      await credit(creds.meterNo, 100, `SIM-${creds.meterNo}-1`);
      await waitFor(() => meter.relayClosed, 'relay closes after the payment', 3000);
      expect(meter.creditLimitMwh).toBe(60_000);
    } finally {
      await meter.close();
    }
  });

  it('a meter that was offline through a credit gets the credit limit on reconnect and closes its relay', async () => {
    const creds = await t.newMeter({ openingCreditKwh: 0 });
    const meter = new VirtualMeter({
      ...creds,
      url: t.mqttUrl,
      loadModel: new ConstantLoadModel(LOAD_W),
      publishIntervalMs: 1000,
    });
    try {
      await meter.connect();
      await new Promise((r) => setTimeout(r, 200));
      expect(meter.relayClosed).toBe(false);
      await meter.crash();
      await credit(creds.meterNo, 200, `SIM-${creds.meterNo}-2`);
      await credit(creds.meterNo, 300, `SIM-${creds.meterNo}-3`);
      await meter.restart();
      await waitFor(() => meter.relayClosed, 'relay closes after reconnect', 5000);
      expect(meter.creditLimitMwh).toBe(250_000);
      const s = await meterState(t, creds.meterNo);
      expect(s.credit_limit_mwh).toBe(250_000);
    } finally {
      await meter.close();
    }
  });
});
