import {
  DEFAULT_TARIFF,
  quotePurchase,
  selectGroupTariff,
  selectTariff,
  tariffGroupOf,
  DEFAULT_TARIFF_GROUP,
  validateTariff,
  type PurchaseQuote,
  type Tariff,
} from '@umeme/core';

/**
 * Port between the crediting service and the tariff engine of @umeme/core: money in,
 * energy and a receipt whose lines sum to the amount paid out.
 */
export type { PurchaseQuote };

export interface PricingContext {
  amountCents: number;
  purchasedThisMonthMwh: number;
  purchasesThisMonth: number;
  debtCents: number;
  /** the meter's customer group (DEFAULT_TARIFF_GROUP when absent) */
  tariffGroup?: string;
  at: Date;
}

/** The quote, with the name of the tariff version that priced it (the receipt shows it). */
export type PricedQuote = PurchaseQuote & { tariffName?: string };

export type Pricing = (ctx: PricingContext) => PricedQuote;

/**
 * Prices with the tariff version in force at the time of purchase. `tariffs` is a list, or a
 * function answering the current list (the operators' versions, kept in memory by
 * TariffsService, which validates each version as it is created). This is where a fixed list
 * enters use, so this is where a bad one is refused: every version must be valid
 * (`validateTariff`) and no two may take effect at the same instant, or this throws a
 * TariffError before any sale.
 */
export function tariffPricing(
  tariffs: readonly Tariff[] | (() => readonly Tariff[]) = [DEFAULT_TARIFF],
): Pricing {
  if (typeof tariffs !== 'function') {
    if (tariffs.length === 0) throw new RangeError('tariffPricing needs at least one tariff');
    for (const tariff of tariffs) validateTariff(tariff);
    // selectTariff looks at every version whatever the instant: this finds clashing start times
    // (within a group) now.
    for (const group of new Set(tariffs.map(tariffGroupOf))) {
      selectTariff(
        tariffs.filter((t) => tariffGroupOf(t) === group),
        Number.MAX_SAFE_INTEGER,
      );
    }
  }
  return (ctx) => {
    const tariff = selectGroupTariff(
      typeof tariffs === 'function' ? tariffs() : tariffs,
      ctx.tariffGroup ?? DEFAULT_TARIFF_GROUP,
      ctx.at,
    );
    const quote = quotePurchase({
      tariff,
      amountCents: ctx.amountCents,
      purchasedThisMonthMwh: ctx.purchasedThisMonthMwh,
      standingChargeDue: ctx.purchasesThisMonth === 0 && (tariff.standingChargeCents ?? 0) > 0,
      debtCents: ctx.debtCents,
    });
    return { ...quote, tariffName: tariff.name };
  };
}
