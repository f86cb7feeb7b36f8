// Protects the firmware from drifting away from the protocol: runs the C++ host tests (which read
// packages/protocol/vectors at test time) and checks every payload the meter publishes against the zod schemas.
import {
  consumptionV2Schema,
  decodeConsumption,
  decodeWith,
  kwhToMwh,
  meterBalanceSchema,
  statusSchema,
} from '@umeme/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, NATIVE_METER, buildFirmware, run, tail } from './firmware-run';

interface Sample {
  kind: 'consumption' | 'balance' | 'status';
  payload: string;
  energyMwh?: number;
  remainingMwh?: number;
}

describe('firmware host build', () => {
  beforeAll(buildFirmware, BUILD_TIMEOUT_MS);

  it(
    'the C++ host tests pass, the shared protocol vectors included, and the Arduino glue compiles',
    async () => {
      const result = await run('bash', ['firmware/test.sh'], BUILD_TIMEOUT_MS);
      expect(result.code, tail(result.output)).toBe(0);
      expect(result.output).toMatch(/Status: SUCCESS!/);
    },
    BUILD_TIMEOUT_MS,
  );

  it('every payload the meter publishes passes the server schemas and carries its register exactly', async () => {
    const result = await run(NATIVE_METER, ['--emit-samples'], 30_000);
    expect(result.code, result.output).toBe(0);
    const samples = result.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Sample);
    expect(samples.filter((s) => s.kind === 'consumption').length).toBeGreaterThanOrEqual(5);
    expect(samples.filter((s) => s.kind === 'status').length).toBeGreaterThanOrEqual(2);

    for (const sample of samples) {
      switch (sample.kind) {
        case 'consumption': {
          const decoded = decodeConsumption(sample.payload);
          expect(decoded, sample.payload).toMatchObject({ ok: true, value: { kind: 'v2' } });
          const report = consumptionV2Schema.parse(JSON.parse(sample.payload));
          if (sample.energyMwh !== undefined) expect(kwhToMwh(report.energyTotal)).toBe(sample.energyMwh);
          if (sample.remainingMwh !== undefined && report.remainingBalance !== undefined) {
            expect(kwhToMwh(report.remainingBalance)).toBe(sample.remainingMwh);
          }
          break;
        }
        case 'balance': {
          const decoded = decodeWith(meterBalanceSchema, sample.payload);
          expect(decoded.ok, sample.payload).toBe(true);
          if (decoded.ok && sample.energyMwh !== undefined) {
            expect(kwhToMwh(decoded.value.energyTotal ?? -1)).toBe(sample.energyMwh);
          }
          break;
        }
        case 'status': {
          expect(decodeWith(statusSchema, sample.payload).ok, sample.payload).toBe(true);
          break;
        }
      }
    }
  });
});
