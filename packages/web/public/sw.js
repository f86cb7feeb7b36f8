/*
 * Umeme's service worker: shows the server's web push notices (issue 18 §4) and opens the meter's
 * page when one is tapped. Served from the site's root so it may show notices for every page;
 * it caches nothing, so a new build reaches the browser as before.
 */
self.addEventListener('install', () => {
  void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

/** The notice the server sent, or null when the payload is not one. */
function noticeOf(data) {
  if (!data) return null;
  try {
    const notice = data.json();
    if (notice && typeof notice.title === 'string' && typeof notice.body === 'string') return notice;
  } catch {
    // not JSON
  }
  return null;
}

self.addEventListener('push', (event) => {
  const notice = noticeOf(event.data);
  // A push must show something (userVisibleOnly): an unreadable one shows a plain notice.
  const title = notice ? notice.title : 'Umeme';
  const options = notice
    ? {
        body: notice.body,
        tag: typeof notice.tag === 'string' ? notice.tag : undefined,
        data: { url: typeof notice.url === 'string' ? notice.url : '/', kind: notice.kind },
      }
    : { body: 'Open Umeme to see what changed.', data: { url: '/' } };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(
    (event.notification.data && event.notification.data.url) || '/',
    self.location.origin,
  );
  // Only pages of this site.
  if (target.origin !== self.location.origin) return;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).origin === target.origin && 'focus' in client) {
          return client
            .focus()
            .then((focused) => (focused && 'navigate' in focused ? focused.navigate(target.href) : focused));
        }
      }
      return self.clients.openWindow(target.href);
    }),
  );
});
