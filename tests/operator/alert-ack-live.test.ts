// An operator's acknowledgement reaches every open console live, and never a customer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsMeter, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { openSocket } from '../helpers/sockets';

describe('alert acknowledgement, live', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every admin socket gets an alert_acknowledged notification; the owner does not', async () => {
    const owner = await t.newCustomer();
    const m = await t.newMeter({ openingCreditKwh: 1, userId: owner.id });
    const meter = await connectAsMeter(t.mqttUrl, m);
    // Consume past the limit: a zero-balance alert opens.
    await meter.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 1, 2), { qos: 1 });
    const alertId = await waitFor(async () => {
      const r = await t.api<{ alerts: { id: number; kind: string }[] }>(
        'GET',
        `/api/admin/alerts?meterNo=${m.meterNo}`,
        undefined,
        t.adminToken,
      );
      return r.body.alerts.find((a) => a.kind === 'zero_balance')?.id ?? null;
    }, 'zero-balance alert');
    const consoleA = openSocket(t.url, t.adminToken);
    const consoleB = openSocket(t.url, t.adminToken);
    const customer = openSocket(t.url, owner.token);
    try {
      for (const s of [consoleA, consoleB, customer]) {
        await waitFor(() => s.of('balance_initial').length > 0, 'socket ready');
      }
      const ack = await t.api('POST', `/api/admin/alerts/${alertId}/ack`, undefined, t.adminToken);
      expect(ack.status).toBe(200);
      const acked = (s: typeof consoleA) =>
        s.of('notification').filter((n) => n.kind === 'alert_acknowledged' && n.meterNo === m.meterNo);
      await waitFor(() => acked(consoleA).length === 1 && acked(consoleB).length === 1, 'both consoles told');
      expect(acked(consoleA)[0]).toMatchObject({ type: 'info', meterNo: m.meterNo });
      // The customer's socket saw the zero-balance notice, never the operators' acknowledgement.
      await new Promise((r) => setTimeout(r, 200));
      expect(acked(customer)).toHaveLength(0);
    } finally {
      for (const s of [consoleA, consoleB, customer]) s.close();
      await meter.endAsync();
    }
  });
});
