import { EAT_OFFSET_MS, LOAD_STEP_MS } from './limits';

/**
 * A Kenyan household's electricity demand through the day, stepped once per LOAD_STEP_MS.
 * Everything random comes from one seeded PRNG, so a seed replays a household exactly.
 */

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 24 * MS_PER_HOUR;
/** 1 W for 1 ms is 1/3600 mWh: energy is integrated in watt-milliseconds and divided once. */
export const WATT_MS_PER_MWH = 3_600;

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for simulation, and identical on every platform. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Derives an independent 32-bit seed from a base seed and a label (a meter number, a stream name). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // murmur3 finaliser: spreads labels that differ in one character
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A source of demand. `step` is called once per consecutive LOAD_STEP_MS and returns the integer watts drawn during it. */
export interface LoadModel {
  step(stepStartMs: number): number;
}

/** Constant demand: for tests that need exact energy arithmetic. */
export class ConstantLoadModel implements LoadModel {
  constructor(private readonly powerW: number) {
    if (!Number.isInteger(powerW) || powerW < 0)
      throw new RangeError(`powerW must be a non-negative integer: ${powerW}`);
  }
  step(): number {
    return this.powerW;
  }
}

/**
 * Integrates integer watts over integer milliseconds into integer mWh, carrying the remainder,
 * so that the register equals the exact integral rounded down at every step: no float drift.
 */
export class EnergyIntegrator {
  private remainder: number;

  constructor(remainderWattMs = 0) {
    if (!Number.isInteger(remainderWattMs) || remainderWattMs < 0 || remainderWattMs >= WATT_MS_PER_MWH) {
      throw new RangeError(`remainder must be an integer in [0, ${WATT_MS_PER_MWH}): ${remainderWattMs}`);
    }
    this.remainder = remainderWattMs;
  }

  get remainderWattMs(): number {
    return this.remainder;
  }

  /** Returns the whole mWh completed by drawing powerW for durationMs. */
  add(powerW: number, durationMs: number): number {
    if (!Number.isInteger(powerW) || powerW < 0 || !Number.isInteger(durationMs) || durationMs < 0) {
      throw new RangeError(`power and duration must be non-negative integers: ${powerW} W, ${durationMs} ms`);
    }
    const total = this.remainder + powerW * durationMs;
    const mwh = Math.floor(total / WATT_MS_PER_MWH);
    this.remainder = total - mwh * WATT_MS_PER_MWH;
    return mwh;
  }
}

