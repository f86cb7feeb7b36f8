import { useCallback, useEffect, useState } from 'react';
import type { SmsOverview, SmsRow } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtTime } from './admin-format';
import { useAdminI18n, type AdminKey, type AdminT } from './admin-i18n';
import { EmptyRow, ErrorAlert, errorText } from './admin-kit';

const COLUMNS = 7;

const SMS_STATUS_KEYS: Record<SmsRow['status'], true> = {
  queued: true,
  sending: true,
  sent: true,
  delivered: true,
  failed: true,
  unknown: true,
  cancelled: true,
};

const GATEWAY_TEXT: Record<SmsOverview['gateway'], AdminKey> = {
  africastalking: 'smsGateway_africastalking',
  emulator: 'smsGateway_emulator',
  off: 'smsGateway_off',
};

/** Ten-thousandths of a shilling as KES with four decimals, as the gateway quotes it. */
function fmtCost(tenThousandths: number | null): string {
  if (tenThousandths === null) return '—';
  return `KES ${Math.floor(tenThousandths / 10_000)}.${String(tenThousandths % 10_000).padStart(4, '0')}`;
}

function statusText(t: AdminT, r: SmsRow): string {
  if (r.status === 'failed' && r.failureReason) return t('smsFailedBecause', { reason: r.failureReason });
  if (r.status === 'queued' && r.attempts > 0) return t('smsQueuedTry', { n: r.attempts + 1 });
  return t(`smsStatus_${r.status}`);
}

/** The SMS outbox: recent messages with their delivery status, and messages and cost per month. */
export function SmsPage({ ctx }: { ctx: AdminContext }) {
  // The gateway's delivery status is its own English: shown as a hint in English only.
  const { t, locale } = useAdminI18n();
  const [meterNo, setMeterNo] = useState('');
  const [data, setData] = useState<SmsOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    (filter: string) => {
      setError(null);
      ctx.api.sms(filter.trim() || undefined).then(setData, (err: unknown) => setError(errorText(err)));
    },
    [ctx],
  );
  useEffect(() => load(''), [load]);
  const month = data?.months[0];

  return (
    <section className="admin-page" data-testid="sms-page">
      <div className="admin-page-head">
        <h1>{t('smsPageTitle')}</h1>
        {data && <p className="muted">{t('smsSentThrough', { gateway: t(GATEWAY_TEXT[data.gateway]) })}</p>}
      </div>
      <div className="fleet-controls">
        <label className="admin-label inline">
          {t('smsMeter')}
          <input
            className="admin-input"
            value={meterNo}
            maxLength={12}
            onChange={(e) => setMeterNo(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && load(meterNo)}
            data-testid="sms-meter"
          />
        </label>
        <button type="button" className="button small" onClick={() => load(meterNo)}>
          {t('smsRefresh')}
        </button>
        {month && (
          <span className="muted" data-testid="sms-month">
            {t('smsMonthLine', {
              month: month.month,
              messages: month.messages,
              parts: month.parts,
              cost: fmtCost(month.costTenThousandths),
            })}
          </span>
        )}
        {data && (
          <span className="muted" data-testid="sms-counts">
            {Object.entries(data.counts)
              .map(([k, v]) => `${k in SMS_STATUS_KEYS ? t(`smsStatus_${k as SmsRow['status']}`) : k} ${v}`)
              .join(' · ')}
          </span>
        )}
      </div>
      <ErrorAlert error={error} />
      <div className="card flush table-wrap">
        <table className="admin-table" data-testid="sms-table">
          <thead>
            <tr>
              <th>{t('smsColQueued')}</th>
              <th>{t('smsColMeter')}</th>
              <th>{t('smsColPhone')}</th>
              <th>{t('smsColKind')}</th>
              <th>{t('smsColMessage')}</th>
              <th>{t('smsColStatus')}</th>
              <th className="num">{t('smsColCost')}</th>
            </tr>
          </thead>
          <tbody>
            {data?.messages.map((r) => (
              <tr key={r.id} data-testid="sms-row">
                <td className="mono">{fmtTime(r.createdAt)}</td>
                <td className="mono" translate="no">
                  {r.meterNo ?? '—'}
                </td>
                <td className="mono" translate="no">
                  {r.phone}
                </td>
                <td className="mono" translate="no">
                  {r.kind} ({r.lang})
                </td>
                <td title={r.lastError ?? undefined} translate="no">
                  {r.body}
                </td>
                <td title={locale === 'en' ? (r.deliveryStatus ?? undefined) : undefined}>
                  {statusText(t, r)}
                </td>
                <td className="num mono">{fmtCost(r.costTenThousandths)}</td>
              </tr>
            ))}
            {data && data.messages.length === 0 && <EmptyRow colSpan={COLUMNS}>{t('smsNone')}</EmptyRow>}
            {!data && !error && <EmptyRow colSpan={COLUMNS}>{t('loading')}</EmptyRow>}
          </tbody>
        </table>
      </div>
      {data && data.months.length > 1 && (
        <div className="card flush table-wrap">
          <table className="admin-table" data-testid="sms-months">
            <thead>
              <tr>
                <th>{t('smsColMonth')}</th>
                <th className="num">{t('smsColMessages')}</th>
                <th className="num">{t('smsColParts')}</th>
                <th className="num">{t('smsColCost')}</th>
              </tr>
            </thead>
            <tbody>
              {data.months.map((m) => (
                <tr key={m.month}>
                  <td className="mono">{m.month}</td>
                  <td className="num mono">{m.messages}</td>
                  <td className="num mono">{m.parts}</td>
                  <td className="num mono">{fmtCost(m.costTenThousandths)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
