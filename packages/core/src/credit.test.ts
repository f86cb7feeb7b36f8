// Protects the credit protocol's arithmetic (docs/design.md §3) against the vectors the firmware shares.
// The import boundary is for production code; tests need their runner.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../protocol/vectors/credit.json';
import {
  applyEnergyReport,
  balanceMwh,
  mergeCreditLimitMwh,
  openingCreditLimitMwh,
  relayDecision,
  relayShouldClose,
  type EnergyRegisterState,
  type RelayOverride,
  type ReportKind,
} from './credit';

function newRegister(lastEnergyMwh: number, e0Mwh = 0): EnergyRegisterState {
  return { e0Mwh, lastEnergyMwh, epochOffsetMwh: 0 };
}

/** Applies reports in order and returns the total debited and the final register. */
function applyAll(
  state: EnergyRegisterState,
  reports: readonly number[],
  kind: ReportKind,
  timestamps?: readonly number[],
): { debitedMwh: number; state: EnergyRegisterState; restarts: number } {
  let debitedMwh = 0;
  let restarts = 0;
  let lastReportTs: number | null = null;
  reports.forEach((reported, i) => {
    const reportTs = timestamps?.[i];
    const timing = reportTs === undefined ? undefined : { reportTs, lastReportTs };
    const result = applyEnergyReport(state, reported, kind, timing);
    debitedMwh += result.debitedMwh;
    if (result.epochRestarted) restarts += 1;
    state = { ...state, lastEnergyMwh: result.newLastEnergyMwh, epochOffsetMwh: result.newEpochOffsetMwh };
    if (reportTs !== undefined && !result.stale) lastReportTs = Math.max(lastReportTs ?? reportTs, reportTs);
  });
  return { debitedMwh, state, restarts };
}

describe('shared credit vectors', () => {
  it.each(vectors.relay)(
    'relay is closed=$relayClosed at E=$energyMwh, C=$creditLimitMwh, emergency=$emergencyMwh, override=$override',
    ({ energyMwh, creditLimitMwh, emergencyMwh, override, relayClosed }) => {
      expect(
        relayShouldClose({
          energyMwh,
          creditLimitMwh,
          emergencyMwh,
          override: override as RelayOverride,
          friendlyHours: false,
        }),
      ).toBe(relayClosed);
    },
  );

  it.each(vectors.creditLimitSequence)(
    'the meter keeps the largest credit limit it has received',
    ({ received, kept }) => {
      let keptMwh: number | null = null;
      const history: number[] = [];
      for (const creditLimitMwh of received) {
        keptMwh = mergeCreditLimitMwh(keptMwh, creditLimitMwh);
        history.push(keptMwh);
      }
      expect(history).toEqual(kept);
    },
  );

  it.each(vectors.debits)(
    'v2 reports "$name" debit $debitedMwh mWh',
    ({ lastMwh, reports, debitedMwh, finalMwh }) => {
      const result = applyAll(newRegister(lastMwh), reports, 'v2');
      expect(result.debitedMwh).toBe(debitedMwh);
      expect(result.state.lastEnergyMwh).toBe(finalMwh);
    },
  );

  it.each(vectors.debits)(
    'legacy reports "$name" with meter timestamps debit $debitedMwh mWh and start no epoch',
    ({ lastMwh, reports, debitedMwh, finalMwh }) => {
      // A legacy meter's totalConsumed grows with time, so a larger value carries a later timestamp.
      const timestamps = reports.map((r) => 1_700_000_000 + r - lastMwh);
      const state = newRegister(lastMwh);
      let lastReportTs: number | null = 1_700_000_000;
      let debited = 0;
      let current = state;
      reports.forEach((reported, i) => {
        const reportTs = timestamps[i] ?? 0;
        const result = applyEnergyReport(current, reported, 'legacy', { reportTs, lastReportTs });
        expect(result.epochRestarted).toBe(false);
        debited += result.debitedMwh;
        current = {
          ...current,
          lastEnergyMwh: result.newLastEnergyMwh,
          epochOffsetMwh: result.newEpochOffsetMwh,
        };
        if (!result.stale) lastReportTs = Math.max(lastReportTs ?? reportTs, reportTs);
      });
      expect(debited).toBe(debitedMwh);
      expect(current.lastEnergyMwh).toBe(finalMwh);
    },
  );
});

