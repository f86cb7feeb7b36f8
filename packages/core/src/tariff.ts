/**
 * The tariff engine: turns an amount paid into energy plus a receipt, line by line, the
 * way Kenyan prepaid tokens are sold (docs/design.md §2). Pure and integer-only.
 *
 * Two prices are kept for any quantity of energy:
 * - the receipt price T(e): every line rounded half-even to the cent, percentage levies
 *   and VAT taken on the rounded lines they apply to, so a customer can check the receipt;
 * - the exact price X(e): the same sum without rounding (a rational number).
 * A purchase of R cents buys the largest whole number of mWh e with T(e) ≤ R and X(e) ≤ R.
 * The first keeps every line non-negative and the lines summing to R (the difference is a
 * named rounding line); the second stops rounding from giving energy away, so a flat
 * 20 KES/kWh tariff sells exactly 5 kWh for 100 KES.
 * quoteEnergy(e) is the least amount that buys at least e, so for every e ≥ 1 mWh:
 *   quoteEnergy(e).totalCents ≤ A  ⇔  quotePurchase(A).energyMwh ≥ e.
 */
import {
  BASIS_POINTS_PER_WHOLE,
  assertNonNegativeSafeInteger,
  ceilDivNonNegative,
  parseScaledDecimal,
  roundHalfEvenDiv,
  toSafeNumber,
} from './money';

const MWH_PER_KWH = 1_000_000;
/** Rates may carry sub-cent precision (e.g. a 1.25 c/kWh levy): four decimal places of a cent. */
export const RATE_FRACTION_DIGITS = 4;
export const MAX_TARIFF_BLOCKS = 16;
/** Pass-through charges plus levies in one tariff. */
export const MAX_TARIFF_COMPONENTS = 32;
/** 10 000 KES per kWh: far above any real tariff, and keeps one mWh under a cent per line. */
export const MAX_RATE_CENTS_PER_KWH = 1_000_000;
export const MAX_BASIS_POINTS = BASIS_POINTS_PER_WHOLE;
/** Every band costs at least a cent per kWh before levies: with MAX_PURCHASE_CENTS this keeps energy a safe integer. */
export const MIN_PRICE_CENTS_PER_KWH = 1;
/** 10,000,000 KES: forty times M-Pesa's per-transaction cap, and small enough that energy stays a safe integer. */
export const MAX_PURCHASE_CENTS = 1_000_000_000;
/** East Africa Time has no daylight saving: months and date-only tariff dates are taken in UTC+3. */
export const KENYA_UTC_OFFSET_MINUTES = 180;

const RATE_SCALE = 10n ** BigInt(RATE_FRACTION_DIGITS);
const MWH_PER_KWH_BIG = BigInt(MWH_PER_KWH);
/** rate (10^-4 c/kWh) × energy (mWh) is in units of 10^-10 cents. */
const PER_KWH_DENOMINATOR = RATE_SCALE * MWH_PER_KWH_BIG;
/**
 * Exact prices are integers in 10^-18 cents: per-kWh lines are in 10^-10 cents, a
 * percentage of them adds 10^-4, and VAT on a percentage levy adds another 10^-4.
 */
const EXACT_SCALE = 10n ** 18n;
const BP_WHOLE = BigInt(BASIS_POINTS_PER_WHOLE);

const RESERVED_CODES = new Set(['energy', 'standing', 'vat', 'debt', 'rounding']);
const CODE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/** One band of an inclining block tariff, by energy purchased so far in the month. */
export interface TariffBlock {
  /** Upper edge of the band in kWh purchased this month; null for the open-ended last band. */
  upToKwh: number | null;
  /** Energy rate in cents per kWh, up to four decimal places. */
  energyRateCentsPerKwh: number;
  /** Receipt label; defaults to "Energy 0–30 kWh" style. */
  label?: string;
}

/** A per-kWh charge passed through to the customer: fuel cost, forex, inflation adjustment… */
export interface PassThroughCharge {
  code: string;
  label: string;
  centsPerKwh: number;
}

