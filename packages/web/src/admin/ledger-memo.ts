import type { AdminT } from './admin-i18n';

/**
 * A ledger memo in the console's language. The server writes a few memos of its own, in English,
 * around the operator's reason (adjustments.service.ts, meters.service.ts): those fixed words are
 * translated here; the reason, a meter number or a transaction id inside them stay as written.
 * Any other memo is an operator's own words and is shown as it is.
 */
export function ledgerMemoText(memo: string | null, t: AdminT, fmtKes: (cents: number) => string): string {
  if (memo === null) return '';
  if (memo === 'opening credit') return t('memoOpening');
  let m = /^moved to (\S+): ([\s\S]*)$/.exec(memo);
  if (m) return t('memoMovedTo', { meterNo: m[1]!, why: m[2]! });
  m = /^moved from (\S+) \(transaction ([^)]+)\): ([\s\S]*)$/.exec(memo);
  if (m) return t('memoMovedFrom', { meterNo: m[1]!, tx: m[2]!, why: m[3]! });
  m = /^emergency advance, owed (\d+) cents(?:: ([\s\S]*))?$/.exec(memo);
  if (m) {
    const owed = t('memoEmergency', { debt: fmtKes(Number(m[1])) });
    return m[2] === undefined ? owed : `${owed}: ${m[2]}`;
  }
  return memo;
}
