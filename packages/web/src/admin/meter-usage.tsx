import { useEffect, useState } from 'react';
import { niceCeil } from '../state/chart-scale';
import { useNow } from '../ui/navigation';
import type { ConsumptionSeries } from './admin-api';
import type { AdminContext } from './admin-context';
import { CONSOLE_TIME_ZONE, fmtKwh } from './admin-format';
import { getConsoleLocale, useAdminI18n } from './admin-i18n';
import { intlLocale } from '../i18n/i18n';
import { errorText } from './admin-kit';

type Bucket = 'hour' | 'day';
const SPAN_MS: Record<Bucket, number> = { hour: 24 * 3_600_000, day: 30 * 86_400_000 };

function label(bucket: Bucket, iso: string): string {
  const d = new Date(iso);
  const locale = intlLocale[getConsoleLocale()];
  return bucket === 'hour'
    ? d.toLocaleTimeString(locale, {
        hour: '2-digit',
        minute: '2-digit',
        hour12: false,
        timeZone: CONSOLE_TIME_ZONE,
      })
    : d.toLocaleDateString(locale, { day: 'numeric', month: 'short', timeZone: CONSOLE_TIME_ZONE });
}

/** The meter's consumption from the server's rollups: the last 24 hours or 30 days, as bars. */
export function MeterUsage({ ctx, meterNo }: { ctx: AdminContext; meterNo: string }) {
  // New readings land in the hourly rollups; a minute's staleness is fine for a chart.
  const minute = useNow(60_000);
  const { t } = useAdminI18n();
  const [bucket, setBucket] = useState<Bucket>('hour');
  const [series, setSeries] = useState<ConsumptionSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    ctx.api.consumption(meterNo, bucket, new Date(Date.now() - SPAN_MS[bucket]).toISOString()).then(
      (s) => {
        if (!live) return;
        setSeries(s);
        setError(null);
      },
      (err: unknown) => {
        if (live) setError(errorText(err));
      },
    );
    return () => {
      live = false;
    };
  }, [ctx, meterNo, bucket, minute]);

  const points = series?.bucket === bucket ? series.points : [];
  const maxKwh = niceCeil(Math.max(0, ...points.map((p) => p.energyKwh)));
  const shown = points[hover ?? points.length - 1];
  const n = Math.max(1, points.length);
  const labelEvery = Math.max(1, Math.ceil(n / 6));

  return (
    <div className="card stat-card usage-chart-admin" data-testid="meter-usage" data-points={points.length}>
      <div className="admin-page-head">
        <h2 className="card-title">{t('usageConsumption')}</h2>
        <div className="fchips" role="group" aria-label={t('reportsPeriod')}>
          {(['hour', 'day'] as const).map((b) => (
            <button
              key={b}
              type="button"
              className="fchip"
              aria-pressed={bucket === b}
              onClick={() => {
                setBucket(b);
                setHover(null);
              }}
              data-testid={`meter-usage-${b}`}
            >
              {b === 'hour' ? t('last24h') : t('last30d')}
            </button>
          ))}
        </div>
      </div>
      {error ? (
        <p className="form-error">{error}</p>
      ) : !series ? (
        <p className="muted">{t('loading')}</p>
      ) : (
        <>
          <p className="small-text">
            <span className="muted">{shown ? label(bucket, shown.start) : ''} </span>
            <strong className="mono">{fmtKwh(shown?.energyKwh ?? 0)} kWh</strong>
            <span className="muted">
              {' '}
              · {t('usageTotalKwh', { energy: fmtKwh(series.bucket === bucket ? series.totalKwh : 0) })}
            </span>
          </p>
          <svg
            viewBox={`0 0 ${n * 10} 100`}
            preserveAspectRatio="none"
            role="img"
            aria-label={t(bucket === 'hour' ? 'usageChartHour' : 'usageChartDay', { max: fmtKwh(maxKwh) })}
            onMouseLeave={() => setHover(null)}
          >
            <line className="grid" x1={0} x2={n * 10} y1={50} y2={50} vectorEffect="non-scaling-stroke" />
            {points.map((p, i) => {
              const h = (Math.max(0, p.energyKwh) / maxKwh) * 100;
              return (
                <rect
                  key={p.start}
                  className="bar"
                  x={i * 10 + 1.5}
                  width={7}
                  y={100 - h}
                  height={Math.max(h, p.energyKwh > 0 ? 1 : 0)}
                  opacity={hover === null || hover === i ? 1 : 0.55}
                  onMouseEnter={() => setHover(i)}
                  onClick={() => setHover(i)}
                />
              );
            })}
          </svg>
          <div className="chart-axis muted small-text" aria-hidden="true">
            {points.map((p, i) =>
              (points.length - 1 - i) % labelEvery === 0 ? (
                <span key={p.start} style={{ left: `${((i + 0.5) / n) * 100}%` }}>
                  {label(bucket, p.start)}
                </span>
              ) : null,
            )}
          </div>
          <p className="muted small-text">
            {t(bucket === 'hour' ? 'usageScaleHour' : 'usageScaleDay', { max: fmtKwh(maxKwh) })}
          </p>
        </>
      )}
    </div>
  );
}
