// PAY-8 (short form): a seeded fleet through drops, duplicates, reordering, a broker and a server restart ends with a ledger equal to an independent model.
import { describe, expect, it } from 'vitest';
import { mosquittoUnavailable } from '../helpers/mosquitto';
import { runFleetSim } from '../sim/fleet-sim';

const DATABASE_URL = process.env.DATABASE_URL;
const unavailable = mosquittoUnavailable();
const SEED = process.env.PAY8_SEED ? Number(process.env.PAY8_SEED) : Math.floor(Math.random() * 2 ** 31);

describe.skipIf(!DATABASE_URL || unavailable !== null)('PAY-8: seeded fleet simulation (short form)', () => {
  it('100 meters × 2 simulated hours with 5 % drops, 5 % duplicates, reordering, a broker and a server restart: every meter’s E, C, ledger and transactions equal the model', async () => {
    console.info(
      `PAY-8 seed ${SEED} (replay: PAY8_SEED=${SEED} npx vitest run tests/ha/pay-8-fleet-sim.test.ts)`,
    );
    const r = await runFleetSim({
      seed: SEED,
      meters: 100,
      simulatedHours: 2,
      brokerRestarts: 1,
      serverRestarts: 1,
      stepMinutes: 5,
      stepMs: 400,
      // few, for CI time: each is two HTTP requests
      purchasesPerMeter: 0.5,
      databaseUrl: DATABASE_URL!,
      replayCommand: `PAY8_SEED=${SEED} npx vitest run tests/ha/pay-8-fleet-sim.test.ts`,
    });
    const { mismatches, ...figures } = r;
    console.info(`PAY-8 short form: ${JSON.stringify(figures)}`);
    // The run did what it says: something was dropped, duplicated, reordered and bought, and both restarts happened.
    expect(r.reportsDropped, `seed ${SEED}`).toBeGreaterThan(0);
    expect(r.reportsDuplicated, `seed ${SEED}`).toBeGreaterThan(0);
    expect(r.reportsReordered, `seed ${SEED}`).toBeGreaterThan(0);
    expect(r.purchasesAcknowledged, `seed ${SEED}`).toBeGreaterThan(0);
    expect(r.brokerRestarts).toBe(1);
    expect(r.serverRestarts).toHaveLength(1);
    expect(mismatches, `seed ${SEED}: replay with PAY8_SEED=${SEED}`).toEqual([]);
  }, 300_000);
});
