// @umeme/core: the pure domain core (tariffs, credit arithmetic, relay and alert rules). No I/O.

// Integer money helpers.
export {
  /** 10 000 basis points make a whole. */
  BASIS_POINTS_PER_WHOLE,
  /** Throws unless a number is a safe integer. */
  assertSafeInteger,
  /** Throws unless a number is a safe integer ≥ 0. */
  assertNonNegativeSafeInteger,
  /** BigInt → number, throwing if precision would be lost. */
  toSafeNumber,
  /** n / d rounded half-even; bigint or number in, same out. */
  roundHalfEvenDiv,
  /** ⌈n / d⌉ for non-negative bigints. */
  ceilDivNonNegative,
  /** Exact decimal text → integer × 10^digits; refuses extra digits. */
  parseScaledDecimal,
} from './money';

// Tariff engine.
export {
  /** Rates carry up to this many decimal places of a cent. */
  RATE_FRACTION_DIGITS,
  /** Limits on one tariff's shape. */
  MAX_TARIFF_BLOCKS,
  MAX_TARIFF_COMPONENTS,
  MAX_RATE_CENTS_PER_KWH,
  MAX_BASIS_POINTS,
  /** Least price per kWh of any band, before percentage levies and VAT. */
  MIN_PRICE_CENTS_PER_KWH,
  /** Largest amount one purchase may quote. */
  MAX_PURCHASE_CENTS,
  /** UTC+3, for billing months and date-only effectiveFrom. */
  KENYA_UTC_OFFSET_MINUTES,
  /** Flat 20 KES/kWh, no levies or VAT. */
  DEFAULT_TARIFF,
  /** Thrown for a tariff that cannot be used as written. */
  TariffError,
  /** Throws a TariffError naming what is wrong with a tariff. */
  validateTariff,
  /** Epoch ms at which a tariff version takes effect. */
  tariffEffectiveFromMs,
  /** The tariff version in force at an instant. */
  selectTariff,
  /** The version in force for a customer group, falling back to the default group's. */
  selectGroupTariff,
  /** The group every meter starts in ('standard'). */
  DEFAULT_TARIFF_GROUP,
  /** What a group's name may be. */
  TARIFF_GROUP_PATTERN,
  /** A version's group ('standard' when it names none). */
  tariffGroupOf,
  /** Money paid → energy and a receipt whose lines sum to the amount. */
  quotePurchase,
  /** Energy wanted → least amount that buys it, with its receipt. */
  quoteEnergy,
} from './tariff';
export type {
  /** One version of a tariff. */
  Tariff,
  /** One inclining block (band) of a tariff. */
  TariffBlock,
  /** Per-kWh pass-through charge (fuel, forex, inflation…). */
  PassThroughCharge,
  /** Percentage levy on named components. */
  PercentLevy,
  /** Per-kWh levy. */
  PerKwhLevy,
  /** Either kind of levy. */
  Levy,
  /** VAT rate and the components it applies to. */
  VatRule,
  /** The kind of a receipt line. */
  ReceiptLineKind,
  /** One receipt line. */
  ReceiptLine,
  /** Input of quotePurchase. */
  PurchaseRequest,
  /** Output of quotePurchase. */
  PurchaseQuote,
  /** Input of quoteEnergy. */
  EnergyRequest,
  /** Output of quoteEnergy. */
  EnergyQuote,
} from './tariff';

// Credit protocol (docs/design.md §3).
export {
  /** Applies one consumption report to the register state: what to debit. */
  applyEnergyReport,
  /** C − E. */
  balanceMwh,
  /** E0 + opening credit. */
  openingCreditLimitMwh,
  /** The meter's keep-the-largest-C rule. */
  mergeCreditLimitMwh,
  /** Relay state and the reason for it. */
  relayDecision,
  /** Relay state only. */
  relayShouldClose,
} from './credit';
export type {
  /** 'v2' (energyTotal) or 'legacy' (totalConsumed). */
  ReportKind,
  /** Operator relay override. */
  RelayOverride,
  /** Per-meter register state kept by the server. */
  EnergyRegisterState,
  /** Result of applyEnergyReport. */
  EnergyReportResult,
  /** Report timestamps that tell a late legacy report from a restart. */
  ReportTiming,
  /** Input of relayDecision. */
  RelayInputs,
  /** Why the relay is where it is. */
  RelayReason,
  /** Output of relayDecision. */
  RelayDecision,
} from './credit';

