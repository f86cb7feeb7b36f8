/** A meter's claim code (issue 17): whether one is live, and issuing a new one, shown once. */
import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../ui/i18n-context';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { useSubmit } from './admin-form';
import { errorText, NoticeLine } from './admin-kit';

interface ClaimStatus {
  accountNo: string;
  issuedAt: string | null;
  owned: boolean;
}

export function ClaimCodeCard({ ctx, meterNo }: { ctx: AdminContext; meterNo: string }) {
  const { t } = useI18n();
  const [status, setStatus] = useState<ClaimStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const { busy, notice, run } = useSubmit();

  const load = useCallback(() => {
    ctx.api.claimCodeStatus(meterNo).then(setStatus, (err: unknown) => setLoadError(errorText(err)));
  }, [ctx, meterNo]);
  useEffect(load, [load]);

  const issue = () =>
    run(
      () => ctx.api.issueClaimCode(meterNo),
      (r) => {
        setShown(r.claimCode);
        setStatus((s) => (s ? { ...s, issuedAt: r.issuedAt } : s));
      },
    );

  return (
    <div className="card stat-card" data-testid="claim-code-card">
      <h2 className="card-title">{t('claimCardTitle')}</h2>
      <p className="muted small-text">{t('claimCardHint', { accountNo: status?.accountNo ?? '…' })}</p>
      {loadError && <p className="form-error small-text">{loadError}</p>}
      {status && (
        <p className="small-text" data-testid="claim-code-status">
          {status.owned ? t('claimOwned') : t('claimUnowned')}{' '}
          {status.issuedAt ? t('claimLive', { time: fmtTime(status.issuedAt) }) : t('claimNoCode')}
        </p>
      )}
      {shown && (
        <div className="secret-reveal" role="alert">
          <p className="secret-warning">
            <strong>{t('claimShownOnce')}</strong> {t('claimShownOnceHint')}
          </p>
          <p className="mono secret-value" data-testid="claim-code-value">
            {shown}
          </p>
          <button type="button" className="button small ghost" onClick={() => setShown(null)}>
            {t('claimHide')}
          </button>
        </div>
      )}
      <NoticeLine notice={notice} />
      <button
        type="button"
        className="button small"
        disabled={busy}
        onClick={issue}
        data-testid="issue-claim-code"
      >
        {status?.issuedAt ? t('claimIssueNew') : t('claimIssue')}
      </button>
    </div>
  );
}
