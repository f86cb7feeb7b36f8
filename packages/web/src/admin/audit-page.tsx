import { useCallback, useEffect, useState } from 'react';
import type { AuditEntry, AuditQuery } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { useAdminI18n } from './admin-i18n';
import { AdminLink, EmptyRow, ErrorAlert, useDebounced, usePagedList, LoadMore } from './admin-kit';
import { adminAuditPath, adminMeterPath } from './admin-routes';
import { auditSummary } from './audit-summary';

/** Actions the server writes, for the filter's suggestions; a family ends with a dot. */
const KNOWN_ACTIONS = [
  'meter.',
  'meter.assigned',
  'meter.registered',
  'meter.secret_rotated',
  'meter.revoked',
  'meter.epoch_restarted',
  'ledger.',
  'ledger.adjustment',
  'ledger.emergency',
  'transaction.moved',
  'command.',
  'command.relay',
  'command.config',
  'command.acknowledged',
  'command.expired',
  'alert.acknowledged',
  'payment.',
  'topup.',
  'topup.approved',
  'topup.rejected',
] as const;

type Filters = Required<Pick<AuditQuery, 'target' | 'actor' | 'action'>>;

function filtersFromUrl(): Filters {
  const p = new URLSearchParams(window.location.search);
  return { target: p.get('target') ?? '', actor: p.get('actor') ?? '', action: p.get('action') ?? '' };
}

const METER_LIKE = /^[A-Za-z0-9_-]{1,32}$/;

/** The audit log, read-only: filters and paging, nothing that writes. */
export function AuditPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useAdminI18n();
  const [draft, setDraft] = useState<Filters>(filtersFromUrl);
  // Typing filters applies them after a pause, and the URL keeps them for a shared link.
  const [filters, setFilters] = useDebounced(draft, 350);
  const [open, setOpen] = useState<number | null>(null);

  useEffect(() => {
    const path = adminAuditPath(filters);
    if (`${window.location.pathname}${window.location.search}` !== path)
      window.history.replaceState(null, '', path);
  }, [filters]);

  const fetchPage = useCallback(
    (before: number | null) =>
      ctx.api
        .audit(before === null ? filters : { ...filters, before })
        .then((page) => ({ items: page.entries, next: page.next })),
    [ctx, filters],
  );
  const { rows: entries, next, error, more } = usePagedList(fetchPage, { emptyOnError: true });

  const field = (key: keyof Filters, label: string, placeholder: string, extra: object = {}) => (
    <label className="admin-label inline">
      {label}
      <input
        className="admin-input"
        type="text"
        value={draft[key]}
        placeholder={placeholder}
        onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))}
        data-testid={`audit-${key}`}
        {...extra}
      />
    </label>
  );
  const filtered = Boolean(filters.target || filters.actor || filters.action);

  return (
    <section className="admin-page" data-testid="audit-page">
      <div className="admin-page-head">
        <div>
          <h1>{t('auditTitle')}</h1>
          <p className="muted small-text">{t('auditHint')}</p>
        </div>
      </div>
      <div className="fleet-controls">
        {field('target', t('auditTarget'), t('auditTargetPlaceholder'))}
        {field('actor', t('auditActor'), 'admin@umeme.local', { type: 'email' })}
        {field('action', t('auditAction'), t('auditActionPlaceholder'), { list: 'audit-actions' })}
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        {filtered && (
          <button
            type="button"
            className="button small ghost"
            onClick={() => {
              const none = { target: '', actor: '', action: '' };
              setDraft(none);
              setFilters(none);
            }}
            data-testid="audit-clear"
          >
            {t('auditClear')}
          </button>
        )}
      </div>
      <ErrorAlert error={error} />
      <div className="card flush">
        <div className="table-wrap">
          <table
            className="admin-table stack-sm"
            data-testid="audit-log"
            data-loaded={String(entries !== null)}
          >
            <thead>
              <tr>
                <th>{t('auditColWhen')}</th>
                <th>{t('auditColAction')}</th>
                <th>{t('auditColTarget')}</th>
                <th className="hide-sm">{t('auditColBy')}</th>
                <th>{t('auditColDetails')}</th>
              </tr>
            </thead>
            <tbody>
              {entries?.map((a) => (
                <AuditLine
                  key={a.id}
                  entry={a}
                  expanded={open === a.id}
                  onToggle={() => setOpen((o) => (o === a.id ? null : a.id))}
                />
              ))}
              {entries && entries.length === 0 && !error && (
                <EmptyRow colSpan={5} testId="audit-empty">
                  {filtered ? t('auditNothingFiltered') : t('auditNothing')}
                </EmptyRow>
              )}
              {!entries && <EmptyRow colSpan={5}>{t('loading')}</EmptyRow>}
            </tbody>
          </table>
        </div>
      </div>
      {next !== null && <LoadMore onClick={more} testId="audit-load-more" />}
    </section>
  );
}

function AuditLine({
  entry: a,
  expanded,
  onToggle,
}: {
  entry: AuditEntry;
  expanded: boolean;
  onToggle: () => void;
}) {
  const { t } = useAdminI18n();
  const target = a.target;
  // Payment entries name a callback or intent, settings entries a key: only the rest name meters.
  const paymentTarget = a.action.startsWith('payment.');
  const meterTarget =
    target !== null && !paymentTarget && !a.action.startsWith('friendly_hours.') && METER_LIKE.test(target);
  return (
    <>
      <tr data-testid="audit-entry" data-action={a.action} data-target={target ?? ''}>
        <td className="nowrap small-text">{fmtTime(a.at)}</td>
        <td>
          <span className="badge" translate="no">
            {a.action}
          </span>
        </td>
        <td>
          {meterTarget ? (
            <AdminLink className="mono" to={adminMeterPath(target)} data>
              {target}
            </AdminLink>
          ) : paymentTarget && target ? (
            <AdminLink className="mono small-text" to="/admin/payments" data>
              {target}
            </AdminLink>
          ) : (
            <span className="mono small-text" translate="no">
              {target ?? '—'}
            </span>
          )}
        </td>
        <td className="hide-sm small-text muted" translate="no">
          {a.actorEmail ?? a.actorKind}
        </td>
        <td className="memo">
          <button
            type="button"
            className="link-button"
            aria-expanded={expanded}
            onClick={onToggle}
            title={t('auditShowAll')}
          >
            {auditSummary(a.details) || t('auditDetails')}
          </button>
        </td>
      </tr>
      {expanded && (
        <tr className="audit-details">
          <td colSpan={5}>
            <pre className="mono" translate="no">
              {JSON.stringify(
                {
                  by: a.actorEmail ?? a.actorId ?? a.actorKind,
                  actorKind: a.actorKind,
                  ...asObject(a.details),
                },
                null,
                2,
              )}
            </pre>
          </td>
        </tr>
      )}
    </>
  );
}

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { details: v };
