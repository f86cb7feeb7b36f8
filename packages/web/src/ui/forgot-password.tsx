import { useMemo, useState, type FormEvent } from 'react';
import './account.css';
import { createHttpClient } from '../api/http-client';
import { AuthTop } from './auth-top';
import { CodeField, NewPasswordField } from './auth-fields';
import { errorText } from '../i18n/error-text';
import { useI18n } from './i18n-context';
import { navigate } from './navigation';

/**
 * Forgotten password: the email or phone of the account, then the code the server sent there
 * with a new password. The server answers the first step alike for every login.
 */
export function ForgotPassword() {
  const { t, locale } = useI18n();
  const http = useMemo(() => createHttpClient({ token: () => null }), []);
  const [login, setLogin] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(step: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await step();
    } catch (err) {
      setError(errorText({ t, locale }, err));
    } finally {
      setBusy(false);
    }
  }

  const send = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await http.requestPasswordReset(login.trim());
      setCode('');
      setSentTo(login.trim());
    });
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    const to = sentTo;
    if (to === null) return;
    void run(async () => {
      await http.confirmPasswordReset({ login: to, code: code.trim(), newPassword });
      setDone(true);
    });
  };

  const errorLine = error && (
    <p className="form-error" role="alert" data-testid="auth-error">
      {error}
    </p>
  );

  let body;
  if (done) {
    body = (
      <>
        <p data-testid="reset-done">{t('resetDone')}</p>
        <button className="button primary block" type="button" onClick={() => navigate('/signin')}>
          {t('signIn')}
        </button>
      </>
    );
  } else if (sentTo === null) {
    body = (
      <form onSubmit={send}>
        <p className="muted">{t('resetIntro')}</p>
        <label className="field">
          <span>{t('resetLogin')}</span>
          <input
            name="login"
            autoComplete="username"
            required
            maxLength={254}
            value={login}
            onChange={(e) => setLogin(e.target.value)}
          />
        </label>
        {errorLine}
        <button className="button primary block" type="submit" disabled={busy} data-testid="reset-send">
          {busy ? t('working') : t('resetSend')}
        </button>
      </form>
    );
  } else {
    body = (
      <form onSubmit={save} data-testid="reset-code-step">
        <p className="muted">{t('resetSent', { login: sentTo })}</p>
        <CodeField value={code} onChange={setCode} />
        <NewPasswordField label={t('resetNewPassword')} value={newPassword} onChange={setNewPassword} />
        {errorLine}
        <button className="button primary block" type="submit" disabled={busy} data-testid="reset-save">
          {busy ? t('working') : t('resetSave')}
        </button>
        <p className="auth-switch">
          <button className="link-button" type="button" onClick={() => setSentTo(null)}>
            {t('resetAgain')}
          </button>
        </p>
      </form>
    );
  }

  return (
    <div className="auth">
      <AuthTop />
      <main className="auth-card card" data-testid="forgot-password">
        <h1>{t('resetTitle')}</h1>
        {body}
        <p className="auth-switch">
          <a
            href="/signin"
            onClick={(e) => {
              e.preventDefault();
              navigate('/signin');
            }}
            data-testid="back-to-signin"
          >
            {t('backToSignIn')}
          </a>
        </p>
      </main>
    </div>
  );
}
