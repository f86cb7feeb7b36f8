import { useState, type FormEvent } from 'react';
import type { HttpClient } from '../api/http-client';
import { meterPath } from '../state/routes';
import { errorText } from '../i18n/error-text';
import { useI18n } from './i18n-context';
import { navigate } from './navigation';

/**
 * "Add a meter": its paybill account number and claim code. The server answers a wrong code, an
 * unknown account number and a meter someone already has alike. On success the meter joins the
 * live session (the server tells this account's sockets) and its dashboard opens.
 */
export function ClaimMeter({ http, onClaimed }: { http: HttpClient; onClaimed: (meterNo: string) => void }) {
  const { t, locale } = useI18n();
  const [accountNo, setAccountNo] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const claimed = await http.claimMeter(accountNo.trim(), code.trim());
      onClaimed(claimed.meterNo);
      navigate(meterPath(claimed.meterNo));
    } catch (err) {
      setError(errorText({ t, locale }, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="claim-meter" onSubmit={(e) => void submit(e)} data-testid="claim-meter">
      <h2>{t('addMeterTitle')}</h2>
      <p className="muted">{t('addMeterIntro')}</p>
      <label className="field">
        <span>{t('accountNo')}</span>
        <input
          name="accountNo"
          autoComplete="off"
          autoCapitalize="characters"
          required
          maxLength={64}
          value={accountNo}
          onChange={(e) => setAccountNo(e.target.value)}
        />
        <small className="muted">{t('accountNoHint')}</small>
      </label>
      <label className="field">
        <span>{t('claimCode')}</span>
        <input
          name="claimCode"
          autoComplete="off"
          autoCapitalize="characters"
          required
          maxLength={32}
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <small className="muted">{t('claimCodeHint')}</small>
      </label>
      {error && (
        <p className="form-error" role="alert" data-testid="claim-error">
          {error}
        </p>
      )}
      <button className="button primary block" type="submit" disabled={busy} data-testid="claim-submit">
        {busy ? t('working') : t('addMeterSubmit')}
      </button>
    </form>
  );
}
