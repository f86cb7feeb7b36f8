// Protects PAY-7: 20 concurrent workers × 500 credit and debit operations on real PostgreSQL across two instances; every read sums to the total, the ledger equals the balance.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { startTestApp, type TestApp } from '../helpers/app';
import { scratchDatabase } from '../helpers/scratch-db';

const DATABASE_URL = process.env.DATABASE_URL;
const WORKERS = 20;
const OPS_PER_WORKER = 500;
const METERS = 8;

function mulberry32(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Snapshot {
  meter_no: string;
  limit_mwh: number;
  ledger_mwh: number;
  transactions_mwh: number;
}

describe.skipIf(!DATABASE_URL)('PAY-7 across two instances on one PostgreSQL database', () => {
  let db: { url: string; drop: () => Promise<void> };
  let apps: TestApp[] = [];
  beforeAll(async () => {
    db = await scratchDatabase(DATABASE_URL!, 'umeme_pay7');
    apps = [
      await startTestApp('pglite', { DATABASE_URL: db.url, INSTANCE_ID: 'pay7-a', DB_POOL_SIZE: 12 }),
      await startTestApp('pglite', { DATABASE_URL: db.url, INSTANCE_ID: 'pay7-b', DB_POOL_SIZE: 12 }),
    ];
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await db?.drop();
  });

  it('PAY-7: 20 workers × 500 credits, duplicate credits and debits on two instances; every read balances and the totals are exact', async () => {
    const seed = Number(process.env.PAY7_SEED ?? Date.now() % 1_000_000);
    const [a, b] = apps as [TestApp, TestApp];
    const meterNos = (await Promise.all(Array.from({ length: METERS }, () => a.newMeter()))).map(
      (m) => m.meterNo,
    );
    /** what the workers posted, per meter (mWh): the independent total */
    const posted = new Map(meterNos.map((m) => [m, 0]));
    const credited = new Map(meterNos.map((m) => [m, 0]));
    const refs: { ref: string; meterNo: string; amountCents: number }[] = [];
    let duplicatesAnswered = 0;

    const read = (t: TestApp) =>
      t.app.services.db.query<Snapshot>(
        // One statement, one snapshot: C − E0, Σ ledger and Σ transactions as of the same instant.
        `SELECT m.meter_no, (m.credit_limit_mwh - m.e0_mwh)::bigint AS limit_mwh,
                (SELECT COALESCE(sum(l.energy_mwh), 0) FROM ledger_entries l WHERE l.meter_no = m.meter_no)::bigint AS ledger_mwh,
                (SELECT COALESCE(sum(x.energy_mwh), 0) FROM transactions x WHERE x.meter_no = m.meter_no)::bigint AS transactions_mwh
           FROM meters m WHERE m.meter_no = ANY($1::text[]) ORDER BY m.meter_no`,
        [meterNos],
      );

    let running = true;
    let reads = 0;
    const anomalies: string[] = [];
    const reader = async (t: TestApp) => {
      while (running) {
        const { rows } = await read(t);
        reads += 1;
        for (const r of rows) {
          if (
            Number(r.limit_mwh) !== Number(r.ledger_mwh) ||
            Number(r.ledger_mwh) !== Number(r.transactions_mwh)
          ) {
            anomalies.push(JSON.stringify(r));
          }
        }
      }
    };

    const worker = async (w: number) => {
      const rand = mulberry32(seed * 31 + w);
      for (let k = 0; k < OPS_PER_WORKER; k++) {
        // Workers alternate instances op by op, so both instances write every meter.
        const t = (w + k) % 2 === 0 ? a : b;
        const meterNo = meterNos[Math.floor(rand() * METERS)]!;
        const roll = rand();
        if (roll < 0.1 && refs.length > 0) {
          // M-Pesa's retry of a payment already credited, on whichever instance it lands.
          const prior = refs[Math.floor(rand() * refs.length)]!;
          const r = await t.app.services.credit.credit(SYSTEM, {
            meterNo: prior.meterNo,
            amountCents: prior.amountCents,
            source: 'simulate',
            type: 'simulate',
            externalRef: prior.ref,
          });
          expect(r.duplicate).toBe(true);
          duplicatesAnswered += 1;
        } else if (roll < 0.65) {
          const amountCents = 100 * (1 + Math.floor(rand() * 200));
          const ref = `PAY7-${seed}-${w}-${k}-${randomBytes(2).toString('hex')}`;
          const r = await t.app.services.credit.credit(SYSTEM, {
            meterNo,
            amountCents,
            source: 'simulate',
            type: 'simulate',
            externalRef: ref,
          });
          expect(r.duplicate).toBe(false);
          refs.push({ ref, meterNo, amountCents });
          posted.set(meterNo, posted.get(meterNo)! + r.energyMwh);
          credited.set(meterNo, credited.get(meterNo)! + amountCents);
        } else {
          const energyKwh = -(1 + Math.floor(rand() * 20)) / 10;
          await t.app.services.operator.adjustments.adjust(SYSTEM, meterNo, {
            energyKwh,
            reason: 'PAY-7 debit',
          });
          posted.set(meterNo, posted.get(meterNo)! + Math.round(energyKwh * 1_000_000));
        }
      }
    };

    const started = Date.now();
    const readers = [reader(a), reader(b)];
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    } finally {
      running = false;
      await Promise.all(readers);
    }
    const elapsedMs = Date.now() - started;
    console.info(
      `PAY-7 seed ${seed}: ${WORKERS * OPS_PER_WORKER} operations on two instances in ${elapsedMs} ms ` +
        `(${Math.round((WORKERS * OPS_PER_WORKER * 1000) / elapsedMs)}/s), ${reads} concurrent reads, ${duplicatesAnswered} duplicates`,
    );

    expect(anomalies, `seed ${seed}`).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    for (const t of apps) {
      const { rows } = await read(t);
      for (const r of rows) {
        expect(Number(r.limit_mwh), `seed ${seed} meter ${r.meter_no}`).toBe(posted.get(r.meter_no));
        expect(Number(r.ledger_mwh), `seed ${seed} meter ${r.meter_no}`).toBe(posted.get(r.meter_no));
      }
    }
    const { rows: money } = await a.app.services.db.query<{ meter_no: string; cents: number; n: number }>(
      `SELECT meter_no, COALESCE(sum(amount_cents), 0)::bigint AS cents, count(*) FILTER (WHERE amount_cents > 0)::int AS n
         FROM transactions WHERE meter_no = ANY($1::text[]) GROUP BY meter_no`,
      [meterNos],
    );
    expect(
      money.reduce((s, r) => s + r.n, 0),
      `seed ${seed}`,
    ).toBe(refs.length);
    for (const r of money) expect(Number(r.cents), `seed ${seed}`).toBe(credited.get(r.meter_no));
  }, 300_000);
});
