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

/** The quote, with the name of the tariff version that priced it (the receipt shows it). */
export type PricedQuote = PurchaseQuote & { tariffName?: string };

export type Pricing = (ctx: PricingContext) => PricedQuote;

/**
 * Prices with the tariff version in force at the time of purchase. `tariffs` is a list, or a
 * function answering the current list (the operators' versions, kept in memory by TariffsService).
 */
export const tariffPricing =
  (tariffs: readonly Tariff[] | (() => readonly Tariff[]) = [DEFAULT_TARIFF]): Pricing =>
  (ctx) => {
    const tariff = selectTariff(typeof tariffs === 'function' ? tariffs() : tariffs, ctx.at);
    const quote = quotePurchase({
      tariff,
      amountCents: ctx.amountCents,
      purchasedThisMonthMwh: ctx.purchasedThisMonthMwh,
      standingChargeDue: ctx.purchasesThisMonth === 0 && (tariff.standingChargeCents ?? 0) > 0,
      debtCents: ctx.debtCents,
    });
    return { ...quote, tariffName: tariff.name };
  };