/** A levy that is a percentage of other components, e.g. REP 5% of the energy charge. */
export interface PercentLevy {
  code: string;
  label: string;
  /** Percent × 100: 500 is 5%. */
  basisPoints: number;
  /** Codes of the lines it is taken on: 'energy', 'standing', pass-through or per-kWh levy codes. */
  base: readonly string[];
}

/** A levy charged per kWh, e.g. an EPRA levy of 8 c/kWh. */
export interface PerKwhLevy {
  code: string;
  label: string;
  centsPerKwh: number;
}

export type Levy = PercentLevy | PerKwhLevy;

export interface VatRule {
  /** 1600 is 16%. */
  basisPoints: number;
  /** Codes of the lines VAT is taken on; any component except VAT itself. */
  appliesTo: readonly string[];
  label?: string;
}

/** One version of a tariff; versions are told apart by effectiveFrom. */
export interface Tariff {
  id: string;
  name: string;
  /** Epoch ms, an ISO timestamp with a zone, or an ISO date (midnight East Africa Time). */
  effectiveFrom: string | number;
  blocks: readonly TariffBlock[];
  passThroughCentsPerKwh?: readonly PassThroughCharge[];
  levies?: readonly Levy[];
  vat?: VatRule;
  /** Monthly fixed charge, taken at the first purchase of the month. */
  standingChargeCents?: number;
  /** The customer group whose meters this version prices; absent: DEFAULT_TARIFF_GROUP. */
  group?: string;
}

export type ReceiptLineKind = 'debt' | 'standing' | 'energy' | 'pass_through' | 'levy' | 'vat' | 'rounding';

/** One line of a receipt. Lines of a quote always sum to its totalCents. */
export interface ReceiptLine {
  kind: ReceiptLineKind;
  /** 'debt', 'standing', 'energy', 'vat', 'rounding', or the tariff's own component code. */
  code: string;
  label: string;
  amountCents: number;
  /** Energy the line is charged on (energy, pass-through and per-kWh levy lines). */
  energyMwh?: number;
  /** The configured rate, for display only: never computed with. */
  rateCentsPerKwh?: number;
  /** Percentage lines: the rate and the rounded sum it was taken on. */
  basisPoints?: number;
  baseCents?: number;
  /** Energy lines: index into tariff.blocks. */
  blockIndex?: number;
}

export interface PurchaseRequest {
  tariff: Tariff;
  amountCents: number;
  /** Energy already bought this calendar month: where the block walk starts. */
  purchasedThisMonthMwh: number;
  /** True at the first purchase of the month when the tariff has a standing charge. */
  standingChargeDue: boolean;
  /** Money owed (e.g. an emergency-credit advance), recovered before anything else. */
  debtCents?: number;
}

export interface PurchaseQuote {
  tariffId: string;
  amountCents: number;
  /** Always equal to amountCents: the sum of the lines. */
  totalCents: number;
  energyMwh: number;
  lines: ReceiptLine[];
  recoveredDebtCents: number;
  remainingDebtCents: number;
  /** Standing charge paid by this purchase. */
  standingChargeCents: number;
  /** Standing charge this purchase could not cover; the caller carries it as debt. */
  unpaidStandingChargeCents: number;
  /** Cents too small to buy another mWh; also present as the 'rounding' line. */
  roundingCents: number;
  /** purchasedThisMonthMwh + energyMwh, for the next purchase this month. */
  purchasedThisMonthAfterMwh: number;
}

export interface EnergyRequest {
  tariff: Tariff;
  energyMwh: number;
  purchasedThisMonthMwh: number;
  standingChargeDue: boolean;
  debtCents?: number;
}

export interface EnergyQuote {
  tariffId: string;
  energyMwh: number;
  /** The least amount whose purchase buys at least energyMwh. */
  totalCents: number;
  lines: ReceiptLine[];
  recoveredDebtCents: number;
  standingChargeCents: number;
  roundingCents: number;
  purchasedThisMonthAfterMwh: number;
}

