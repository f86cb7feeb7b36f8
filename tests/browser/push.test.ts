/**
 * Web push in Chromium (issue 18 §4): the dashboard's opt-in registers the service worker, the
 * server sends a low-balance notice to the subscription's push service, and the service worker
 * shows it as a notification. Headless Chromium here has no push service of its own (its
 * PushManager.subscribe is refused without Google's), so the subscription is the loopback push
 * service's (tests/helpers/push-service.ts), made as a browser makes one, and that push service
 * hands what it received to the service worker through the DevTools protocol, as Chromium's own
 * push client would.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/app';
import { PushServiceEmulator } from '../helpers/push-service';
import { newPayer } from '../payments/helpers';
import { artifactPath, ensureWebBuilt, launchChromium, PHONE, signedInContext } from './browser-harness';

let t: TestApp;
let browser: Browser;
let pushService: PushServiceEmulator;

beforeAll(async () => {
  await ensureWebBuilt();
  pushService = await new PushServiceEmulator().start();
  [t, browser] = await Promise.all([
    startTestApp(
      'pglite',
      { PUSH_ENDPOINT_HOSTS: [pushService.url], VAPID_SUBJECT: 'mailto:ops@umeme.test' },
      { pushAgent: pushService.agent! },
    ),
    launchChromium(),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await pushService?.close();
});

describe('web push in Chromium', () => {
  it('a customer opts in, the meter goes low, and the service worker shows the notice', async () => {
    const payer = await newPayer(t, 3);
    const context = await signedInContext(
      browser,
      t,
      { id: payer.userId, token: payer.token, email: '', password: '' },
      { viewport: PHONE },
    );
    await context.grantPermissions(['notifications'], { origin: t.url });
    const page = await context.newPage();
    await page.goto(`/meters/${payer.meterNo}`);
    const toggle = await page.waitForSelector('[data-testid="push-toggle"]:not([disabled])');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    // The worker is registered whatever the browser's push service says; this Chromium has none,
    // so the customer is told it could not be turned on (a browser with one shows "Alerts on").
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="push-toggle"]')?.getAttribute('aria-pressed') === 'true' ||
        document.querySelector('[data-testid="toast"][data-kind="error"]') !== null,
    );
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${t.url}/`);
    await page.screenshot({ path: artifactPath('push-opt-in-390.png') });

    // The subscription a browser with a push service would have handed to the server.
    const sub = pushService.newSubscription();
    const r = await t.api(
      'POST',
      '/api/push/subscriptions',
      { endpoint: sub.endpoint, keys: sub.keys },
      payer.token,
    );
    expect(r.status).toBe(201);

    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    const registration = await waitFor(
      () => registrations.find((x) => x.scopeURL === `${t.url}/` && !x.isDeleted),
      'the service worker registration',
    );

    // 2 of 3 kWh taken back: 1 kWh left, under the 2 kWh line.
    const adjusted = await t.api(
      'POST',
      `/api/admin/meters/${payer.meterNo}/adjustments`,
      { energyKwh: -2, reason: 'push browser test' },
      t.adminToken,
    );
    expect(adjusted.status).toBe(201);
    const received = await waitFor(
      () => pushService.for(sub.id).find((p) => p.notice.kind === 'low_balance'),
      'the low-balance push at the push service',
    );
    // The push service delivers it to the browser's service worker.
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: t.url,
      registrationId: registration.registrationId,
      data: JSON.stringify(received.notice),
    });
    const shown = await waitFor(async () => {
      const list = await page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
        })),
      );
      return list.find((n) => n.title === 'Low balance');
    }, 'the notification');
    expect(shown.body).toContain(payer.meterNo);
    expect(shown.body).toContain('1.00 kWh');
    expect(shown.tag).toBe(received.notice.tag);
    expect(pushService.problems).toEqual([]);
    await context.close();
  });
});
