// PAY-6 on the crediting service and consumption: after every step the postings balance and counters only grow.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { meterState, startTestApp, type TestApp } from '../helpers/app';

type Step =
  | { kind: 'credit'; amountCents: number; refIndex: number }
  | { kind: 'consume'; deltaMwh: number; duplicate: boolean; late: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('credit' as const),
    amountCents: fc.integer({ min: 1, max: 2_000_000 }),
    refIndex: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('consume' as const),
    deltaMwh: fc.integer({ min: 0, max: 5_000_000 }),
    duplicate: fc.boolean(),
    late: fc.boolean(),
  }),
);

describe('ledger properties (PAY-6)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('postings balance, cached balance equals the recomputed one and counters are monotonic after every step', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        run++;
        const m = await t.newMeter({ openingCreditKwh: 2 });
        const { credit, ingest } = t.app.services;
        let model = { e: 0, c: 2_000_000, seq: 0, cents: 0 };
        const applied = new Map<number, number>();
        let prev = await meterState(t, m.meterNo);
        for (const s of steps) {
          if (s.kind === 'credit') {
            const ref = `P-${run}-${m.meterNo}-${s.refIndex}`;
            const prior = applied.get(s.refIndex);
            const result = await credit
              .credit(SYSTEM, {
                meterNo: m.meterNo,
                amountCents: s.amountCents,
                source: 'simulate',
                type: 'simulate',
                externalRef: ref,
              })
              .catch((err: { code?: string }) => err);
            if (prior === undefined) {
              applied.set(s.refIndex, s.amountCents);
              model = { ...model, c: model.c + s.amountCents * 500, cents: model.cents + s.amountCents };
            } else if (prior !== s.amountCents) {
              expect((result as { code?: string }).code).toBe('PAYMENT_DUPLICATE');
            }
          } else {
            const now = Math.floor(Date.now() / 1000);
            const energy = model.e + s.deltaMwh;
            model = { ...model, e: energy, seq: model.seq + 1 };
            const item = (mwh: number, seq: number) => ({
              meterNo: m.meterNo,
              kind: 'v2' as const,
              energyMwh: mwh,
              seq,
              reportTs: now,
              powerW: null,
              relay: null,
              meterBalanceMwh: null,
              receivedAtMs: Date.now(),
            });
            const batch = [item(energy, model.seq)];
            if (s.duplicate) batch.push(item(energy, model.seq));
            if (s.late && model.seq > 1)
              batch.push(item(Math.max(0, energy - s.deltaMwh - 1), model.seq - 1));
            await ingest.applyConsumptionReports(batch);
          }
          const now = await meterState(t, m.meterNo);
          expect(now.e0_mwh + now.ledger_mwh).toBe(now.credit_limit_mwh);
          expect(now.energy_mwh).toBeGreaterThanOrEqual(prev.energy_mwh);
          expect(now.credit_limit_mwh).toBeGreaterThanOrEqual(prev.credit_limit_mwh);
          expect(now.energy_mwh).toBe(model.e);
          expect(now.credit_limit_mwh).toBe(model.c);
          const cached = await t.app.services.meters.get(SYSTEM, m.meterNo);
          expect(cached.balanceMwh).toBe(now.credit_limit_mwh - now.energy_mwh);
          prev = now;
        }
        const money = await t.app.services.db.query<{ cents: number }>(
          `SELECT COALESCE(SUM(amount_cents),0)::bigint AS cents FROM ledger_entries WHERE meter_no = $1`,
          [m.meterNo],
        );
        expect(money.rows[0]!.cents).toBe(model.cents);
      }),
      {
        numRuns: Number(process.env.PAY6_RUNS ?? 1000),
        seed: process.env.PAY6_SEED ? Number(process.env.PAY6_SEED) : undefined,
      },
    );
  }, 300_000);
});