/** A tariff that cannot be used as written: a configuration error. */
export class TariffError extends Error {
  constructor(tariffId: string, message: string) {
    super(`tariff ${JSON.stringify(tariffId)}: ${message}`);
    this.name = 'TariffError';
  }
}

/** The default: flat 20 KES per kWh, no levies, no VAT, no standing charge. */
export const DEFAULT_TARIFF: Tariff = Object.freeze({
  id: 'flat-2000',
  name: 'Flat 20 KES/kWh',
  effectiveFrom: 0,
  blocks: Object.freeze([Object.freeze({ upToKwh: null, energyRateCentsPerKwh: 2000 })]),
});

interface CompiledBlock {
  index: number;
  fromMwh: bigint;
  toMwh: bigint | null;
  rateE4: bigint;
  rate: number;
  label: string;
}

interface CompiledPerKwh {
  kind: 'pass_through' | 'levy';
  code: string;
  label: string;
  rateE4: bigint;
  rate: number;
}

interface CompiledPercent {
  code: string;
  label: string;
  basisPoints: number;
  bp: bigint;
  base: ReadonlySet<string>;
}

interface CompiledTariff {
  id: string;
  blocks: CompiledBlock[];
  perKwh: CompiledPerKwh[];
  percent: CompiledPercent[];
  vat: (CompiledPercent & { appliesTo: ReadonlySet<string> }) | null;
  standingCents: bigint;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms at which a tariff version takes effect. */
export function tariffEffectiveFromMs(tariff: Tariff): number {
  const value = tariff.effectiveFrom;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TariffError(tariff.id, `effectiveFrom must be epoch ms`);
    return value;
  }
  const date = ISO_DATE.exec(value);
  if (date !== null) {
    const ms =
      Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])) - KENYA_UTC_OFFSET_MINUTES * 60_000;
    if (new Date(ms + KENYA_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10) !== value) {
      throw new TariffError(tariff.id, `effectiveFrom is not a calendar date: ${value}`);
    }
    return ms;
  }
  const ms = ISO_TIMESTAMP.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new TariffError(
      tariff.id,
      `effectiveFrom must be epoch ms, YYYY-MM-DD or an ISO timestamp with a zone`,
    );
  }
  return ms;
}

/** The version in force at `at`: the latest effectiveFrom not after it. */
export function selectTariff<T extends Tariff>(tariffs: readonly T[], at: Date | number): T {
  const atMs = typeof at === 'number' ? at : at.getTime();
  let best: { tariff: T; fromMs: number } | undefined;
  const seen = new Map<number, string>();
  for (const tariff of tariffs) {
    const fromMs = tariffEffectiveFromMs(tariff);
    const clash = seen.get(fromMs);
    // Two versions taking effect at the same instant would make the choice arbitrary.
    if (clash !== undefined) throw new TariffError(tariff.id, `takes effect at the same time as ${clash}`);
    seen.set(fromMs, tariff.id);
    if (fromMs <= atMs && (best === undefined || fromMs > best.fromMs)) best = { tariff, fromMs };
  }
  if (best === undefined) throw new RangeError(`no tariff is in force at ${new Date(atMs).toISOString()}`);
  return best.tariff;
}

/** The group every meter is in until an operator moves it, and whose tariff other groups fall back to. */
export const DEFAULT_TARIFF_GROUP = 'standard';

/** A group's name: lower-case letters, digits and dashes, 1–32 characters, starting with a letter or digit. */
export const TARIFF_GROUP_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const tariffGroupOf = (t: Pick<Tariff, 'group'>): string => t.group ?? DEFAULT_TARIFF_GROUP;

/**
 * The version pricing a meter of `group` at `at`: the group's own version in force, or, while the
 * group has none in force yet (a new group, or one whose first version starts later), the
 * default group's. A group therefore never sells without a tariff, and a meter moved into a
 * group with no versions of its own keeps paying the default tariff.
 */
