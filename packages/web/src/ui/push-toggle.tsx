import { useEffect, useState } from 'react';
import type { HttpClient } from '../api/http-client';
import { useI18n } from './i18n-context';

type PushState = 'checking' | 'off' | 'on' | 'working' | 'blocked' | 'failed';

const supported = (): boolean =>
  typeof navigator !== 'undefined' &&
  'serviceWorker' in navigator &&
  typeof window !== 'undefined' &&
  'PushManager' in window &&
  'Notification' in window;

/** The browser's own subscription's JSON, as the server takes it. */
function subscriptionBody(sub: PushSubscription, lang: 'en' | 'sw') {
  const json = sub.toJSON();
  return {
    endpoint: sub.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' },
    lang,
  };
}

/**
 * Web push opt-in (issue 18 §4): registers the service worker, subscribes with the server's VAPID
 * key and hands the subscription to the server; off unsubscribes both. A browser already
 * subscribed tells the server again on every visit, so the signed-in customer owns it.
 */
export function PushToggle({
  http,
  onProblem,
}: {
  http: HttpClient;
  /** shown to the customer (a toast) */
  onProblem: (message: 'pushFailed' | 'pushBlocked') => void;
}) {
  const { t, locale } = useI18n();
  const [state, setState] = useState<PushState>('checking');

  useEffect(() => {
    if (!supported()) return;
    let cancelled = false;
    void (async () => {
      if (Notification.permission === 'denied') return setState('blocked');
      const reg = await navigator.serviceWorker.getRegistration('/');
      const sub = await reg?.pushManager.getSubscription();
      if (cancelled) return;
      if (!sub) return setState('off');
      await http.subscribePush(subscriptionBody(sub, locale)).catch(() => {});
      if (!cancelled) setState('on');
    })().catch(() => !cancelled && setState('off'));
    return () => {
      cancelled = true;
    };
  }, [http, locale]);

  if (!supported()) return null;

  async function turnOn() {
    setState('working');
    try {
      const permission = await Notification.requestPermission();
      if (permission === 'denied') {
        onProblem('pushBlocked');
        return setState('blocked');
      }
      if (permission !== 'granted') return setState('off');
      const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      await navigator.serviceWorker.ready;
      const { publicKey } = await http.pushConfig();
      const sub =
        (await reg.pushManager.getSubscription()) ??
        (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }));
      await http.subscribePush(subscriptionBody(sub, locale));
      setState('on');
    } catch {
      onProblem('pushFailed');
      setState('failed');
    }
  }

  async function turnOff() {
    setState('working');
    try {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const sub = await reg?.pushManager.getSubscription();
      if (sub) {
        await http.unsubscribePush(sub.endpoint).catch(() => {});
        await sub.unsubscribe();
      }
      setState('off');
    } catch {
      setState('failed');
    }
  }

  const on = state === 'on';
  const title = state === 'blocked' ? t('pushBlocked') : on ? t('pushTurnOff') : t('pushTurnOn');
  return (
    <button
      className="button ghost small"
      type="button"
      data-testid="push-toggle"
      aria-pressed={on}
      title={title}
      aria-label={title}
      disabled={state === 'checking' || state === 'working' || state === 'blocked'}
      onClick={() => void (on ? turnOff() : turnOn())}
    >
      {on ? t('pushOn') : t('pushOff')}
    </button>
  );
}
