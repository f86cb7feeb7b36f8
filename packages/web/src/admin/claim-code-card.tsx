/** A meter's claim code (issue 17): whether one is live, and issuing a new one, shown once. */
import { useCallback, useEffect, useState } from 'react';
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
      <h2 className="card-title">Customer claim code</h2>
      <p className="muted small-text">
        A customer adds this meter to their account with its account number{' '}
        <span className="mono">{status?.accountNo ?? '…'}</span> and a claim code. Only an unowned meter can
        be claimed; the code is used up when it is.
      </p>
      {loadError && <p className="form-error small-text">{loadError}</p>}
      {status && (
        <p className="small-text" data-testid="claim-code-status">
          {status.owned ? 'Owned by a customer. ' : 'No owner yet. '}
          {status.issuedAt ? `A code issued ${fmtTime(status.issuedAt)} is live.` : 'No live code.'}
        </p>
      )}
      {shown && (
        <div className="secret-reveal" role="alert">
          <p className="secret-warning">
            <strong>Shown once.</strong> Give this code to the customer or print it on the label; it cannot be
            read again.
          </p>
          <p className="mono secret-value" data-testid="claim-code-value">
            {shown}
          </p>
          <button type="button" className="button small ghost" onClick={() => setShown(null)}>
            Done, hide it
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
        {status?.issuedAt ? 'Issue a new code (the old one stops working)' : 'Issue a claim code'}
      </button>
    </div>
  );
}