export function selectGroupTariff<T extends Tariff>(
  tariffs: readonly T[],
  group: string,
  at: Date | number,
): T {
  const atMs = typeof at === 'number' ? at : at.getTime();
  if (group !== DEFAULT_TARIFF_GROUP) {
    const own = tariffs.filter((t) => tariffGroupOf(t) === group);
    if (own.some((t) => tariffEffectiveFromMs(t) <= atMs)) return selectTariff(own, atMs);
  }
  return selectTariff(
    tariffs.filter((t) => tariffGroupOf(t) === DEFAULT_TARIFF_GROUP),
    atMs,
  );
}

function parseRate(tariffId: string, value: number, name: string): { rateE4: bigint; rate: number } {
  let scaled: number;
  try {
    scaled = parseScaledDecimal(value, RATE_FRACTION_DIGITS, name);
  } catch (error) {
    throw new TariffError(tariffId, (error as Error).message);
  }
  if (scaled > MAX_RATE_CENTS_PER_KWH * 10 ** RATE_FRACTION_DIGITS) {
    throw new TariffError(tariffId, `${name} is above ${MAX_RATE_CENTS_PER_KWH} cents/kWh`);
  }
  return { rateE4: BigInt(scaled), rate: value };
}

function checkBasisPoints(tariffId: string, value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_BASIS_POINTS) {
    throw new TariffError(tariffId, `${name} must be whole basis points between 0 and ${MAX_BASIS_POINTS}`);
  }
  return BigInt(value);
}

function formatKwh(mwh: bigint): string {
  const whole = mwh / MWH_PER_KWH_BIG;
  const frac = (mwh % MWH_PER_KWH_BIG).toString().padStart(6, '0').replace(/0+$/, '');
  return frac === '' ? whole.toString() : `${whole}.${frac}`;
}

