// Protects the predictive low-balance notice (issue 5 §6): opened once from the recent rate with a socket notification to the owner, kept through a small purchase (hysteresis), closed by a big one or at zero balance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import {
  connectAsMeter,
  meterState,
  startTestApp,
  v2Report,
  waitFor,
  type TestApp,
  type TestMeterCreds,
} from '../helpers/app';
import { openReadySocket, type RecordingClient } from '../helpers/sockets';

const HOUR_MS = 3_600_000;

let t: TestApp;
const sockets: RecordingClient[] = [];
beforeAll(async () => {
  // The sweep is driven by the test, at instants it chooses.
  t = await startTestApp('pglite', { LOW_BALANCE_FORECAST_INTERVAL_S: 86_400 });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await t?.close();
});

async function report(creds: TestMeterCreds, seq: number, energyKwh: number) {
  const client = await connectAsMeter(t.mqttUrl, creds);
  await client.publishAsync(
    `smartmeter/${creds.meterNo}/consumption`,
    v2Report(creds.meterNo, seq, energyKwh),
    {
      qos: 1,
    },
  );
  await client.endAsync();
  await waitFor(
    async () => (await meterState(t, creds.meterNo)).energy_mwh === Math.round(energyKwh * 1e6),
    'report applied',
  );
}

const openKinds = async (meterNo: string) => {
  const { rows } = await t.app.services.db.query<{ kind: string }>(
    `SELECT kind FROM alerts WHERE meter_no = $1 AND closed_at IS NULL ORDER BY kind`,
    [meterNo],
  );
  return rows.map((r) => r.kind);
};

const credit = (meterNo: string, amountCents: number, ref: string) =>
  t.app.services.credit.credit(SYSTEM, {
    meterNo,
    amountCents,
    source: 'simulate',
    type: 'simulate',
    externalRef: ref,
  });

describe('predicted low balance', () => {
  it('tells the owner once, keeps the notice through a small purchase, and closes it after a big one', async () => {
    const owner = await t.newCustomer();
    const other = await t.newCustomer();
    const m = await t.newMeter({ openingCreditKwh: 10, userId: owner.id });
    const mine = await openReadySocket(t.url, owner.token);
    const theirs = await openReadySocket(t.url, other.token);
    sockets.push(mine, theirs);

    // 4 kWh used in the last two hours: 2 kWh/h, 6 kWh left → about 3 hours. The sweep's
    // instant is taken before the report, so the report's hour is always inside its window.
    const at = Date.now() + 2 * HOUR_MS;
    await report(m, 1, 4);
    const sweep = (ms = at) => t.app.services.operator.forecast.sweep(ms);
    expect(await sweep()).toEqual({ opened: 1, closed: 0 });
    const note = await waitFor(
      () => mine.of('notification').find((n) => n.kind === 'predicted_low'),
      'predicted_low notification',
    );
    expect(note).toMatchObject({
      meterNo: m.meterNo,
      type: 'warning',
      hoursLeft: 3,
      message: 'About 3 hours of credit left at your current use.',
    });
    expect(await openKinds(m.meterNo)).toContain('predicted_low');

    // Once: the next sweep finds it open and opens nothing.
    expect(await sweep()).toEqual({ opened: 0, closed: 0 });
    const alerts = await t.api<{ alerts: { kind: string; meterNo: string }[] }>(
      'GET',
      `/api/admin/alerts?meterNo=${m.meterNo}`,
      undefined,
      t.adminToken,
    );
    expect(alerts.body.alerts.filter((a) => a.kind === 'predicted_low')).toHaveLength(1);

    // KES 100 → 11 kWh left, about 5.5 hours: below threshold × 1.5, so it stays.
    await credit(m.meterNo, 10_000, `PL-${m.meterNo}-1`);
    expect(await sweep()).toEqual({ opened: 0, closed: 0 });
    // KES 200 more → 21 kWh left, about 10.5 hours: closed.
    await credit(m.meterNo, 20_000, `PL-${m.meterNo}-2`);
    expect(await sweep()).toEqual({ opened: 0, closed: 1 });
    expect(await openKinds(m.meterNo)).not.toContain('predicted_low');

    expect(mine.of('notification').filter((n) => n.kind === 'predicted_low')).toHaveLength(1);
    expect(theirs.of('notification').some((n) => n.meterNo === m.meterNo)).toBe(false);
  });

  it('a meter using nothing, or with hours of credit to spare, gets no notice', async () => {
    const idle = await t.newMeter({ openingCreditKwh: 1 });
    const light = await t.newMeter({ openingCreditKwh: 20 });
    const at = Date.now() + 2 * HOUR_MS;
    await report(light, 1, 2); // 1 kWh/h, 18 kWh left
    await t.app.services.operator.forecast.sweep(at);
    expect(await openKinds(idle.meterNo)).not.toContain('predicted_low');
    expect(await openKinds(light.meterNo)).not.toContain('predicted_low');
  });

  it('at zero balance the notice closes and the zero-balance alert takes over', async () => {
    const m = await t.newMeter({ openingCreditKwh: 5 });
    const at = Date.now() + 2 * HOUR_MS;
    await report(m, 1, 4.5); // 2.25 kWh/h, 0.5 kWh left → about 13 minutes
    expect((await t.app.services.operator.forecast.sweep(at)).opened).toBe(1);
    await report(m, 2, 5.2);
    expect(await t.app.services.operator.forecast.sweep(at)).toEqual({ opened: 0, closed: 1 });
    expect(await openKinds(m.meterNo)).toEqual(['zero_balance']);
  });
});
