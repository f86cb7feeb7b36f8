import { useCallback, useState, type FormEvent } from 'react';
import type { OrphanAssigned, OrphanRow, OrphanStatus } from './admin-api';
import type { AdminContext } from './admin-context';
import { MeterNoField, ReasonField, SubmitRow, useSubmit } from './admin-form';
import { failureMessageKey } from '../state/payment';
import { fmtKes, fmtKwh, fmtTime } from './admin-format';
import { useAdminI18n, type AdminKey, type AdminT } from './admin-i18n';
import {
  AdminLink,
  ChipGroup,
  EmptyRow,
  ErrorAlert,
  NoticeLine,
  useCoalescedRefresh,
  usePagedList,
  type Notice,
  LoadMore,
} from './admin-kit';
import { adminAuditPath, adminMeterPath } from './admin-routes';

const STATUS_CHIPS: { value: OrphanStatus; label: AdminKey; id: OrphanStatus }[] = [
  { value: 'open', label: 'orphansToReview', id: 'open' },
  { value: 'assigned', label: 'orphansAssigned', id: 'assigned' },
  { value: 'dismissed', label: 'orphansDismissed', id: 'dismissed' },
  { value: 'all', label: 'orphansAll', id: 'all' },
];

const COLUMNS = 7;

type Decision = { id: string; kind: 'assign' | 'dismiss' } | null;