function compileTariff(tariff: Tariff): CompiledTariff {
  const id = tariff.id;
  if (typeof id !== 'string' || id === '') throw new TariffError(String(id), 'id must be a non-empty string');
  if (typeof tariff.name !== 'string' || tariff.name === '') {
    throw new TariffError(id, 'name must be a non-empty string');
  }
  tariffEffectiveFromMs(tariff);
  if (tariff.group !== undefined && !TARIFF_GROUP_PATTERN.test(tariff.group)) {
    throw new TariffError(id, 'group must be 1–32 lower-case letters, digits or dashes');
  }

  if (tariff.blocks.length === 0 || tariff.blocks.length > MAX_TARIFF_BLOCKS) {
    throw new TariffError(id, `needs between 1 and ${MAX_TARIFF_BLOCKS} blocks`);
  }
  const blocks: CompiledBlock[] = [];
  let fromMwh = 0n;
  tariff.blocks.forEach((block, index) => {
    const last = index === tariff.blocks.length - 1;
    let toMwh: bigint | null = null;
    if (block.upToKwh === null) {
      if (!last) throw new TariffError(id, `only the last block may be open-ended (block ${index})`);
    } else {
      if (last) throw new TariffError(id, 'the last block must be open-ended (upToKwh: null)');
      try {
        toMwh = BigInt(parseScaledDecimal(block.upToKwh, 6, `blocks[${index}].upToKwh`));
      } catch (error) {
        throw new TariffError(id, (error as Error).message);
      }
      if (toMwh <= fromMwh) throw new TariffError(id, `blocks must have increasing upToKwh (block ${index})`);
    }
    const { rateE4, rate } = parseRate(
      id,
      block.energyRateCentsPerKwh,
      `blocks[${index}].energyRateCentsPerKwh`,
    );
    const label =
      block.label ??
      (toMwh === null
        ? fromMwh === 0n
          ? 'Energy'
          : `Energy above ${formatKwh(fromMwh)} kWh`
        : `Energy ${formatKwh(fromMwh)}–${formatKwh(toMwh)} kWh`);
    blocks.push({ index, fromMwh, toMwh, rateE4, rate, label });
    if (toMwh !== null) fromMwh = toMwh;
  });

  const passThrough = tariff.passThroughCentsPerKwh ?? [];
  const levies = tariff.levies ?? [];
  if (passThrough.length + levies.length > MAX_TARIFF_COMPONENTS) {
    throw new TariffError(id, `has more than ${MAX_TARIFF_COMPONENTS} pass-through charges and levies`);
  }
  const codes = new Set<string>();
  const claimCode = (code: string): void => {
    if (!CODE_PATTERN.test(code)) {
      throw new TariffError(id, `component code ${JSON.stringify(code)} must match ${CODE_PATTERN.source}`);
    }
    if (RESERVED_CODES.has(code)) {
      throw new TariffError(id, `component code ${JSON.stringify(code)} is reserved`);
    }
    if (codes.has(code)) throw new TariffError(id, `component code ${JSON.stringify(code)} is used twice`);
    codes.add(code);
  };

  const perKwh: CompiledPerKwh[] = [];
  for (const charge of passThrough) {
    claimCode(charge.code);
    perKwh.push({
      kind: 'pass_through',
      code: charge.code,
      label: charge.label,
      ...parseRate(id, charge.centsPerKwh, charge.code),
    });
  }
  const percentLevies: PercentLevy[] = [];
  for (const levy of levies) {
    claimCode(levy.code);
    if ('basisPoints' in levy) percentLevies.push(levy);
    else
      perKwh.push({
        kind: 'levy',
        code: levy.code,
        label: levy.label,
        ...parseRate(id, levy.centsPerKwh, levy.code),
      });
  }
  // Percentage levies are taken on first-order lines only, so no levy depends on another.
  const firstOrderCodes = new Set(['energy', 'standing', ...perKwh.map((c) => c.code)]);
  const percent: CompiledPercent[] = percentLevies.map((levy) => {
    for (const code of levy.base) {
      if (!firstOrderCodes.has(code)) {
        throw new TariffError(
          id,
          `levy ${levy.code} is taken on ${JSON.stringify(code)}, which is not energy, standing, a pass-through or a per-kWh levy`,
        );
      }
    }
    return {
      code: levy.code,
      label: levy.label,
      basisPoints: levy.basisPoints,
      bp: checkBasisPoints(id, levy.basisPoints, `levy ${levy.code} basisPoints`),
      base: new Set(levy.base),
    };
  });

  let vat: CompiledTariff['vat'] = null;
  if (tariff.vat !== undefined) {
    const vatCodes = new Set([...firstOrderCodes, ...percent.map((l) => l.code)]);
    for (const code of tariff.vat.appliesTo) {
      if (!vatCodes.has(code)) {
        throw new TariffError(id, `VAT applies to unknown component ${JSON.stringify(code)}`);
      }
    }
    const bp = checkBasisPoints(id, tariff.vat.basisPoints, 'vat.basisPoints');
    vat = {
      code: 'vat',
      label: tariff.vat.label ?? `VAT ${formatBasisPoints(tariff.vat.basisPoints)}%`,
      basisPoints: tariff.vat.basisPoints,
      bp,
      base: new Set(tariff.vat.appliesTo),
      appliesTo: new Set(tariff.vat.appliesTo),
    };
  }

  const standing = tariff.standingChargeCents ?? 0;
  if (!Number.isSafeInteger(standing) || standing < 0) {
    throw new TariffError(id, 'standingChargeCents must be a non-negative integer');
  }

  // A block whose energy cost nothing would let any amount, even zero, buy unlimited energy.
  const perKwhSum = perKwh.reduce((sum, c) => sum + c.rateE4, 0n);
  const minPriceE4 = BigInt(MIN_PRICE_CENTS_PER_KWH) * RATE_SCALE;
  for (const block of blocks) {
    if (block.rateE4 + perKwhSum < minPriceE4) {
      throw new TariffError(
        id,
        `block ${block.index} costs less than ${MIN_PRICE_CENTS_PER_KWH} cent per kWh with its per-kWh charges`,
      );
    }
  }

  return { id, blocks, perKwh, percent, vat, standingCents: BigInt(standing) };
}

