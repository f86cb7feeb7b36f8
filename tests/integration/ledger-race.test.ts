// Protects the ledger under concurrency: credits racing duplicated and reordered reports (docs/design.md §3 invariants 1–3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import {
  connectAsMeter,
  databases,
  meterState,
  startTestApp,
  v2Report,
  waitFor,
  type TestApp,
} from '../helpers/app';

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(databases)('ledger race on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('hundreds of credits interleaved with concurrent, duplicated and reordered reports from many meters balance to the mWh and cent', async () => {
    const seed = Number(process.env.RACE_SEED ?? Date.now() % 1_000_000);
    const rand = mulberry32(seed);
    const meterCount = 20;
    const reportsPerMeter = 60;
    const meters = await Promise.all(
      Array.from({ length: meterCount }, (_, i) =>
        t.newMeter({ openingCreditKwh: 1, initialRegisterKwh: i * 10 }),
      ),
    );
    const clients = await Promise.all(meters.map((m) => connectAsMeter(t.mqttUrl, m)));

    // Each meter's register path; the last value is the truth.
    const paths = meters.map((_, i) => {
      let e = i * 10 * 1_000_000;
      return Array.from({ length: reportsPerMeter }, (_, k) => {
        e += 1 + Math.floor(rand() * 50_000);
        return { seq: k + 1, mwh: e };
      });
    });

    const credits = Array.from({ length: 400 }, (_, k) => ({
      meter: Math.floor(rand() * meterCount),
      amountCents: 100 * (1 + Math.floor(rand() * 500)),
      ref: `RACE-${seed}-${k}`,
    }));
    // a tenth of the credits are delivered twice
    const creditCalls = [...credits, ...credits.filter((_, k) => k % 10 === 0)].sort(() => rand() - 0.5);

    const publishMeter = async (i: number) => {
      const sends = paths[i]!.flatMap((r) => (rand() < 0.3 ? [r, r] : [r]));
      for (let k = 0; k + 1 < sends.length; k++) {
        if (rand() < 0.2) [sends[k], sends[k + 1]] = [sends[k + 1]!, sends[k]!];
      }
      const m = meters[i]!;
      await Promise.all(
        sends.map((r) =>
          clients[i]!.publishAsync(
            `smartmeter/${m.meterNo}/consumption`,
            v2Report(m.meterNo, r.seq, r.mwh / 1e6),
            {
              qos: 1,
            },
          ),
        ),
      );
    };
    const creditAll = async () => {
      await Promise.all(
        creditCalls.map((c) =>
          t.app.services.credit.credit(SYSTEM, {
            meterNo: meters[c.meter]!.meterNo,
            amountCents: c.amountCents,
            source: 'simulate',
            type: 'simulate',
            externalRef: c.ref,
          }),
        ),
      );
    };
    await Promise.all([creditAll(), ...meters.map((_, i) => publishMeter(i))]);

    for (let i = 0; i < meterCount; i++) {
      const m = meters[i]!;
      const last = paths[i]![reportsPerMeter - 1]!.mwh;
      await waitFor(
        async () => (await meterState(t, m.meterNo)).energy_mwh === last,
        `meter ${i} register (seed ${seed})`,
        20_000,
      );
      const s = await meterState(t, m.meterNo);
      const boughtCents = credits.filter((c) => c.meter === i).reduce((sum, c) => sum + c.amountCents, 0);
      // 20 KES/kWh: 1 cent buys 500 mWh
      expect(s.credit_limit_mwh, `seed ${seed}`).toBe(s.e0_mwh + 1_000_000 + boughtCents * 500);
      expect(s.e0_mwh + s.ledger_mwh, `seed ${seed}`).toBe(s.credit_limit_mwh);
      const money = await t.app.services.db.query<{ cents: number; n: number }>(
        `SELECT COALESCE(SUM(amount_cents),0)::bigint AS cents, COUNT(*)::bigint AS n FROM transactions WHERE meter_no = $1 AND type = 'simulate'`,
        [m.meterNo],
      );
      expect(money.rows[0]!.cents, `seed ${seed}`).toBe(boughtCents);
      const hourly = await t.app.services.db.query<{ e: number }>(
        'SELECT COALESCE(SUM(energy_mwh),0)::bigint AS e FROM consumption_hourly WHERE meter_no = $1',
        [m.meterNo],
      );
      expect(hourly.rows[0]!.e, `seed ${seed}`).toBe(last - s.e0_mwh);
      const readings = await t.app.services.db.query<{ n: number }>(
        'SELECT COUNT(*)::bigint AS n FROM readings WHERE meter_no = $1',
        [m.meterNo],
      );
      expect(readings.rows[0]!.n, `seed ${seed}`).toBe(reportsPerMeter);
    }
    await Promise.all(clients.map((c) => c.endAsync()));
  });
});
