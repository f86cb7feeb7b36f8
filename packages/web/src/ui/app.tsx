import { useCallback, useEffect, useMemo, useState } from 'react';
import { AdminGate } from '../admin/admin-gate';
import { isAdminPath } from '../admin/admin-routes';
import { createHttpClient } from '../api/http-client';
import { pickLocale, translate, type Locale } from '../i18n/i18n';
import { LOCALE_STORAGE_KEY, loadAuth, saveAuth, type StoredAuth } from '../state/auth-storage';
import { parseRoute } from '../state/routes';
import { AuthScreen } from './auth-screen';
import { ForgotPassword } from './forgot-password';
import { I18nContext, type I18n } from './i18n-context';
import { ModeBanner } from './mode-banner';
import { navigate, usePathname } from './navigation';
import { SignedIn } from './signed-in';
import { TemporaryPasswordScreen } from './temporary-password-screen';

function storedLocale(): string | null {
  try {
    return window.localStorage.getItem(LOCALE_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function App() {
  const [locale, setLocaleState] = useState<Locale>(() => pickLocale(storedLocale(), navigator.languages));
  const [auth, setAuth] = useState<StoredAuth | null>(() => loadAuth(window.localStorage, Date.now()));
  const pathname = usePathname();
  const route = parseRoute(pathname);

  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      window.localStorage.setItem(LOCALE_STORAGE_KEY, next);
    } catch {
      // Private browsing may refuse storage; the choice then lasts for this visit.
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const i18n = useMemo<I18n>(
    () => ({ locale, setLocale, t: (key, params) => translate(locale, key, params) }),
    [locale, setLocale],
  );

  const signIn = useCallback((next: StoredAuth) => {
    saveAuth(window.localStorage, next);
    setAuth(next);
  }, []);

  const signOut = useCallback(() => {
    // The server ends the session too, so a copied token is worth nothing after sign-out.
    const ending = loadAuth(window.localStorage, Date.now());
    if (ending)
      void createHttpClient({ token: () => ending.token })
        .logout()
        .catch(() => {});
    saveAuth(window.localStorage, null);
    setAuth(null);
    navigate('/signin', { replace: true });
  }, []);

  useEffect(() => {
    // Every operator role opens the console; only customers have the dashboard.
    const admin = auth !== null && auth.user.role !== 'customer';
    if (
      auth &&
      (route.name === 'signin' ||
        route.name === 'signup' ||
        route.name === 'forgot' ||
        (admin && route.name === 'home'))
    )
      navigate(admin ? '/admin' : '/', { replace: true });
  }, [auth, route.name]);

  return (
    <I18nContext.Provider value={i18n}>
      <ModeBanner />
      {auth?.user.temporaryCredentials ? (
        <TemporaryPasswordScreen auth={auth} onChanged={signIn} onSignOut={signOut} />
      ) : auth && isAdminPath(pathname) ? (
        <AdminGate key={auth.token} auth={auth} onSignOut={signOut} />
      ) : auth ? (
        <SignedIn key={auth.token} auth={auth} route={route} onSignOut={signOut} />
      ) : route.name === 'forgot' ? (
        <ForgotPassword />
      ) : (
        <AuthScreen mode={route.name === 'signup' ? 'signup' : 'signin'} onSignedIn={signIn} />
      )}
    </I18nContext.Provider>
  );
}
