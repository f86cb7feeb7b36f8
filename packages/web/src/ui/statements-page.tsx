import { useEffect, useState } from 'react';
import { ApiError, NetworkError, type HttpClient } from '../api/http-client';
import type { Answer } from '../api/api-types';
import { formatDateTime, formatKes, formatKwh, isoToMs } from '../state/format';
import { useI18n } from './i18n-context';

type Statement = Answer<'/api/statements/{month}', 'get'>;
type StatementData = Exclude<Statement, string>;

/** This month in the browser's calendar, as YYYY-MM. */
function thisMonth(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

const kwhOf = (mwh: number) => mwh / 1_000_000;

/** Hands a text to the browser as a file to save, or to open in a new tab. */
function deliver(text: string, type: string, filename: string | null): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  if (filename) a.download = filename;
  else a.target = '_blank';
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The customer's monthly statement: per meter, each transaction, totals; CSV and printable downloads. */
export function StatementsPage({ http }: { http: HttpClient }) {
  const { t, locale } = useI18n();
  const [month, setMonth] = useState(thisMonth);
  const [statement, setStatement] = useState<StatementData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const problem = (err: unknown) =>
    err instanceof ApiError ? err.message : err instanceof NetworkError ? t('networkError') : String(err);

  useEffect(() => {
    if (!/^\d{4}-\d{2}$/.test(month)) return;
    let live = true;
    setError(null);
    http.statement(month).then(
      (s) => {
        if (live && typeof s !== 'string') setStatement(s);
      },
      (err: unknown) => {
        if (live) setError(problem(err));
      },
    );
    return () => {
      live = false;
    };
  }, [http, month]);

  async function download(format: 'csv' | 'html') {
    setBusy(true);
    try {
      const text = await http.statementFile(month, format);
      if (typeof text !== 'string') return;
      if (format === 'csv') deliver(text, 'text/csv', `umeme-statement-${month}.csv`);
      else deliver(text, 'text/html', null);
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  }

  const shown = statement?.period === month ? statement : null;
  return (
    <main className="card statements" data-testid="statements">
      <div className="card-head">
        <h2 className="card-title">{t('statementsTitle')}</h2>
      </div>
      <div className="statement-controls">
        <label className="field">
          <span>{t('statementMonth')}</span>
          <input
            type="month"
            name="month"
            data-testid="statement-month"
            max={thisMonth()}
            value={month}
            onChange={(e) => setMonth(e.target.value)}
          />
        </label>
        <div className="statement-downloads">
          <button className="button small" type="button" disabled={busy} onClick={() => void download('csv')}>
            {t('downloadCsv')}
          </button>
          <button
            className="button small"
            type="button"
            disabled={busy}
            onClick={() => void download('html')}
          >
            {t('openPrintable')}
          </button>
        </div>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!shown && !error && <p className="muted">{t('loading')}</p>}
      {shown && (
        <>
          <h3>{t('statementFor', { period: shown.period })}</h3>
          <div className="rows" data-testid="statement-totals">
            <div className="row">
              <span>{t('statementPaid')}</span>
              <span className="row-value">{formatKes(locale, shown.totals.paidCents / 100)}</span>
            </div>
            <div className="row">
              <span>{t('statementBought')}</span>
              <span className="row-value">{formatKwh(locale, shown.totals.boughtKwh)}</span>
            </div>
            <div className="row">
              <span>{t('statementUsed')}</span>
              <span className="row-value">{formatKwh(locale, shown.totals.consumedKwh)}</span>
            </div>
          </div>
          {shown.meters.length === 0 && <p className="muted">{t('statementNoMeters')}</p>}
          {shown.meters.map((m) => (
            <section className="statement-meter" key={m.meterNo} data-testid="statement-meter">
              <h4>
                {t('meter')} {m.meterNo}
              </h4>
              <dl className="statement-figures">
                <dt>{t('statementPaid')}</dt>
                <dd>{formatKes(locale, m.paidCents / 100)}</dd>
                <dt>{t('statementBought')}</dt>
                <dd>{formatKwh(locale, kwhOf(m.boughtMwh))}</dd>
                <dt>{t('statementUsed')}</dt>
                <dd>{formatKwh(locale, kwhOf(m.consumedMwh))}</dd>
                {m.adjustmentMwh !== 0 && (
                  <>
                    <dt>{t('statementAdjusted')}</dt>
                    <dd>{formatKwh(locale, kwhOf(m.adjustmentMwh))}</dd>
                  </>
                )}
                <dt>{t('statementBalance')}</dt>
                <dd>{formatKwh(locale, m.balanceKwh)}</dd>
                {m.debtCents > 0 && (
                  <>
                    <dt>{t('statementDebt')}</dt>
                    <dd>{formatKes(locale, m.debtCents / 100)}</dd>
                  </>
                )}
              </dl>
            </section>
          ))}
          <h3>{t('statementTransactions')}</h3>
          {shown.transactions.length === 0 ? (
            <p className="muted">{t('statementNoTransactions')}</p>
          ) : (
            <div className="statement-table-wrap">
              <table className="statement-table" data-testid="statement-transactions">
                <thead>
                  <tr>
                    <th>{t('statementWhen')}</th>
                    <th>{t('meter')}</th>
                    <th>{t('statementWhat')}</th>
                    <th className="num">{t('statementAmount')}</th>
                    <th className="num">{t('statementEnergy')}</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.transactions.map((x) => (
                    <tr key={x.id}>
                      <td>{formatDateTime(locale, isoToMs(x.at) ?? 0)}</td>
                      <td>{x.meterNo}</td>
                      <td>{x.type}</td>
                      <td className="num">{formatKes(locale, x.amountCents / 100)}</td>
                      <td className="num">{formatKwh(locale, x.energyKwh)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </main>
  );
}
