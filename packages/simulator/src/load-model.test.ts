// Protects the household load curve: plausible daily energy, peaks at the right hours, exact replay, no drift.
import { describe, expect, it } from 'vitest';
import {
  ConstantLoadModel,
  deriveSeed,
  eatHourOfDay,
  EnergyIntegrator,
  HouseholdLoadModel,
  householdScaleFromSeed,
  mulberry32,
  WATT_MS_PER_MWH,
} from './load-model';
import { LOAD_STEP_MS } from './limits';

/** Midnight in Nairobi (21:00 UTC the day before). */
const MIDNIGHT_EAT_MS = Date.UTC(2025, 0, 5, 21, 0, 0);
const STEPS_PER_DAY = 86_400_000 / LOAD_STEP_MS;
const SEEDS = Array.from({ length: 24 }, (_, i) => 1_000 + i * 7);

interface DayRun {
  totalMwh: number;
  hourlyMwh: number[];
  watts: number[];
  increments: number[];
  remainderWattMs: number;
}

function runDay(seed: number, scale = 1): DayRun {
  const model = new HouseholdLoadModel({ seed, scale });
  const integrator = new EnergyIntegrator();
  const hourlyMwh = new Array<number>(24).fill(0);
  const watts: number[] = [];
  const increments: number[] = [];
  let totalMwh = 0;
  for (let i = 0; i < STEPS_PER_DAY; i++) {
    const w = model.step(MIDNIGHT_EAT_MS + i * LOAD_STEP_MS);
    const mwh = integrator.add(w, LOAD_STEP_MS);
    watts.push(w);
    increments.push(mwh);
    totalMwh += mwh;
    const hour = Math.floor((i * LOAD_STEP_MS) / 3_600_000);
    hourlyMwh[hour] = (hourlyMwh[hour] ?? 0) + mwh;
  }
  return { totalMwh, hourlyMwh, watts, increments, remainderWattMs: integrator.remainderWattMs };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]): number => sum(xs) / xs.length;
const hoursMwh = (run: DayRun, from: number, to: number): number =>
  sum(run.hourlyMwh.slice(from, to)) / (to - from);

describe('HouseholdLoadModel', () => {
  const runs = SEEDS.map((seed) => runDay(seed));

  it('uses between 2 and 12 kWh a day for a typical household, about 5 kWh on average', () => {
    for (const run of runs) {
      expect(run.totalMwh).toBeGreaterThan(2_000_000);
      expect(run.totalMwh).toBeLessThan(12_000_000);
    }
    const average = mean(runs.map((r) => r.totalMwh));
    expect(average).toBeGreaterThan(4_000_000);
    expect(average).toBeLessThan(7_000_000);
  });

  it('draws a night base load of roughly 40–200 W (fridge, security light, standby)', () => {
    for (const run of runs) {
      const night = run.watts.slice(1 * 3_600, 4 * 3_600);
      expect(night.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(20);
      expect(mean(night)).toBeGreaterThan(40);
      expect(mean(night)).toBeLessThan(200);
    }
  });

  it('peaks in the morning (6–8 am) and the evening (6–10 pm), with a low midday', () => {
    const morning = mean(runs.map((r) => hoursMwh(r, 6, 8)));
    const evening = mean(runs.map((r) => hoursMwh(r, 18, 22)));
    const midday = mean(runs.map((r) => hoursMwh(r, 9, 12)));
    const night = mean(runs.map((r) => hoursMwh(r, 1, 4)));
    expect(morning).toBeGreaterThan(2.5 * midday);
    expect(evening).toBeGreaterThan(2.5 * midday);
    expect(evening).toBeGreaterThan(2.5 * night);
    // bursts: kettles and water heaters push single seconds well above 1.5 kW in the morning
    const morningMaxW = runs
      .flatMap((r) => r.watts.slice(6 * 3_600, 8 * 3_600))
      .reduce((a, b) => Math.max(a, b), 0);
    expect(morningMaxW).toBeGreaterThan(1_500);
  });

  it('replays exactly from a seed and differs between seeds', () => {
    const again = runDay(SEEDS[0] ?? 0);
    expect(again.watts).toEqual(runs[0]?.watts);
    expect(again.totalMwh).toBe(runs[0]?.totalMwh);
    expect(runs[1]?.watts).not.toEqual(runs[0]?.watts);
  });

  it('scales every load with the household scale', () => {
    const half = runDay(SEEDS[0] ?? 0, 0.5);
    const full = runs[0];
    expect(half.totalMwh / (full?.totalMwh ?? 1)).toBeCloseTo(0.5, 2);
  });

  it('draws household scales in 0.5–1.7 and spreads them out', () => {
    const scales = Array.from({ length: 200 }, (_, i) => householdScaleFromSeed(i));
    expect(Math.min(...scales)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...scales)).toBeLessThanOrEqual(1.7);
    expect(new Set(scales).size).toBeGreaterThan(50);
  });
});

describe('EnergyIntegrator', () => {
  it('does not drift: the increments sum to the register and to the exact integral rounded down', () => {
    for (const run of runs()) {
      const exactWattMs = sum(run.watts) * LOAD_STEP_MS;
      expect(sum(run.increments)).toBe(run.totalMwh);
      expect(run.totalMwh).toBe(Math.floor(exactWattMs / WATT_MS_PER_MWH));
      expect(run.totalMwh * WATT_MS_PER_MWH + run.remainderWattMs).toBe(exactWattMs);
    }
    function runs(): DayRun[] {
      return [runDay(5), runDay(6, 1.37)];
    }
  });

  it('carries sub-mWh remainders: 1 W for one hour is exactly 1000 mWh in 1 ms steps', () => {
    const integrator = new EnergyIntegrator();
    let total = 0;
    for (let i = 0; i < 3_600_000; i++) total += integrator.add(1, 1);
    expect(total).toBe(1_000);
    expect(integrator.remainderWattMs).toBe(0);
  });

  it('rejects fractional or negative power', () => {
    const integrator = new EnergyIntegrator();
    expect(() => integrator.add(1.5, 1_000)).toThrow(RangeError);
    expect(() => integrator.add(-1, 1_000)).toThrow(RangeError);
    expect(() => new EnergyIntegrator(WATT_MS_PER_MWH)).toThrow(RangeError);
  });
});

describe('seeding and time helpers', () => {
  it('mulberry32 replays and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1_000 }, () => a());
    expect(Array.from({ length: 1_000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mean(xs)).toBeCloseTo(0.5, 1);
  });

  it('derives distinct seeds for meter numbers that differ in one character', () => {
    expect(deriveSeed(42, 'SIM00001')).not.toBe(deriveSeed(42, 'SIM00002'));
    expect(deriveSeed(42, 'SIM00001')).toBe(deriveSeed(42, 'SIM00001'));
    expect(deriveSeed(42, 'SIM00001')).not.toBe(deriveSeed(43, 'SIM00001'));
  });

  it('reads the hour in Nairobi time (UTC+3)', () => {
    expect(eatHourOfDay(MIDNIGHT_EAT_MS)).toBe(0);
    expect(eatHourOfDay(Date.UTC(2025, 0, 6, 4, 30))).toBe(7.5);
  });

  it('a constant model draws its power every step', () => {
    expect(new ConstantLoadModel(250).step()).toBe(250);
    expect(() => new ConstantLoadModel(-1)).toThrow(RangeError);
  });
});
