import { useMemo, useState, type FormEvent, type MouseEvent } from 'react';
import { createHttpClient } from '../api/http-client';
import { errorText } from '../i18n/error-text';
import type { StoredAuth } from '../state/auth-storage';
import { normalizeKenyanPhone } from '../state/format';
import { AuthTop } from './auth-top';
import { CodeField } from './auth-fields';
import { useI18n } from './i18n-context';
import { navigate } from './navigation';

export function AuthScreen({
  mode,
  onSignedIn,
}: {
  mode: 'signin' | 'signup';
  onSignedIn: (auth: StoredAuth) => void;
}) {
  const { t, locale } = useI18n();
  const http = useMemo(() => createHttpClient({ token: () => null }), []);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** after sign-up: the address a code was sent to, waiting for that code */
  const [pendingEmail, setPendingEmail] = useState<string | null>(null);
  const [code, setCode] = useState('');

  async function run(step: () => Promise<void>) {
    setBusy(true);
    try {
      await step();
    } catch (err) {
      setError(errorText({ t, locale }, err));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const email = pendingEmail;
    if (email === null) return;
    await run(async () => {
      const answer = await http.verifyRegistration(email, code.trim());
      onSignedIn({ token: answer.token, user: answer.user });
    });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    let normalizedPhone: string | null = null;
    if (mode === 'signup') {
      normalizedPhone = normalizeKenyanPhone(phone);
      if (!normalizedPhone) {
        setError(t('phoneInvalid'));
        return;
      }
    }
    await run(async () => {
      if (mode === 'signin') {
        const answer = await http.login(email.trim(), password);
        onSignedIn({ token: answer.token, user: answer.user });
        return;
      }
      // The server answers the same for a new and a taken address; the code decides.
      await http.register({
        name: name.trim(),
        email: email.trim(),
        phone: normalizedPhone ?? '',
        password,
      });
      setCode('');
      setPendingEmail(email.trim().toLowerCase());
    });
  }

  const switchTo = (target: 'signin' | 'signup') => (e: MouseEvent) => {
    e.preventDefault();
    setError(null);
    setPendingEmail(null);
    navigate(`/${target}`);
  };

  if (mode === 'signup' && pendingEmail !== null) {
    return (
      <div className="auth">
        <AuthTop />
        <main className="auth-card card" data-testid="verify-step">
          <h1>{t('checkMessages')}</h1>
          <p className="muted">{t('codeSent', { email: pendingEmail })}</p>
          <form onSubmit={(e) => void confirm(e)}>
            <CodeField value={code} onChange={setCode} />
            {error && (
              <p className="form-error" role="alert" data-testid="auth-error">
                {error}
              </p>
            )}
            <button
              className="button primary block"
              type="submit"
              disabled={busy}
              data-testid="verify-submit"
            >
              {busy ? t('working') : t('confirmCode')}
            </button>
          </form>
          <p className="auth-switch">
            <a
              href="/signup"
              onClick={(e) => {
                e.preventDefault();
                setError(null);
                setPendingEmail(null);
              }}
              data-testid="start-over"
            >
              {t('startOver')}
            </a>
          </p>
        </main>
      </div>
    );
  }

  return (
    <div className="auth">
      <AuthTop />
      <main className="auth-card card">
        <h1>{mode === 'signin' ? t('signIn') : t('signUp')}</h1>
        <p className="muted">{t('tagline')}</p>
        <form onSubmit={(e) => void submit(e)} noValidate={false}>
          {mode === 'signup' && (
            <label className="field">
              <span>{t('name')}</span>
              <input
                name="name"
                autoComplete="name"
                required
                maxLength={100}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            </label>
          )}
          <label className="field">
            <span>{t('email')}</span>
            <input
              name="email"
              type="email"
              inputMode="email"
              autoComplete={mode === 'signin' ? 'username' : 'email'}
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          {mode === 'signup' && (
            <label className="field">
              <span>{t('phone')}</span>
              <input
                name="phone"
                type="tel"
                inputMode="tel"
                autoComplete="tel"
                placeholder="0712 345 678"
                required
                value={phone}
                onChange={(e) => setPhone(e.target.value)}
              />
              <small className="muted">{t('phoneHint')}</small>
            </label>
          )}
          <label className="field">
            <span>{t('password')}</span>
            <input
              name="password"
              type="password"
              autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
              required
              minLength={mode === 'signup' ? 8 : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            {mode === 'signup' && <small className="muted">{t('passwordHint')}</small>}
          </label>
          {mode === 'signin' && (
            <p className="forgot-link">
              <a
                href="/forgot"
                onClick={(e) => {
                  e.preventDefault();
                  navigate('/forgot');
                }}
                data-testid="to-forgot"
              >
                {t('forgotPassword')}
              </a>
            </p>
          )}
          {error && (
            <p className="form-error" role="alert" data-testid="auth-error">
              {error}
            </p>
          )}
          <button className="button primary block" type="submit" disabled={busy} data-testid="auth-submit">
            {busy ? t('working') : mode === 'signin' ? t('signIn') : t('signUp')}
          </button>
        </form>
        <p className="auth-switch">
          {mode === 'signin' ? (
            <>
              {t('noAccount')}{' '}
              <a href="/signup" onClick={switchTo('signup')} data-testid="to-signup">
                {t('signUp')}
              </a>
            </>
          ) : (
            <>
              {t('haveAccount')}{' '}
              <a href="/signin" onClick={switchTo('signin')} data-testid="to-signin">
                {t('signIn')}
              </a>
            </>
          )}
        </p>
      </main>
    </div>
  );
}