function formatBasisPoints(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const frac = (basisPoints % 100).toString().padStart(2, '0').replace(/0+$/, '');
  return frac === '' ? `${whole}` : `${whole}.${frac}`;
}

/** Throws a TariffError naming the problem if the tariff cannot be used; call it when loading tariffs. */
export function validateTariff(tariff: Tariff): void {
  compileTariff(tariff);
}

interface PricedLine {
  line: Omit<ReceiptLine, 'amountCents' | 'energyMwh' | 'baseCents'>;
  roundedCents: bigint;
  exact: bigint;
  energyMwh?: bigint;
  baseCents?: bigint;
}

interface Priced {
  lines: PricedLine[];
  /** T: the receipt price, in cents. */
  roundedCents: bigint;
  /** X: the exact price, in 10^-18 cents. */
  exact: bigint;
}

/** Prices `energyMwh` bought from month-to-date position `fromMwh`, with `standingCents` of standing charge. */
function price(t: CompiledTariff, fromMwh: bigint, energyMwh: bigint, standingCents: bigint): Priced {
  const lines: PricedLine[] = [];
  if (standingCents > 0n) {
    lines.push({
      line: { kind: 'standing', code: 'standing', label: 'Standing charge' },
      roundedCents: standingCents,
      exact: standingCents * EXACT_SCALE,
    });
  }
  const toMwh = fromMwh + energyMwh;
  for (const block of t.blocks) {
    const lo = fromMwh > block.fromMwh ? fromMwh : block.fromMwh;
    const hi = block.toMwh === null || toMwh < block.toMwh ? toMwh : block.toMwh;
    if (hi <= lo) continue;
    const mwh = hi - lo;
    const product = block.rateE4 * mwh;
    lines.push({
      line: {
        kind: 'energy',
        code: 'energy',
        label: block.label,
        rateCentsPerKwh: block.rate,
        blockIndex: block.index,
      },
      roundedCents: roundHalfEvenDiv(product, PER_KWH_DENOMINATOR),
      exact: (product * EXACT_SCALE) / PER_KWH_DENOMINATOR,
      energyMwh: mwh,
    });
  }
  if (energyMwh > 0n) {
    for (const charge of t.perKwh) {
      const product = charge.rateE4 * energyMwh;
      lines.push({
        line: { kind: charge.kind, code: charge.code, label: charge.label, rateCentsPerKwh: charge.rate },
        roundedCents: roundHalfEvenDiv(product, PER_KWH_DENOMINATOR),
        exact: (product * EXACT_SCALE) / PER_KWH_DENOMINATOR,
        energyMwh,
      });
    }
  }
  const percentLine = (rule: CompiledPercent, kind: 'levy' | 'vat'): void => {
    let baseRounded = 0n;
    let baseExact = 0n;
    for (const l of lines) {
      if (rule.base.has(l.line.code)) {
        baseRounded += l.roundedCents;
        baseExact += l.exact;
      }
    }
    if (baseRounded === 0n && baseExact === 0n) return;
    lines.push({
      line: { kind, code: rule.code, label: rule.label, basisPoints: rule.basisPoints },
      roundedCents: roundHalfEvenDiv(rule.bp * baseRounded, BP_WHOLE),
      // Exact by construction of EXACT_SCALE (see its comment); the assertion below keeps it so.
      exact: (rule.bp * baseExact) / BP_WHOLE,
      baseCents: baseRounded,
    });
    if ((rule.bp * baseExact) % BP_WHOLE !== 0n) throw new Error('exact price lost precision');
  };
  for (const levy of t.percent) percentLine(levy, 'levy');
  if (t.vat !== null) percentLine(t.vat, 'vat');

  let roundedCents = 0n;
  let exact = 0n;
  for (const l of lines) {
    roundedCents += l.roundedCents;
    exact += l.exact;
  }
  return { lines, roundedCents, exact };
}

