import { useCallback, useEffect, useRef, useState } from 'react';
import { navigate, useNow } from '../ui/navigation';
import {
  fleetFilters,
  type FleetFilter,
  type FleetRow,
  type FleetSort,
  type FleetSortKey,
} from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtAgo, fmtKwh, fmtPower } from './admin-format';
import { meterStatusKey, useAdminI18n, type AdminKey } from './admin-i18n';
import { AdminLink, EmptyRow, ErrorAlert, errorText, SearchInput, useDebounced } from './admin-kit';
import { adminMeterPath } from './admin-routes';
import { applyFleetUpdate } from './fleet-rows';

const FILTER_LABELS: Record<FleetFilter, AdminKey> = {
  offline: 'fleetOffline',
  low_balance: 'fleetLowBalance',
  relay_off: 'fleetRelayOff',
  alerting: 'fleetAlerting',
};

interface Loaded {
  rows: readonly FleetRow[];
  next: string | null;
  total: number;
}

export function FleetPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useAdminI18n();
  const [filter, setFilter] = useState<FleetFilter | null>(null);
  const [search, setSearch] = useState('');
  // Search as the operator types, without a request per key.
  const [q] = useDebounced(search, 300);
  const [sort, setSort] = useState<FleetSort>('meterNo');
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const seqs = useRef(new Map<string, number>());
  const query = useRef(0);
  const nowMs = useNow(10_000);

  useEffect(() => {
    const mine = ++query.current;
    setError(null);
    ctx.api.fleet({ filter, q, sort }).then(
      (page) => {
        if (mine !== query.current) return;
        seqs.current.clear();
        setData({ rows: page.meters, next: page.next, total: page.total });
      },
      (err: unknown) => {
        if (mine === query.current) setError(errorText(err));
      },
    );
  }, [ctx, filter, q, sort]);

  useEffect(
    () =>
      ctx.feed.subscribe((live) =>
        setData((d) => {
          if (!d) return d;
          const rows = applyFleetUpdate(d.rows, seqs.current, live);
          return rows === d.rows ? d : { ...d, rows };
        }),
      ),
    [ctx],
  );

  const loadMore = useCallback(() => {
    if (!data?.next) return;
    const mine = query.current;
    setLoadingMore(true);
    ctx.api
      .fleet({ filter, q, sort, cursor: data.next })
      .then(
        (page) => {
          if (mine !== query.current) return;
          setData((d) => {
            if (!d) return d;
            const have = new Set(d.rows.map((r) => r.meterNo));
            return {
              rows: [...d.rows, ...page.meters.filter((m) => !have.has(m.meterNo))],
              next: page.next,
              total: page.total,
            };
          });
        },
        (err: unknown) => setError(errorText(err)),
      )
      .finally(() => setLoadingMore(false));
  }, [ctx, data, filter, q, sort]);

  const sortBy = (key: FleetSortKey) => setSort((s) => (s === key ? `-${key}` : key));
  const sortHeader = (key: FleetSortKey, label: string, numeric = false, extra = '') => {
    const dir = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : 'none';
    return (
      <th aria-sort={dir} className={`${numeric ? 'num' : ''} ${extra}`.trim() || undefined}>
        <button type="button" className="sort" onClick={() => sortBy(key)} data-testid={`sort-${key}`}>
          {label}
          <span aria-hidden="true">{dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''}</span>
        </button>
      </th>
    );
  };

  return (
    <section className="admin-page" data-testid="fleet-page">
      <div className="admin-page-head">
        <h1>{t('fleetTitle')}</h1>
        <span className="muted" data-testid="fleet-total">
          {data ? t('fleetCount', { shown: data.rows.length, total: data.total }) : ''}
        </span>
      </div>
      <div className="fleet-controls">
        <div className="fchips" role="group" aria-label={t('fleetFilter')}>
          <button
            type="button"
            className="fchip"
            aria-pressed={filter === null}
            onClick={() => setFilter(null)}
            data-testid="filter-all"
          >
            {t('fleetAll')}
          </button>
          {fleetFilters.map((f) => (
            <button
              key={f}
              type="button"
              className="fchip"
              aria-pressed={filter === f}
              onClick={() => setFilter(f)}
              data-testid={`filter-${f}`}
            >
              {t(FILTER_LABELS[f])}
            </button>
          ))}
        </div>
        <SearchInput
          value={search}
          onChange={setSearch}
          placeholder={t('fleetSearchPlaceholder')}
          label={t('fleetSearchLabel')}
          testId="fleet-search"
        />
      </div>
      <ErrorAlert error={error} />
      <div className="table-wrap card flush">
        <table className="admin-table" data-testid="fleet-table" data-loaded={String(data !== null)}>
          <thead>
            <tr>
              {sortHeader('meterNo', t('colMeter'))}
              <th className="hide-sm">{t('colOwner')}</th>
              {sortHeader('balance', t('colBalanceKwh'), true)}
              {sortHeader('power', t('colPower'), true, 'hide-sm')}
              <th>{t('colRelay')}</th>
              <th>{t('colLink')}</th>
              {sortHeader('lastSeen', t('colLastSeen'), false, 'hide-sm')}
              <th className="hide-sm">{t('colFirmware')}</th>
              <th className="num">{t('colAlerts')}</th>
            </tr>
          </thead>
          <tbody>
            {data?.rows.map((m) => (
              <tr
                key={m.meterNo}
                data-testid="fleet-row"
                data-meter={m.meterNo}
                data-online={String(m.online)}
                data-relay={m.relay}
                className="clickable"
                onClick={() => navigate(adminMeterPath(m.meterNo))}
              >
                <td>
                  <AdminLink to={adminMeterPath(m.meterNo)} className="mono" stopPropagation data>
                    {m.meterNo}
                  </AdminLink>
                </td>
                <td className="hide-sm">
                  <div className="owner-cell" translate="no">
                    {m.ownerName ?? (
                      <span className="muted" translate="yes">
                        {t('unassigned')}
                      </span>
                    )}
                    {m.ownerEmail && <span className="muted small-text">{m.ownerEmail}</span>}
                  </div>
                </td>
                <td className={`num mono ${m.balanceKwh <= 0 ? 'neg' : ''}`} data-testid="fleet-balance">
                  {fmtKwh(m.balanceKwh)}
                </td>
                <td className="num mono hide-sm">{fmtPower(m.powerW)}</td>
                <td>
                  <span className={`pill ${m.relay === 'on' ? 'good' : 'bad'}`}>
                    {m.relay === 'on' ? t('relayOn') : t('relayOff')}
                  </span>
                </td>
                <td>
                  <span
                    className={`dot-label ${m.online ? 'up' : 'down'}`}
                    title={t(meterStatusKey(m.status))}
                  >
                    {m.online
                      ? t('status_online')
                      : m.status === 'never_seen'
                        ? t('neverSeen')
                        : t('status_offline')}
                  </span>
                </td>
                <td className="hide-sm" title={m.lastSeen ?? ''}>
                  {fmtAgo(m.lastSeen, nowMs)}
                </td>
                <td className="mono hide-sm">{m.fw ?? '—'}</td>
                <td className="num">
                  {m.openAlerts > 0 ? (
                    <span className="badge bad">{m.openAlerts}</span>
                  ) : (
                    <span className="muted">0</span>
                  )}
                </td>
              </tr>
            ))}
            {data && data.rows.length === 0 && (
              <EmptyRow colSpan={9} testId="fleet-empty">
                {t('fleetEmpty')}
              </EmptyRow>
            )}
            {!data && !error && <EmptyRow colSpan={9}>{t('loading')}</EmptyRow>}
          </tbody>
        </table>
      </div>
      {data?.next && (
        <div className="center">
          <button
            type="button"
            className="button"
            onClick={loadMore}
            disabled={loadingMore}
            data-testid="fleet-load-more"
          >
            {loadingMore ? t('loading') : t('fleetLoadMore', { left: data.total - data.rows.length })}
          </button>
        </div>
      )}
    </section>
  );
}
