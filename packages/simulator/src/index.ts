export {
  VirtualMeter,
  SIMULATOR_FIRMWARE,
  type VirtualMeterOptions,
  type VirtualMeterEvents,
  type FaultOptions,
  type MeterState,
  type MeterReport,
  type PublishedReport,
  type RelayOverride,
} from './virtual-meter';
export {
  Fleet,
  DEFAULT_STATE_DIR,
  formatSummary,
  type FleetOptions,
  type FleetStats,
  type MeterCredentials,
} from './fleet';
export {
  HouseholdLoadModel,
  ConstantLoadModel,
  EnergyIntegrator,
  mulberry32,
  deriveSeed,
  eatHourOfDay,
  householdScaleFromSeed,
  WATT_MS_PER_MWH,
  type LoadModel,
  type HouseholdOptions,
  type Rng,
} from './load-model';
export { loadMeterState, saveMeterState, stateFilePath } from './state-store';
export { loadCredentialsFile, prefixCredentials, registerMeters, generatedMeterNos } from './credentials';
export * from './limits';
