// Protects ingest against redelivery, dead connections, legacy firmware and hostile payloads (MQ-3, MQ-6, MQ-10).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsMeter, meterState, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';

async function rejectedTotal(t: TestApp): Promise<number> {
  const m = await t.app.metrics.mqttRejected.get();
  return m.values.reduce((s, v) => s + v.value, 0);
}

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

describe('ingest resilience', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('MQ-3: a report committed but not acknowledged before the server drops its connection is redelivered and applied once', async () => {
    const m = await t.newMeter({ openingCreditKwh: 10 });
    const ingest = t.app.services.ingest;
    const original = ingest.applyConsumptionReports.bind(ingest);
    let dropped = 0;
    ingest.applyConsumptionReports = async (items) => {
      await original(items);
      if (dropped === 0 && items.some((i) => i.meterNo === m.meterNo)) {
        dropped++;
        // committed, PUBACK not yet sent: the connection dies now
        t.app.mqtt.client.stream.destroy();
      }
    };
    const seen: number[] = [];
    const onBatch = (e: { meterNo: string; energyMwh: number }) => {
      if (e.meterNo === m.meterNo) seen.push(e.energyMwh);
    };
    t.app.bus.on('meter_changed', onBatch);
    try {
      const meter = await connectAsMeter(t.mqttUrl, m);
      await meter.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 1, 1.5), {
        qos: 1,
      });
      // the redelivery arrives after the server's client reconnects with its persistent session
      await waitFor(() => seen.length >= 2, 'redelivered report', 15_000);
      const s = await meterState(t, m.meterNo);
      expect(s.energy_mwh).toBe(1_500_000);
      expect(s.credit_limit_mwh - s.energy_mwh).toBe(8_500_000);
      const readings = await t.app.services.db.query<{ n: number }>(
        'SELECT COUNT(*)::bigint AS n FROM readings WHERE meter_no = $1',
        [m.meterNo],
      );
      expect(readings.rows[0]!.n).toBe(1);
      await meter.endAsync();
    } finally {
      ingest.applyConsumptionReports = original;
      t.app.bus.off('meter_changed', onBatch);
    }
  });

  it('MQ-3: a report whose batch failed to commit is redelivered after reconnect and applied once', async () => {
    const m = await t.newMeter({ openingCreditKwh: 10 });
    const ingest = t.app.services.ingest;
    const original = ingest.applyConsumptionReports.bind(ingest);
    let failed = 0;
    ingest.applyConsumptionReports = async (items) => {
      if (failed === 0 && items.some((i) => i.meterNo === m.meterNo)) {
        failed++;
        setTimeout(() => t.app.mqtt.client.stream.destroy(), 10);
        throw new Error('injected database failure');
      }
      await original(items);
    };
    try {
      const meter = await connectAsMeter(t.mqttUrl, m);
      await meter.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 1, 2), { qos: 1 });
      await waitFor(
        async () => (await meterState(t, m.meterNo)).energy_mwh === 2_000_000,
        'applied after redelivery',
        15_000,
      );
      expect(failed).toBe(1);
      await meter.endAsync();
    } finally {
      ingest.applyConsumptionReports = original;
    }
  });

  it('MQ-6: a meter whose TCP connection is killed is marked offline and a connection-lost alert opens', async () => {
    const m = await t.newMeter({ openingCreditKwh: 10 });
    const will = {
      topic: `smartmeter/${m.meterNo}/status`,
      payload: Buffer.from(JSON.stringify({ meterNo: m.meterNo, status: 'offline' })),
      qos: 1 as const,
      retain: true,
    };
    const meter = await connectAsMeter(t.mqttUrl, m, { will, keepalive: 2 });
    await meter.publishAsync(will.topic, JSON.stringify({ meterNo: m.meterNo, status: 'online' }), {
      qos: 1,
      retain: true,
    });
    await waitFor(
      async () =>
        (await t.api<{ status: string }>('GET', `/api/meters/${m.meterNo}`, undefined, t.adminToken)).body
          .status === 'online',
      'online',
    );
    meter.stream.destroy();
    await waitFor(
      async () =>
        (await t.api<{ status: string }>('GET', `/api/meters/${m.meterNo}`, undefined, t.adminToken)).body
          .status === 'offline',
      'offline',
      3000,
    );
    const alerts = await t.app.services.db.query(
      `SELECT 1 FROM alerts WHERE meter_no = $1 AND kind = 'connection_lost' AND closed_at IS NULL`,
      [m.meterNo],
    );
    expect(alerts.rowCount).toBe(1);
    // coming back closes it
    const again = await connectAsMeter(t.mqttUrl, m, { will });
    await again.publishAsync(will.topic, JSON.stringify({ meterNo: m.meterNo, status: 'online' }), {
      qos: 1,
      retain: true,
    });
    await waitFor(async () => {
      const r = await t.app.services.db.query(
        `SELECT 1 FROM alerts WHERE meter_no = $1 AND kind = 'connection_lost' AND closed_at IS NULL`,
        [m.meterNo],
      );
      return r.rowCount === 0;
    }, 'alert closed');
    await again.endAsync();
  });

  it('MQ-6: a meter that goes silent without closing is marked offline within 1.5 × keepalive', async () => {
    const m = await t.newMeter({ openingCreditKwh: 10 });
    const will = {
      topic: `smartmeter/${m.meterNo}/status`,
      payload: Buffer.from(JSON.stringify({ meterNo: m.meterNo, status: 'offline' })),
      qos: 1 as const,
      retain: true,
    };
    const keepaliveS = 1;
    const meter = await connectAsMeter(t.mqttUrl, m, { will, keepalive: keepaliveS });
    await meter.publishAsync(will.topic, JSON.stringify({ meterNo: m.meterNo, status: 'online' }), {
      qos: 1,
      retain: true,
    });
    await waitFor(
      async () =>
        (await t.api<{ status: string }>('GET', `/api/meters/${m.meterNo}`, undefined, t.adminToken)).body
          .status === 'online',
      'online',
    );
    // stop sending anything, like a meter that lost power with the TCP connection still half-open
    (meter as unknown as { _sendPacket: () => void })._sendPacket = () => {};
    const started = Date.now();
    await waitFor(
      async () =>
        (await t.api<{ status: string }>('GET', `/api/meters/${m.meterNo}`, undefined, t.adminToken)).body
          .status === 'offline',
      'offline',
      10_000,
    );
    // reported, not asserted as a timing: the broker's check runs at 1.5 × keepalive
    console.log(`silent meter marked offline after ${Date.now() - started} ms (keepalive ${keepaliveS} s)`);
    meter.end(true);
  });

  it('accepts legacy payloads and starts a new epoch when a legacy register restarts from zero', async () => {
    const m = await t.newMeter({ openingCreditKwh: 50 });
    const meter = await connectAsMeter(t.mqttUrl, m);
    const base = Math.floor(Date.now() / 1000);
    const legacy = (total: number, ts: number) =>
      JSON.stringify({
        meterNo: m.meterNo,
        unitsConsumed: 0.1,
        remainingBalance: 40,
        totalConsumed: total,
        timestamp: ts,
      });
    const topic = `smartmeter/${m.meterNo}/consumption`;
    // within what a meter registered a moment ago can plausibly use (MQ-13: 6 kWh at 24 kW)
    await meter.publishAsync(topic, legacy(1, base), { qos: 1 });
    await meter.publishAsync(topic, legacy(1.25, base + 1), { qos: 1 });
    await meter.publishAsync(topic, legacy(1.25, base + 1), { qos: 1 }); // duplicate
    await meter.publishAsync(topic, legacy(1.1, base), { qos: 1 }); // stale, older timestamp
    await waitFor(async () => (await meterState(t, m.meterNo)).energy_mwh === 1_250_000, 'legacy total');
    // firmware restarted without persistence: the total starts again from zero
    await meter.publishAsync(topic, legacy(0.05, base + 2), { qos: 1 });
    await meter.publishAsync(topic, legacy(0.15, base + 3), { qos: 1 });
    await waitFor(async () => (await meterState(t, m.meterNo)).energy_mwh === 1_400_000, 'new epoch');
    const audit = await t.app.services.db.query(
      `SELECT 1 FROM audit_log WHERE target = $1 AND action = 'meter.epoch_restarted'`,
      [m.meterNo],
    );
    expect(audit.rowCount).toBe(1);
    // the meter's remainingBalance never overwrites the server's balance
    const s = await meterState(t, m.meterNo);
    expect(s.credit_limit_mwh).toBe(50_000_000);
    await meter.endAsync();
  });

  it('MQ-10: 10,000 generated malformed payloads leave the process alive, balances unchanged and every rejection counted', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const rand = mulberry32(seed);
    const m = await t.newMeter({ openingCreditKwh: 20 });
    const meter = await connectAsMeter(t.mqttUrl, m);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const before = await rejectedTotal(t);
    const good = { v: 2, meterNo: m.meterNo, seq: 1, energyTotal: 1, timestamp: 1763800000 };
    const mutations: (() => string | Buffer)[] = [
      () => JSON.stringify({ ...good, energyTotal: 'lots' }),
      () => JSON.stringify({ ...good, energyTotal: -1 - rand() * 100 }),
      () => JSON.stringify({ ...good, energyTotal: 1e308 }),
      () => JSON.stringify(good).replace('"energyTotal":1', '"energyTotal":NaN'),
      () => JSON.stringify({ ...good, seq: rand() * 10 }),
      () => JSON.stringify({ ...good, seq: -1 }),
      () => JSON.stringify({ ...good, meterNo: 'SOMEONE' }),
      () =>
        `{"v":2,"meterNo":"${m.meterNo}","seq":1,"energyTotal":1,"timestamp":1,"__proto__":{"polluted":1}}`,
      () => `{"constructor":{"prototype":{"polluted":1}},"v":2}`,
      () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      () => 'x'.repeat(3000 + Math.floor(rand() * 5000)),
      () => JSON.stringify({ ...good, padding: 'y'.repeat(2100) }),
      () => '[' + '['.repeat(500) + ']'.repeat(500) + ']',
      () => JSON.stringify({ ...good, relay: { on: true } }),
      () => JSON.stringify({ ...good, timestamp: 'yesterday' }),
      () => JSON.stringify(null),
      () => JSON.stringify(42),
      () => '',
      () =>
        JSON.stringify({
          meterNo: m.meterNo,
          unitsConsumed: 1,
          remainingBalance: 1,
          totalConsumed: -5,
          timestamp: 1,
        }),
      () => JSON.stringify({ ...good, v: 3 }),
    ];
    const topics = ['consumption', 'status', 'balance'];
    const total = 10_000;
    for (let i = 0; i < total; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, () => {
          const payload = mutations[Math.floor(rand() * mutations.length)]!();
          const topic = `smartmeter/${m.meterNo}/${topics[Math.floor(rand() * topics.length)]}`;
          return meter.publishAsync(topic, payload, { qos: 1 });
        }),
      );
    }
    await waitFor(
      async () => (await rejectedTotal(t)) - before >= total,
      `all ${total} rejections counted (seed ${seed})`,
      20_000,
    );
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled, `seed ${seed}`).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const s = await meterState(t, m.meterNo);
    expect(s.energy_mwh, `seed ${seed}`).toBe(0);
    expect(s.credit_limit_mwh).toBe(20_000_000);
    const health = await t.api('GET', '/health');
    expect(health.status).toBe(200);
    await meter.endAsync();
  });
});
