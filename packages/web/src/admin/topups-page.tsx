import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { MessageKey } from '../i18n/dictionary';
import { formatAgo, formatDateTime, formatKes, isoToMs } from '../state/format';
import { topupChannelKey, topupStatusKeys, type TopupRow } from '../state/topups';
import { useI18n } from '../ui/i18n-context';
import { TOPUPS_QUEUE_MAX } from './admin-api';
import type { AdminContext } from './admin-context';
import {
  AdminLink,
  EmptyRow,
  ErrorAlert,
  errorText,
  NoticeLine,
  useCoalescedRefresh,
  type Notice,
} from './admin-kit';
import { adminMeterPath } from './admin-routes';

const HISTORY_SIZE = 50;
const COLUMNS = 7;

/**
 * Manual top-ups to review (cash at an agent, bank transfer), oldest first, with approve and
 * reject-with-a-reason; then the ones already decided. Live: the admins room's `topup_requested`
 * and `topup_processed` notifications read both lists again, as does the window regaining focus.
 */
export function TopupsPage({ ctx }: { ctx: AdminContext }) {
  const { t, locale } = useI18n();
  const [pending, setPending] = useState<TopupRow[] | null>(null);
  const [history, setHistory] = useState<TopupRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [rejecting, setRejecting] = useState<string | null>(null);
  const [nowMs, setNowMs] = useState(() => Date.now());

  const load = useCallback(() => {
    Promise.all([
      ctx.api.topups({ status: 'pending', order: 'oldest', limit: TOPUPS_QUEUE_MAX }),
      ctx.api.topups({ order: 'newest', limit: HISTORY_SIZE }),
    ]).then(
      ([queue, recent]) => {
        setPending(queue.topups);
        setHistory(recent.topups.filter((r) => r.status !== 'pending'));
        setError(null);
        setNowMs(Date.now());
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [ctx]);
  useEffect(() => {
    load();
    window.addEventListener('focus', load);
    return () => window.removeEventListener('focus', load);
  }, [load]);
  useCoalescedRefresh(ctx.feed.onTopups, load);

  const decided = (row: TopupRow, key: MessageKey) => {
    setRejecting(null);
    setNotice({ ok: true, text: t(key, { amount: formatKes(locale, row.amountKes), meterNo: row.meterNo }) });
    load();
  };
  const approve = (row: TopupRow) => {
    setNotice(null);
    ctx.api.processTopup(row.id, 'approved', '').then(
      (r) => decided(r, 'opTopupApprovedNotice'),
      (err: unknown) => setNotice({ ok: false, text: errorText(err) }),
    );
  };

  return (
    <section className="admin-page" data-testid="topups-page">
      <div className="admin-page-head">
        <div>
          <h1>{t('opTopupsTitle')}</h1>
          <p className="muted small-text">{t('opTopupsHint')}</p>
        </div>
        <span className="muted" data-testid="topups-pending-count">
          {pending ? t('opTopupsWaiting', { count: pending.length }) : ''}
        </span>
      </div>
      <ErrorAlert error={error} />
      <NoticeLine notice={notice} testId="topups-notice" />
      <div className="card flush">
        <div className="table-wrap">
          <table
            className="admin-table stack-sm"
            data-testid="topups-queue"
            data-loaded={String(pending !== null)}
          >
            <thead>
              <tr>
                <th>{t('opTopupAge')}</th>
                <th>{t('opTopupCustomer')}</th>
                <th>{t('opTopupMeter')}</th>
                <th className="num">{t('opTopupAmount')}</th>
                <th>{t('opTopupChannel')}</th>
                <th>{t('opTopupReference')}</th>
                <th>
                  <span className="visually-hidden">{t('opTopupStatus')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {pending?.map((row) => (
                <PendingLine
                  key={row.id}
                  row={row}
                  nowMs={nowMs}
                  rejecting={rejecting === row.id}
                  onApprove={() => approve(row)}
                  onReject={() => {
                    setNotice(null);
                    setRejecting((r) => (r === row.id ? null : row.id));
                  }}
                  onCancel={() => setRejecting(null)}
                  onRejected={(r) => decided(r, 'opTopupRejectedNotice')}
                  ctx={ctx}
                />
              ))}
              {pending && pending.length === 0 && (
                <EmptyRow colSpan={COLUMNS} testId="topups-empty">
                  {t('opTopupsNone')}
                </EmptyRow>
              )}
              {!pending && <EmptyRow colSpan={COLUMNS}>{t('loading')}</EmptyRow>}
            </tbody>
          </table>
        </div>
      </div>
      <h2>{t('opTopupsHistory')}</h2>
      <div className="card flush">
        <div className="table-wrap">
          <table className="admin-table stack-sm" data-testid="topups-history">
            <thead>
              <tr>
                <th>{t('opTopupDecided')}</th>
                <th>{t('opTopupCustomer')}</th>
                <th>{t('opTopupMeter')}</th>
                <th className="num">{t('opTopupAmount')}</th>
                <th>{t('opTopupChannel')}</th>
                <th>{t('opTopupStatus')}</th>
                <th>{t('opTopupNotes')}</th>
              </tr>
            </thead>
            <tbody>
              {history?.map((row) => (
                <tr key={row.id} data-testid="topup-history-row" data-id={row.id} data-status={row.status}>
                  <td className="nowrap small-text">
                    {formatDateTime(locale, isoToMs(row.processedAt) ?? nowMs)}
                  </td>
                  <td translate="no">{row.customerName}</td>
                  <td className="mono">
                    <AdminLink to={adminMeterPath(row.meterNo)} data>
                      {row.meterNo}
                    </AdminLink>
                  </td>
                  <td className="num mono nowrap">{formatKes(locale, row.amountKes)}</td>
                  <td>{t(topupChannelKey(row.channel))}</td>
                  <td>
                    <span className={`badge ${row.status === 'approved' ? 'good' : 'bad'}`}>
                      {t(topupStatusKeys[row.status])}
                    </span>
                  </td>
                  <td className="memo small-text">{row.adminNotes || '—'}</td>
                </tr>
              ))}
              {history && history.length === 0 && (
                <EmptyRow colSpan={COLUMNS}>{t('opTopupsHistoryNone')}</EmptyRow>
              )}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

function PendingLine({
  ctx,
  row,
  nowMs,
  rejecting,
  onApprove,
  onReject,
  onCancel,
  onRejected,
}: {
  ctx: AdminContext;
  row: TopupRow;
  nowMs: number;
  rejecting: boolean;
  onApprove: () => void;
  onReject: () => void;
  onCancel: () => void;
  onRejected: (row: TopupRow) => void;
}) {
  const { t, locale } = useI18n();
  return (
    <>
      <tr data-testid="topup-row" data-id={row.id} data-meter-no={row.meterNo}>
        <td className="nowrap small-text" title={formatDateTime(locale, isoToMs(row.createdAt) ?? nowMs)}>
          {formatAgo(locale, isoToMs(row.createdAt) ?? nowMs, nowMs)}
        </td>
        <td translate="no">
          {row.customerName}
          {row.customerPhone && <div className="muted small-text mono">{row.customerPhone}</div>}
        </td>
        <td className="mono">
          <AdminLink to={adminMeterPath(row.meterNo)} data>
            {row.meterNo}
          </AdminLink>
        </td>
        <td className="num mono nowrap" data-testid="topup-row-amount">
          {formatKes(locale, row.amountKes)}
        </td>
        <td>{t(topupChannelKey(row.channel))}</td>
        <td className="mono memo" translate="no">
          {row.reference ?? '—'}
        </td>
        <td className="nowrap">
          <div className="button-row" hidden={!ctx.can('money.move')}>
            <button
              className="button small primary"
              type="button"
              onClick={onApprove}
              data-testid="topup-approve"
            >
              {t('opTopupApprove')}
            </button>
            <button
              className="button small ghost"
              type="button"
              onClick={onReject}
              data-testid="topup-reject"
            >
              {t('opTopupReject')}
            </button>
          </div>
        </td>
      </tr>
      {rejecting && (
        <tr>
          <td colSpan={COLUMNS}>
            <RejectForm ctx={ctx} row={row} onCancel={onCancel} onRejected={onRejected} />
          </td>
        </tr>
      )}
    </>
  );
}

function RejectForm({
  ctx,
  row,
  onCancel,
  onRejected,
}: {
  ctx: AdminContext;
  row: TopupRow;
  onCancel: () => void;
  onRejected: (row: TopupRow) => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setNotice({ ok: false, text: t('opTopupReasonRequired') });
      return;
    }
    setBusy(true);
    ctx.api
      .processTopup(row.id, 'rejected', reason.trim())
      .then(onRejected, (err: unknown) => setNotice({ ok: false, text: errorText(err) }))
      .finally(() => setBusy(false));
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="topup-reject-form">
      <label className="field">
        <span>{t('opTopupReasonLabel')}</span>
        <input
          autoFocus
          required
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="topup-reject-reason"
        />
      </label>
      <div className="button-row">
        <button
          className="button small danger"
          type="submit"
          disabled={busy}
          data-testid="topup-reject-submit"
        >
          {t('opTopupConfirmReject')}
        </button>
        <button className="button small ghost" type="button" onClick={onCancel}>
          {t('opTopupCancel')}
        </button>
      </div>
      <NoticeLine notice={notice} testId="topup-reject-message" />
    </form>
  );
}
