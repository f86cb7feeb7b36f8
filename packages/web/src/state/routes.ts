export type Route =
  | { name: 'home' }
  | { name: 'signin' }
  | { name: 'signup' }
  | { name: 'forgot' }
  | { name: 'statements' }
  | { name: 'addMeter' }
  | { name: 'meter'; meterNo: string }
  | { name: 'unknown' };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'home' };
  if (path === '/signin') return { name: 'signin' };
  if (path === '/signup') return { name: 'signup' };
  if (path === '/forgot') return { name: 'forgot' };
  if (path === '/statements') return { name: 'statements' };
  if (path === '/add-meter') return { name: 'addMeter' };
  const meter = /^\/meters\/([^/]+)$/.exec(path);
  if (meter?.[1]) {
    try {
      return { name: 'meter', meterNo: decodeURIComponent(meter[1]) };
    } catch {
      return { name: 'unknown' };
    }
  }
  return { name: 'unknown' };
}

export function meterPath(meterNo: string): string {
  return `/meters/${encodeURIComponent(meterNo)}`;
}
