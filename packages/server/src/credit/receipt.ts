/** The purchase receipt as stored with a credit, and its friendly-hours line. */
import { friendlyHoursRecovery } from '@umeme/core';
import { isFriendlyHoursCommand } from '../commands/command-row';
import type { PurchaseQuote } from './pricing';

/**
 * A line shown on the receipt that is not part of the sum: it explains where some of the
 * energy bought went. The ledger is untouched — C still grows by all the energy bought.
 */
export interface ReceiptInfoLine {
  kind: 'friendly_debt';
  code: 'friendly_hours_debt';
  label: string;
  /** energy bought that fills the balance below zero left by friendly hours */
  energyMwh: number;
  /** its value at what this purchase paid per kWh */
  valueCents: number;
}

/**
 * The stored receipt: the tariff quote, plus information lines and the meter's balance right
 * after the purchase (what the customer's receipt shows as the new balance).
 */
export type Receipt = PurchaseQuote & {
  /** the tariff version that priced it */
  tariffName?: string;
  infoLines?: ReceiptInfoLine[];
  balanceAfterMwh?: number;
};

/**
 * Friendly hours (issue 5 §4) let E pass C + emergency credit; a purchase then repays that use
 * simply by raising C. When the load was last forced on by friendly hours (not an operator),
 * the receipt names the energy that went to it and its value.
 */
export function friendlyDebtReceipt(
  emergencyCreditMwh: number,
  balanceBeforeMwh: number,
  quote: PurchaseQuote,
  last: { reason: string; created_by: string | null } | undefined,
): Receipt {
  if (balanceBeforeMwh + emergencyCreditMwh >= 0 || quote.energyMwh === 0) return quote;
  if (!last || !isFriendlyHoursCommand(last)) return quote;
  const recovered = friendlyHoursRecovery({
    balanceBeforeMwh,
    emergencyCreditMwh,
    energyBoughtMwh: quote.energyMwh,
    energyCentsPaid:
      quote.amountCents - quote.recoveredDebtCents - quote.standingChargeCents - quote.roundingCents,
  });
  if (!recovered) return quote;
  return {
    ...quote,
    infoLines: [
      {
        kind: 'friendly_debt',
        code: 'friendly_hours_debt',
        label: 'Friendly-hours use repaid',
        energyMwh: recovered.energyMwh,
        valueCents: recovered.valueCents,
      },
    ],
  };
}
