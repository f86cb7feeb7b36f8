// Protects the tariff engine's arithmetic over random tariffs: receipts add up, energy never shrinks as
// the amount grows, and the forward and inverse quotes agree. fast-check prints the seed of any failure.
// The import boundary is for production code; tests need their runner.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TARIFF, quoteEnergy, quotePurchase, validateTariff, type Levy, type Tariff } from './tariff';

const NUM_RUNS = 300;

/** A rate in cents per kWh with up to four decimals, built from an integer so its decimal text is exact. */
const rateArb = (minE4: number, maxE4: number): fc.Arbitrary<number> =>
  fc.integer({ min: minE4, max: maxE4 }).map((e4) => e4 / 10_000);

const tariffArb: fc.Arbitrary<Tariff> = fc
  .record({
    edgesMwh: fc.uniqueArray(fc.integer({ min: 1, max: 300_000_000 }), { maxLength: 3 }),
    blockRates: fc.array(rateArb(10_000, 50_000_000), { minLength: 4, maxLength: 4 }),
    passThrough: fc.array(rateArb(0, 10_000_000), { maxLength: 3 }),
    perKwhLevies: fc.array(rateArb(0, 1_000_000), { maxLength: 2 }),
    percentLevies: fc.array(
      fc.record({
        basisPoints: fc.integer({ min: 0, max: 2000 }),
        baseMask: fc.integer({ min: 0, max: 255 }),
      }),
      { maxLength: 2 },
    ),
    vat: fc.option(
      fc.record({ basisPoints: fc.integer({ min: 0, max: 3000 }), mask: fc.integer({ min: 0, max: 1023 }) }),
    ),
    standingChargeCents: fc.option(fc.integer({ min: 0, max: 50_000 })),
  })
  .map((r) => {
    const edges = [...r.edgesMwh].sort((a, b) => a - b);
    const blocks = [...edges, null].map((edge, i) => ({
      upToKwh: edge === null ? null : edge / 1_000_000,
      energyRateCentsPerKwh: r.blockRates[i] ?? 1,
    }));
    const passThroughCentsPerKwh = r.passThrough.map((centsPerKwh, i) => ({
      code: `pass_${i}`,
      label: `Pass-through ${i}`,
      centsPerKwh,
    }));
    const perKwh: Levy[] = r.perKwhLevies.map((centsPerKwh, i) => ({
      code: `kwh_levy_${i}`,
      label: `Levy ${i}`,
      centsPerKwh,
    }));
    const firstOrder = [
      'energy',
      'standing',
      ...passThroughCentsPerKwh.map((p) => p.code),
      ...perKwh.map((l) => l.code),
    ];
    const pick = (codes: string[], mask: number): string[] => codes.filter((_, i) => (mask >> i) & 1);
    const percent: Levy[] = r.percentLevies.map((l, i) => ({
      code: `pct_levy_${i}`,
      label: `Percent levy ${i}`,
      basisPoints: l.basisPoints,
      base: pick(firstOrder, l.baseMask),
    }));
    const tariff: Tariff = {
      id: 'random',
      name: 'Random',
      effectiveFrom: 0,
      blocks,
      passThroughCentsPerKwh,
      levies: [...perKwh, ...percent],
    };
    if (r.vat !== null) {
      tariff.vat = {
        basisPoints: r.vat.basisPoints,
        appliesTo: pick([...firstOrder, ...percent.map((l) => l.code)], r.vat.mask),
      };
    }
    if (r.standingChargeCents !== null) tariff.standingChargeCents = r.standingChargeCents;
    return tariff;
  });

const situationArb = fc.record({
  tariff: tariffArb,
  purchasedThisMonthMwh: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400_000_000 })),
  standingChargeDue: fc.boolean(),
  debtCents: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100_000 })),
});

const amountArb = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 50_000_000 }));

