// Protects the conversion of money paid into energy and a receipt that adds up to the cent.
// The import boundary is for production code; tests need their runner.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TARIFF,
  TariffError,
  quoteEnergy,
  quotePurchase,
  selectGroupTariff,
  selectTariff,
  tariffEffectiveFromMs,
  validateTariff,
  type ReceiptLine,
  type Tariff,
} from './tariff';

/** An illustrative Kenya-Power-style domestic tariff: realistic shape, figures not official. */
function newDomesticTariff(overrides: Partial<Tariff> = {}): Tariff {
  return {
    id: 'domestic-2024-04',
    name: 'Domestic (illustrative)',
    effectiveFrom: '2024-04-01',
    blocks: [
      { upToKwh: 30, energyRateCentsPerKwh: 1222, label: 'Lifeline 0–30 kWh' },
      { upToKwh: 100, energyRateCentsPerKwh: 1654, label: 'Domestic 30–100 kWh' },
      { upToKwh: null, energyRateCentsPerKwh: 1908, label: 'Domestic above 100 kWh' },
    ],
    passThroughCentsPerKwh: [
      { code: 'fuel', label: 'Fuel energy cost', centsPerKwh: 376 },
      { code: 'forex', label: 'Forex adjustment', centsPerKwh: 122.98 },
      { code: 'inflation', label: 'Inflation adjustment', centsPerKwh: 46 },
    ],
    levies: [
      { code: 'rep', label: 'REP levy 5%', basisPoints: 500, base: ['energy'] },
      { code: 'epra', label: 'EPRA levy', centsPerKwh: 8 },
      { code: 'wra', label: 'WRA levy', centsPerKwh: 1.25 },
    ],
    vat: { basisPoints: 1600, appliesTo: ['energy', 'fuel', 'forex', 'inflation'] },
    standingChargeCents: 5000,
    ...overrides,
  };
}

function brief(lines: readonly ReceiptLine[]): Array<[string, number, number | undefined]> {
  return lines.map((l) => [l.code, l.amountCents, l.energyMwh]);
}

function sumCents(lines: readonly ReceiptLine[]): number {
  return lines.reduce((sum, l) => sum + l.amountCents, 0);
}

