import { relayDecision, type RelayOverride } from '@umeme/core';
import { centsToKes, type SupplyDecision } from '@umeme/protocol';

/** The meter columns the server's relay decision reads (migration 021 adds the override). */
export const SUPPLY_COLUMNS = 'emergency_credit_mwh, relay_override, relay_override_reason, debt_cents';

export interface SupplyRow {
  credit_limit_mwh: number;
  energy_mwh: number;
  emergency_credit_mwh: number;
  relay_override: RelayOverride;
  relay_override_reason: string | null;
  debt_cents: number;
}

/** What a meter event carries besides C and E for the decision to be made at the edge. */
export interface SupplyInputs {
  emergencyCreditMwh: number;
  override: RelayOverride;
  overrideReason: string | null;
  debtCents: number;
}

export function supplyInputsOf(row: Omit<SupplyRow, 'credit_limit_mwh' | 'energy_mwh'>): SupplyInputs {
  return {
    emergencyCreditMwh: row.emergency_credit_mwh,
    override: row.relay_override,
    overrideReason: row.relay_override_reason,
    debtCents: row.debt_cents,
  };
}

/**
 * The server's relay decision (one rule, core `relayDecision`) for the dashboard: the same
 * answer the meter reaches from the credit limit it is sent.
 */
export function decideSupply(
  meter: { creditLimitMwh: number; energyMwh: number },
  s: SupplyInputs,
  friendlyHours: boolean,
): SupplyDecision {
  const d = relayDecision({
    // C can sit below zero only after an operator's correction: then there is no credit at all.
    creditLimitMwh: Math.max(0, meter.creditLimitMwh),
    energyMwh: Math.max(0, meter.energyMwh),
    emergencyMwh: Math.max(0, s.emergencyCreditMwh),
    override: s.override,
    friendlyHours,
  });
  return {
    relay: d.closed ? 'on' : 'off',
    reason: d.reason,
    operatorReason: s.override === 'auto' ? null : s.overrideReason,
    debt: centsToKes(s.debtCents),
  };
}
