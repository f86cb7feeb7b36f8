/**
 * The operator console's own words in English and Kiswahili, one module per page group under
 * words/. Only the console imports this, so it ships in the console's lazily loaded chunk.
 */
import { alertsEn, alertsSw } from './words/alerts-words';
import { auditEn, auditSw } from './words/audit-words';
import { fleetEn, fleetSw } from './words/fleet-words';
import { meterEn, meterSw } from './words/meter-words';
import { paymentsEn, paymentsSw } from './words/payments-words';
import { reportsEn, reportsSw } from './words/reports-words';
import { tariffsEn, tariffsSw } from './words/tariffs-words';
import { kitEn, kitSw } from './words/kit-words';

export const adminEn = {
  ...kitEn,
  ...fleetEn,
  ...alertsEn,
  ...auditEn,
  ...paymentsEn,
  ...reportsEn,
  ...tariffsEn,
  ...meterEn,
} as const;

export type AdminKey = keyof typeof adminEn;

export const adminSw: Record<AdminKey, string> = {
  ...kitSw,
  ...fleetSw,
  ...alertsSw,
  ...auditSw,
  ...paymentsSw,
  ...reportsSw,
  ...tariffsSw,
  ...meterSw,
};