describe('the default flat tariff', () => {
  it('sells exactly 5 kWh for 100 KES', () => {
    const quote = quotePurchase({
      tariff: DEFAULT_TARIFF,
      amountCents: 10_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(quote.energyMwh).toBe(5_000_000);
    expect(quote.totalCents).toBe(10_000);
    expect(quote.lines).toEqual([
      {
        kind: 'energy',
        code: 'energy',
        label: 'Energy',
        amountCents: 10_000,
        energyMwh: 5_000_000,
        rateCentsPerKwh: 2000,
        blockIndex: 0,
      },
    ]);
    expect(quote.roundingCents).toBe(0);
  });

  it('sells 500 mWh per cent, with no rounding line, at any amount', () => {
    for (const amountCents of [0, 1, 3, 99, 12_345, 987_654_321]) {
      const quote = quotePurchase({
        tariff: DEFAULT_TARIFF,
        amountCents,
        purchasedThisMonthMwh: 0,
        standingChargeDue: false,
      });
      expect(quote.energyMwh).toBe(amountCents * 500);
      expect(quote.roundingCents).toBe(0);
    }
  });

  it('prices 5 kWh at exactly 100 KES', () => {
    const quote = quoteEnergy({
      tariff: DEFAULT_TARIFF,
      energyMwh: 5_000_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: false,
    });
    expect(quote.totalCents).toBe(10_000);
    expect(quote.roundingCents).toBe(0);
  });

  it('charges a whole cent for a fraction of a cent of energy, so paying the quote buys at least that energy', () => {
    const quote = quoteEnergy({
      tariff: DEFAULT_TARIFF,
      energyMwh: 1,
      purchasedThisMonthMwh: 0,
      standingChargeDue: false,
    });
    expect(quote.totalCents).toBe(1);
    expect(brief(quote.lines)).toEqual([
      ['energy', 0, 1],
      ['rounding', 1, undefined],
    ]);
    expect(
      quotePurchase({
        tariff: DEFAULT_TARIFF,
        amountCents: 1,
        purchasedThisMonthMwh: 0,
        standingChargeDue: false,
      }).energyMwh,
    ).toBe(500);
  });
});

describe('a worked domestic receipt', () => {
  it('itemises a 1,000 KES first purchase of the month across the lifeline and the next band', () => {
    const quote = quotePurchase({
      tariff: newDomesticTariff(),
      amountCents: 100_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    // 95,000 cents remain after the standing charge. Per kWh in the lifeline band:
    // 1222 + 376 + 122.98 + 46 + 8 + 1.25 + REP 61.10 + VAT 16% of 1766.98 = 2120.0468 c;
    // 30 kWh cost 63,601.40 c, and the other 31,398.60 c buy 11.880793 kWh of the next band at
    // 2642.7668 c/kWh. Each line is rounded half-even on its own:
    expect(brief(quote.lines)).toEqual([
      ['standing', 5000, undefined],
      ['energy', 36_660, 30_000_000], //   30 kWh × 12.22 KES
      ['energy', 19_651, 11_880_793], //   11.880793 kWh × 16.54 KES = 196.508316… KES
      ['fuel', 15_747, 41_880_793], //     41.880793 kWh × 3.76 KES = 157.471781… KES
      ['forex', 5150, 41_880_793], //      × 1.2298 KES = 51.504999… KES
      ['inflation', 1927, 41_880_793], //  × 0.46 KES = 19.265164… KES
      ['epra', 335, 41_880_793], //        × 0.08 KES = 3.350463… KES
      ['wra', 52, 41_880_793], //          × 0.0125 KES = 0.523509… KES
      ['rep', 2816, undefined], //         5% of (36,660 + 19,651) = 2815.55 c
      ['vat', 12_662, undefined], //       16% of (36,660 + 19,651 + 15,747 + 5150 + 1927) = 12,661.60 c
    ]);
    expect(sumCents(quote.lines)).toBe(100_000);
    expect(quote).toMatchObject({
      energyMwh: 41_880_793,
      totalCents: 100_000,
      standingChargeCents: 5000,
      unpaidStandingChargeCents: 0,
      recoveredDebtCents: 0,
      roundingCents: 0,
      purchasedThisMonthAfterMwh: 41_880_793,
    });
    expect(quote.lines.find((l) => l.code === 'rep')).toMatchObject({ basisPoints: 500, baseCents: 56_311 });
    expect(quote.lines.find((l) => l.code === 'vat')).toMatchObject({
      label: 'VAT 16%',
      basisPoints: 1600,
      baseCents: 79_135,
    });
    expect(quote.lines.find((l) => l.code === 'forex')).toMatchObject({
      kind: 'pass_through',
      rateCentsPerKwh: 122.98,
    });
  });

  it('starts the second purchase of the month where the first left off, without a standing charge', () => {
    const quote = quotePurchase({
      tariff: newDomesticTariff(),
      amountCents: 50_000,
      purchasedThisMonthMwh: 41_880_793,
      standingChargeDue: false,
    });
    expect(brief(quote.lines)).toEqual([
      ['energy', 31_292, 18_919_286],
      ['fuel', 7114, 18_919_286],
      ['forex', 2327, 18_919_286],
      ['inflation', 870, 18_919_286],
      ['epra', 151, 18_919_286],
      ['wra', 24, 18_919_286],
      ['rep', 1565, undefined],
      ['vat', 6656, undefined],
      ['rounding', 1, undefined],
    ]);
    expect(quote.lines[0]).toMatchObject({ label: 'Domestic 30–100 kWh', blockIndex: 1 });
    expect(quote.energyMwh).toBe(18_919_286);
    expect(quote.purchasedThisMonthAfterMwh).toBe(60_800_079);
    expect(sumCents(quote.lines)).toBe(50_000);
  });

  it('resets the lifeline band and takes the standing charge again in a new month', () => {
    const tariff = newDomesticTariff();
    const lastMonth = quotePurchase({
      tariff,
      amountCents: 20_000,
      purchasedThisMonthMwh: 60_800_079,
      standingChargeDue: false,
    });
    const newMonth = quotePurchase({
      tariff,
      amountCents: 20_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(lastMonth.lines.filter((l) => l.kind === 'energy').map((l) => l.blockIndex)).toEqual([1]);
    expect(brief(newMonth.lines)).toEqual([
      ['standing', 5000, undefined],
      ['energy', 8646, 7_075_315],
      ['fuel', 2660, 7_075_315],
      ['forex', 870, 7_075_315],
      ['inflation', 325, 7_075_315],
      ['epra', 57, 7_075_315],
      ['wra', 9, 7_075_315],
      ['rep', 432, undefined],
      ['vat', 2000, undefined],
      ['rounding', 1, undefined],
    ]);
    expect(newMonth.lines[1]).toMatchObject({ label: 'Lifeline 0–30 kWh', blockIndex: 0 });
  });

  it('crosses into the top band when a purchase passes 100 kWh in the month', () => {
    const quote = quotePurchase({
      tariff: newDomesticTariff(),
      amountCents: 50_000,
      purchasedThisMonthMwh: 95_000_000,
      standingChargeDue: false,
    });
    const energy = quote.lines.filter((l) => l.kind === 'energy');
    expect(energy.map((l) => [l.blockIndex, l.energyMwh])).toEqual([
      [1, 5_000_000],
      [2, quote.energyMwh - 5_000_000],
    ]);
    expect(energy[0]?.amountCents).toBe(8270); // 5 kWh × 16.54 KES
  });

  it('prices the energy of the receipt at no more than was paid, with the same lines', () => {
    const tariff = newDomesticTariff();
    const purchase = quotePurchase({
      tariff,
      amountCents: 100_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    const energy = quoteEnergy({
      tariff,
      energyMwh: purchase.energyMwh,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(energy.totalCents).toBeLessThanOrEqual(100_000);
    expect(energy.lines.filter((l) => l.kind !== 'rounding')).toEqual(
      purchase.lines.filter((l) => l.kind !== 'rounding'),
    );
    const oneMore = quoteEnergy({
      tariff,
      energyMwh: purchase.energyMwh + 1,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(oneMore.totalCents).toBeGreaterThan(100_000);
  });
});

describe('debt and the standing charge', () => {
  it('recovers debt before buying energy', () => {
    const quote = quotePurchase({
      tariff: DEFAULT_TARIFF,
      amountCents: 10_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: false,
      debtCents: 3000,
    });
    expect(quote.recoveredDebtCents).toBe(3000);
    expect(quote.remainingDebtCents).toBe(0);
    expect(quote.energyMwh).toBe(3_500_000);
    expect(brief(quote.lines)).toEqual([
      ['debt', 3000, undefined],
      ['energy', 7000, 3_500_000],
    ]);
  });

  it('spends a payment smaller than the debt on the debt alone', () => {
    const quote = quotePurchase({
      tariff: newDomesticTariff(),
      amountCents: 2000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
      debtCents: 3000,
    });
    expect(quote).toMatchObject({
      energyMwh: 0,
      recoveredDebtCents: 2000,
      remainingDebtCents: 1000,
      standingChargeCents: 0,
      unpaidStandingChargeCents: 5000,
    });
    expect(brief(quote.lines)).toEqual([['debt', 2000, undefined]]);
  });

  it('takes what it can of a standing charge the payment cannot cover and reports the rest as unpaid', () => {
    const quote = quotePurchase({
      tariff: newDomesticTariff(),
      amountCents: 3000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(quote).toMatchObject({ energyMwh: 0, standingChargeCents: 3000, unpaidStandingChargeCents: 2000 });
    expect(brief(quote.lines)).toEqual([['standing', 3000, undefined]]);
  });

  it('charges VAT on the standing charge when the tariff says so, also on a part-paid one', () => {
    const tariff = newDomesticTariff({ vat: { basisPoints: 1600, appliesTo: ['energy', 'standing'] } });
    const full = quotePurchase({
      tariff,
      amountCents: 5800,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(brief(full.lines)).toEqual([
      ['standing', 5000, undefined],
      ['vat', 800, undefined],
    ]);
    expect(full.unpaidStandingChargeCents).toBe(0);
    const part = quotePurchase({
      tariff,
      amountCents: 1000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    // 862 + 16% (137.92 → 138) = 1000.
    expect(brief(part.lines)).toEqual([
      ['standing', 862, undefined],
      ['vat', 138, undefined],
    ]);
    expect(part.unpaidStandingChargeCents).toBe(4138);
  });

  it('ignores standingChargeDue for a tariff without a standing charge', () => {
    const quote = quotePurchase({
      tariff: DEFAULT_TARIFF,
      amountCents: 100,
      purchasedThisMonthMwh: 0,
      standingChargeDue: true,
    });
    expect(quote.standingChargeCents).toBe(0);
    expect(quote.energyMwh).toBe(50_000);
  });

  it('includes the debt in the price of energy', () => {
    const quote = quoteEnergy({
      tariff: DEFAULT_TARIFF,
      energyMwh: 1_000_000,
      purchasedThisMonthMwh: 0,
      standingChargeDue: false,
      debtCents: 250,
    });
    expect(quote.totalCents).toBe(2250);
    expect(brief(quote.lines)).toEqual([
      ['debt', 250, undefined],
      ['energy', 2000, 1_000_000],
    ]);
  });
});

describe('tariff versions', () => {
  const v1 = { ...DEFAULT_TARIFF, id: 'v1', effectiveFrom: '2024-01-01' };
  const v2 = { ...DEFAULT_TARIFF, id: 'v2', effectiveFrom: '2024-07-01' };
  const v3 = { ...DEFAULT_TARIFF, id: 'v3', effectiveFrom: '2025-01-01T00:00:00Z' };

  it('picks the latest version that has taken effect, whatever the order given', () => {
    expect(selectTariff([v3, v1, v2], Date.parse('2024-08-15T12:00:00Z')).id).toBe('v2');
    expect(selectTariff([v3, v1, v2], Date.parse('2025-01-01T00:00:00Z')).id).toBe('v3');
    expect(selectTariff([v3, v1, v2], new Date('2024-03-01T00:00:00Z')).id).toBe('v1');
  });

  it('reads a date-only effectiveFrom as midnight in Nairobi', () => {
    expect(tariffEffectiveFromMs(v2)).toBe(Date.parse('2024-06-30T21:00:00Z'));
    expect(selectTariff([v1, v2], Date.parse('2024-06-30T20:59:59.999Z')).id).toBe('v1');
    expect(selectTariff([v1, v2], Date.parse('2024-06-30T21:00:00Z')).id).toBe('v2');
  });

  it('refuses to choose when no version is in force or two take effect together', () => {
    expect(() => selectTariff([v2], Date.parse('2024-01-01T00:00:00Z'))).toThrow(RangeError);
    expect(() =>
      selectTariff([v1, { ...v2, id: 'v2b', effectiveFrom: v1.effectiveFrom }], Date.now()),
    ).toThrow(TariffError);
  });

  it('prices a group with its own version in force, and with the default group’s until then', () => {
    const c1 = { ...DEFAULT_TARIFF, id: 'c1', group: 'commercial', effectiveFrom: '2024-03-01' };
    const all = [v1, v2, c1];
    expect(selectGroupTariff(all, 'commercial', Date.parse('2024-02-01T00:00:00Z')).id).toBe('v1');
    expect(selectGroupTariff(all, 'commercial', Date.parse('2024-08-01T00:00:00Z')).id).toBe('c1');
    // The default group never takes another group's version, however recent.
    expect(selectGroupTariff(all, 'standard', Date.parse('2024-05-01T00:00:00Z')).id).toBe('v1');
    // A group with no versions of its own pays the default tariff.
    expect(selectGroupTariff(all, 'schools', Date.parse('2024-08-01T00:00:00Z')).id).toBe('v2');
    // Versions of two groups may start at the same instant; of one group they may not.
    const c2 = { ...c1, id: 'c2', effectiveFrom: v2.effectiveFrom };
    expect(selectGroupTariff([...all, c2], 'commercial', Date.parse('2024-08-01T00:00:00Z')).id).toBe('c2');
    expect(() =>
      selectGroupTariff([...all, { ...c1, id: 'c1b' }], 'commercial', Date.parse('2024-08-01T00:00:00Z')),
    ).toThrow(TariffError);
    expect(() => validateTariff({ ...c1, group: 'Commercial Users' })).toThrow(TariffError);
  });

  it('refuses malformed effectiveFrom dates', () => {
    expect(() => tariffEffectiveFromMs({ ...v1, effectiveFrom: '2024-02-30' })).toThrow(TariffError);
    expect(() => tariffEffectiveFromMs({ ...v1, effectiveFrom: '2024-07-01T00:00:00' })).toThrow(TariffError);
    expect(() => tariffEffectiveFromMs({ ...v1, effectiveFrom: 1.5 })).toThrow(TariffError);
  });
});

describe('tariff validation', () => {
  const bad: Array<[string, Partial<Tariff>]> = [
    ['a last block with an upper edge', { blocks: [{ upToKwh: 30, energyRateCentsPerKwh: 1000 }] }],
    [
      'an open-ended block before the last',
      {
        blocks: [
          { upToKwh: null, energyRateCentsPerKwh: 1 },
          { upToKwh: null, energyRateCentsPerKwh: 1 },
        ],
      },
    ],
    [
      'block edges that do not increase',
      {
        blocks: [
          { upToKwh: 30, energyRateCentsPerKwh: 1 },
          { upToKwh: 30, energyRateCentsPerKwh: 1 },
          { upToKwh: null, energyRateCentsPerKwh: 1 },
        ],
      },
    ],
    ['no blocks', { blocks: [] }],
    [
      'a rate with more than four decimal places',
      { blocks: [{ upToKwh: null, energyRateCentsPerKwh: 0.00001 }] },
    ],
    ['a negative rate', { blocks: [{ upToKwh: null, energyRateCentsPerKwh: -1 }] }],
    ['an energy price of zero', { blocks: [{ upToKwh: null, energyRateCentsPerKwh: 0 }] }],
    ['an energy price under a cent per kWh', { blocks: [{ upToKwh: null, energyRateCentsPerKwh: 0.9999 }] }],
    ['a reserved component code', { passThroughCentsPerKwh: [{ code: 'vat', label: 'x', centsPerKwh: 1 }] }],
    [
      'a component code used twice',
      {
        passThroughCentsPerKwh: [{ code: 'fuel', label: 'x', centsPerKwh: 1 }],
        levies: [{ code: 'fuel', label: 'y', centsPerKwh: 1 }],
      },
    ],
    [
      'a percentage levy on another percentage levy',
      {
        levies: [
          { code: 'a', label: 'a', basisPoints: 100, base: ['energy'] },
          { code: 'b', label: 'b', basisPoints: 100, base: ['a'] },
        ],
      },
    ],
    ['VAT on an unknown component', { vat: { basisPoints: 1600, appliesTo: ['nothing'] } }],
    ['fractional basis points', { vat: { basisPoints: 16.5, appliesTo: ['energy'] } }],
    ['a negative standing charge', { standingChargeCents: -1 }],
  ];
  it.each(bad)('refuses %s', (_name, overrides) => {
    expect(() => validateTariff({ ...DEFAULT_TARIFF, ...overrides })).toThrow(TariffError);
  });

  it('accepts the default and the domestic tariffs', () => {
    expect(() => validateTariff(DEFAULT_TARIFF)).not.toThrow();
    expect(() => validateTariff(newDomesticTariff())).not.toThrow();
  });

  it('accepts a free block as long as per-kWh charges still give it a price', () => {
    const tariff = newDomesticTariff({
      blocks: [
        { upToKwh: 10, energyRateCentsPerKwh: 0 },
        { upToKwh: null, energyRateCentsPerKwh: 1000 },
      ],
    });
    expect(() => validateTariff(tariff)).not.toThrow();
  });

  it('refuses amounts that are not non-negative integers', () => {
    const request = { tariff: DEFAULT_TARIFF, purchasedThisMonthMwh: 0, standingChargeDue: false };
    expect(() => quotePurchase({ ...request, amountCents: -1 })).toThrow(RangeError);
    expect(() => quotePurchase({ ...request, amountCents: 1.5 })).toThrow(RangeError);
    expect(() => quotePurchase({ ...request, amountCents: 100, debtCents: -5 })).toThrow(RangeError);
    expect(() => quotePurchase({ ...request, amountCents: 1_000_000_001 })).toThrow(RangeError);
  });
});
