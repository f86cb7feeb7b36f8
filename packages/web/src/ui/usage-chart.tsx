import { useEffect, useRef, useState } from 'react';
import { intlLocale, type Locale } from '../i18n/i18n';
import { labelledIndexes, niceCeil, axisDigits, readingDigits } from '../state/chart-scale';
import { APP_TIME_ZONE, formatKwh } from '../state/format';
import type { UsageSeries } from '../state/usage-series';

const HEIGHT_PX = 170;
const PAD = { top: 10, right: 6, bottom: 22, left: 40 } as const;
/** Label every n-th bucket so labels never overlap on a phone. */
const LABEL_EVERY = { hour: 6, day: 7 } as const;

function bucketLabel(locale: Locale, bucket: UsageSeries['bucket'], startMs: number): string {
  return bucket === 'hour'
    ? new Intl.DateTimeFormat(intlLocale[locale], {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone: APP_TIME_ZONE,
      }).format(startMs)
    : new Intl.DateTimeFormat(intlLocale[locale], {
        day: 'numeric',
        month: 'short',
        timeZone: APP_TIME_ZONE,
      }).format(startMs);
}

/** A small bar chart in SVG: one bar per bucket, the bucket in progress highlighted; tap a bar to read it. */
export function UsageChart({ series, locale }: { series: UsageSeries; locale: Locale }) {
  const box = useRef<HTMLDivElement>(null);
  const [widthPx, setWidthPx] = useState(320);
  const [selected, setSelected] = useState<number | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && w > 0) setWidthPx(Math.round(w));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => setSelected(null), [series.bucket]);

  const n = series.kwh.length;
  const maxKwh = niceCeil(Math.max(0, ...series.kwh));
  const plotW = Math.max(10, widthPx - PAD.left - PAD.right);
  const plotH = HEIGHT_PX - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, n);
  const barW = Math.max(2, slot * 0.68);
  const y = (kwh: number) => PAD.top + plotH - (Math.max(0, kwh) / maxKwh) * plotH;
  const labels = new Set(labelledIndexes(n, LABEL_EVERY[series.bucket]));
  const shown = selected ?? n - 1;
  const shownStart = series.startsMs[shown];
  const shownKwh = series.kwh[shown] ?? 0;
  const gridDigits = axisDigits(maxKwh);
  const total = series.kwh.reduce((a, b) => a + b, 0);

  return (
    <div className="chart" ref={box}>
      <p className="chart-readout" data-testid="usage-readout">
        <span className="muted">
          {shownStart === undefined ? '' : bucketLabel(locale, series.bucket, shownStart)}
        </span>
        <strong>{formatKwh(locale, shownKwh, readingDigits(shownKwh))}</strong>
      </p>
      <svg
        width={widthPx}
        height={HEIGHT_PX}
        viewBox={`0 0 ${widthPx} ${HEIGHT_PX}`}
        role="img"
        aria-label={formatKwh(locale, total, readingDigits(total))}
        data-testid="usage-chart"
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line
              className="grid"
              x1={PAD.left}
              x2={PAD.left + plotW}
              y1={y(maxKwh * f)}
              y2={y(maxKwh * f)}
            />
            <text className="axis" x={PAD.left - 6} y={y(maxKwh * f) + 4} textAnchor="end">
              {(maxKwh * f).toFixed(gridDigits)}
            </text>
          </g>
        ))}
        {series.kwh.map((kwh, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          const top = y(kwh);
          const startMs = series.startsMs[i] ?? 0;
          return (
            <g key={startMs} onClick={() => setSelected(i === selected ? null : i)}>
              <rect className="hit" x={PAD.left + i * slot} y={PAD.top} width={slot} height={plotH} />
              <rect
                className={`bar${i === n - 1 ? ' current' : ''}${i === selected ? ' selected' : ''}`}
                x={x}
                y={top}
                width={barW}
                height={Math.max(kwh > 0 ? 1.5 : 0, PAD.top + plotH - top)}
                rx={Math.min(3, barW / 3)}
              />
              {labels.has(i) && (
                <text
                  className="axis"
                  x={i === n - 1 ? PAD.left + plotW : x + barW / 2}
                  y={HEIGHT_PX - 6}
                  textAnchor={i === n - 1 ? 'end' : 'middle'}
                >
                  {bucketLabel(locale, series.bucket, startMs)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
