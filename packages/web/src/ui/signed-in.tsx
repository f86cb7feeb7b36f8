import { useEffect, useState, useSyncExternalStore } from 'react';
import { io } from 'socket.io-client';
import { SOCKET_NAMESPACE } from '@umeme/protocol';
import { createHttpClient, type HttpClient } from '../api/http-client';
import { LiveSession, type BalanceSocket, type SessionEnvironment } from '../live/live-session';
import type { StoredAuth } from '../state/auth-storage';
import { meterPath, type Route } from '../state/routes';
import { AccountNav } from './account-nav';
import { BoltLogo } from './brand';
import { ClaimMeter } from './claim-meter';
import { FriendlyHoursBanner } from './friendly-hours-banner';
import { useI18n } from './i18n-context';
import { LanguageSwitch } from './language-switch';
import { MeterDashboard } from './meter-dashboard';
import { MeterSwitcher } from './meter-switcher';
import { navigate } from './navigation';
import { PushToggle } from './push-toggle';
import { SmsSettings } from './sms-settings';
import { StatementsPage } from './statements-page';
import { Toasts } from './toasts';

const browserEnvironment: SessionEnvironment = {
  addEventListener: (type, fn) =>
    (type === 'visibilitychange' ? document : window).addEventListener(type, fn),
  removeEventListener: (type, fn) =>
    (type === 'visibilitychange' ? document : window).removeEventListener(type, fn),
  isOnline: () => navigator.onLine,
  isVisible: () => document.visibilityState === 'visible',
};

function useLiveSession(auth: StoredAuth, onSignOut: () => void): { session: LiveSession; http: HttpClient } {
  const [live] = useState(() => {
    const http = createHttpClient({ token: () => auth.token, onUnauthorized: onSignOut });
    const session = new LiveSession({
      http,
      adoptUnknownMeters: auth.user.role === 'customer',
      onUnauthorized: onSignOut,
      env: browserEnvironment,
      openSocket: (): BalanceSocket =>
        io(SOCKET_NAMESPACE, {
          auth: { token: auth.token },
          // WebSocket first saves round trips on slow mobile links; polling remains the fallback.
          transports: ['websocket', 'polling'],
          tryAllTransports: true,
        }),
    });
    return { session, http };
  });
  useEffect(() => {
    live.session.start();
    return () => live.session.stop();
  }, [live]);
  return live;
}

export function SignedIn({
  auth,
  route,
  onSignOut,
}: {
  auth: StoredAuth;
  route: Route;
  onSignOut: () => void;
}) {
  const { t } = useI18n();
  const { session, http } = useLiveSession(auth, onSignOut);
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const firstMeter = state.meterNos[0];
  const currentMeterNo = route.name === 'meter' ? route.meterNo : null;

  useEffect(() => {
    if ((route.name === 'home' || route.name === 'unknown') && firstMeter) {
      navigate(meterPath(firstMeter), { replace: true });
    }
  }, [route.name, firstMeter]);

  const customer = auth.user.role !== 'admin';
  const claim = <ClaimMeter http={http} onClaimed={() => session.reloadMeters()} />;
  let body;
  if (route.name === 'statements') {
    body = <StatementsPage http={http} />;
  } else if (route.name === 'addMeter') {
    body = <div className="card">{claim}</div>;
  } else if (currentMeterNo !== null) {
    body = <MeterDashboard key={currentMeterNo} session={session} state={state} meterNo={currentMeterNo} />;
  } else if (state.metersStatus === 'loading' || firstMeter) {
    body = <p className="center muted">{t('loading')}</p>;
  } else if (state.metersStatus === 'error') {
    body = (
      <div className="card empty-state">
        <p role="alert">{t(state.metersError ?? 'err_unknown')}</p>
        <button className="button" type="button" onClick={() => session.reloadMeters()}>
          {t('retry')}
        </button>
      </div>
    );
  } else {
    body = (
      <div className="card empty-state" data-testid="no-meters">
        <h2>{t('noMeters')}</h2>
        <p className="muted">{t('noMetersHint')}</p>
        {customer && claim}
      </div>
    );
  }

  return (
    <div className="shell">
      <header className="topbar">
        <a
          className="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            if (firstMeter) navigate(meterPath(firstMeter));
          }}
        >
          <BoltLogo size={30} />
          <span className="brand-name">{t('appName')}</span>
        </a>
        <div className="topbar-actions">
          {auth.user.role === 'customer' && (
            <PushToggle http={http} onProblem={(m) => session.showToast(`push:${m}`, 'error', m)} />
          )}
          <LanguageSwitch />
          <button className="button ghost small" type="button" onClick={onSignOut} data-testid="sign-out">
            {t('signOut')}
          </button>
        </div>
      </header>
      {customer && <AccountNav route={route} firstMeter={firstMeter} />}
      {state.meterNos.length > 1 && route.name === 'meter' && (
        <MeterSwitcher meterNos={state.meterNos} meters={state.meters} current={currentMeterNo} />
      )}
      {auth.user.role === 'customer' && <FriendlyHoursBanner session={session} />}
      {body}
      {auth.user.role === 'customer' && <SmsSettings auth={auth} onSignOut={onSignOut} />}
      <Toasts toasts={state.toasts.toasts} onDismiss={(id) => session.dismissToast(id)} />
    </div>
  );
}
