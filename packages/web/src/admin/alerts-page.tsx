import { useCallback, useEffect, useState } from 'react';
import type { AlertFilter, AlertRow, RegisterHold } from './admin-api';
import type { AdminContext } from './admin-context';
import { useAdminI18n } from './admin-i18n';
import { ErrorAlert, errorText, LoadMore, useCoalescedRefresh } from './admin-kit';
import { AlertFilters } from './alert-filters';
import { AlertsList } from './alerts-list';
import { RegisterHoldCard } from './register-hold-card';

export function AlertsPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useAdminI18n();
  const [open, setOpen] = useState(true);
  const [filter, setFilter] = useState<AlertFilter>({});
  const [alerts, setAlerts] = useState<AlertRow[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [holds, setHolds] = useState<RegisterHold[]>([]);

  const load = useCallback(() => {
    // Held register jumps wait for a decision here as well as on the meter's page (MQ-13).
    ctx.api.registerHolds().then(
      (r) => setHolds(r.holds),
      (err: unknown) => setError(errorText(err)),
    );
    ctx.api.alerts(open, null, filter).then(
      (r) => {
        setAlerts(r.alerts);
        setNext(r.next);
        setError(null);
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [ctx, open, filter]);

  useEffect(load, [load]);

  // Live: alerts that open or close, and other operators' acknowledgements, arrive as
  // notifications (and a reconnect reads the list again). The list is also read again when
  // the tab comes back into view.
  const alertsOrVisible = useCallback(
    (signal: () => void) => {
      const off = ctx.feed.onAlerts(signal);
      const onVisible = () => {
        if (document.visibilityState === 'visible') signal();
      };
      document.addEventListener('visibilitychange', onVisible);
      return () => {
        off();
        document.removeEventListener('visibilitychange', onVisible);
      };
    },
    [ctx],
  );
  useCoalescedRefresh(alertsOrVisible, load);

  const more = () => {
    if (next === null) return;
    ctx.api.alerts(open, next, filter).then(
      (r) => {
        setAlerts((a) => [...(a ?? []), ...r.alerts]);
        setNext(r.next);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };

  return (
    <section className="admin-page" data-testid="alerts-page">
      <div className="admin-page-head">
        <h1>{t('alertsTitle')}</h1>
        <div className="fchips" role="group" aria-label={t('alertsWhich')}>
          <button type="button" className="fchip" aria-pressed={open} onClick={() => setOpen(true)}>
            {t('alertsOpen')}
          </button>
          <button
            type="button"
            className="fchip"
            aria-pressed={!open}
            onClick={() => setOpen(false)}
            data-testid="alerts-all"
          >
            {t('alertsAll')}
          </button>
        </div>
      </div>
      <AlertFilters value={filter} onChange={setFilter} />
      <ErrorAlert error={error} />
      {holds.map((h) => (
        <RegisterHoldCard key={h.id} ctx={ctx} hold={h} onDone={load} showMeter />
      ))}
      {alerts ? (
        <AlertsList ctx={ctx} alerts={alerts} onChanged={load} showMeter />
      ) : (
        <p className="center muted">{t('loading')}</p>
      )}
      {next !== null && <LoadMore onClick={more} testId="alerts-load-more" />}
    </section>
  );
}