/** M-Pesa's YYYYMMDDHHmmss (Kenyan time) as 2025-11-22 10:45:12; anything else as sent. */
function fmtMpesaDate(value: string | null): string | null {
  const m = value === null ? null : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) return value;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`;
}

const amountText = (o: OrphanRow): string => (o.amountCents === null ? '—' : fmtKes(o.amountCents));

function assignedText(t: AdminT, r: OrphanAssigned): string {
  const o = r.orphan;
  if (!r.credited)
    return t('orphanAlreadyCredited', {
      receipt: o.receipt ?? t('orphanThatPayment'),
      meterNo: o.meterNo ?? '',
    });
  return t('orphanCredited', {
    receipt: o.receipt ?? '',
    amount: amountText(o),
    meterNo: o.meterNo ?? '',
    energy: fmtKwh(r.energyKwh),
    balance: fmtKwh(r.balanceKwh),
  });
}

/**
 * M-Pesa payments whose callback matched no payment request (orphans): an operator assigns each
 * to the meter it was meant for, crediting it once, or dismisses it. Both need a reason and are
 * audited.
 */
export function PaymentsPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useAdminI18n();
  const [status, setStatus] = useState<OrphanStatus>('open');
  // Rows decided on this page, as the server answered: shown in place until the list is read again.
  const [decided, setDecided] = useState<ReadonlyMap<string, OrphanRow>>(() => new Map());
  const [deciding, setDeciding] = useState<Decision>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const fetchPage = useCallback(
    (cursor: string | null) =>
      ctx.api.orphans({ status, cursor }).then((page) => ({ items: page.orphans, next: page.nextCursor })),
    [ctx, status],
  );
  const { rows, next, error, addNewer, more } = usePagedList(fetchPage, {
    emptyOnError: true,
    onFirstPage: () => setDecided(new Map()),
  });
  // Live: a new payment to review goes on top. Rows already shown stay as they are, so a form
  // open on one is never pulled away; a decision taken elsewhere shows when this one is tried.
  const addNewOrphans = useCallback(() => addNewer((o) => o.id), [addNewer]);
  useCoalescedRefresh(ctx.feed.onOrphans, addNewOrphans);

  const onDecided = (orphan: OrphanRow, text: string) => {
    setDecided((m) => new Map(m).set(orphan.id, orphan));
    setDeciding(null);
    setNotice({ ok: true, text });
  };
  const toggle = (id: string, kind: 'assign' | 'dismiss') => {
    setNotice(null);
    setDeciding((d) => (d?.id === id && d.kind === kind ? null : { id, kind }));
  };

  return (
    <section className="admin-page" data-testid="orphans-page">
      <div className="admin-page-head">
        <div>
          <h1>{t('orphansTitle')}</h1>
          <p className="muted small-text">{t('orphansHint')}</p>
        </div>
        <span className="muted">
          {rows ? t('orphansShown', { count: `${rows.length}${next ? '+' : ''}` }) : ''}
        </span>
      </div>
      <div className="fleet-controls">
        <ChipGroup
          label={t('orphansWhich')}
          options={STATUS_CHIPS.map((c) => ({ ...c, label: t(c.label) }))}
          value={status}
          onChange={(s) => {
            setStatus(s);
            setDeciding(null);
            setNotice(null);
          }}
          testIdPrefix="orphans-status-"
        />
      </div>
      <ErrorAlert error={error} />
      <NoticeLine notice={notice} testId="orphans-notice" />
      <div className="card flush">
        <div className="table-wrap">
          <table
            className="admin-table stack-sm"
            data-testid="orphans-table"
            data-loaded={String(rows !== null)}
          >
            <thead>
              <tr>
                <th>{t('orphansColReceived')}</th>
                <th>{t('orphansColReceipt')}</th>
                <th className="num">{t('orphansColAmount')}</th>
                <th className="hide-sm">{t('orphansColPhone')}</th>
                <th className="hide-sm">{t('orphansColResult')}</th>
                <th>{t('orphansColState')}</th>
                <th>
                  <span className="visually-hidden">{t('orphansColActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows?.map((row) => {
                const o = decided.get(row.id) ?? row;
                return (
                  <OrphanLine
                    key={o.id}
                    ctx={ctx}
                    orphan={o}
                    deciding={deciding?.id === o.id ? deciding.kind : null}
                    onToggle={(kind) => toggle(o.id, kind)}
                    onCancel={() => setDeciding(null)}
                    onDecided={onDecided}
                  />
                );
              })}
              {rows && rows.length === 0 && !error && (
                <EmptyRow colSpan={COLUMNS} testId="orphans-empty">
                  {status === 'open' ? t('orphansNothingOpen') : t('orphansNone')}
                </EmptyRow>
              )}
              {!rows && <EmptyRow colSpan={COLUMNS}>{t('loading')}</EmptyRow>}
            </tbody>
          </table>
        </div>
        {next && <LoadMore onClick={more} testId="orphans-load-more" />}
      </div>
    </section>
  );
}

function OrphanLine({
  ctx,
  orphan: o,
  deciding,
  onToggle,
  onCancel,
  onDecided,
}: {
  ctx: AdminContext;
  orphan: OrphanRow;
  deciding: 'assign' | 'dismiss' | null;
  onToggle: (kind: 'assign' | 'dismiss') => void;
  onCancel: () => void;
  onDecided: (orphan: OrphanRow, text: string) => void;
}) {
  const { t, locale } = useAdminI18n();
  const paidAt = fmtMpesaDate(o.transactionDate);
  return (
    <>
      <tr
        data-testid="orphan-row"
        data-orphan-id={o.id}
        data-state={o.state}
        data-receipt={o.receipt ?? ''}
        data-checkout-request-id={o.checkoutRequestId ?? ''}
      >
        <td className="nowrap small-text">{fmtTime(o.receivedAt)}</td>
        <td className="mono" title={paidAt ? t('orphanPaidAt', { when: paidAt }) : undefined} translate="no">
          {o.receipt ?? '—'}
        </td>
        <td className="num mono nowrap" data-testid="orphan-amount" data-amount-cents={o.amountCents ?? ''}>
          {amountText(o)}
        </td>
        <td className="hide-sm mono" translate="no">
          {o.phone ?? '—'}
        </td>
        <td className="hide-sm memo">
          <span className={`badge ${o.resultCode === 0 ? 'good' : 'bad'}`}>{o.resultCode ?? '—'}</span>{' '}
          <span className="small-text">
            {locale === 'en' || o.resultCode === null
              ? (o.resultDesc ?? '')
              : o.resultCode === 0
                ? t('orphanResultOk')
                : t(failureMessageKey(o.resultCode))}
          </span>
        </td>
        <td className="memo" data-testid="orphan-state">
          <OrphanState orphan={o} />
        </td>
        <td className="nowrap">
          {o.state === 'open' && ctx.can('money.move') ? (
            <div className="detail-status">
              {o.creditable ? (
                <button
                  type="button"
                  className={`button small ${deciding === 'assign' ? 'primary' : ''}`}
                  aria-expanded={deciding === 'assign'}
                  onClick={() => onToggle('assign')}
                  data-testid="orphan-assign"
                >
                  {t('orphanAssign')}
                </button>
              ) : (
                <span className="muted small-text" title={t('orphanNoCreditTitle')}>
                  {t('orphanNoCredit')}
                </span>
              )}
              <button
                type="button"
                className="button small danger"
                aria-expanded={deciding === 'dismiss'}
                onClick={() => onToggle('dismiss')}
                data-testid="orphan-dismiss"
              >
                {t('orphanDismiss')}
              </button>
            </div>
          ) : (
            <AdminLink
              className="small-text"
              to={adminAuditPath({ target: o.id })}
              testId="orphan-audit-link"
            >
              {t('orphanAudit')}
            </AdminLink>
          )}
        </td>
      </tr>
      {deciding && (
        <tr>
          <td colSpan={COLUMNS}>
            {deciding === 'assign' ? (
              <AssignOrphanForm ctx={ctx} orphan={o} onCancel={onCancel} onDecided={onDecided} />
            ) : (
              <DismissOrphanForm ctx={ctx} orphan={o} onCancel={onCancel} onDecided={onDecided} />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

function OrphanState({ orphan: o }: { orphan: OrphanRow }) {
  const { t } = useAdminI18n();
  if (o.state === 'open') return <span className="badge warn">{t('orphanState_open')}</span>;
  return (
    <div className="owner-cell">
      <span>
        <span className={`badge ${o.state === 'assigned' ? 'good' : ''}`}>{t(`orphanState_${o.state}`)}</span>
        {o.state === 'assigned' && o.meterNo && (
          <>
            {` ${t('orphanAssignedTo')} `}
            <AdminLink className="mono" to={adminMeterPath(o.meterNo)} testId="orphan-meter-link" data>
              {o.meterNo}
            </AdminLink>
          </>
        )}
      </span>
      <span className="muted small-text" translate="no">
        {[o.resolvedBy, o.reason ? `“${o.reason}”` : null].filter(Boolean).join(' · ')}
      </span>
    </div>
  );
}

interface DecisionFormProps {
  ctx: AdminContext;
  orphan: OrphanRow;
  onCancel: () => void;
  onDecided: (orphan: OrphanRow, text: string) => void;
}

function AssignOrphanForm({ ctx, orphan, onCancel, onDecided }: DecisionFormProps) {
  const { t } = useAdminI18n();
  const [meterNo, setMeterNo] = useState('');
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const valid = meterNo.trim() !== '' && reason.trim() !== '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    setNotice(null);
    run(
      () => ctx.api.assignOrphan(orphan.id, meterNo.trim(), reason.trim()),
      (r) => onDecided(r.orphan, assignedText(t, r)),
    );
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="orphan-assign-form">
      <p className="small-text">
        {t('orphanAssignExplain', {
          amount: amountText(orphan),
          receipt: orphan.receipt ?? '',
          from: orphan.phone ? t('orphanFrom', { phone: orphan.phone }) : '',
        })}
      </p>
      <div className="inline-fields">
        <MeterNoField
          label={t('orphanMeterNumber')}
          pattern="[A-Za-z0-9_\-]{1,32}"
          title={t('orphanMeterPattern')}
          value={meterNo}
          onChange={setMeterNo}
          testId="orphan-assign-meter"
        />
        <ReasonField
          grow
          label={t('orphanReasonAudited')}
          value={reason}
          onChange={setReason}
          placeholder={t('orphanAssignPlaceholder')}
          testId="orphan-assign-reason"
        />
      </div>
      <SubmitRow
        busy={busy}
        disabled={!valid}
        busyLabel={t('orphanAssigning')}
        testId="orphan-assign-submit"
        onCancel={onCancel}
      >
        {meterNo.trim() ? t('orphanCreditMeter', { meterNo: meterNo.trim() }) : t('orphanAssign')}
      </SubmitRow>
      <NoticeLine notice={notice} testId="orphan-assign-message" />
    </form>
  );
}

function DismissOrphanForm({ ctx, orphan, onCancel, onDecided }: DecisionFormProps) {
  const { t } = useAdminI18n();
  const [reason, setReason] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    setNotice(null);
    run(
      () => ctx.api.dismissOrphan(orphan.id, reason.trim()),
      (o) => onDecided(o, t('orphanDismissedText', { receipt: o.receipt ?? t('orphanTheCallback') })),
    );
  };
  return (
    <form className="reason-form inset" onSubmit={submit} data-testid="orphan-dismiss-form">
      <p className="small-text">
        {orphan.creditable
          ? t('orphanDismissPayment', { amount: amountText(orphan) })
          : t('orphanDismissCallback')}
      </p>
      <ReasonField
        autoFocus
        label={t('orphanReasonAudited')}
        value={reason}
        onChange={setReason}
        placeholder={
          orphan.creditable ? t('orphanDismissPlaceholderPaid') : t('orphanDismissPlaceholderFailed')
        }
        testId="orphan-dismiss-reason"
      />
      <SubmitRow
        busy={busy}
        disabled={!reason.trim()}
        busyLabel={t('orphanDismissing')}
        testId="orphan-dismiss-submit"
        onCancel={onCancel}
      >
        {t('orphanDismiss')}
      </SubmitRow>
      <NoticeLine notice={notice} testId="orphan-dismiss-message" />
    </form>
  );
}