/** Hour of the day in Kenya (0 ≤ h < 24, fractional) for an epoch time. */
export function eatHourOfDay(epochMs: number): number {
  const local = (((epochMs + EAT_OFFSET_MS) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  return local / MS_PER_HOUR;
}

type HourlyProfile = readonly [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** An appliance used in bursts: starts at random at an hourly rate, runs a random time at its rated power. */
interface BurstAppliance {
  readonly name: string;
  readonly powerW: number;
  readonly minOnS: number;
  readonly maxOnS: number;
  /** Expected starts per hour, by local hour. */
  readonly startsPerHour: HourlyProfile;
}

// prettier-ignore
const BURST_APPLIANCES: readonly BurstAppliance[] = [
  // Electric kettle: tea at breakfast and in the evening.
  { name: 'kettle', powerW: 2_000, minOnS: 120, maxOnS: 240,
    startsPerHour: [0, 0, 0, 0, 0, 0.1, 1.0, 1.0, 0.4, 0, 0, 0, 0.1, 0.2, 0, 0, 0.1, 0.3, 0.5, 0.5, 0.4, 0.2, 0, 0] },
  // Instant shower / water heater: the heaviest load, mostly before work and school.
  { name: 'water_heater', powerW: 3_000, minOnS: 300, maxOnS: 720,
    startsPerHour: [0, 0, 0, 0, 0, 0.1, 0.8, 0.6, 0.2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0.1, 0, 0] },
  // Iron: school uniforms in the morning, some in the evening.
  { name: 'iron', powerW: 1_000, minOnS: 600, maxOnS: 1_500,
    startsPerHour: [0, 0, 0, 0, 0, 0, 0.3, 0.3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.05, 0, 0] },
  // Hot plate / electric cooker: supper, sometimes lunch.
  { name: 'hot_plate', powerW: 1_500, minOnS: 900, maxOnS: 2_400,
    startsPerHour: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.05, 0.1, 0.05, 0, 0, 0, 0.1, 0.3, 0.5, 0.2, 0, 0, 0] },
  // Microwave: reheating.
  { name: 'microwave', powerW: 1_000, minOnS: 60, maxOnS: 240,
    startsPerHour: [0, 0, 0, 0, 0, 0, 0.1, 0.3, 0, 0, 0, 0, 0.1, 0.3, 0, 0, 0, 0, 0.1, 0.3, 0.3, 0.1, 0, 0] },
];

/** Indoor lighting, watts by local hour: before dawn and after dusk (sunset is near 18:45 all year at the equator). */
// prettier-ignore
const LIGHTS_W: HourlyProfile = [5, 0, 0, 0, 0, 20, 80, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 80, 150, 150, 120, 60, 15];
/** TV, radio, decoder and phone chargers, watts by local hour. */
// prettier-ignore
const MEDIA_W: HourlyProfile = [5, 0, 0, 0, 0, 10, 30, 40, 20, 15, 15, 15, 25, 25, 20, 20, 30, 50, 90, 110, 110, 100, 60, 20];

const NOISE_PERIOD_STEPS = 60;

export interface HouseholdOptions {
  seed: number;
  /** Multiplies every load: 1 is a typical urban household of about 5 kWh a day. */
  scale?: number;
}

/**
 * Demand = standby + fridge (thermostat cycling) + security light (dusk to dawn)
 *        + lights and media (hourly profiles with slow seeded noise) + burst appliances.
 * Each household also gets its own fridge size, light wattage and a shift of its daily routine.
 */
export class HouseholdLoadModel implements LoadModel {
  private readonly rng: Rng;
  private readonly scale: number;
  private readonly standbyW: number;
  private readonly fridgeW: number;
  private readonly securityLightW: number;
  private readonly routineShiftMs: number;
  private fridgeOn: boolean;
  private fridgePhaseLeftMs: number;
  private readonly burstLeftMs: number[];
  private readonly burstPowerW: number[];
  private noiseFactor = 1;
  private stepsUntilNoise = 0;

  constructor(options: HouseholdOptions) {
    const scale = options.scale ?? 1;
    if (!Number.isFinite(scale) || scale < 0 || scale > 100)
      throw new RangeError(`scale out of range: ${scale}`);
    this.scale = scale;
    this.rng = mulberry32(options.seed);
    this.standbyW = 6 + this.rng() * 12;
    this.fridgeW = 90 + this.rng() * 60;
    this.securityLightW = 20 + this.rng() * 40;
    this.routineShiftMs = Math.round((this.rng() - 0.5) * MS_PER_HOUR);
    this.fridgeOn = this.rng() < 0.4;
    this.fridgePhaseLeftMs = this.fridgePhaseMs();
    this.burstLeftMs = BURST_APPLIANCES.map(() => 0);
    this.burstPowerW = BURST_APPLIANCES.map(() => 0);
  }

  step(stepStartMs: number): number {
    const hour = eatHourOfDay(stepStartMs + this.routineShiftMs);
    const hourIndex = Math.floor(hour) % 24;
    const nextIndex = (hourIndex + 1) % 24;
    const frac = hour - Math.floor(hour);

    this.fridgePhaseLeftMs -= LOAD_STEP_MS;
    if (this.fridgePhaseLeftMs <= 0) {
      this.fridgeOn = !this.fridgeOn;
      this.fridgePhaseLeftMs = this.fridgePhaseMs();
    }

    if (this.stepsUntilNoise <= 0) {
      this.noiseFactor = 0.8 + this.rng() * 0.4;
      this.stepsUntilNoise = NOISE_PERIOD_STEPS;
    }
    this.stepsUntilNoise -= 1;

    let burstsW = 0;
    BURST_APPLIANCES.forEach((appliance, i) => {
      const left = this.burstLeftMs[i] ?? 0;
      // one draw per appliance per step whatever its state, so the stream does not depend on history
      const draw = this.rng();
      if (left > 0) {
        this.burstLeftMs[i] = left - LOAD_STEP_MS;
        burstsW += this.burstPowerW[i] ?? 0;
        return;
      }
      const startProbability = ((appliance.startsPerHour[hourIndex] ?? 0) * LOAD_STEP_MS) / MS_PER_HOUR;
      if (draw < startProbability) {
        const onS = appliance.minOnS + Math.floor(this.rng() * (appliance.maxOnS - appliance.minOnS + 1));
        const powerW = appliance.powerW * (0.9 + this.rng() * 0.2);
        this.burstLeftMs[i] = onS * 1_000 - LOAD_STEP_MS;
        this.burstPowerW[i] = powerW;
        burstsW += powerW;
      }
    });

    const profile = (p: HourlyProfile): number =>
      (p[hourIndex] ?? 0) * (1 - frac) + (p[nextIndex] ?? 0) * frac;
    const darkOutside = hour >= 18.5 || hour < 6.5;
    const totalW =
      this.standbyW +
      (this.fridgeOn ? this.fridgeW : 0) +
      (darkOutside ? this.securityLightW : 0) +
      (profile(LIGHTS_W) + profile(MEDIA_W)) * this.noiseFactor +
      burstsW;
    return Math.max(0, Math.round(totalW * this.scale));
  }

  /** Compressor on 10–20 min, off 15–30 min, alternately (about 40 % duty). */
  private fridgePhaseMs(): number {
    const [minS, maxS] = this.fridgeOn ? [600, 1_200] : [900, 1_800];
    return (minS + Math.floor(this.rng() * (maxS - minS + 1))) * 1_000;
  }
}

/** A household's load scale drawn from its seed: most homes near typical, a few much larger or smaller. */
export function householdScaleFromSeed(seed: number): number {
  const rng = mulberry32(deriveSeed(seed, 'scale'));
  // the sum of two uniforms is triangular: 0.5–1.7, most homes near 1.1
  return Math.round((0.5 + 0.6 * (rng() + rng())) * 100) / 100;
}
