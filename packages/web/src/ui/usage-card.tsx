import { useState } from 'react';
import type { Bucket } from '../api/api-types';
import type { UsageState } from '../live/live-session';
import { readingDigits } from '../state/chart-scale';
import { formatKwh } from '../state/format';
import { seriesTotalKwh } from '../state/usage-series';
import { useI18n } from './i18n-context';
import { UsageChart } from './usage-chart';

export function UsageCard({
  hourly,
  daily,
}: {
  hourly: UsageState | undefined;
  daily: UsageState | undefined;
}) {
  const { t, locale } = useI18n();
  const [bucket, setBucket] = useState<Bucket>('hour');
  const usage = bucket === 'hour' ? hourly : daily;
  const total = usage?.status === 'ready' ? seriesTotalKwh(usage.series) : 0;
  return (
    <section className="card usage-card" aria-labelledby="usage-heading">
      <div className="card-head">
        <h2 id="usage-heading" className="card-title">
          {t('usage')}
        </h2>
        <div className="segmented" role="tablist" aria-label={t('usage')}>
          {(['hour', 'day'] as const).map((b) => (
            <button
              key={b}
              type="button"
              role="tab"
              aria-selected={b === bucket}
              aria-pressed={b === bucket}
              data-testid={`usage-${b}`}
              onClick={() => setBucket(b)}
            >
              {b === 'hour' ? t('last24h') : t('last30d')}
            </button>
          ))}
        </div>
      </div>
      {!usage || usage.status === 'loading' ? (
        <p className="muted chart-placeholder">{t('loading')}</p>
      ) : usage.status === 'unavailable' || usage.status === 'error' ? (
        <p className="muted chart-placeholder" data-testid="usage-unavailable">
          {t('usageUnavailable')}
        </p>
      ) : (
        <>
          <UsageChart series={usage.series} locale={locale} />
          <p className="muted small" data-testid="usage-total">
            {total > 0
              ? t('usageTotal', { amount: formatKwh(locale, total, readingDigits(total)) })
              : t('usageEmpty')}
          </p>
        </>
      )}
    </section>
  );
}