describe('applying energy reports', () => {
  it('debits only the growth of the register, once, for v2 reports', () => {
    const first = applyEnergyReport(newRegister(1000, 500), 1500, 'v2');
    expect(first).toEqual({
      debitedMwh: 500,
      newLastEnergyMwh: 1500,
      newEpochOffsetMwh: 0,
      epochRestarted: false,
      stale: false,
    });
    const duplicate = applyEnergyReport(newRegister(1500, 500), 1500, 'v2');
    expect(duplicate).toMatchObject({ debitedMwh: 0, newLastEnergyMwh: 1500, stale: true });
  });

  it('reads legacy totalConsumed on top of the epoch offset while it grows', () => {
    const state = { e0Mwh: 0, lastEnergyMwh: 10_000, epochOffsetMwh: 8000 };
    expect(applyEnergyReport(state, 2500, 'legacy')).toEqual({
      debitedMwh: 500,
      newLastEnergyMwh: 10_500,
      newEpochOffsetMwh: 8000,
      epochRestarted: false,
      stale: false,
    });
  });

  it('starts a new epoch at the last register value when a legacy meter restarts without persistence', () => {
    const restarted = applyEnergyReport(newRegister(7000), 300, 'legacy');
    expect(restarted).toEqual({
      debitedMwh: 300,
      newLastEnergyMwh: 7300,
      newEpochOffsetMwh: 7000,
      epochRestarted: true,
      stale: false,
    });
    const next = applyEnergyReport({ e0Mwh: 0, lastEnergyMwh: 7300, epochOffsetMwh: 7000 }, 450, 'legacy');
    expect(next).toMatchObject({ debitedMwh: 150, newLastEnergyMwh: 7450, epochRestarted: false });
  });

  it('treats a legacy drop that is not newer than the last applied report as late, not as a restart', () => {
    const late = applyEnergyReport(newRegister(7000), 6000, 'legacy', { reportTs: 100, lastReportTs: 120 });
    expect(late).toMatchObject({ debitedMwh: 0, newLastEnergyMwh: 7000, epochRestarted: false, stale: true });
    const restart = applyEnergyReport(newRegister(7000), 50, 'legacy', { reportTs: 130, lastReportTs: 120 });
    expect(restart).toMatchObject({ debitedMwh: 50, newLastEnergyMwh: 7050, epochRestarted: true });
  });

  it('refuses a register state that has gone backwards and negative reports', () => {
    expect(() => applyEnergyReport({ e0Mwh: 10, lastEnergyMwh: 5, epochOffsetMwh: 0 }, 20, 'v2')).toThrow(
      RangeError,
    );
    expect(() => applyEnergyReport({ e0Mwh: 0, lastEnergyMwh: 5, epochOffsetMwh: 6 }, 20, 'legacy')).toThrow(
      RangeError,
    );
    expect(() => applyEnergyReport(newRegister(5), -1, 'v2')).toThrow(RangeError);
    expect(() => applyEnergyReport(newRegister(5), 1.5, 'v2')).toThrow(RangeError);
  });

  it('debits exactly max(E) − E_last whatever the duplication and order of v2 reports', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 2_000_000 }), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (lastMwh, reports, duplicates) => {
          const delivered = [
            ...reports,
            ...duplicates.flatMap((d) => (reports.length > 0 ? [reports[d % reports.length] ?? 0] : [])),
          ];
          const expectedFinal = Math.max(lastMwh, ...reports);
          const result = applyAll(newRegister(lastMwh), delivered, 'v2');
          expect(result.state.lastEnergyMwh).toBe(expectedFinal);
          expect(result.debitedMwh).toBe(expectedFinal - lastMwh);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never over-debits a rebooting legacy meter, and debits all it used when each reboot shows as a drop', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 10 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        (epochs, duplicate) => {
          // Each inner array is one run of the firmware: its counter starts again at 0.
          const reports: number[] = [];
          const timestamps: number[] = [];
          let ts = 1_700_000_000;
          // A restart is visible only if the first report after it is below the last one before it.
          let everyRestartVisible = true;
          for (const increments of epochs) {
            if (reports.length > 0 && (increments[0] ?? 0) >= (reports.at(-1) ?? 0)) {
              everyRestartVisible = false;
            }
            let counter = 0;
            for (const increment of increments) {
              counter += increment;
              ts += 5;
              const copies = duplicate ? 2 : 1;
              for (let c = 0; c < copies; c += 1) {
                reports.push(counter);
                timestamps.push(ts);
              }
            }
          }
          const used = epochs.flat().reduce((a, b) => a + b, 0);
          const result = applyAll(newRegister(0), reports, 'legacy', timestamps);
          expect(result.debitedMwh).toBeLessThanOrEqual(used);
          expect(result.state.lastEnergyMwh).toBe(result.debitedMwh);
          if (everyRestartVisible) expect(result.debitedMwh).toBe(used);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('balance and credit limit', () => {
  it('is the credit limit minus the register, negative once emergency credit is used', () => {
    expect(balanceMwh(5000, 3000)).toBe(2000);
    expect(balanceMwh(5000, 5600)).toBe(-600);
  });

  it('opens a meter with a credit limit of its register plus the opening credit', () => {
    expect(openingCreditLimitMwh(123_456, 5_000_000)).toBe(5_123_456);
    expect(() => openingCreditLimitMwh(-1, 0)).toThrow(RangeError);
  });

  it('keeps the first credit limit a meter receives', () => {
    expect(mergeCreditLimitMwh(null, 0)).toBe(0);
  });
});

describe('relay decision', () => {
  const base = {
    energyMwh: 1000,
    creditLimitMwh: 1000,
    emergencyMwh: 0,
    override: 'auto' as const,
    friendlyHours: false,
  };

  it('says why the relay is closed or open', () => {
    expect(relayDecision({ ...base, energyMwh: 999 })).toEqual({ closed: true, reason: 'credit' });
    expect(relayDecision({ ...base, emergencyMwh: 200 })).toEqual({
      closed: true,
      reason: 'emergency_credit',
    });
    expect(relayDecision(base)).toEqual({ closed: false, reason: 'no_credit' });
  });

  it('keeps the load on through friendly hours even without credit', () => {
    expect(relayDecision({ ...base, energyMwh: 9000, friendlyHours: true })).toEqual({
      closed: true,
      reason: 'friendly_hours',
    });
  });

  it('lets an operator override beat credit and friendly hours', () => {
    expect(relayDecision({ ...base, override: 'disconnect', energyMwh: 0, friendlyHours: true })).toEqual({
      closed: false,
      reason: 'override_disconnect',
    });
    expect(relayDecision({ ...base, override: 'connect', energyMwh: 9000 })).toEqual({
      closed: true,
      reason: 'override_connect',
    });
  });
});
