import { useEffect, useState } from 'react';
import { reportPath, type Report } from './admin-api';
import type { AdminContext } from './admin-context';
import { fmtKes, fmtKwh, fmtMwhAsKwh } from './admin-format';
import { useAdminI18n, type AdminKey } from './admin-i18n';
import { ChipGroup, EmptyRow, ErrorAlert, errorText } from './admin-kit';

type Unit = 'daily' | 'monthly';

const PERIOD_CHIPS: { value: Unit; label: AdminKey; id: Unit }[] = [
  { value: 'daily', label: 'reportsDaily', id: 'daily' },
  { value: 'monthly', label: 'reportsMonthly', id: 'monthly' },
];

/** Kenyan calendar dates (UTC+3), as the server files its days. */
function eatDate(ms: number): string {
  return new Date(ms + 3 * 3_600_000).toISOString().slice(0, 10);
}

function defaultRange(unit: Unit): { from: string; to: string } {
  const now = Date.now();
  if (unit === 'daily') return { from: eatDate(now - 13 * 86_400_000), to: eatDate(now) };
  const today = eatDate(now);
  const [y, mo] = today.split('-').map(Number) as [number, number];
  const start = new Date(Date.UTC(y, mo - 12, 1)).toISOString().slice(0, 7);
  return { from: start, to: today.slice(0, 7) };
}

export function ReportsPage({ ctx }: { ctx: AdminContext }) {
  const { t } = useAdminI18n();
  const [unit, setUnit] = useState<Unit>('daily');
  const [range, setRange] = useState(() => defaultRange('daily'));
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);

  useEffect(() => {
    let live = true;
    setError(null);
    ctx.api.report(unit, range.from, range.to).then(
      (r) => {
        if (live) setReport(r);
      },
      (err: unknown) => {
        if (live) setError(errorText(err));
      },
    );
    return () => {
      live = false;
    };
  }, [ctx, unit, range]);

  const switchUnit = (u: Unit) => {
    setUnit(u);
    setRange(defaultRange(u));
    setReport(null);
  };

  // The API wants the bearer token, so the link fetches the CSV and hands the browser a file.
  const download = () => {
    setDownloading(true);
    ctx.api
      .reportCsv(unit, range.from, range.to)
      .then(
        (blob) => {
          const url = URL.createObjectURL(blob);
          const a = document.createElement('a');
          a.href = url;
          a.download = `umeme-${unit}-${range.from}-${range.to}.csv`;
          document.body.append(a);
          a.click();
          a.remove();
          window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
        },
        (err: unknown) => setError(errorText(err)),
      )
      .finally(() => setDownloading(false));
  };

  const inputType = unit === 'daily' ? 'date' : 'month';
  const totals = report?.totals;

  return (
    <section className="admin-page" data-testid="reports-page">
      <div className="admin-page-head">
        <h1>{t('reportsTitle')}</h1>
        <ChipGroup
          label={t('reportsPeriod')}
          options={PERIOD_CHIPS.map((c) => ({ ...c, label: t(c.label) }))}
          value={unit}
          onChange={switchUnit}
          testIdPrefix="report-"
        />
      </div>
      <div className="fleet-controls">
        <label className="admin-label inline">
          {t('reportsFrom')}
          <input
            className="admin-input"
            type={inputType}
            value={range.from}
            max={range.to}
            onChange={(e) => e.target.value && setRange((r) => ({ ...r, from: e.target.value }))}
            data-testid="report-from"
          />
        </label>
        <label className="admin-label inline">
          {t('reportsTo')}
          <input
            className="admin-input"
            type={inputType}
            value={range.to}
            min={range.from}
            onChange={(e) => e.target.value && setRange((r) => ({ ...r, to: e.target.value }))}
            data-testid="report-to"
          />
        </label>
        <a
          className="button small"
          href={reportPath(unit, range.from, range.to, true)}
          onClick={(e) => {
            e.preventDefault();
            if (!downloading) download();
          }}
          data-testid="report-csv"
        >
          {downloading ? t('reportsPreparing') : t('reportsDownloadCsv')}
        </a>
      </div>
      <ErrorAlert error={error} />
      <div className="card flush table-wrap">
        <table className="admin-table" data-testid="report-table">
          <thead>
            <tr>
              <th>{unit === 'daily' ? t('reportsColDay') : t('reportsColMonth')}</th>
              <th className="num">{t('reportsColMoneyIn')}</th>
              <th className="num">{t('reportsColSold')}</th>
              <th className="num">{t('reportsColConsumed')}</th>
              <th className="num">{t('reportsColAdjustments')}</th>
              <th className="num">{t('reportsColEmergency')}</th>
              <th className="num">{t('reportsColActive')}</th>
              <th className="num">{t('reportsColPerMeter')}</th>
            </tr>
          </thead>
          <tbody>
            {report?.rows.map((r) => (
              <tr key={r.period} data-testid="report-row">
                <td className="mono">{r.period}</td>
                <td className="num mono" title={channels(r.moneyByChannelCents)}>
                  {fmtKes(r.moneyCents)}
                </td>
                <td className="num mono">{fmtKwh(r.soldKwh)}</td>
                <td className="num mono">{fmtKwh(r.consumedKwh)}</td>
                <td className="num mono">{fmtMwhAsKwh(r.adjustmentMwh)}</td>
                <td className="num mono">{fmtMwhAsKwh(r.emergencyMwh)}</td>
                <td className="num mono">{r.activeMeters}</td>
                <td className="num mono">{fmtKes(r.revenuePerMeterCents)}</td>
              </tr>
            ))}
            {report && report.rows.length === 0 && <EmptyRow colSpan={8}>{t('reportsNothing')}</EmptyRow>}
            {!report && !error && <EmptyRow colSpan={8}>{t('loading')}</EmptyRow>}
          </tbody>
          {totals && (
            <tfoot>
              <tr data-testid="report-totals">
                <th>{t('reportsTotal')}</th>
                <th className="num mono">{fmtKes(totals.moneyCents)}</th>
                <th className="num mono">{fmtKwh(totals.soldKwh)}</th>
                <th className="num mono">{fmtKwh(totals.consumedKwh)}</th>
                <th className="num mono">{fmtMwhAsKwh(totals.adjustmentMwh)}</th>
                <th className="num mono">{fmtMwhAsKwh(totals.emergencyMwh)}</th>
                <th className="num mono">{totals.activeMeters}</th>
                <th className="num mono">{fmtKes(totals.revenuePerMeterCents)}</th>
              </tr>
            </tfoot>
          )}
        </table>
      </div>
    </section>
  );
}

function channels(byChannel: Record<string, number>): string {
  return Object.entries(byChannel)
    .map(([k, v]) => `${k}: ${fmtKes(v)}`)
    .join('\n');
}