/** Both prices within the budget: see the file comment. */
function fits(p: Priced, budgetCents: bigint): boolean {
  return p.roundedCents <= budgetCents && p.exact <= budgetCents * EXACT_SCALE;
}

function toReceiptLine(p: PricedLine): ReceiptLine {
  const line: ReceiptLine = { ...p.line, amountCents: toSafeNumber(p.roundedCents, p.line.code) };
  if (p.energyMwh !== undefined) line.energyMwh = toSafeNumber(p.energyMwh, 'energyMwh');
  if (p.baseCents !== undefined) line.baseCents = toSafeNumber(p.baseCents, 'baseCents');
  return line;
}

function debtLine(amountCents: bigint): ReceiptLine[] {
  return amountCents > 0n
    ? [{ kind: 'debt', code: 'debt', label: 'Debt recovered', amountCents: Number(amountCents) }]
    : [];
}

function roundingLine(amountCents: bigint): ReceiptLine[] {
  return amountCents > 0n
    ? [
        {
          kind: 'rounding',
          code: 'rounding',
          label: 'Rounding (too little to buy another mWh)',
          amountCents: Number(amountCents),
        },
      ]
    : [];
}

/**
 * About how much energy `budgetCents` buys from `fromMwh` on: the budget at the price of the
 * next kWh. Only a starting point for `bracket` (blocks, levies and rounding move the answer);
 * 0 when that kWh costs nothing (then the search starts from scratch).
 */
function estimateEnergy(t: CompiledTariff, fromMwh: bigint, budgetCents: bigint): bigint {
  const kwhCents = price(t, fromMwh, MWH_PER_KWH_BIG, 0n).roundedCents;
  return kwhCents > 0n && budgetCents > 0n ? (budgetCents * MWH_PER_KWH_BIG) / kwhCents : 0n;
}

/**
 * [lo, hi) with ok(lo) and not ok(hi), given ok(0) and ok true on a prefix, found from a guess:
 * steps of a thousandth of it, doubling, outwards. From a good guess (a flat tariff's is off by
 * rounding only) that takes a few calls of ok where growing from 1 takes some twenty; from a
 * poor one, at most about as many as that.
 */
function bracket(guess: bigint, ok: (n: bigint) => boolean): [bigint, bigint] {
  let step = guess / 1000n > 0n ? guess / 1000n : 1n;
  if (ok(guess)) {
    let lo = guess;
    for (;;) {
      const hi = lo + step;
      if (!ok(hi)) return [lo, hi];
      lo = hi;
      step *= 2n;
    }
  }
  let hi = guess;
  for (;;) {
    const lo = hi - step > 0n ? hi - step : 0n;
    if (lo === 0n || ok(lo)) return [lo, hi];
    hi = lo;
    step *= 2n;
  }
}

