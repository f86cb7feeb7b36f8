/** A register jump ingest held as implausible (MQ-13), with the operator's decisions on it. */
import { useState, type FormEvent } from 'react';
import type { HoldAction, RegisterHold } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtMwhAsKwh, fmtPower, fmtTime } from './admin-format';
import { ReasonField, SubmitRow, useSubmit } from './admin-form';
import { useAdminI18n, type AdminKey, type AdminT } from './admin-i18n';
import { AdminLink, NoticeLine } from './admin-kit';

const ACTIONS: Record<HoldAction, { label: AdminKey; hint: AdminKey; done: AdminKey }> = {
  accept: { label: 'holdAccept', hint: 'holdAcceptHint', done: 'holdAcceptDone' },
  reset_epoch: { label: 'holdReset', hint: 'holdResetHint', done: 'holdResetDone' },
  dismiss: { label: 'holdDismiss', hint: 'holdDismissHint', done: 'holdDismissDone' },
};

function duration(t: AdminT, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return t('durSeconds', { n: s });
  if (s < 7200) return t('durMinutes', { n: Math.round(s / 60) });
  if (s < 172_800) return t('durHours', { n: Math.round(s / 3600) });
  return t('durDays', { n: Math.round(s / 86_400) });
}

export function RegisterHoldCard({
  ctx,
  hold,
  onDone,
  showMeter = false,
}: {
  ctx: AdminContext;
  hold: RegisterHold;
  onDone: () => void;
  showMeter?: boolean;
}) {
  const { t } = useAdminI18n();
  const [action, setAction] = useState<HoldAction | null>(null);
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const jumpMwh = hold.heldEnergyMwh - hold.appliedEnergyMwh;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!action || !reason.trim()) return;
    run(
      () => ctx.api.decideHold(hold.id, action, reason.trim()),
      () => {
        setNotice({ ok: true, text: t(ACTIONS[action].done) });
        setAction(null);
        setReason('');
        onDone();
      },
    );
  };

  return (
    <div
      className="card stat-card"
      data-testid="register-hold"
      data-hold-id={hold.id}
      data-status={hold.status}
      data-meter={hold.meterNo}
    >
      <h2 className="card-title">
        {t('holdTitle')}
        {showMeter && (
          <>
            {' · '}
            <AdminLink className="mono" to={`/admin/meters/${encodeURIComponent(hold.meterNo)}`} data>
              {hold.meterNo}
            </AdminLink>
          </>
        )}
      </h2>
      <p className="muted small-text">
        {t('holdNothingDebited')} {hold.backOnRegister ? t('holdBackOnRegister') : t('holdStillHeld')}
      </p>
      <dl className="facts">
        <dt>{t('holdApplied')}</dt>
        <dd className="mono">{fmtMwhAsKwh(hold.appliedEnergyMwh)} kWh</dd>
        <dt>{t('holdHeld')}</dt>
        <dd className="mono" data-testid="hold-held-kwh">
          {fmtMwhAsKwh(hold.heldEnergyMwh)} kWh
        </dd>
        <dt>{t('holdJump')}</dt>
        <dd className="mono">{fmtMwhAsKwh(jumpMwh)} kWh</dd>
        <dt>{t('holdPlausible')}</dt>
        <dd className="mono">
          {t('holdPlausibleValue', {
            energy: fmtMwhAsKwh(hold.allowedMwh),
            power: fmtPower(hold.ratedPowerW),
            duration: duration(t, hold.elapsedMs),
          })}
        </dd>
        <dt>{t('holdReports')}</dt>
        <dd className="mono">
          {t('holdReportsValue', {
            count: hold.reports,
            first: fmtTime(hold.firstReceivedAt),
            last: fmtTime(hold.lastReceivedAt),
          })}
        </dd>
      </dl>
      <div className="button-row">
        {/* Releasing or resetting a held register moves a balance: money.move alone. */}
        {(ctx.can('money.move') ? hold.actions : []).map((a) => (
          <button
            key={a}
            type="button"
            className={`button small ${action === a ? 'primary' : ''}`}
            title={t(ACTIONS[a].hint)}
            aria-pressed={action === a}
            onClick={() => {
              setAction(a);
              setNotice(null);
            }}
            data-testid={`hold-${a}`}
          >
            {t(ACTIONS[a].label)}
          </button>
        ))}
      </div>
      {action && (
        <form className="reason-form" onSubmit={submit} data-testid="hold-reason-prompt">
          <p className="muted small-text">{t(ACTIONS[action].hint)}.</p>
          <ReasonField
            autoFocus
            value={reason}
            onChange={setReason}
            placeholder={t('holdReasonPlaceholder')}
            testId="hold-reason"
          />
          <SubmitRow
            busy={busy}
            disabled={!reason.trim()}
            busyLabel={t('saving')}
            testId="hold-confirm"
            onCancel={() => setAction(null)}
          >
            {t(ACTIONS[action].label)}
          </SubmitRow>
        </form>
      )}
      <NoticeLine notice={notice} testId="hold-message" />
    </div>
  );
}
