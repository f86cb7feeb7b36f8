// Protects the hot-path shortcut of ingest: tamperSuspected must agree with tamperAlerts exactly.
// The import boundary is for production code; tests need their runner.
import { describe, expect, it } from 'vitest';
import { RELAY_OFF_TOLERANCE_MWH, tamperAlerts, tamperSuspected, type TamperInput } from './alerts';

describe('tamperSuspected', () => {
  const cases: Omit<TamperInput, 'meterNo' | 'userId'>[] = [];
  for (const relayOffDebitMwh of [0, RELAY_OFF_TOLERANCE_MWH, RELAY_OFF_TOLERANCE_MWH + 1])
    for (const powerW of [null, 0, 3_000, 3_001])
      for (const maxLoadW of [null, 3_000]) cases.push({ relayOffDebitMwh, powerW, maxLoadW });

  it.each(cases)('agrees with tamperAlerts for %o', (c) => {
    const input = { meterNo: 'M1', userId: null, ...c };
    expect(tamperSuspected(input)).toBe(tamperAlerts(input).some((a) => a.open));
  });

  it('is true for consumption with the relay off and for power above the rating', () => {
    expect(
      tamperSuspected({ meterNo: 'M1', userId: null, relayOffDebitMwh: 5_000, powerW: 0, maxLoadW: null }),
    ).toBe(true);
    expect(
      tamperSuspected({ meterNo: 'M1', userId: null, relayOffDebitMwh: 0, powerW: 4_000, maxLoadW: 3_000 }),
    ).toBe(true);
    expect(
      tamperSuspected({ meterNo: 'M1', userId: null, relayOffDebitMwh: 0, powerW: 2_000, maxLoadW: 3_000 }),
    ).toBe(false);
  });
});
