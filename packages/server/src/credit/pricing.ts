import { DEFAULT_TARIFF, quotePurchase, selectTariff, type PurchaseQuote, type Tariff } from '@umeme/core';

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
  at: Date;
}

export type Pricing = (ctx: PricingContext) => PurchaseQuote;

/** Prices with the tariff version in force at the time of purchase. */
export const tariffPricing =
  (tariffs: readonly Tariff[] = [DEFAULT_TARIFF]): Pricing =>
  (ctx) => {
    const tariff = selectTariff(tariffs, ctx.at);
    return quotePurchase({
      tariff,
      amountCents: ctx.amountCents,
      purchasedThisMonthMwh: ctx.purchasedThisMonthMwh,
      standingChargeDue: ctx.purchasesThisMonth === 0 && (tariff.standingChargeCents ?? 0) > 0,
      debtCents: ctx.debtCents,
    });
  };
