import { useState } from 'react';
import type { AlertRow } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { alertKindKey, alertMessage, severityKey, useAdminI18n } from './admin-i18n';
import { AdminLink, EmptyRow, ErrorAlert, errorText } from './admin-kit';

/** Alerts with their acknowledge buttons: on a meter's page, and (with the meter column) on the Alerts page. */
export function AlertsList({
  ctx,
  alerts,
  onChanged,
  showMeter = false,
}: {
  ctx: AdminContext;
  alerts: readonly AlertRow[];
  onChanged: () => void;
  showMeter?: boolean;
}) {
  const { t, locale } = useAdminI18n();
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ack = (id: number) => {
    setBusy(id);
    setError(null);
    ctx.api
      .ack(id)
      .then(onChanged, (err: unknown) => setError(errorText(err)))
      .finally(() => setBusy(null));
  };
  return (
    <div className="card flush" data-testid="alerts-list">
      {!showMeter && <h2 className="card-title pad">{t('alertsTitle')}</h2>}
      <ErrorAlert error={error} />
      <div className="table-wrap">
        <table className="admin-table">
          <thead>
            <tr>
              <th>{t('alertsColOpened')}</th>
              {showMeter && <th>{t('colMeter')}</th>}
              <th>{t('alertsColKind')}</th>
              <th>{t('alertsColSeverity')}</th>
              <th>{t('alertsColMessage')}</th>
              <th>{t('alertsColState')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr
                key={a.id}
                data-testid="alert-row"
                data-alert-id={a.id}
                data-kind={a.kind}
                data-acknowledged={String(a.acknowledgedAt !== null)}
              >
                <td className="nowrap">{fmtTime(a.openedAt)}</td>
                {showMeter && (
                  <td>
                    <AdminLink className="mono" to={`/admin/meters/${encodeURIComponent(a.meterNo)}`} data>
                      {a.meterNo}
                    </AdminLink>
                  </td>
                )}
                <td>{t(alertKindKey(a.kind))}</td>
                <td>
                  <span
                    className={`badge ${a.severity === 'critical' || a.severity === 'error' ? 'bad' : 'warn'}`}
                  >
                    {t(severityKey(a.severity))}
                  </span>
                </td>
                <td className="memo">{alertMessage(locale, a.kind, a.message)}</td>
                <td className="nowrap">
                  {a.closedAt ? t('alertClosed') : t('alertOpenState')}
                  {a.acknowledgedAt && <span className="muted small-text"> · {t('alertAcknowledged')}</span>}
                </td>
                <td className="num">
                  {a.acknowledgedAt === null && ctx.can('alerts.handle') && (
                    <button
                      type="button"
                      className="button small"
                      disabled={busy === a.id}
                      onClick={() => ack(a.id)}
                      data-testid="alert-ack"
                    >
                      {t('alertAcknowledge')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {alerts.length === 0 && (
              <EmptyRow colSpan={showMeter ? 7 : 6} testId="alerts-empty">
                {t('alertsNone')}
              </EmptyRow>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
