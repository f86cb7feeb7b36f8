import { useEffect, useState } from 'react';
import { createHttpClient } from '../api/http-client';
import { errorText } from '../i18n/error-text';
import type { StoredAuth } from '../state/auth-storage';
import { useI18n } from './i18n-context';

type Prefs = { lang: 'en' | 'sw'; optOut: boolean };

/** The customer's SMS choices: whether to get SMS at all, and in which language. */
export function SmsSettings({ auth, onSignOut }: { auth: StoredAuth; onSignOut: () => void }) {
  const { t, locale } = useI18n();
  const [http] = useState(() => createHttpClient({ token: () => auth.token, onUnauthorized: onSignOut }));
  const [prefs, setPrefs] = useState<Prefs | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    http.smsPreferences().then(
      (p) => {
        if (live) setPrefs(p);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [http]);

  if (prefs === null) return null;
  const save = (next: Prefs) => {
    setPrefs(next);
    setStatus(null);
    http.setSmsPreferences(next).then(
      (saved) => {
        setPrefs(saved);
        setStatus(t('smsSaved'));
      },
      (err: unknown) => setStatus(errorText({ t, locale }, err)),
    );
  };

  return (
    <section className="card" aria-label={t('smsTitle')} data-testid="sms-settings">
      <h2>{t('smsTitle')}</h2>
      <label className="check-row">
        <input
          type="checkbox"
          checked={!prefs.optOut}
          onChange={(e) => save({ ...prefs, optOut: !e.target.checked })}
          data-testid="sms-receive"
        />{' '}
        {t('smsReceive')}
      </label>
      <label className="field">
        {t('smsLanguage')}
        <select
          value={prefs.lang}
          onChange={(e) => save({ ...prefs, lang: e.target.value === 'sw' ? 'sw' : 'en' })}
          data-testid="sms-language"
        >
          <option value="en">English</option>
          <option value="sw">Kiswahili</option>
        </select>
      </label>
      {status && (
        <p className="muted small" role="status">
          {status}
        </p>
      )}
    </section>
  );
}
