/** Paths of the operator console, all under `/admin`. Kept small: the main bundle imports it. */
export type AdminRoute =
  | { name: 'fleet' }
  | { name: 'meter'; meterNo: string }
  | { name: 'alerts' }
  | { name: 'reports' }
  | { name: 'users' }
  | { name: 'payments' }
  | { name: 'topups' }
  | { name: 'sms' }
  | { name: 'tariffs' }
  | { name: 'audit' }
  | { name: 'friendly-hours' }
  | { name: 'unknown' };

export function isAdminPath(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/');
}

export function parseAdminRoute(pathname: string): AdminRoute {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/admin' || path === '/admin/meters') return { name: 'fleet' };
  if (path === '/admin/alerts') return { name: 'alerts' };
  if (path === '/admin/reports') return { name: 'reports' };
  if (path === '/admin/users') return { name: 'users' };
  if (path === '/admin/payments') return { name: 'payments' };
  if (path === '/admin/topups') return { name: 'topups' };
  if (path === '/admin/sms') return { name: 'sms' };
  if (path === '/admin/tariffs') return { name: 'tariffs' };
  if (path === '/admin/audit') return { name: 'audit' };
  if (path === '/admin/friendly-hours') return { name: 'friendly-hours' };
  const m = /^\/admin\/meters\/([^/]+)$/.exec(path);
  if (m?.[1]) {
    try {
      return { name: 'meter', meterNo: decodeURIComponent(m[1]) };
    } catch {
      return { name: 'unknown' };
    }
  }
  return { name: 'unknown' };
}

export const adminMeterPath = (meterNo: string): string => `/admin/meters/${encodeURIComponent(meterNo)}`;

/** The audit page, optionally opened on one meter, actor or action (`?target=…`). */
export function adminAuditPath(filter: { target?: string; actor?: string; action?: string } = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) p.set(k, v);
  const qs = p.toString();
  return qs ? `/admin/audit?${qs}` : '/admin/audit';
}