/** Largest n in [lo, hi) with ok(n), given ok(lo) and ok is true on a prefix. */
function lastTrue(lo: bigint, hi: bigint, ok: (n: bigint) => boolean): bigint {
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Turns money paid into energy and a receipt whose lines sum to exactly amountCents. */
export function quotePurchase(request: PurchaseRequest): PurchaseQuote {
  const t = compileTariff(request.tariff);
  assertNonNegativeSafeInteger(request.amountCents, 'amountCents');
  if (request.amountCents > MAX_PURCHASE_CENTS) {
    throw new RangeError(`amountCents is above ${MAX_PURCHASE_CENTS}`);
  }
  assertNonNegativeSafeInteger(request.purchasedThisMonthMwh, 'purchasedThisMonthMwh');
  const debtCents = request.debtCents ?? 0;
  assertNonNegativeSafeInteger(debtCents, 'debtCents');

  const amount = BigInt(request.amountCents);
  const fromMwh = BigInt(request.purchasedThisMonthMwh);
  const recoveredDebt = amount < BigInt(debtCents) ? amount : BigInt(debtCents);
  const budget = amount - recoveredDebt;
  const standingDue = request.standingChargeDue ? t.standingCents : 0n;

  let energyMwh = 0n;
  let standingPaid = standingDue;
  let priced = price(t, fromMwh, 0n, standingDue);
  if (fits(priced, budget)) {
    // Bracket the answer, then bisect: T and X both grow with energy, and every block has a price.
    const ok = (e: bigint) => fits(price(t, fromMwh, e, standingDue), budget);
    const [lo, hi] = bracket(estimateEnergy(t, fromMwh, budget - standingDue), ok);
    energyMwh = lastTrue(lo, hi, ok);
    priced = price(t, fromMwh, energyMwh, standingDue);
  } else {
    // Not even the standing charge fits: take what does, the caller carries the rest as debt.
    standingPaid = lastTrue(0n, standingDue + 1n, (s) => fits(price(t, fromMwh, 0n, s), budget));
    priced = price(t, fromMwh, 0n, standingPaid);
  }

  const rounding = budget - priced.roundedCents;
  const lines = [...debtLine(recoveredDebt), ...priced.lines.map(toReceiptLine), ...roundingLine(rounding)];
  const quote: PurchaseQuote = {
    tariffId: t.id,
    amountCents: request.amountCents,
    totalCents: lines.reduce((sum, l) => sum + l.amountCents, 0),
    energyMwh: toSafeNumber(energyMwh, 'energyMwh'),
    lines,
    recoveredDebtCents: Number(recoveredDebt),
    remainingDebtCents: debtCents - Number(recoveredDebt),
    standingChargeCents: Number(standingPaid),
    unpaidStandingChargeCents: Number(standingDue - standingPaid),
    roundingCents: Number(rounding),
    purchasedThisMonthAfterMwh: toSafeNumber(fromMwh + energyMwh, 'purchasedThisMonthAfterMwh'),
  };
  if (quote.totalCents !== quote.amountCents || rounding < 0n) throw new Error('receipt lines do not add up');
  return quote;
}

/** The least amount that buys at least energyMwh, with its receipt: the "what X kWh costs" preview. */
export function quoteEnergy(request: EnergyRequest): EnergyQuote {
  const t = compileTariff(request.tariff);
  assertNonNegativeSafeInteger(request.energyMwh, 'energyMwh');
  assertNonNegativeSafeInteger(request.purchasedThisMonthMwh, 'purchasedThisMonthMwh');
  const debtCents = request.debtCents ?? 0;
  assertNonNegativeSafeInteger(debtCents, 'debtCents');

  const energyMwh = BigInt(request.energyMwh);
  const standingDue = request.standingChargeDue ? t.standingCents : 0n;
  const priced = price(t, BigInt(request.purchasedThisMonthMwh), energyMwh, standingDue);
  const exactCeil = ceilDivNonNegative(priced.exact, EXACT_SCALE);
  const budget = exactCeil > priced.roundedCents ? exactCeil : priced.roundedCents;
  const rounding = budget - priced.roundedCents;
  const lines = [
    ...debtLine(BigInt(debtCents)),
    ...priced.lines.map(toReceiptLine),
    ...roundingLine(rounding),
  ];
  return {
    tariffId: t.id,
    energyMwh: request.energyMwh,
    totalCents: toSafeNumber(BigInt(debtCents) + budget, 'totalCents'),
    lines,
    recoveredDebtCents: debtCents,
    standingChargeCents: Number(standingDue),
    roundingCents: Number(rounding),
    purchasedThisMonthAfterMwh: toSafeNumber(
      BigInt(request.purchasedThisMonthMwh) + energyMwh,
      'purchasedThisMonthAfterMwh',
    ),
  };
}
