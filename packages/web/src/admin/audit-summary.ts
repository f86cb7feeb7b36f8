import { fmtKes, fmtKwh } from './admin-format';
import { getConsoleLocale, translateAdmin } from './admin-i18n';

/** One line for an audit entry's details: the action, energy, reason; else its fields, cut short. */
export function auditSummary(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  const payload = d.payload as Record<string, unknown> | undefined;
  const locale = getConsoleLocale();
  if (payload && typeof payload.action === 'string')
    parts.push(
      payload.action === 'connect' || payload.action === 'disconnect'
        ? translateAdmin(locale, `auditRelay_${payload.action}`)
        : payload.action,
    );
  const kwh =
    typeof d.energyKwh === 'number'
      ? d.energyKwh
      : typeof d.energyMwh === 'number'
        ? d.energyMwh / 1e6
        : null;
  if (kwh !== null) parts.push(`${kwh > 0 ? '+' : ''}${fmtKwh(kwh)} kWh`);
  if (typeof d.commandId === 'string' && parts.length === 0 && typeof d.kind === 'string') parts.push(d.kind);
  if (typeof d.openingMwh === 'number' && d.openingMwh > 0)
    parts.push(translateAdmin(locale, 'auditOpeningCredit', { energy: fmtKwh(d.openingMwh / 1e6) }));
  if ('to' in d && d.to === null) parts.push(translateAdmin(locale, 'auditUnassigned'));
  if (typeof d.reason === 'string') parts.push(`“${d.reason}”`);
  // A top-up decision (topup.approved / topup.rejected): the meter, the amount, the notes.
  if (typeof d.notes === 'string' && typeof d.amountCents === 'number') {
    if (typeof d.meterNo === 'string') parts.push(d.meterNo);
    parts.push(fmtKes(d.amountCents));
    if (d.notes) parts.push(`“${d.notes}”`);
  }
  if (parts.length === 0) {
    const text = Object.entries(d)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' · ');
    return text.length > 90 ? `${text.slice(0, 89)}…` : text;
  }
  return parts.join(' · ');
}