describe('tariff properties', () => {
  it('generates only valid tariffs', () => {
    fc.assert(
      fc.property(tariffArb, (tariff) => {
        validateTariff(tariff);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('makes receipt lines non-negative integers that sum to exactly the amount paid', () => {
    fc.assert(
      fc.property(situationArb, amountArb, (situation, amountCents) => {
        const quote = quotePurchase({ ...situation, amountCents });
        expect(quote.totalCents).toBe(amountCents);
        expect(quote.lines.reduce((sum, l) => sum + l.amountCents, 0)).toBe(amountCents);
        for (const line of quote.lines) {
          expect(Number.isSafeInteger(line.amountCents) && line.amountCents >= 0).toBe(true);
          if (line.energyMwh !== undefined) {
            expect(Number.isSafeInteger(line.energyMwh) && line.energyMwh > 0).toBe(true);
          }
        }
        for (const value of [
          quote.energyMwh,
          quote.recoveredDebtCents,
          quote.remainingDebtCents,
          quote.standingChargeCents,
          quote.unpaidStandingChargeCents,
          quote.roundingCents,
        ]) {
          expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
        }
        expect(quote.recoveredDebtCents + quote.remainingDebtCents).toBe(situation.debtCents);
        const energyInBlocks = quote.lines
          .filter((l) => l.kind === 'energy')
          .reduce((sum, l) => sum + (l.energyMwh ?? 0), 0);
        expect(energyInBlocks).toBe(quote.energyMwh);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never buys less energy with more money', () => {
    fc.assert(
      fc.property(
        situationArb,
        amountArb,
        fc.integer({ min: 0, max: 5000 }),
        (situation, amountCents, extraCents) => {
          const less = quotePurchase({ ...situation, amountCents });
          const more = quotePurchase({ ...situation, amountCents: amountCents + extraCents });
          expect(more.energyMwh).toBeGreaterThanOrEqual(less.energyMwh);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('prices the energy bought at no more than the amount paid, and one more mWh above it', () => {
    fc.assert(
      fc.property(situationArb, amountArb, (situation, amountCents) => {
        const purchase = quotePurchase({ ...situation, amountCents });
        const price = quoteEnergy({ ...situation, energyMwh: purchase.energyMwh });
        if (purchase.unpaidStandingChargeCents === 0 && purchase.remainingDebtCents === 0) {
          expect(price.totalCents).toBeLessThanOrEqual(amountCents);
          // Same energy, same standing charge: the same lines, give or take the rounding line.
          const priced = (lines: typeof price.lines) => lines.filter((l) => l.kind !== 'rounding');
          expect(priced(price.lines)).toEqual(priced(purchase.lines));
        }
        const oneMore = quoteEnergy({ ...situation, energyMwh: purchase.energyMwh + 1 });
        expect(oneMore.totalCents).toBeGreaterThan(amountCents);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('sells at least the quoted energy for the quoted price, and no more than it for a cent less', () => {
    fc.assert(
      fc.property(situationArb, fc.integer({ min: 1, max: 500_000_000 }), (situation, energyMwh) => {
        const price = quoteEnergy({ ...situation, energyMwh });
        expect(price.lines.reduce((sum, l) => sum + l.amountCents, 0)).toBe(price.totalCents);
        expect(
          quotePurchase({ ...situation, amountCents: price.totalCents }).energyMwh,
        ).toBeGreaterThanOrEqual(energyMwh);
        expect(quotePurchase({ ...situation, amountCents: price.totalCents - 1 }).energyMwh).toBeLessThan(
          energyMwh,
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps the rounding line to a few cents', () => {
    fc.assert(
      fc.property(situationArb, amountArb, (situation, amountCents) => {
        const quote = quotePurchase({ ...situation, amountCents });
        const pricedLines = quote.lines.filter((l) => l.kind !== 'debt' && l.kind !== 'rounding').length;
        expect(quote.roundingCents).toBeLessThanOrEqual(pricedLines + 1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('sells 500 mWh per cent on the default tariff, whatever was bought before', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 1_000_000_000 }),
        (amountCents, purchasedThisMonthMwh) => {
          const quote = quotePurchase({
            tariff: DEFAULT_TARIFF,
            amountCents,
            purchasedThisMonthMwh,
            standingChargeDue: true,
          });
          expect(quote.energyMwh).toBe(amountCents * 500);
          expect(quote.roundingCents).toBe(0);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
