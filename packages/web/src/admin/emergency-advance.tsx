/** An operator grants the emergency advance for a customer: the reason is asked for and audited. */
import { useState, type FormEvent } from 'react';
import { useI18n } from '../ui/i18n-context';
import type { AdminContext } from './admin-context';
import { fmtKes, fmtKwh } from './admin-format';
import { ReasonField, SubmitButton, useSubmit } from './admin-form';
import { NoticeLine } from './admin-kit';

export function EmergencyAdvance({
  ctx,
  meterNo,
  available,
  onDone,
}: {
  ctx: AdminContext;
  meterNo: string;
  available: boolean;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!available || !reason.trim()) return;
    run(
      () => ctx.api.emergency(meterNo, reason.trim()),
      (r) => {
        setNotice({
          ok: true,
          text: t('opxEmergencyDone', { energy: fmtKwh(r.energyKwh), amount: fmtKes(r.debtCents) }),
        });
        setReason('');
        onDone();
      },
    );
  };
  return (
    <form className="reason-form" onSubmit={submit} data-testid="emergency-form">
      {available && (
        <ReasonField
          label={t('opxEmergencyReason')}
          value={reason}
          onChange={setReason}
          placeholder={t('opxEmergencyReasonHint')}
          testId="emergency-reason"
        />
      )}
      <SubmitButton
        busy={busy}
        disabled={!available || !reason.trim()}
        busyLabel={t('opxEmergencyGiving')}
        testId="emergency-advance"
      >
        {t('opxEmergencyGive')}
      </SubmitButton>
      <NoticeLine notice={notice} testId="emergency-message" />
    </form>
  );
}
