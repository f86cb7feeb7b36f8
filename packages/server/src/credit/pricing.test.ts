// Protects the one place tariffs enter use: a tariff that cannot be used is refused there, before any sale.
import { DEFAULT_TARIFF, TariffError, type Tariff } from '@umeme/core';
import { describe, expect, it } from 'vitest';
import { tariffPricing } from './pricing';

const sale = { amountCents: 1000, purchasedThisMonthMwh: 0, purchasesThisMonth: 0, debtCents: 0 };

describe('tariffPricing', () => {
  it('refuses an invalid tariff when it is set up, not at the first sale', () => {
    const freeEnergy: Tariff = {
      ...DEFAULT_TARIFF,
      id: 'free',
      blocks: [{ upToKwh: null, energyRateCentsPerKwh: 0 }],
    };
    expect(() => tariffPricing([freeEnergy])).toThrow(TariffError);
    // one bad version among good ones is enough to refuse the set
    expect(() => tariffPricing([DEFAULT_TARIFF, { ...freeEnergy, effectiveFrom: '2030-01-01' }])).toThrow(
      TariffError,
    );
  });

  it('refuses two versions that take effect at the same instant, and an empty list', () => {
    expect(() => tariffPricing([DEFAULT_TARIFF, { ...DEFAULT_TARIFF, id: 'twin' }])).toThrow(TariffError);
    expect(() => tariffPricing([])).toThrow(RangeError);
  });

  it('prices with the version in force at the time of the sale', () => {
    const later: Tariff = {
      ...DEFAULT_TARIFF,
      id: 'flat-4000',
      effectiveFrom: '2030-01-01',
      blocks: [{ upToKwh: null, energyRateCentsPerKwh: 4000 }],
    };
    const pricing = tariffPricing([DEFAULT_TARIFF, later]);
    expect(pricing({ ...sale, at: new Date('2029-06-01T00:00:00Z') }).energyMwh).toBe(500_000);
    expect(pricing({ ...sale, at: new Date('2030-06-01T00:00:00Z') }).energyMwh).toBe(250_000);
  });

  it('prices each meter with its customer group’s version, the default group’s while it has none', () => {
    const commercial: Tariff = {
      ...DEFAULT_TARIFF,
      id: 'commercial',
      group: 'commercial',
      effectiveFrom: '2030-01-01',
      blocks: [{ upToKwh: null, energyRateCentsPerKwh: 4000 }],
    };
    const pricing = tariffPricing([DEFAULT_TARIFF, commercial]);
    const at = new Date('2030-06-01T00:00:00Z');
    expect(pricing({ ...sale, at, tariffGroup: 'commercial' }).energyMwh).toBe(250_000);
    expect(pricing({ ...sale, at, tariffGroup: 'standard' }).energyMwh).toBe(500_000);
    expect(pricing({ ...sale, at }).energyMwh).toBe(500_000);
    expect(
      pricing({ ...sale, at: new Date('2029-06-01T00:00:00Z'), tariffGroup: 'commercial' }).tariffName,
    ).toBe(DEFAULT_TARIFF.name);
    // Two groups may change tariff at the same instant.
    expect(() =>
      tariffPricing([DEFAULT_TARIFF, { ...commercial, effectiveFrom: DEFAULT_TARIFF.effectiveFrom }]),
    ).not.toThrow();
  });
});
