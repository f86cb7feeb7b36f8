import { useState, type FormEvent } from 'react';
import { answer, createApiClient, timeout } from '../api/http-client';
import type { StoredAuth } from '../state/auth-storage';
import { AuthTop } from './auth-top';
import { NewPasswordField } from './auth-fields';
import { errorText } from '../i18n/error-text';
import { useI18n } from './i18n-context';

/**
 * After an operator set a temporary password: the server refuses everything else until the owner
 * chooses their own, so this is all the app shows (and signing out).
 */
export function TemporaryPasswordScreen({
  auth,
  onChanged,
  onSignOut,
}: {
  auth: StoredAuth;
  onChanged: (next: StoredAuth) => void;
  onSignOut: () => void;
}) {
  const { t, locale } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const api = createApiClient({ token: () => auth.token, onUnauthorized: onSignOut });
    answer(
      api.POST('/api/me/password', {
        body: { currentPassword: current, newPassword: next },
        signal: timeout(),
      }),
    )
      .then(
        (r) => onChanged({ token: r.token, user: r.user }),
        (err: unknown) => setError(errorText({ t, locale }, err)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <div className="auth">
      <AuthTop />
      <main className="auth-card card" data-testid="temporary-password-screen">
        <h1>{t('tmpTitle')}</h1>
        <p className="muted">{t('tmpHint')}</p>
        <form onSubmit={submit}>
          <label className="field">
            <span>{t('tmpCurrent')}</span>
            <input
              name="current-password"
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
              data-testid="tmp-current"
            />
          </label>
          <NewPasswordField label={t('tmpNew')} value={next} onChange={setNext} testId="tmp-new" />
          {error && (
            <p className="form-error" role="alert" data-testid="tmp-error">
              {error}
            </p>
          )}
          <button className="button primary block" type="submit" disabled={busy} data-testid="tmp-submit">
            {busy ? t('working') : t('tmpSubmit')}
          </button>
        </form>
        <p className="auth-switch">
          <button type="button" className="link-button" onClick={onSignOut}>
            {t('signOut')}
          </button>
        </p>
      </main>
    </div>
  );
}
