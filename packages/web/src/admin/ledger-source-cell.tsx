/** Where a ledger entry's credit came from: M-Pesa with its receipt, a top-up, an operator, an advance… */
import type { MessageKey } from '../i18n/dictionary';
import { useI18n } from '../ui/i18n-context';
import type { LedgerSource } from './admin-api';
import { fmtKes, fmtMwhAsKwh } from './admin-format';

const LABEL: Record<LedgerSource['kind'], MessageKey> = {
  mpesa_stk: 'opxSrcMpesaStk',
  mpesa_c2b: 'opxSrcMpesaC2b',
  topup: 'opxSrcTopup',
  operator: 'opxSrcOperator',
  emergency: 'opxSrcEmergency',
  opening: 'opxSrcOpening',
  simulate: 'opxSrcSimulate',
  moved_in: 'opxSrcMovedIn',
  moved_out: 'opxSrcMovedOut',
  other: 'opxSrcOther',
};

export function LedgerSourceCell({ source: s }: { source: LedgerSource }) {
  const { t } = useI18n();
  const details: string[] = [];
  if (s.operatorEmail) details.push(t('opxSrcBy', { email: s.operatorEmail }));
  else if (s.kind === 'emergency') details.push(t('opxSrcByCustomer'));
  if (s.reason) details.push(t('opxSrcReason', { reason: s.reason }));
  if (s.advanceRepaidCents > 0)
    details.push(t('opxSrcAdvanceRepaid', { amount: fmtKes(s.advanceRepaidCents) }));
  if (s.friendlyHoursRepaidMwh > 0)
    details.push(t('opxSrcFriendlyRepaid', { energy: fmtMwhAsKwh(s.friendlyHoursRepaidMwh) }));
  return (
    <div className="ledger-source" data-testid="ledger-source" data-source={s.kind}>
      <span>{t(LABEL[s.kind], { meterNo: s.otherMeterNo ?? '—' })}</span>
      {s.mpesaReceipt && (
        <span className="mono ledger-receipt" data-testid="ledger-receipt">
          {t('opxSrcReceipt', { receipt: s.mpesaReceipt })}
        </span>
      )}
      {details.length > 0 && <span className="muted small-text">{details.join(' · ')}</span>}
    </div>
  );
}

export function LedgerSourceHead() {
  const { t } = useI18n();
  return <th>{t('opxLedgerSource')}</th>;
}
