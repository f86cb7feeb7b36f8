// Protects the register plausibility rule (MQ-13): implausible jumps are held, genuine use is not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATED_POWER_W,
  DEFAULT_REGISTER_GRACE_MS,
  plausibleRegisterGrowthMwh,
  rebaseRegister,
  registerJumpVerdict,
  type RegisterJumpInput,
} from './register-plausibility';

const HOUR_MS = 3_600_000;

function input(over: Partial<RegisterJumpInput>): RegisterJumpInput {
  return {
    lastEnergyMwh: 1_000_000,
    candidateEnergyMwh: 1_100_000,
    debitedMwh: 100_000,
    lastGrowthAtMs: 0,
    receivedAtMs: 30_000,
    ratedPowerW: DEFAULT_RATED_POWER_W,
    graceMs: DEFAULT_REGISTER_GRACE_MS,
    heldFromMwh: null,
    ...over,
  };
}

describe('plausible register growth', () => {
  it('is rated power × (elapsed × 3/2 + grace)', () => {
    // 24 kW for 1 h × 1.5 + 15 min = 1.75 h → 42 kWh
    expect(plausibleRegisterGrowthMwh(24_000, HOUR_MS, 15 * 60_000)).toBe(42_000_000);
    expect(plausibleRegisterGrowthMwh(1_000, 0, 0)).toBe(0);
    expect(plausibleRegisterGrowthMwh(3_600, 1_000, 0)).toBe(1_500);
  });

  it('counts a negative elapsed time (another server clock) as zero and saturates at the largest safe integer', () => {
    expect(plausibleRegisterGrowthMwh(24_000, -60_000, 60_000)).toBe(400_000);
    expect(plausibleRegisterGrowthMwh(1_000_000, Number.MAX_SAFE_INTEGER, 0)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('register jump verdict', () => {
  it('holds 1e9 kWh reported 30 s after the last report', () => {
    const v = registerJumpVerdict(
      input({ candidateEnergyMwh: 1e15, debitedMwh: 1e15 - 1_000_000, receivedAtMs: 30_000 }),
    );
    expect(v.hold).toBe(true);
    expect(v.allowedMwh).toBe(6_300_000);
  });

  it('debits a week of heavy use reported by a meter that was offline for the week', () => {
    const week = 7 * 24 * HOUR_MS;
    // 10 kW around the clock for a week: 1,680 kWh
    const used = 1_680_000_000;
    const v = registerJumpVerdict(
      input({ candidateEnergyMwh: 1_000_000 + used, debitedMwh: used, receivedAtMs: week }),
    );
    expect(v.hold).toBe(false);
  });

  it('holds reports from the held level while a hold is open, however much time passed', () => {
    const v = registerJumpVerdict(
      input({
        heldFromMwh: 1_050_000,
        candidateEnergyMwh: 1_060_000,
        debitedMwh: 60_000,
        receivedAtMs: 1e10,
      }),
    );
    expect(v.hold).toBe(true);
  });

  it('debits a plausible report below the held level: the meter is back on its old register', () => {
    const v = registerJumpVerdict(input({ heldFromMwh: 1e15 }));
    expect(v.hold).toBe(false);
  });

  it('never holds a duplicate or stale report', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.option(fc.integer({ min: 0, max: 1e12 })),
        (c, held) => {
          const v = registerJumpVerdict(input({ candidateEnergyMwh: c, debitedMwh: 0, heldFromMwh: held }));
          expect(v.hold).toBe(false);
        },
      ),
    );
  });

  it('holds exactly the growth above the bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e13 }),
        fc.integer({ min: 0, max: 30 * 24 * HOUR_MS }),
        fc.integer({ min: 1, max: 100_000 }),
        (growth, elapsed, rated) => {
          const v = registerJumpVerdict(
            input({
              candidateEnergyMwh: 5 + growth,
              lastEnergyMwh: 5,
              debitedMwh: growth,
              receivedAtMs: elapsed,
              ratedPowerW: rated,
            }),
          );
          expect(v.hold).toBe(growth > plausibleRegisterGrowthMwh(rated, elapsed, DEFAULT_REGISTER_GRACE_MS));
        },
      ),
    );
  });
});

describe('register epoch re-base', () => {
  it('moves E0, C and E up together so balance, ledger sum and debited energy are unchanged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: -1e9, max: 1e12 }),
        fc.integer({ min: 1, max: 1e15 }),
        (e0, used, ledger, jump) => {
          const before = { e0Mwh: e0, energyMwh: e0 + used, creditLimitMwh: e0 + ledger };
          const after = rebaseRegister(before, before.energyMwh + jump);
          expect(after.rebasedMwh).toBe(jump);
          expect(after.creditLimitMwh - after.energyMwh).toBe(before.creditLimitMwh - before.energyMwh);
          expect(after.creditLimitMwh - after.e0Mwh).toBe(before.creditLimitMwh - before.e0Mwh);
          expect(after.energyMwh - after.e0Mwh).toBe(before.energyMwh - before.e0Mwh);
        },
      ),
    );
  });

  it('refuses a register that is not above the applied one', () => {
    expect(() => rebaseRegister({ e0Mwh: 0, creditLimitMwh: 10, energyMwh: 5 }, 5)).toThrow(RangeError);
  });
});
