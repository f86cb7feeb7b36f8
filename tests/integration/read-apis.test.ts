// Protects the dashboard's read APIs: transaction history pages and consumption series (docs/design.md §6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { connectAsMeter, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';

interface Page {
  transactions: {
    id: string;
    meterNo: string;
    amountKes: number;
    amountCents: number;
    energyKwh: number;
    createdAt: string;
    phone: string | null;
  }[];
  next: string | null;
}
interface Series {
  bucket: string;
  from: string;
  points: { start: string; energyKwh: number; energyMwh: number; reports: number }[];
  totalMwh: number;
}

describe('read APIs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function credit(meterNo: string, amountCents: number, ref: string, phone?: string) {
    return t.app.services.credit.credit(SYSTEM, {
      meterNo,
      amountCents,
      source: 'mpesa_stk',
      type: 'payment',
      externalRef: ref,
      phone: phone ?? null,
    });
  }

  it('pages a user’s transactions newest first without repeating or skipping any', async () => {
    const customer = await t.newCustomer();
    const a = await t.newMeter({ userId: customer.id });
    const b = await t.newMeter({ userId: customer.id });
    const ids: string[] = [];
    for (let i = 0; i < 23; i++)
      ids.push((await credit(i % 2 ? a.meterNo : b.meterNo, 100 + i, `P-${customer.id}-${i}`)).transactionId);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=10&cursor=${cursor}` : '?limit=10';
      const res = await t.api<Page>(
        'GET',
        `/api/v2/transactions/${customer.id}${q}`,
        undefined,
        customer.token,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.transactions.map((x) => x.id));
      cursor = res.body.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('keeps a page boundary stable while new transactions arrive', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    for (let i = 0; i < 6; i++) await credit(m.meterNo, 100, `S-${m.meterNo}-${i}`);
    const first = await t.api<Page>(
      'GET',
      `/api/v2/transactions/meter/${m.meterNo}?limit=3`,
      undefined,
      customer.token,
    );
    await credit(m.meterNo, 100, `S-${m.meterNo}-new`);
    const second = await t.api<Page>(
      'GET',
      `/api/v2/transactions/meter/${m.meterNo}?limit=3&cursor=${first.body.next}`,
      undefined,
      customer.token,
    );
    const ids = [...first.body.transactions, ...second.body.transactions].map((x) => x.id);
    expect(new Set(ids).size).toBe(6);
    expect(second.body.next).toBeNull();
  });

  it('shows money in KES and cents, energy in kWh, and masks phone numbers', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    await credit(m.meterNo, 10_000, `K-${m.meterNo}`, '254712345678');
    const res = await t.api<Page>(
      'GET',
      `/api/v2/transactions/meter/${m.meterNo}`,
      undefined,
      customer.token,
    );
    expect(res.body.transactions[0]).toMatchObject({
      amountKes: 100,
      amountCents: 10_000,
      energyKwh: 5,
      phone: '2547*****678',
    });
  });

  it('refuses a page larger than 100 and a forged cursor', async () => {
    const customer = await t.newCustomer();
    expect(
      (await t.api('GET', `/api/v2/transactions/${customer.id}?limit=101`, undefined, customer.token)).status,
    ).toBe(400);
    expect(
      (await t.api('GET', `/api/v2/transactions/${customer.id}?limit=0`, undefined, customer.token)).status,
    ).toBe(400);
    expect(
      (
        await t.api(
          'GET',
          `/api/v2/transactions/${customer.id}?cursor=1%27%20OR%201=1`,
          undefined,
          customer.token,
        )
      ).status,
    ).toBe(400);
    expect(
      (await t.api('GET', `/api/v2/transactions/${customer.id}?limit=100`, undefined, customer.token)).status,
    ).toBe(200);
  });

  it('lets an admin read any user’s history but answers 404 for a user that does not exist', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    await credit(m.meterNo, 500, `A-${m.meterNo}`);
    const ok = await t.api<Page>('GET', `/api/v2/transactions/${customer.id}`, undefined, t.adminToken);
    expect(ok.body.transactions).toHaveLength(1);
    const missing = await t.api(
      'GET',
      '/api/transactions/00000000-0000-4000-8000-000000000000',
      undefined,
      t.adminToken,
    );
    expect(missing.status).toBe(404);
  });

  it('sums hourly rollups into hour and Kenyan-day buckets, zero-filled', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    // 20:00 and 21:00 UTC on 1 March are 23:00 on 1 March and 00:00 on 2 March in Nairobi.
    const rows: [string, number][] = [
      ['2026-03-01T20:00:00Z', 1_000_000],
      ['2026-03-01T21:00:00Z', 2_000_000],
      ['2026-03-02T05:00:00Z', 500_000],
    ];
    for (const [hour, mwh] of rows) {
      await t.app.services.db.query(
        `INSERT INTO consumption_hourly (meter_no, hour, energy_mwh, max_power_w, reports) VALUES ($1, $2, $3, 900, 12)`,
        [m.meterNo, hour, mwh],
      );
    }
    const hourly = await t.api<Series>(
      'GET',
      `/api/meters/${m.meterNo}/consumption?bucket=hour&from=2026-03-01T19:30:00Z&to=2026-03-01T23:00:00Z`,
      undefined,
      customer.token,
    );
    expect(hourly.status).toBe(200);
    expect(hourly.body.points.map((p) => [p.start, p.energyMwh])).toEqual([
      ['2026-03-01T19:00:00.000Z', 0],
      ['2026-03-01T20:00:00.000Z', 1_000_000],
      ['2026-03-01T21:00:00.000Z', 2_000_000],
      ['2026-03-01T22:00:00.000Z', 0],
    ]);
    const daily = await t.api<Series>(
      'GET',
      `/api/meters/${m.meterNo}/consumption?bucket=day&from=2026-03-01T00:00:00%2B03:00&to=2026-03-03T00:00:00%2B03:00`,
      undefined,
      customer.token,
    );
    expect(daily.body.points).toEqual([
      { start: '2026-02-28T21:00:00.000Z', energyKwh: 1, energyMwh: 1_000_000, maxPowerW: 900, reports: 12 },
      {
        start: '2026-03-01T21:00:00.000Z',
        energyKwh: 2.5,
        energyMwh: 2_500_000,
        maxPowerW: 900,
        reports: 24,
      },
    ]);
    expect(daily.body.totalMwh).toBe(3_500_000);
  });

  it('serves the energy a meter reported over MQTT in the current hour', async () => {
    const customer = await t.newCustomer();
    const creds = await t.newMeter({ userId: customer.id, openingCreditKwh: 10 });
    const meter = await connectAsMeter(t.mqttUrl, creds);
    await meter.publishAsync(`smartmeter/${creds.meterNo}/consumption`, v2Report(creds.meterNo, 1, 0.25), {
      qos: 1,
    });
    const series = await waitFor(async () => {
      const r = await t.api<Series>(
        'GET',
        `/api/meters/${creds.meterNo}/consumption`,
        undefined,
        customer.token,
      );
      return r.body.totalMwh === 250_000 ? r.body : null;
    }, 'the report in the series');
    expect(series.bucket).toBe('hour');
    expect(series.points.length).toBeGreaterThanOrEqual(24);
    expect(series.points[series.points.length - 1]!.energyKwh).toBe(0.25);
    await meter.endAsync();
  });

  it('bounds the range of a consumption request', async () => {
    const customer = await t.newCustomer();
    const m = await t.newMeter({ userId: customer.id });
    const url = (q: string) => `/api/meters/${m.meterNo}/consumption?${q}`;
    const tooLong = await t.api(
      'GET',
      url('bucket=day&from=2024-01-01T00:00:00Z&to=2025-06-01T00:00:00Z'),
      undefined,
      customer.token,
    );
    expect(tooLong.status).toBe(400);
    const backwards = await t.api(
      'GET',
      url('from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'),
      undefined,
      customer.token,
    );
    expect(backwards.status).toBe(400);
    const junk = await t.api('GET', url('from=yesterday'), undefined, customer.token);
    expect(junk.status).toBe(400);
    const extra = await t.api('GET', url('bucket=minute'), undefined, customer.token);
    expect(extra.status).toBe(400);
    const longest = await t.api<Series>(
      'GET',
      url('bucket=hour&from=2025-01-01T00:00:00Z&to=2026-02-05T00:00:00Z'),
      undefined,
      customer.token,
    );
    expect(longest.status).toBe(200);
    expect(longest.body.points.length).toBeLessThanOrEqual(10_000);
  });
});