// Alert rules (docs/design.md §3.6).
export {
  /** Report intervals missed before connection_lost. */
  DEFAULT_MISSED_INTERVALS_BEFORE_LOST,
  /** How far the meter's balance may differ from the server's before balance_mismatch. */
  BALANCE_TOLERANCE_MWH,
  ALERT_KINDS,
  BALANCE_ALERT_KINDS,
  /** balance < threshold: the meter's low_balance status and the server's alert. */
  isLowBalance,
  /** 'above' | 'below' | null: the meter's balance against the server's. */
  meterBalanceDisagreement,
  /** Whether zero_balance, low_balance and balance_mismatch should be open. */
  balanceAlertFlags,
  /** One balance alert with its severity and message. */
  balanceAlert,
  /** All balance alerts, open or closed. */
  balanceAlerts,
  RELAY_OFF_TOLERANCE_MWH,
  /** Hot-path shortcut: whether a tamper alert should be open. */
  tamperSuspected,
  /** tamper_relay and power_over_rated, open or closed. */
  tamperAlerts,
} from './alerts';
export type {
  /** Every alert kind. */
  AlertKind,
  AlertSeverity,
  /** An alert a rule says should be open or closed. */
  AlertDecision,
  BalanceAlertKind,
  BalanceAlertInput,
  TamperAlertKind,
  TamperInput,
} from './alerts';

// Friendly hours (issue 5 §4).
export {
  /** Kenya's fixed-date public holidays as MM-DD. */
  KENYA_FIXED_HOLIDAYS,
  /** Off; nights 19:00–07:00, Sundays and the fixed holidays when turned on. */
  DEFAULT_FRIENDLY_SCHEDULE,
  MAX_FRIENDLY_HOLIDAYS,
  MAX_UTC_OFFSET_MINUTES,
  TIME_OF_DAY_PATTERN,
  HOLIDAY_PATTERN,
  /** Throws a RangeError naming what is wrong with a schedule. */
  validateFriendlySchedule,
  /** Whether the load must stay on at an instant. */
  isFriendlyTime,
  /** The next instant the answer changes, or null. */
  nextFriendlyTransition,
  /** "HH:MM" in the schedule's local time. */
  localTimeOfDay,
  /** The part of a purchase that repays friendly-hours use, for the receipt. */
  friendlyHoursRecovery,
} from './friendly-hours';
export type {
  /** Nights, Sundays and holidays, in local time. */
  FriendlySchedule,
  /** Input of friendlyHoursRecovery. */
  FriendlyRecoveryInput,
  /** Output of friendlyHoursRecovery. */
  FriendlyRecovery,
} from './friendly-hours';

// Predictive low-balance notice (issue 5 §6).
export {
  DEFAULT_FORECAST_THRESHOLD_MINUTES,
  FORECAST_HYSTERESIS_NUMERATOR,
  FORECAST_HYSTERESIS_DENOMINATOR,
  /** Whole minutes of credit left at a rate. */
  minutesOfCreditLeft,
  /** Whether the notice should be open (threshold with hysteresis). */
  predictedLowOpen,
  /** "about 5 hours". */
  describeTimeLeft,
} from './low-balance-forecast';
export type {
  /** Input of predictedLowOpen. */
  ForecastInputs,
} from './low-balance-forecast';

// Register plausibility (issue 13 finding 4, MQ-13).
export {
  DEFAULT_RATED_POWER_W,
  DEFAULT_REGISTER_GRACE_MS,
  REGISTER_MARGIN_NUMERATOR,
  REGISTER_MARGIN_DENOMINATOR,
  /** rated power × (elapsed × 3/2 + grace), in mWh. */
  plausibleRegisterGrowthMwh,
  /** Whether a report's register jump is held for an operator. */
  registerJumpVerdict,
  /** E0, C and E moved up together: the operator's register-epoch reset. */
  rebaseRegister,
} from './register-plausibility';
export type {
  /** Input of registerJumpVerdict. */
  RegisterJumpInput,
  /** Output of registerJumpVerdict. */
  RegisterJumpVerdict,
} from './register-plausibility';
