import { useState, type FormEvent } from 'react';
import { useI18n } from '../ui/i18n-context';
import { countCsvRows, type DeviceCredentials, type ImportResult } from './admin-api';
import type { AdminContext } from './admin-context';
import { MeterNoField, SubmitButton, useSubmit } from './admin-form';
import { errorText, NoticeLine, saveBlob, SecretReveal } from './admin-kit';

const IMPORT_MAX_BYTES = 256 * 1024;

/** Registers one meter; its secret is shown once. */
export function RegisterMeterForm({ ctx, onDone }: { ctx: AdminContext; onDone: () => void }) {
  const { t } = useI18n();
  const [meterNo, setMeterNo] = useState('');
  const [owner, setOwner] = useState('');
  const [opening, setOpening] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const [credentials, setCredentials] = useState<DeviceCredentials | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!meterNo.trim()) return;
    setNotice(null);
    run(
      () =>
        ctx.api.registerMeter({
          meterNo: meterNo.trim(),
          ...(owner.trim() ? { ownerEmail: owner.trim() } : {}),
          ...(opening.trim() ? { openingCreditKwh: Number(opening) } : {}),
        }),
      (r) => {
        setCredentials(r);
        setNotice({ ok: true, text: t('usrRegistered', { meterNo: r.meterNo }) });
        setMeterNo('');
        setOwner('');
        setOpening('');
        onDone();
      },
    );
  };
  return (
    <form className="card stat-card" onSubmit={submit} data-testid="register-form">
      <h2 className="card-title">{t('usrRegTitle')}</h2>
      <div className="config-grid">
        <MeterNoField
          label={t('usrMeterNumber')}
          pattern="[A-Za-z0-9_\-]{1,32}"
          title={t('usrRegPatternTitle')}
          value={meterNo}
          onChange={setMeterNo}
          testId="register-meter-no"
        />
        <label className="admin-label">
          {t('usrRegOpening')}
          <input
            className="admin-input"
            type="number"
            min={0}
            step="0.001"
            inputMode="decimal"
            value={opening}
            onChange={(e) => setOpening(e.target.value)}
            data-testid="register-opening"
          />
        </label>
      </div>
      <label className="admin-label">
        {t('usrRegOwner')}
        <input
          className="admin-input"
          type="email"
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          data-testid="register-owner"
        />
      </label>
      <SubmitButton
        busy={busy}
        disabled={!meterNo.trim()}
        busyLabel={t('usrRegistering')}
        testId="register-submit"
      >
        {t('usrRegSubmit')}
      </SubmitButton>
      <NoticeLine notice={notice} testId="register-message" />
      {credentials && <SecretReveal credentials={credentials} onDismiss={() => setCredentials(null)} />}
    </form>
  );
}

/** CSV of the secrets an import issued, for the installers; built in the browser, never stored. */
function credentialsCsv(result: ImportResult): string {
  const lines = ['meterNo,mqttUsername,mqttPassword'];
  for (const r of result.rows)
    if (r.ok) lines.push(`${r.meterNo},${r.mqttUsername ?? ''},${r.mqttPassword ?? ''}`);
  return `${lines.join('\r\n')}\r\n`;
}

export function ImportMetersForm({ ctx, onDone }: { ctx: AdminContext; onDone: () => void }) {
  const { t } = useI18n();
  const [csv, setCsv] = useState('');
  const { busy, notice, setNotice, run } = useSubmit();
  const [result, setResult] = useState<ImportResult | null>(null);
  const rows = countCsvRows(csv);

  const readFile = (file: File | undefined) => {
    if (!file) return;
    if (file.size > IMPORT_MAX_BYTES) {
      setNotice({
        ok: false,
        text: t('usrImpTooLarge'),
      });
      return;
    }
    file.text().then(setCsv, (err: unknown) => setNotice({ ok: false, text: errorText(err) }));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rows === 0) return;
    setNotice(null);
    run(
      () => ctx.api.importMeters(csv),
      (r) => {
        setResult(r);
        setCsv('');
        onDone();
      },
    );
  };

  return (
    <form className="card stat-card" onSubmit={submit} data-testid="import-form">
      <h2 className="card-title">{t('usrImpTitle')}</h2>
      <p className="muted small-text">{t('usrImpHint')}</p>
      <label className="admin-label">
        {t('usrImpFile')}
        <input
          className="admin-input"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={(e) => readFile(e.target.files?.[0])}
          data-testid="import-file"
        />
      </label>
      <label className="admin-label">
        {t('usrImpPaste')}
        <textarea
          className="admin-input mono"
          rows={4}
          value={csv}
          onChange={(e) => setCsv(e.target.value)}
          placeholder={'meterNo,ownerEmail,openingCreditKwh\nKE-0001,wanjiku@example.com,5'}
          data-testid="import-csv"
        />
      </label>
      <SubmitButton busy={busy} disabled={rows === 0} busyLabel={t('usrImporting')} testId="import-submit">
        {rows === 0 ? t('usrImport') : rows === 1 ? t('usrImportOne') : t('usrImportMany', { count: rows })}
      </SubmitButton>
      <NoticeLine notice={notice} testId="import-message" />
      {result && (
        <div className="import-result" data-testid="import-result">
          <p data-testid="import-summary" data-created={result.created} data-failed={result.failed}>
            <strong className="ok-text">{t('usrImpCreated', { count: result.created })}</strong>
            {result.failed > 0 && (
              <strong className="neg"> · {t('usrImpFailed', { count: result.failed })}</strong>
            )}
          </p>
          <p className="secret-warning small-text">{t('usrImpShownOnce')}</p>
          <div className="table-wrap">
            <table className="admin-table">
              <thead>
                <tr>
                  <th className="num">{t('usrImpLine')}</th>
                  <th>{t('usrImpMeter')}</th>
                  <th>{t('usrImpSecret')}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={r.line} data-testid="import-row" data-ok={String(r.ok)} data-line={r.line}>
                    <td className="num mono">{r.line}</td>
                    <td className="mono">{r.meterNo || '—'}</td>
                    <td className={r.ok ? 'mono secret-value' : 'neg memo'}>
                      {r.ok ? r.mqttPassword : r.error}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="button-row">
            {result.created > 0 && (
              <button
                type="button"
                className="button small primary"
                onClick={() =>
                  saveBlob(
                    new Blob([credentialsCsv(result)], { type: 'text/csv' }),
                    'umeme-meter-credentials.csv',
                  )
                }
                data-testid="import-credentials"
              >
                {t('usrImpDownload')}
              </button>
            )}
            <button type="button" className="button small ghost" onClick={() => setResult(null)}>
              {t('usrImpHide')}
            </button>
          </div>
        </div>
      )}
    </form>
  );
}
